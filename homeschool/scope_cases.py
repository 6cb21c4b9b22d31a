"""Scope-matrix cases of the 家校 pages (see core/scope_matrix.py). Sample objects are made on first use in the
test world: a pending leave of class a1's 周小明 (by parent1), an invitation code of class a1 and a pending
binding request for 吴小红 of the same class, and today's attendance of class a1."""

import datetime as dt

from core.scope_matrix import Case, register_case, register_public

register_public("homeschool:register")

MATRIX_PARENT = "吴矩阵"
MATRIX_FILE = "homeschool/leave/scope-matrix.png"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _weekday(offset: int = 0) -> dt.date:
    from django.utils import timezone

    day = timezone.localdate() + dt.timedelta(days=offset)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


def _leave(w):
    from homeschool.api import scope_leave

    return scope_leave(w)


def _approved_leave(w):
    """An approved one-day leave of 周小明 with an attachment (the file is stored once and reused)."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from homeschool import services
    from homeschool.models import LeaveRequest

    leave = LeaveRequest.objects.filter(student=w.student_a1, reason="矩阵样例：事假").first()
    if leave is None:
        day = _weekday(7)
        leave = services.leave_submit(
            actor=w.parent1,
            student=w.student_a1,
            kind="personal",
            start_date=day,
            end_date=day,
            reason="矩阵样例：事假",
        )
        leave = services.leave_approve(actor=w.head_teacher_a1, leave=leave)
        if not default_storage.exists(MATRIX_FILE):
            default_storage.save(MATRIX_FILE, ContentFile(PNG))
        LeaveRequest.objects.filter(pk=leave.pk).update(attachment=MATRIX_FILE, attachment_name="病历.png")
    return leave


def _code(w):
    from homeschool import services
    from homeschool.models import InvitationCode

    code = InvitationCode.objects.filter(klass=w.class_a1).first()
    return code or services.invitation_code_create(actor=w.head_teacher_a1, klass=w.class_a1)


def _binding(w):
    from homeschool import services
    from homeschool.models import BindingRequest

    binding = BindingRequest.objects.filter(student=w.student_a1b, status="pending").first()
    if binding is None:
        binding = services.parent_register(
            code=_code(w).code,
            phone="13900139077",
            parent_name=MATRIX_PARENT,
            child_name=w.student_a1b.person.name,
            child_id_number=w.student_a1b.person.id_number,
            relation="1",
            password="Matrix#2026pw",
        ).binding
    return binding


def _sheet(w):
    from django.utils import timezone

    from homeschool import services
    from homeschool.models import AttendanceSheet

    sheet = AttendanceSheet.objects.filter(klass=w.class_a1, date=timezone.localdate()).first()
    return sheet or services.attendance_take(
        actor=w.head_teacher_a1, klass=w.class_a1, date=timezone.localdate(), marks={w.student_a1b.pk: "late"}
    )


def _made(*makers):
    def args(w):
        for make in makers:
            make(w)
        return []

    return args


pk = lambda make: lambda w: [make(w).pk]  # noqa: E731
child = lambda w: [w.student_a1.pk]  # noqa: E731
child_name = lambda w: w.student_a1.person.name  # noqa: E731
class_a1 = lambda w: [w.class_a1.pk]  # noqa: E731
today_a1 = lambda w: [w.class_a1.pk, _today().isoformat()]  # noqa: E731

reg = register_case
# parents: their own children only
reg(Case("homeschool:parent_home", _made(_leave), "parent1", "parent2", kind="list", marker=child_name))
reg(Case("homeschool:leave_create", child, "parent1", "parent2", marker=lambda w: "请假事由"))
reg(
    Case(
        "homeschool:leave_create",
        child,
        "parent1",
        "parent2",
        method="post",
        data=lambda w: {
            "kind": "sick",
            "start_date": _weekday(14).isoformat(),
            "start_half": "am",
            "end_date": _weekday(14).isoformat(),
            "end_half": "pm",
            "reason": "感冒发烧，去医院",
        },
    )
)
child_with_leave = lambda w: [_leave(w).student_id]  # noqa: E731
reg(Case("homeschool:student_leaves", child_with_leave, "parent1", "parent2", marker=lambda w: "病假"))
reg(Case("homeschool:student_leaves", child_with_leave, "head_teacher_a1", "head_teacher_a2", marker=lambda w: "病假"))
reg(Case("homeschool:leave_detail", pk(_leave), "parent1", "parent2", marker=lambda w: "矩阵样例：发烧"))
reg(Case("homeschool:leave_detail", pk(_leave), "head_teacher_a1", "school_admin_b", marker=lambda w: "矩阵样例：发烧"))
reg(Case("homeschool:leave_cancel", pk(_leave), "parent1", "parent2", method="post"))
reg(Case("homeschool:leave_return", pk(_approved_leave), "parent1", "parent2", method="post"))
reg(Case("homeschool:leave_attachment", pk(_approved_leave), "head_teacher_a1", "head_teacher_a2", kind="download"))
# the 班主任's queue and decisions
reg(Case("homeschool:leave_queue", _made(_leave), "head_teacher_a1", "head_teacher_a2", kind="list", marker=child_name))
reg(Case("homeschool:leave_approve", pk(_leave), "head_teacher_a1", "head_teacher_a2", method="post"))
reg(
    Case(
        "homeschool:leave_reject",
        pk(_leave),
        "head_teacher_a1",
        "parent1",
        method="post",
        data=lambda w: {"reason": "请补充医院证明"},
    )
)
# binding and invitation codes
reg(
    Case(
        "homeschool:binding_queue",
        _made(_binding),
        "head_teacher_a1",
        "head_teacher_a2",
        kind="list",
        marker=lambda w: MATRIX_PARENT,
    )
)
reg(Case("homeschool:binding_approve", pk(_binding), "head_teacher_a1", "head_teacher_a2", method="post"))
reg(
    Case(
        "homeschool:binding_reject",
        pk(_binding),
        "head_teacher_a1",
        "school_admin_b",
        method="post",
        data=lambda w: {"reason": "不是本班家长"},
    )
)
reg(Case("homeschool:codes", class_a1, "head_teacher_a1", "head_teacher_a2", marker=lambda w: "生成邀请码"))
reg(
    Case(
        "homeschool:codes",
        class_a1,
        "school_admin_a",
        "teacher_a",
        method="post",
        data=lambda w: {"days": "30", "max_uses": "60"},
    )
)
reg(Case("homeschool:code_revoke", pk(_code), "head_teacher_a1", "head_teacher_a2", method="post"))
reg(Case("homeschool:code_qr", pk(_code), "head_teacher_a1", "head_teacher_a2", kind="download"))
reg(Case("homeschool:code_print", pk(_code), "head_teacher_a1", "head_teacher_a2", marker=lambda w: _code(w).code))
# attendance
reg(
    Case(
        "homeschool:attendance_home",
        in_scope="head_teacher_a1",
        out_of_scope="head_teacher_a2",
        kind="list",
        marker=lambda w: w.class_a1.name,
    )
)
reg(
    Case(
        "homeschool:attendance_overview",
        _made(_sheet),
        "school_admin_a",
        "school_admin_b",
        kind="list",
        marker=lambda w: w.class_a1.name,
    )
)
# the export of a user without any attendance export right (a parent) is refused; the district gets school rows
reg(Case("homeschool:attendance_overview_export", _made(_sheet), "district_admin", "parent1", kind="download"))
reg(Case("homeschool:attendance_take", today_a1, "head_teacher_a1", "head_teacher_a2", marker=child_name))
reg(
    Case(
        "homeschool:attendance_take",
        today_a1,
        "head_teacher_a1",
        "teacher_b",
        method="post",
        data=lambda w: {f"s{w.student_a1.pk}": "absent"},
    )
)
reg(Case("homeschool:attendance_month", class_a1, "teacher_a", "head_teacher_a2", marker=child_name))
reg(Case("homeschool:attendance_month_export", class_a1, "head_teacher_a1", "head_teacher_a2", kind="download"))
