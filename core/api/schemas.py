"""Input and output schemas. Personal data leaves the API masked only (身份证号, 手机号)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema
from pydantic import ConfigDict

from ..models import Gender, IdType, Relation, SchoolType, Stage

# --- shared ---------------------------------------------------------------------------------------------


class InputSchema(Schema):
    """Request bodies: unknown fields are an error (a misspelt field must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class Ref(Schema):
    id: int
    name: str


class ErrorOut(Schema):
    detail: str
    errors: dict[str, list[str]] | None = None


def _ref(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj.name)}


# --- me -------------------------------------------------------------------------------------------------


class RoleOut(Schema):
    role: str
    role_label: str
    level: str
    district_id: int | None = None
    school_id: int | None = None
    grade_id: int | None = None
    klass_id: int | None = None
    student_id: int | None = None


class MeOut(Schema):
    id: int
    username: str
    name: str
    person_id: int | None
    auth_method: str
    mfa_required: bool
    roles: list[RoleOut]


# --- org tree -------------------------------------------------------------------------------------------


class DistrictOut(Schema):
    id: int
    name: str
    code: str
    region_name: str

    @staticmethod
    def resolve_code(obj) -> str:
        return obj.region.code

    @staticmethod
    def resolve_region_name(obj) -> str:
        return obj.region.name


class StageOut(Schema):
    code: str
    label: str


class CampusOut(Schema):
    id: int
    name: str
    address: str
    is_main: bool
    archived: bool

    @staticmethod
    def resolve_archived(obj) -> bool:
        return obj.archived_at is not None


class SchoolOut(Schema):
    id: int
    district_id: int
    code: str
    name: str
    short_name: str
    school_type: str
    school_type_label: str
    address: str
    phone: str
    archived: bool

    @staticmethod
    def resolve_school_type_label(obj) -> str:
        return obj.get_school_type_display()

    @staticmethod
    def resolve_archived(obj) -> bool:
        return obj.archived_at is not None


class SchoolDetailOut(SchoolOut):
    stages: list[StageOut]
    campuses: list[CampusOut]

    @staticmethod
    def resolve_stages(obj) -> list[dict]:
        return [{"code": str(s), "label": str(Stage(s).label)} for s in obj.stages]

    @staticmethod
    def resolve_campuses(obj):
        return list(obj.campuses.all())


class SchoolIn(InputSchema):
    district: int | None = Field(None, description="区县 id；只管理一个区县时可省略")
    code: str = Field(..., description="10 位学校标识码")
    name: str = Field(..., min_length=1, max_length=100)
    school_type: SchoolType
    short_name: str = Field("", max_length=30)
    address: str = Field("", max_length=200)
    phone: str = Field("", max_length=30)
    campus_name: str = Field("", max_length=100, description="主校区名称，默认“本部”")


class SchoolPatch(InputSchema):
    code: str | None = None
    name: str | None = Field(None, min_length=1, max_length=100)
    school_type: SchoolType | None = None
    short_name: str | None = Field(None, max_length=30)
    address: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, max_length=30)


class GradeOut(Schema):
    id: int
    school: Ref
    stage: str
    stage_label: str
    entry_year: int
    label: str
    cohort_name: str
    archived: bool

    @staticmethod
    def resolve_school(obj) -> dict:
        return _ref(obj.school)

    @staticmethod
    def resolve_stage_label(obj) -> str:
        return obj.get_stage_display()

    @staticmethod
    def resolve_label(obj) -> str:
        return obj.label()

    @staticmethod
    def resolve_archived(obj) -> bool:
        return obj.archived_at is not None


class GradeIn(InputSchema):
    school: int
    stage: Stage
    entry_year: int = Field(..., ge=1990, le=2100)


class GradeRef(Schema):
    id: int
    label: str


class ClassOut(Schema):
    id: int
    name: str
    number: int
    alias: str
    school: Ref
    grade: GradeRef
    campus: Ref | None
    head_teacher: Ref | None
    student_count: int
    archived: bool

    @staticmethod
    def resolve_school(obj) -> dict:
        return _ref(obj.school)

    @staticmethod
    def resolve_grade(obj) -> dict:
        return {"id": obj.grade_id, "label": obj.grade.label()}

    @staticmethod
    def resolve_campus(obj) -> dict | None:
        return _ref(obj.campus)

    @staticmethod
    def resolve_head_teacher(obj) -> dict | None:
        return _ref(obj.head_teacher)

    @staticmethod
    def resolve_student_count(obj) -> int:
        return getattr(obj, "student_count", 0) or 0

    @staticmethod
    def resolve_archived(obj) -> bool:
        return obj.archived_at is not None


class ClassIn(InputSchema):
    grade: int
    number: int = Field(..., ge=1, le=99)
    alias: str = Field("", max_length=30)
    campus: int | None = None
    head_teacher: int | None = Field(None, description="班主任的人员 id（须为本校在岗教职工）")


class ClassPatch(InputSchema):
    number: int | None = Field(None, ge=1, le=99)
    alias: str | None = Field(None, max_length=30)
    campus: int | None = None
    head_teacher: int | None = Field(None, description="班主任的人员 id；null 表示清空")


