"""家校 API under /api/v1/homeschool/ (mounted in HomeschoolConfig.ready).

Parents: ``GET /children``, ``GET /leaves``, ``POST /leaves`` (submit), ``POST /leaves/{id}/cancel``.
Teachers: ``GET /leaves/pending`` (waiting for my step), ``POST /leaves/{id}/approve`` · ``/reject``,
``GET /bindings/pending``, ``POST /bindings/{id}/approve`` · ``/reject`` (家长绑定),
``GET /attendance/classes/{class}?month=YYYY-MM`` (a class's month: per day and per student).
Everything starts from ``visible_to``; out of scope → 404, in scope but not allowed → 403.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from core.api.common import actor, get_visible
from core.api.errors import not_found
from core.api.org import READ_ERRORS, WRITE_ERRORS
from core.api.pagination import Pagination
from core.models import Class, Guardianship, Student
from core.scope import can

from . import selectors as sel
from . import services
from .models import AttendanceSheet, BindingRequest, BindingStatus, HalfDay, LeaveKind, LeaveRequest, LeaveStatus

router = Router(tags=["家校"])


class ChildOut(Schema):
    id: int
    name: str
    school: str
    klass_id: int
    klass: str
    relation: str

    @staticmethod
    def resolve_id(g):
        return g.student_id

    @staticmethod
    def resolve_name(g):
        return g.student.person.name

    @staticmethod
    def resolve_school(g):
        return g.student.school.name

    @staticmethod
    def resolve_klass_id(g):
        return g.student.klass_id

    @staticmethod
    def resolve_klass(g):
        return g.student.klass.name

    @staticmethod
    def resolve_relation(g):
        return str(g.get_relation_display())


class LeaveOut(Schema):
    id: int
    student_id: int
    student_name: str
    klass_id: int
    kind: str
    kind_label: str
    start_date: dt.date
    start_half: str
    end_date: dt.date
    end_half: str
    days: float
    reason: str
    status: str
    status_label: str
    reject_reason: str
    returned_at: dt.datetime | None = None
    has_attachment: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_student_name(obj):
        return obj.student.person.name

    @staticmethod
    def resolve_kind_label(obj):
        return str(obj.get_kind_display())

    @staticmethod
    def resolve_status_label(obj):
        return str(obj.get_status_display())

    @staticmethod
    def resolve_has_attachment(obj):
        return bool(obj.attachment)


class LeaveIn(Schema):
    student: int
    kind: LeaveKind
    start_date: dt.date
    end_date: dt.date
    start_half: HalfDay = HalfDay.AM
    end_half: HalfDay = HalfDay.PM
    reason: str


class NoteIn(Schema):
    note: str = ""


class ReasonIn(Schema):
    reason: str


@router.get("/children", response=list[ChildOut], summary="我的孩子（家长）")
@paginate(Pagination)
def children(request, student: int | None = None):
    user = actor(request)
    qs = (
        Guardianship.objects.visible_to(user)
        .filter(guardian_id=user.person_id or 0)
        .select_related("student__person", "student__school", "student__klass__grade")
        .order_by("student_id")
    )
    if student is not None:
        qs = qs.filter(student_id=student)
    return qs


@router.get("/leaves", response=list[LeaveOut], summary="请假列表")
@paginate(Pagination)
def leave_list(request, student: int | None = None, klass: int | None = None, status: str = ""):
    """Parents: their children's leaves; staff: the leaves of the classes in their scope."""
    qs = sel.leaves_for(actor(request), student_id=student, status=status)
    if klass is not None:
        qs = qs.filter(klass_id=klass)
    return qs


@router.get("/leaves/pending", response=list[LeaveOut], summary="待我审批的请假")
@paginate(Pagination)
def leave_pending(request, klass: int | None = None):
    qs = sel.leaves_to_decide(actor(request))
    if klass is not None:
        qs = qs.filter(klass_id=klass)
    return qs


