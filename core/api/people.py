"""People and assignments: 学生, 教职工, 家长绑定, 任课安排."""

from django.core.exceptions import ValidationError
from django.db.models import Q
from ninja import Router, Status
from ninja.pagination import paginate

from .. import services
from ..models import (
    Class,
    Guardianship,
    Person,
    StaffPost,
    Student,
    StudentStatus,
    Subject,
    TeachingAssignment,
    Term,
)
from .common import actor, get_visible, text_query, visible
from .org import READ_ERRORS, WRITE_ERRORS
from .pagination import Pagination
from .schemas import (
    GuardianNew,
    GuardianshipIn,
    GuardianshipOut,
    StaffOut,
    StudentOut,
    TeachingAssignmentIn,
    TeachingAssignmentOut,
)

router = Router()


# --- students -------------------------------------------------------------------------------------------


def _students(request):
    return visible(Student, request).select_related("person", "school", "klass__grade")


@router.get("/students", response=list[StudentOut], tags=["学生"], summary="学生列表")
@paginate(Pagination)
def student_list(
    request,
    school: int | None = None,
    klass: int | None = None,
    q: str = "",
    status: StudentStatus | None = None,
    include_archived: bool = False,
):
    """``q`` matches the name (contains) or the full 学籍号 (exact: no substring probing of 学籍号/身份证号)."""
    qs = _students(request)
    if school is not None:
        qs = qs.filter(school_id=school)
    if klass is not None:
        qs = qs.filter(klass_id=klass)
    if status:
        qs = qs.filter(status=status)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if q := text_query(q):
        qs = qs.filter(Q(person__name__icontains=q) | Q(student_no_index=Student.student_no_lookup(q)))
    return qs.order_by(
        "school__code", "klass__grade__stage", "-klass__grade__entry_year", "klass__number", "class_no", "id"
    )


@router.get("/students/{int:student_id}", response={200: StudentOut, **READ_ERRORS}, tags=["学生"])
def student_detail(request, student_id: int):
    return get_visible(_students(request), student_id, "学生")


# --- staff ----------------------------------------------------------------------------------------------


@router.get("/staff", response=list[StaffOut], tags=["教职工"], summary="教职工岗位列表")
@paginate(Pagination)
def staff_list(request, school: int | None = None, q: str = "", include_archived: bool = False):
    qs = visible(StaffPost, request).select_related("person", "school", "main_subject")
    if school is not None:
        qs = qs.filter(school_id=school)
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if q := text_query(q):
        qs = qs.filter(Q(person__name__icontains=q) | Q(staff_no__iexact=q))
    return qs.order_by("school__code", "post", "id")


# --- guardianships --------------------------------------------------------------------------------------


def _guardianships(request, action: str = "view"):
    return visible(Guardianship, request, action).select_related("guardian", "student__person")


@router.get("/guardianships", response=list[GuardianshipOut], tags=["家长绑定"], summary="家长绑定列表")
@paginate(Pagination)
def guardianship_list(request, student: int | None = None):
    qs = _guardianships(request)
    if student is not None:
        qs = qs.filter(student_id=student)
    return qs.order_by("student_id", "-is_primary_contact", "id")


@router.post("/guardianships", response={201: GuardianshipOut, **WRITE_ERRORS}, tags=["家长绑定"], summary="绑定家长")
def guardianship_create(request, payload: GuardianshipIn):
    student = get_visible(_students(request), payload.student, "学生")
    kwargs = {}
    if isinstance(payload.guardian, GuardianNew):
        data = payload.guardian.model_dump()
        data["id_type"] = str(payload.guardian.id_type.value)
        data["gender"] = str(payload.guardian.gender.value)
        # services.guardianship_bind reuses a person found by ID number or phone whatever name was typed.
        # Refuse a name mismatch: it would bind a stranger and answer with the stranger's name.
        existing = services.person_find(id_type=data["id_type"], id_number=data["id_number"], phone=data["phone"])
        if existing is not None and existing.name != data["name"].strip():
            raise ValidationError({"guardian": ["该证件号或手机号已登记为其他姓名的人员，请核对后再绑定"]})
        kwargs["guardian_data"] = data
    else:
        kwargs["guardian"] = get_visible(Person.objects.visible_to(actor(request)), payload.guardian, "家长")
    g = services.guardianship_bind(
        actor=actor(request),
        student=student,
        relation=str(payload.relation.value),
        is_primary_contact=payload.is_primary_contact,
        **kwargs,
    )
    return Status(201, _guardianships(request).get(pk=g.pk))


@router.delete("/guardianships/{int:guardianship_id}", response={204: None, **WRITE_ERRORS}, tags=["家长绑定"])
def guardianship_delete(request, guardianship_id: int):
    g = get_visible(_guardianships(request), guardianship_id, "家长绑定")
    services.guardianship_unbind(actor=actor(request), guardianship=g)
    return Status(204, None)


# --- teaching assignments -------------------------------------------------------------------------------


def _assignments(request):
    return visible(TeachingAssignment, request).select_related(
        "teacher", "klass__grade", "subject", "term__academic_year"
    )


@router.get("/teaching-assignments", response=list[TeachingAssignmentOut], tags=["任课安排"], summary="任课安排列表")
@paginate(Pagination)
def assignment_list(
    request, klass: int | None = None, teacher: int | None = None, term: int | None = None, current: bool = False
):
    """``teacher`` is the teacher's person id; ``current=true`` limits to the current term."""
    qs = _assignments(request)
    if klass is not None:
        qs = qs.filter(klass_id=klass)
    if teacher is not None:
        qs = qs.filter(teacher_id=teacher)
    if term is not None:
        qs = qs.filter(term_id=term)
    if current:
        qs = qs.filter(term__is_current=True)
    return qs.order_by("-term__academic_year__start_year", "-term__number", "klass_id", "subject__sort_order", "id")


@router.put(
    "/teaching-assignments",
    response={200: TeachingAssignmentOut, **WRITE_ERRORS},
    tags=["任课安排"],
    summary="设置任课教师（班级 + 学科 + 学期唯一，已有则替换）",
)
def assignment_set(request, payload: TeachingAssignmentIn):
    klass = get_visible(visible(Class, request).select_related("school", "grade"), payload.klass, "班级")
    subject = get_visible(visible(Subject, request), payload.subject, "学科")
    teacher = get_visible(Person.objects.visible_to(actor(request)), payload.teacher, "教师")
    term = get_visible(visible(Term, request), payload.term, "学期")
    ta = services.teaching_assignment_set(
        actor=actor(request),
        klass=klass,
        subject=subject,
        teacher=teacher,
        term=term,
        periods_per_week=payload.periods_per_week,
    )
    return _assignments(request).get(pk=ta.pk)


@router.delete("/teaching-assignments/{int:assignment_id}", response={204: None, **WRITE_ERRORS}, tags=["任课安排"])
def assignment_delete(request, assignment_id: int):
    ta = get_visible(_assignments(request), assignment_id, "任课安排")
    services.teaching_assignment_remove(actor=actor(request), assignment=ta)
    return Status(204, None)
