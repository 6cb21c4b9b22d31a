"""学籍异动 pages: a student's 学籍 record (timeline + actions), the transfer inbox, promotion, 控辍保学.

Views only collect input and call ``roster.services``; the services check permissions (``PermissionDenied``
becomes 403) and validate (their Chinese ``ValidationError`` messages are shown with django messages). Objects
are always fetched through the user's scope (``get_scoped``): anything outside it is 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.models import Class, School, Student, StudentStatus
from core.models.org import academic_start_year
from core.scope import can, can_any
from core.services import current_term
from core.views.common import get_scoped, htmx_redirect

from .. import selectors, services
from ..models import ChangeKind, ChangeStatus, RosterChange, admin_nodes

STATUS_BADGE = {
    ChangeStatus.REQUESTED: "warning",
    ChangeStatus.ACCEPTED: "info",
    ChangeStatus.APPROVED: "primary",
    ChangeStatus.REJECTED: "danger",
    ChangeStatus.CANCELLED: "secondary",
    ChangeStatus.DONE: "success",
}
ACTION_LABELS = {
    "request": "申请转学",
    "accept": "转入学校同意接收",
    "approve": "区县审批通过",
    "apply": "转入完成",
    "reject": "驳回",
    "cancel": "撤销",
    "transfer_out": "转出本区",
    "suspend": "休学",
    "resume": "复学",
    "withdraw": "退学",
    "dropout": "辍学",
    "follow_up": "控辍保学跟进",
    "returned": "返校复学",
    "promote": "升级",
    "graduate": "毕业",
    "place": "分班",
    "move": "调班",
    "number": "学籍号分配",
    "enrol": "新生入学",
}


def _error_messages(request, exc: ValidationError) -> None:
    for msg in exc.messages:
        messages.error(request, msg)


def _run(request, fn, success: str) -> bool:
    """Call a service; its ValidationError messages become django messages. PermissionDenied propagates (403)."""
    try:
        fn()
    except ValidationError as exc:
        _error_messages(request, exc)
        return False
    messages.success(request, success)
    return True


def _decorate(change: RosterChange) -> RosterChange:
    change.badge = STATUS_BADGE.get(change.status, "secondary")
    change.steps = [
        {**e, "label": ACTION_LABELS.get(e.get("action"), e.get("action", "")), "at_short": (e.get("at") or "")[:16]}
        for e in change.timeline
    ]
    for step in change.steps:
        step["at_short"] = step["at_short"].replace("T", " ")
    return change


def _roster_admin(user, student: Student) -> bool:
    """Whether ``user`` may record 学籍异动 of ``student`` (the school's admin or the district admin)."""
    return can(user, "add", RosterChange(student=student)) and can(user, "change", student)


# --- 学籍 record of one student ------------------------------------------------------------------------------


def _student(request, pk):
    return get_scoped(
        Student, request.user, pk, queryset=Student.objects.select_related("person", "school", "klass__grade")
    )


@login_required
def student_record_view(request, pk: int):
    student = _student(request, pk)
    changes = [_decorate(c) for c in selectors.student_timeline(request.user, student)]
    is_admin = _roster_admin(request.user, student)
    schools = []
    if is_admin and student.status == StudentStatus.ENROLLED:
        schools = list(
            School.objects.filter(district_id=student.district_id, archived_at__isnull=True)
            .exclude(pk=student.school_id)
            .order_by("code")
        )
    open_transfer = next(
        (c for c in changes if c.kind == ChangeKind.TRANSFER and c.status == ChangeStatus.REQUESTED), None
    )
    return render(
        request,
        "roster/changes/student_record.html",
        {
            "title": _("%(name)s 的学籍") % {"name": student.person.name},
            "student": student,
            "changes": changes,
            "is_admin": is_admin,
            "schools": schools,
            "open_transfer": open_transfer if is_admin else None,
            "enrolled": student.status == StudentStatus.ENROLLED,
            "suspended": student.status == StudentStatus.SUSPENDED,
            "can_leave": student.status in (StudentStatus.ENROLLED, StudentStatus.SUSPENDED),
            "kinds": [(ChangeKind.DROPOUT, ChangeKind.DROPOUT.label), (ChangeKind.WITHDRAW, ChangeKind.WITHDRAW.label)],
        },
    )


def _back_to_student(request, student):
    return htmx_redirect(request, reverse("roster:student_record", args=[student.pk]))


@login_required
@require_POST
def student_transfer_request_view(request, pk: int):
    student = _student(request, pk)
    raw = request.POST.get("to_school") or ""
    to_school = School.objects.filter(pk=raw).first() if raw.isdigit() else None
    if to_school is None:
        messages.error(request, _("请选择转入学校"))
        return _back_to_student(request, student)
    _run(
        request,
        lambda: services.transfer_request(
            actor=request.user, student=student, to_school=to_school, reason=request.POST.get("reason", "")
        ),
        _("已提交转学申请，等待%(school)s接收") % {"school": to_school.name},
    )
    return _back_to_student(request, student)


@login_required
@require_POST
def student_suspend_view(request, pk: int):
    student = _student(request, pk)
    _run(
        request,
        lambda: services.student_suspend(actor=request.user, student=student, reason=request.POST.get("reason", "")),
        _("已办理休学"),
    )
    return _back_to_student(request, student)


@login_required
@require_POST
def student_resume_view(request, pk: int):
    student = _student(request, pk)
    _run(request, lambda: services.student_resume(actor=request.user, student=student), _("已办理复学"))
    return _back_to_student(request, student)


@login_required
@require_POST
def student_withdraw_view(request, pk: int):
    student = _student(request, pk)
    kind = request.POST.get("kind") or ChangeKind.DROPOUT
    label = _("退学") if kind == ChangeKind.WITHDRAW else _("辍学")
    _run(
        request,
        lambda: services.student_withdraw(
            actor=request.user, student=student, kind=kind, reason=request.POST.get("reason", "")
        ),
        _("已登记%(kind)s") % {"kind": label},
    )
    return _back_to_student(request, student)


# --- transfer inbox ------------------------------------------------------------------------------------------


def _require_admin(user) -> None:
    districts, schools = admin_nodes(user, "view")
    if not (districts or schools):
        raise PermissionDenied("只有学校管理员或区县管理员可以处理学籍异动")


@login_required
def transfers_view(request):
    _require_admin(request.user)
    user = request.user
    inbox = [_decorate(c) for c in selectors.transfer_inbox(user)]
    for c in inbox:
        c.can_approve = c.status == ChangeStatus.ACCEPTED and can(user, "approve", c)
        c.can_accept = c.status == ChangeStatus.REQUESTED
        if c.can_accept:
            c.classes = list(
                Class.objects.filter(school=c.to_school, archived_at__isnull=True, grade__archived_at__isnull=True)
                .select_related("grade")
                .order_by("grade__entry_year", "number")
            )
    recent = [
        _decorate(c)
        for c in selectors.changes_visible_to(user)
        .filter(kind=ChangeKind.TRANSFER)
        .select_related("student__person", "from_school", "to_school", "to_class__grade")
        .order_by("-created_at", "-id")[:50]
    ]
    for c in recent:
        c.can_cancel = c.status == ChangeStatus.REQUESTED and can(user, "change", c)
    return render(
        request,
        "roster/changes/transfers.html",
        {"title": _("转学审批"), "inbox": inbox, "recent": recent},
    )


def _change(request, pk):
    return get_scoped(
        RosterChange,
        request.user,
        pk,
        queryset=RosterChange.objects.select_related("student__person", "from_school", "to_school", "to_class"),
    )


def _back_to_transfers(request):
    return htmx_redirect(request, reverse("roster:transfers"))


@login_required
@require_POST
def transfer_accept_view(request, pk: int):
    change = _change(request, pk)
    raw = request.POST.get("to_class") or ""
    to_class = Class.objects.select_related("grade").filter(pk=raw).first() if raw.isdigit() else None
    if to_class is None:
        # still refuse users who may not accept at all, before complaining about the form
        if not services._receiving_admin(request.user, change):
            raise PermissionDenied("只有转入学校的管理员可以接收转学")
        messages.error(request, _("请选择编入班级"))
        return _back_to_transfers(request)
    _run(
        request,
        lambda: services.transfer_accept(actor=request.user, change=change, to_class=to_class),
        _("已同意接收%(name)s，等待区县审批") % {"name": change.student.person.name},
    )
    return _back_to_transfers(request)


@login_required
@require_POST
def transfer_approve_view(request, pk: int):
    change = _change(request, pk)
    _run(
        request,
        lambda: services.transfer_approve(actor=request.user, change=change),
        _("已批准，%(name)s已转入%(school)s") % {"name": change.student.person.name, "school": change.to_school.name},
    )
    return _back_to_transfers(request)


@login_required
@require_POST
def transfer_reject_view(request, pk: int):
    change = _change(request, pk)
    _run(
        request,
        lambda: services.transfer_reject(actor=request.user, change=change, reason=request.POST.get("reason", "")),
        _("已驳回%(name)s的转学申请") % {"name": change.student.person.name},
    )
    return _back_to_transfers(request)


@login_required
@require_POST
def transfer_cancel_view(request, pk: int):
    change = _change(request, pk)
    _run(
        request,
        lambda: services.transfer_cancel(actor=request.user, change=change),
        _("已撤销%(name)s的转学申请") % {"name": change.student.person.name},
    )
    nxt = request.POST.get("next")
    if nxt == "student":
        return _back_to_student(request, change.student)
    return _back_to_transfers(request)


# --- 升级 / 毕业 -----------------------------------------------------------------------------------------------


def next_start_year(school: School) -> int:
    term = current_term(district_id=school.district_id)
    start = term.academic_year.start_year if term is not None else academic_start_year()
    return start + 1


ACTION_TEXT = {"promote": "升级", "graduate": "毕业离校", "continue": "毕业，升入本校下一学段"}


@login_required
def school_promote_view(request, pk: int):
    school = get_scoped(School, request.user, pk)
    year = next_start_year(school)
    result = None
    if request.method == "POST":
        try:
            result = services.school_promote(actor=request.user, school=school, to_start_year=year)
        except ValidationError as exc:
            _error_messages(request, exc)
        else:
            messages.success(
                request,
                _("升级完成：升级 %(p)d 人，毕业 %(g)d 人，升入本校下一学段 %(c)d 人")
                % {"p": result["promoted"], "g": result["graduated"], "c": result["continued"]},
            )
    preview = services.school_promote_preview(actor=request.user, school=school, to_start_year=year)
    for row in preview["grades"]:
        row["action_text"] = ACTION_TEXT.get(row["action"], row["action"])
    return render(
        request,
        "roster/changes/promote.html",
        {
            "title": _("升级与毕业"),
            "school": school,
            "year": year,
            "preview": preview,
            "result": result,
            "todo": preview["promoted"] + preview["graduated"] + preview["continued"],
        },
    )


# --- 控辍保学 -----------------------------------------------------------------------------------------------


@login_required
def dropouts_view(request):
    if not can_any(request.user, "view", RosterChange):
        raise PermissionDenied
    rows = selectors.dropout_watchlist(request.user)
    for row in rows:
        row["can_follow"] = can(request.user, "change", row["change"])
    return render(request, "roster/changes/dropouts.html", {"title": _("控辍保学"), "rows": rows})


@login_required
@require_POST
def dropout_follow_up_view(request, pk: int):
    change = _change(request, pk)
    returned = request.POST.get("returned") in ("on", "1", "true")
    _run(
        request,
        lambda: services.dropout_follow_up(
            actor=request.user, change=change, note=request.POST.get("note", ""), returned=returned
        ),
        _("%(name)s已返校复学") % {"name": change.student.person.name} if returned else _("已记录跟进情况"),
    )
    return htmx_redirect(request, reverse("roster:dropouts"))