def _leave(request, leave_id: int) -> LeaveRequest:
    qs = LeaveRequest.objects.visible_to(actor(request)).select_related("student__person", "klass")
    return get_visible(qs, leave_id, "请假")


@router.get("/leaves/{int:leave_id}", response={200: LeaveOut, **READ_ERRORS}, summary="请假详情")
def leave_detail(request, leave_id: int):
    return _leave(request, leave_id)


@router.post("/leaves", response={201: LeaveOut, **WRITE_ERRORS}, summary="提交请假（家长）")
def leave_submit(request, payload: LeaveIn):
    user = actor(request)
    student = get_visible(Student.objects.visible_to(user).select_related("person", "klass"), payload.student, "学生")
    data = payload.model_dump(exclude={"student"})
    data["kind"], data["start_half"], data["end_half"] = (
        str(data[k].value) for k in ("kind", "start_half", "end_half")
    )
    leave = services.leave_submit(actor=user, student=student, **data)
    return Status(201, leave)


@router.post("/leaves/{int:leave_id}/cancel", response={200: LeaveOut, **WRITE_ERRORS}, summary="撤销请假（家长）")
def leave_cancel(request, leave_id: int):
    return services.leave_cancel(actor=actor(request), leave=_leave(request, leave_id))


def _decidable(request, leave_id: int) -> LeaveRequest:
    leave = _leave(request, leave_id)
    if not services.can_decide(actor(request), leave):
        if leave.status not in (LeaveStatus.PENDING_HEAD, LeaveStatus.PENDING_GRADE):
            from django.core.exceptions import ValidationError

            raise ValidationError(f"该请假已{leave.get_status_display()}，不能再审批")
        raise PermissionDenied("无权审批该请假")
    return leave


@router.post("/leaves/{int:leave_id}/approve", response={200: LeaveOut, **WRITE_ERRORS}, summary="同意请假")
def leave_approve(request, leave_id: int, payload: NoteIn):
    return services.leave_approve(actor=actor(request), leave=_decidable(request, leave_id), note=payload.note)


@router.post("/leaves/{int:leave_id}/reject", response={200: LeaveOut, **WRITE_ERRORS}, summary="驳回请假")
def leave_reject(request, leave_id: int, payload: ReasonIn):
    return services.leave_reject(actor=actor(request), leave=_decidable(request, leave_id), reason=payload.reason)


class BindingOut(Schema):
    id: int
    student_id: int
    student_name: str
    klass_id: int
    parent_name: str
    parent_phone: str
    relation: str
    status: str
    reject_reason: str
    created_at: dt.datetime

    @staticmethod
    def resolve_student_name(obj):
        return obj.student.person.name

    @staticmethod
    def resolve_klass_id(obj):
        return obj.student.klass_id

    @staticmethod
    def resolve_parent_name(obj):
        return obj.guardian.name

    @staticmethod
    def resolve_parent_phone(obj):
        return obj.guardian.phone_masked

    @staticmethod
    def resolve_relation(obj):
        return str(obj.get_relation_display())


def _bindings(request):
    return BindingRequest.objects.visible_to(actor(request), "change").select_related("student__person", "guardian")


@router.get("/bindings/pending", response=list[BindingOut], summary="待审核的家长绑定（班主任）")
@paginate(Pagination)
def binding_pending(request, klass: int | None = None):
    qs = _bindings(request).filter(status=BindingStatus.PENDING).order_by("created_at")
    if klass is not None:
        qs = qs.filter(student__klass_id=klass)
    return qs


@router.post("/bindings/{int:binding_id}/approve", response={200: BindingOut, **WRITE_ERRORS}, summary="通过家长绑定")
def binding_approve(request, binding_id: int):
    binding = get_visible(_bindings(request), binding_id, "绑定申请")
    services.binding_approve(actor=actor(request), binding=binding)
    return _bindings(request).get(pk=binding.pk)