class SubjectOut(Schema):
    id: int
    code: str
    name: str
    stages: list[str]
    is_active: bool

    @staticmethod
    def resolve_stages(obj) -> list[str]:
        return [s for s in obj.stages.split(",") if s]


class TermOut(Schema):
    id: int
    name: str
    academic_year: int
    number: int
    start_date: dt.date
    end_date: dt.date
    is_current: bool

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj)

    @staticmethod
    def resolve_academic_year(obj) -> int:
        return obj.academic_year.start_year


# --- people ---------------------------------------------------------------------------------------------


def student_no_public(student) -> str:
    """学籍号 as shown by the API. The national 学籍号 is "G" + 身份证号: where it embeds the ID number, the
    ID part is masked, so the API never discloses a full ID number."""
    return student.student_no_masked


class StudentOut(Schema):
    id: int
    person_id: int
    name: str
    gender: str
    gender_label: str
    student_no: str
    class_no: int | None
    id_number_masked: str
    status: str
    status_label: str
    klass: Ref
    school: Ref
    archived: bool

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_gender(obj) -> str:
        return obj.person.gender

    @staticmethod
    def resolve_gender_label(obj) -> str:
        return obj.person.get_gender_display()

    @staticmethod
    def resolve_student_no(obj) -> str:
        return student_no_public(obj)

    @staticmethod
    def resolve_id_number_masked(obj) -> str:
        return obj.person.id_number_masked

    @staticmethod
    def resolve_status_label(obj) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_klass(obj) -> dict:
        return _ref(obj.klass)

    @staticmethod
    def resolve_school(obj) -> dict:
        return _ref(obj.school)

    @staticmethod
    def resolve_archived(obj) -> bool:
        return obj.archived_at is not None


class StaffOut(Schema):
    id: int
    person_id: int
    name: str
    school: Ref
    post: str
    post_label: str
    subject: Ref | None
    staff_no: str
    is_primary: bool
    phone_masked: str
    archived: bool

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.person.name

    @staticmethod
    def resolve_school(obj) -> dict:
        return _ref(obj.school)

    @staticmethod
    def resolve_post_label(obj) -> str:
        return obj.get_post_display()

    @staticmethod
    def resolve_subject(obj) -> dict | None:
        return _ref(obj.main_subject)

    @staticmethod
    def resolve_phone_masked(obj) -> str:
        return obj.person.phone_masked

    @staticmethod
    def resolve_archived(obj) -> bool:
        return obj.archived_at is not None


class GuardianOut(Schema):
    id: int
    name: str
    phone_masked: str


class GuardianshipOut(Schema):
    id: int
    student: Ref
    guardian: GuardianOut
    relation: str
    relation_label: str
    is_legal_guardian: bool
    is_primary_contact: bool

    @staticmethod
    def resolve_student(obj) -> dict:
        return {"id": obj.student_id, "name": obj.student.person.name}

    @staticmethod
    def resolve_guardian(obj) -> dict:
        g = obj.guardian
        return {"id": g.pk, "name": g.name, "phone_masked": g.phone_masked}

    @staticmethod
    def resolve_relation_label(obj) -> str:
        return obj.get_relation_display()


class GuardianNew(InputSchema):
    name: str = Field(..., min_length=1, max_length=50)
    phone: str = Field("", max_length=20)
    id_number: str = Field("", max_length=30)
    id_type: IdType = IdType.RESIDENT
    gender: Gender = Gender.UNKNOWN


class GuardianshipIn(InputSchema):
    student: int
    relation: Relation
    guardian: int | GuardianNew = Field(
        ..., description="已有人员的 id，或新家长 {name, phone, id_number}（按证件号/手机号匹配已有人员）"
    )
    is_primary_contact: bool = False


class TermRef(Schema):
    id: int
    name: str
    is_current: bool


class TeachingAssignmentOut(Schema):
    id: int
    klass: Ref
    subject: Ref
    teacher: Ref
    term: TermRef
    periods_per_week: int

    @staticmethod
    def resolve_klass(obj) -> dict:
        return _ref(obj.klass)

    @staticmethod
    def resolve_subject(obj) -> dict:
        return _ref(obj.subject)

    @staticmethod
    def resolve_teacher(obj) -> dict:
        return _ref(obj.teacher)

    @staticmethod
    def resolve_term(obj) -> dict:
        return {"id": obj.term_id, "name": str(obj.term), "is_current": obj.term.is_current}


class TeachingAssignmentIn(InputSchema):
    klass: int
    subject: int
    teacher: int = Field(..., description="任课教师的人员 id（须为本校在岗教职工）")
    term: int | None = Field(None, description="学期 id，默认当前学期")
    periods_per_week: int = Field(0, ge=0, le=60)


__all__ = [
    "ClassIn",
    "ClassOut",
    "ClassPatch",
    "DistrictOut",
    "ErrorOut",
    "GradeIn",
    "GradeOut",
    "GuardianNew",
    "GuardianshipIn",
    "GuardianshipOut",
    "MeOut",
    "Ref",
    "SchoolDetailOut",
    "SchoolIn",
    "SchoolOut",
    "SchoolPatch",
    "StaffOut",
    "StudentOut",
    "SubjectOut",
    "TeachingAssignmentIn",
    "TeachingAssignmentOut",
    "TermOut",
]
