"""学籍 API under /api/v1/roster/: 学籍异动 list, a student's 异动 timeline and enrolment statistics.

Mounted by core/api/__init__.py with ``api.add_router("/roster", roster.api.router)``. Every read starts from
``visible_to`` (``RosterChange.objects.visible_to`` also shows transfers from or to a school the user
administers); out-of-scope objects are 404, lists are filtered.
"""

import datetime as dt
from typing import Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from core.api.common import actor, get_visible
from core.api.errors import not_found
from core.api.org import READ_ERRORS, WRITE_ERRORS
from core.api.pagination import Pagination
from core.api.schemas import ErrorOut
from core.models import Class, School, Student

from . import services
from .models import ChangeKind, ChangeStatus
from .selectors import changes_visible_to, enrolment_stats, student_timeline

router = Router(tags=["学籍"])


# --- schemas --------------------------------------------------------------------------------------------


class NamedRef(Schema):
    id: int
    name: str


def _ref(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": str(obj.name)}


class ChangeOut(Schema):
    id: int
    student: NamedRef
    kind: str
    kind_label: str
    status: str
    status_label: str
    from_school: NamedRef | None = None
    to_school: NamedRef | None = None
    from_class: NamedRef | None = None
    to_class: NamedRef | None = None
    reason: str
    effective_on: dt.date | None = None
    created_at: dt.datetime
    decided_at: dt.datetime | None = None

    @staticmethod
    def resolve_student(obj) -> dict:
        return {"id": obj.student_id, "name": obj.student.person.name}

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_from_school(obj):
        return _ref(obj.from_school)

    @staticmethod
    def resolve_to_school(obj):
        return _ref(obj.to_school)

    @staticmethod
    def resolve_from_class(obj):
        return _ref(obj.from_class)

    @staticmethod
    def resolve_to_class(obj):
        return _ref(obj.to_class)


class TimelineChangeOut(ChangeOut):
    timeline: list[dict]


class SchoolCountOut(Schema):
    school_id: int
    name: str
    n: int


class GradeCountOut(Schema):
    grade_id: int | None
    school_id: int
    label: str
    cohort: str
    n: int


class ClassCountOut(Schema):
    class_id: int | None
    grade_id: int | None
    number: int | None
    n: int


class EnrolmentStatsOut(Schema):
    total: int
    by_school: list[SchoolCountOut]
    by_grade: list[GradeCountOut]
    by_class: list[ClassCountOut]
    by_gender: dict[str, int]
    by_ethnicity: dict[str, int]
    migrant_child: int
    left_behind: int
    without_profile: int


# --- endpoints ------------------------------------------------------------------------------------------


def _changes(request):
    return changes_visible_to(actor(request)).select_related(
        "student__person", "from_school", "to_school", "from_class__grade", "to_class__grade"
    )


@router.get("/changes", response=list[ChangeOut], summary="学籍异动列表")
@paginate(Pagination)
def change_list(
    request,
    student: int | None = None,
    kind: ChangeKind | None = None,
    status: ChangeStatus | None = None,
):
    """异动 visible to the user (the student's scope, plus transfers from or to a school the user
    administers), newest first."""
    qs = _changes(request)
    if student is not None:
        qs = qs.filter(student_id=student)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


@router.get(
    "/students/{int:student_id}/timeline",
    response={200: list[TimelineChangeOut], **READ_ERRORS},
    summary="学生学籍异动时间线",
)
def student_timeline_view(request, student_id: int):
    """The student's 异动 visible to the user, newest first, each with its 处理记录. 404 when the user sees
    neither the student nor any of its 异动."""
    user = actor(request)
    student = (
        Student.objects.filter(pk=student_id)
        .filter(
            Q(pk__in=Student.objects.visible_to(user).values("pk")) | Q(roster_changes__in=changes_visible_to(user))
        )
        .select_related("person")
        .distinct()
        .first()
    )
    if student is None:
        raise not_found("学生")
    return student_timeline(user, student)


def _stats_allowed(user) -> bool:
    from .views.stats import stats_allowed

    return stats_allowed(user)


@router.get(
    "/stats", response={200: EnrolmentStatsOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}, summary="在籍统计"
)
def stats(request, school: int | None = None):
    """在读 students by school, grade, class, 性别, 民族, 随迁子女 and 留守儿童 (district admins, school admins and
    grade leaders; ``school`` outside the user's scope is 404)."""
    user = actor(request)
    if not _stats_allowed(user):
        raise PermissionDenied("无权查看学籍统计")
    school_obj = get_visible(School.objects.visible_to(user, "view"), school, "学校")
    return enrolment_stats(user, school=school_obj)


# --- 异动 (writes) ---------------------------------------------------------------------------------------
# Thin wrappers over roster.services (the same permission checks, validation and audit as the pages). The
# student or 异动 is looked up in the user's scope first (404 outside it); schools and classes named in the
# payload are looked up inside the student's district / the relevant school, and the service decides
# whether the user may use them (403).


class TransferIn(Schema):
    student: int
    to_school: int
    reason: str
    effective_on: dt.date | None = None


class AcceptIn(Schema):
    to_class: int


class ReasonIn(Schema):
    reason: str


class SuspendIn(Schema):
    reason: str
    until: dt.date | None = None


class ResumeIn(Schema):
    to_class: int | None = None


class WithdrawIn(Schema):
    kind: Literal["dropout", "withdraw"] = "dropout"
    reason: str


class MoveClassIn(Schema):
    to_class: int
    reason: str


class NumberIn(Schema):
    temporary: bool = False


class NumberOut(Schema):
    student: int
    student_no_masked: str


class PromoteIn(Schema):
    to_start_year: int
    dry_run: bool = False


def _student_for_write(request, student_id: int) -> Student:
    qs = Student.objects.visible_to(actor(request)).select_related("person", "school__district__region", "klass__grade")
    return get_visible(qs, student_id, "学生")


def _change_for_write(request, change_id: int):
    return get_visible(_changes(request), change_id, "学籍异动")


def _class_in(school_ids, class_id: int | None):
    if class_id is None:
        return None
    klass = Class.objects.select_related("grade", "school").filter(pk=class_id, school_id__in=school_ids).first()
    if klass is None:
        raise not_found("班级")
    return klass


def _change_out(change):
    return _changes_by_pk(change.pk)


def _changes_by_pk(pk: int):
    from .models import RosterChange

    return RosterChange.objects.select_related(
        "student__person", "from_school", "to_school", "from_class__grade", "to_class__grade"
    ).get(pk=pk)


@router.post("/transfers", response={201: ChangeOut, **WRITE_ERRORS}, summary="转学申请（区内）")
def transfer_request_api(request, payload: TransferIn):
    """The sending school's admin (or the district admin) applies; the receiving school accepts, the
    district approves."""
    student = _student_for_write(request, payload.student)
    to_school = School.objects.filter(pk=payload.to_school, district_id=student.district_id).first()
    if to_school is None:
        raise not_found("转入学校")
    change = services.transfer_request(
        actor=actor(request),
        student=student,
        to_school=to_school,
        reason=payload.reason,
        effective_on=payload.effective_on,
    )
    return Status(201, _change_out(change))


@router.post("/changes/{int:change_id}/accept", response={200: ChangeOut, **WRITE_ERRORS}, summary="转入学校接收")
def transfer_accept_api(request, change_id: int, payload: AcceptIn):
    change = _change_for_write(request, change_id)
    klass = _class_in([change.to_school_id], payload.to_class)
    services.transfer_accept(actor=actor(request), change=change, to_class=klass)
    return _change_out(change)


@router.post("/changes/{int:change_id}/approve", response={200: ChangeOut, **WRITE_ERRORS}, summary="区县审批转学")
def transfer_approve_api(request, change_id: int):
    change = _change_for_write(request, change_id)
    services.transfer_approve(actor=actor(request), change=change)
    return _change_out(change)


@router.post("/changes/{int:change_id}/reject", response={200: ChangeOut, **WRITE_ERRORS}, summary="驳回转学")
def transfer_reject_api(request, change_id: int, payload: ReasonIn):
    change = _change_for_write(request, change_id)
    services.transfer_reject(actor=actor(request), change=change, reason=payload.reason)
    return _change_out(change)


@router.post("/changes/{int:change_id}/cancel", response={200: ChangeOut, **WRITE_ERRORS}, summary="撤销转学申请")
def transfer_cancel_api(request, change_id: int):
    change = _change_for_write(request, change_id)
    services.transfer_cancel(actor=actor(request), change=change)
    return _change_out(change)


@router.post("/students/{int:student_id}/suspend", response={201: ChangeOut, **WRITE_ERRORS}, summary="休学")
def suspend_api(request, student_id: int, payload: SuspendIn):
    student = _student_for_write(request, student_id)
    change = services.student_suspend(actor=actor(request), student=student, reason=payload.reason, until=payload.until)
    return Status(201, _change_out(change))


@router.post("/students/{int:student_id}/resume", response={201: ChangeOut, **WRITE_ERRORS}, summary="复学")
def resume_api(request, student_id: int, payload: ResumeIn):
    student = _student_for_write(request, student_id)
    klass = _class_in([student.school_id], payload.to_class)
    change = services.student_resume(actor=actor(request), student=student, to_class=klass)
    return Status(201, _change_out(change))


@router.post("/students/{int:student_id}/withdraw", response={201: ChangeOut, **WRITE_ERRORS}, summary="退学/辍学")
def withdraw_api(request, student_id: int, payload: WithdrawIn):
    student = _student_for_write(request, student_id)
    change = services.student_withdraw(actor=actor(request), student=student, kind=payload.kind, reason=payload.reason)
    return Status(201, _change_out(change))


@router.post("/students/{int:student_id}/move-class", response={201: ChangeOut, **WRITE_ERRORS}, summary="调班")
def move_class_api(request, student_id: int, payload: MoveClassIn):
    student = _student_for_write(request, student_id)
    klass = _class_in([student.school_id], payload.to_class)
    change = services.student_move_class(actor=actor(request), student=student, to_class=klass, reason=payload.reason)
    return Status(201, _change_out(change))


@router.post("/students/{int:student_id}/number", response={200: NumberOut, **WRITE_ERRORS}, summary="分配学籍号")
def number_api(request, student_id: int, payload: NumberIn):
    """G/J/L 字头学籍号 by roster-standards §3; the response shows it masked."""
    student = _student_for_write(request, student_id)
    services.student_number_assign(actor=actor(request), student=student, temporary=payload.temporary)
    student.refresh_from_db()
    return {"student": student.pk, "student_no_masked": student.student_no_masked}


@router.post("/schools/{int:school_id}/promote", response={200: dict, **WRITE_ERRORS}, summary="学年升级与毕业")
def promote_api(request, school_id: int, payload: PromoteIn):
    """``dry_run``: the preview (per grade: from/to label, action, count); otherwise the promotion runs and the
    counts are returned. Idempotent per academic year."""
    school = get_visible(School.objects.visible_to(actor(request), "view"), school_id, "学校")
    fn = services.school_promote_preview if payload.dry_run else services.school_promote
    return fn(actor=actor(request), school=school, to_start_year=payload.to_start_year)


# --- scope matrix ---------------------------------------------------------------------------------------


def roster_api_scope_cases(w):
    """Every scoped GET endpoint of this router with sample objects from ``core.testing.build_world()``
    (same shape as ``core.api.api_scope_cases``). Needs one 学籍异动 of student_a1: the tests first create a
    转学申请 of student_a1 from school A to school B (``roster.services.transfer_request``).

    ``/changes`` is a list (filtered: ``count == 0`` out of scope); the timeline and the stats are
    "detail" (404 out of scope)."""
    from core.api import ScopeCase

    class RosterScopeCase(ScopeCase):
        __slots__ = ()

        @property
        def kind(self) -> str:
            return "list" if self.url.split("?", 1)[0].endswith("/changes") else "detail"

    p = "/api/v1/roster"
    a1, b1 = w.student_a1.pk, w.student_b1.pk
    cases = [
        (f"{p}/changes?student={a1}", "school_admin_a", "teacher_b"),
        (f"{p}/changes?student={a1}", "school_admin_b", "teacher_b"),  # the receiving school's admin
        (f"{p}/changes?student={a1}", "head_teacher_a1", "head_teacher_a2"),
        (f"{p}/changes?student={a1}", "parent1", "parent2"),
        (f"{p}/changes?student={a1}&kind=transfer", "district_admin", "student_user_a2"),
        (f"{p}/students/{a1}/timeline", "school_admin_a", "teacher_b"),
        (f"{p}/students/{a1}/timeline", "head_teacher_a1", "head_teacher_a2"),
        (f"{p}/students/{a1}/timeline", "parent1", "parent2"),
        (f"{p}/students/{b1}/timeline", "school_admin_b", "school_admin_a"),
        (f"{p}/stats?school={w.school_a.pk}", "school_admin_a", "school_admin_b"),
        (f"{p}/stats?school={w.school_b.pk}", "district_admin", "school_admin_a"),
    ]
    return [RosterScopeCase(*c) for c in cases]