@router.post("/bindings/{int:binding_id}/reject", response={200: BindingOut, **WRITE_ERRORS}, summary="驳回家长绑定")
def binding_reject(request, binding_id: int, payload: ReasonIn):
    binding = get_visible(_bindings(request), binding_id, "绑定申请")
    services.binding_reject(actor=actor(request), binding=binding, reason=payload.reason)
    return _bindings(request).get(pk=binding.pk)


class DayOut(Schema):
    date: dt.date
    expected: int
    late: int
    early: int
    absent: int
    leave: int
    rate: float | None


class StudentMonthOut(Schema):
    id: int
    name: str
    class_no: int | None
    days: int
    late: int
    early: int
    absent: int
    leave: int
    rate: float | None


class ClassMonthOut(Schema):
    id: int
    name: str
    month: str
    days: int
    rate: float | None
    daily: list[DayOut]
    students: list[StudentMonthOut]


@router.get("/attendance/classes/{int:class_id}", response={200: ClassMonthOut, **READ_ERRORS}, summary="班级月考勤")
def attendance_class(request, class_id: int, month: str = ""):
    user = actor(request)
    klass = get_visible(Class.objects.visible_to(user).select_related("grade", "school"), class_id, "班级")
    if not can(user, "view", AttendanceSheet(klass=klass)):
        raise not_found("班级")
    first, last = sel.month_bounds(month, timezone.localdate())
    data = sel.class_month(user=user, klass=klass, first=first, last=last)
    return {
        "id": klass.pk,
        "name": klass.name,
        "month": f"{first:%Y-%m}",
        "days": data["days"],
        "rate": data["rate"],
        "daily": [
            {
                "date": s.date,
                "expected": s.expected,
                "late": s.late,
                "early": s.early,
                "absent": s.absent,
                "leave": s.leave,
                "rate": sel.rate(s.expected, s.absent, s.leave),
            }
            for s in data["sheets"]
        ],
        "students": [
            {
                "id": r["student"].pk,
                "name": r["student"].person.name,
                "class_no": r["student"].class_no,
                **{k: r[k] for k in ("days", "late", "early", "absent", "leave", "rate")},
            }
            for r in data["students"]
        ],
    }


def homeschool_api_scope_cases(w):
    """Scoped GET endpoints of this router with sample objects of ``core.testing.build_world()`` (a pending
    leave of class a1's 周小明 and a pending binding request for 吴小红, made on first use)."""
    from core.api import ScopeCase

    from .scope_cases import _binding

    leave = scope_leave(w)
    _binding(w)
    p = "/api/v1/homeschool"
    a1 = w.class_a1.pk
    cases = [
        (f"{p}/children?student={w.student_a1.pk}", "parent1", "parent2"),
        (f"{p}/leaves?student={w.student_a1.pk}", "parent1", "parent2"),
        (f"{p}/leaves?klass={a1}", "head_teacher_a1", "head_teacher_a2"),
        (f"{p}/leaves/pending?klass={a1}", "head_teacher_a1", "head_teacher_a2"),
        (f"{p}/leaves/{leave.pk}", "parent1", "parent2"),
        (f"{p}/leaves/{leave.pk}", "head_teacher_a1", "school_admin_b"),
        (f"{p}/attendance/classes/{a1}", "head_teacher_a1", "head_teacher_a2"),
        (f"{p}/bindings/pending?klass={a1}", "head_teacher_a1", "head_teacher_a2"),
        (f"{p}/attendance/classes/{a1}", "school_admin_a", "school_admin_b"),
    ]
    return [ScopeCase(*c) for c in cases]


def scope_leave(w) -> LeaveRequest:
    """A pending leave of student_a1 submitted by parent1 (idempotent; the scope tests' sample object)."""
    leave = LeaveRequest.objects.filter(student=w.student_a1, reason="矩阵样例：发烧").first()
    if leave is None:
        day = timezone.localdate()
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        leave = services.leave_submit(
            actor=w.parent1, student=w.student_a1, kind="sick", start_date=day, end_date=day, reason="矩阵样例：发烧"
        )
    return leave


__all__ = ["homeschool_api_scope_cases", "router", "scope_leave"]
