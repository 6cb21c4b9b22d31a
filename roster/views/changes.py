"""学籍异动 pages: a student's 学籍 record (timeline + actions), the transfer inbox, promotion, 控辍保学.

The record page offers every step of the student's lifecycle to the school's admin: 转学申请, 调班, 转出本区
(followed by the 转学联系函 as a page and as a PDF), 休学, 复学, 辍学/退学 and 学籍号 assignment.

Views only collect input and call ``roster.services``; the services check permissions (``PermissionDenied``
becomes 403) and validate (their Chinese ``ValidationError`` messages are shown with django messages). Objects
are always fetched through the user's scope (``get_scoped``): anything outside it is 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.audit import audit_record
from core.http import attachment_response
from core.models import Class, School, Student, StudentStatus
from core.models.org import academic_start_year
from core.scope import can, can_any
from core.services import current_term
from core.views.common import get_scoped, htmx_redirect

from .. import selectors, services
from ..exports.common import mask_student_no
from ..models import ChangeKind, ChangeStatus, RosterChange, admin_nodes
from .stats import _ethnicity_labels

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
    "move_class": "调班",
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
    first = change.timeline[0].get("action") if change.timeline else ""
    # 调班 is stored as kind=place (分班) with a "move_class" step: name it by what the user did
    change.kind_label = ACTION_LABELS["move_class"] if first == "move_class" else change.get_kind_display()
    change.route = _route(change)
    return change


def _route(change: RosterChange) -> str:
    """Where the change took the student, for the timeline: school → school, class → class, or out of the
    district (whose target is only in the timeline entry)."""
    if change.kind == ChangeKind.TRANSFER_OUT:
        entry = _transfer_out_entry(change)
        return f"{change.from_school.name} → {_target(entry)}" if change.from_school_id else ""
    if change.to_school_id and change.to_school_id != change.from_school_id:
        to_class = f" {change.to_class}" if change.to_class_id else ""
        if not change.from_school_id:  # 新生入学 (e.g. from a roster import): no school before
            return f"→ {change.to_school.name}{to_class}"
        return f"{change.from_school.name} → {change.to_school.name}{to_class}"
    if change.from_class_id and change.to_class_id and change.from_class_id != change.to_class_id:
        return f"{change.from_class} → {change.to_class}"
    return ""


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
    user = request.user
    changes = [_decorate(c) for c in selectors.student_timeline(user, student)]
    is_admin = _roster_admin(user, student)
    enrolled = student.status == StudentStatus.ENROLLED
    schools, classes = [], []
    if is_admin and enrolled:
        schools = list(
            School.objects.filter(district_id=student.district_id, archived_at__isnull=True)
            .exclude(pk=student.school_id)
            .order_by("code")
        )
        classes = list(_move_class_choices(student))
    for c in changes:
        c.letter_url = (
            reverse("roster:transfer_out_letter", args=[c.pk])
            if c.kind == ChangeKind.TRANSFER_OUT and _may_see_letter(user, c)
            else ""
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
            "classes": classes,
            "open_transfer": open_transfer if is_admin else None,
            "enrolled": enrolled,
            "suspended": student.status == StudentStatus.SUSPENDED,
            "can_leave": student.status in (StudentStatus.ENROLLED, StudentStatus.SUSPENDED),
            "can_number": student.archived_at is None,
            "kinds": [(ChangeKind.DROPOUT, ChangeKind.DROPOUT.label), (ChangeKind.WITHDRAW, ChangeKind.WITHDRAW.label)],
        },
    )


def _move_class_choices(student: Student):
    """调班 targets: the other open classes of the student's grade (cohort) in the student's school."""
    return (
        Class.objects.filter(
            school_id=student.school_id,
            grade_id=student.klass.grade_id,
            archived_at__isnull=True,
            grade__archived_at__isnull=True,
        )
        .exclude(pk=student.klass_id)
        .select_related("grade")
        .order_by("number")
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


@login_required
@require_POST
def student_move_class_view(request, pk: int):
    """调班 within the student's grade. The service accepts any open class of the school; the record page
    offers (and this view allows) only the classes of the student's own grade."""
    student = _student(request, pk)
    if not _roster_admin(request.user, student):
        raise PermissionDenied("只有学校管理员或区县管理员可以办理调班")
    raw = request.POST.get("to_class") or ""
    to_class = Class.objects.select_related("grade").filter(pk=raw).first() if raw.isdigit() else None
    if to_class is None:
        messages.error(request, _("请选择调入班级"))
    elif to_class.school_id != student.school_id:
        messages.error(request, _("只能调入本校的班级"))
    elif to_class.grade_id != student.klass.grade_id:
        messages.error(
            request,
            _("调班只能在同一年级内进行，请选择%(grade)s的班级") % {"grade": student.klass.grade.label()},
        )
    else:
        _run(
            request,
            lambda: services.student_move_class(
                actor=request.user, student=student, to_class=to_class, reason=request.POST.get("reason", "")
            ),
            _("已将%(name)s调入%(klass)s") % {"name": student.person.name, "klass": to_class},
        )
    return _back_to_student(request, student)


@login_required
@require_POST
def student_transfer_out_view(request, pk: int):
    """转出本区; on success the user lands on the 转学联系函."""
    student = _student(request, pk)
    try:
        letter = services.transfer_out(
            actor=request.user,
            student=student,
            to_district_name=request.POST.get("to_district_name", ""),
            to_school_name=request.POST.get("to_school_name", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        _error_messages(request, exc)
        return _back_to_student(request, student)
    messages.success(request, _("已办理%(name)s转出本区，请打印转学联系函交学生家长") % {"name": student.person.name})
    return htmx_redirect(request, reverse("roster:transfer_out_letter", args=[letter["change_id"]]))


@login_required
@require_POST
def student_number_assign_view(request, pk: int):
    """学籍号 by the G/J/L rules (``services.student_number_assign``); the message shows it masked."""
    student = _student(request, pk)
    temporary = request.POST.get("temporary") in ("1", "on", "true")
    before = student.student_no or ""
    try:
        number = services.student_number_assign(actor=request.user, student=student, temporary=temporary)
    except ValidationError as exc:
        _error_messages(request, exc)
        return _back_to_student(request, student)
    masked = mask_student_no(number)
    if number == before.upper():
        messages.info(request, _("学籍号无需变更：%(number)s") % {"number": masked})
    elif temporary:
        messages.success(request, _("已生成临时学籍号：%(number)s") % {"number": masked})
    else:
        messages.success(request, _("已生成学籍号：%(number)s") % {"number": masked})
    return _back_to_student(request, student)


# --- 转学联系函 (letter of a 转出本区) ---------------------------------------------------------------------------

LETTER_TEMPLATE = "roster/print/transfer_letter.html"


def _transfer_out_entry(change: RosterChange) -> dict:
    return next((e for e in change.timeline if e.get("action") == "transfer_out"), {})


def _target(entry: dict) -> str:
    """The receiving district + school. ``transfer_out`` keeps them only as one string (``to``) in its timeline
    entry; separate ``to_district``/``to_school`` keys are used when an entry has them."""
    return (entry.get("to_district") or "") + (entry.get("to_school") or "") or entry.get("to") or ""


def _may_see_letter(user, change: RosterChange) -> bool:
    """The letter holds the full 学籍号: only the admin who did the transfer, or an admin of the former school
    or its district."""
    if change.requested_by_id is not None and change.requested_by_id == user.pk:
        return True
    districts, schools = admin_nodes(user, "change")
    school = change.from_school
    return school is not None and (school.pk in schools or school.district_id in districts)


def _letter_change(request, pk: int) -> RosterChange:
    change = (
        RosterChange.objects.select_related(
            "student__person", "from_school__district", "from_class__grade", "requested_by__person"
        )
        .filter(pk=pk, kind=ChangeKind.TRANSFER_OUT)
        .first()
    )
    if change is None:
        raise Http404("未找到")
    if _may_see_letter(request.user, change):
        return change
    if selectors.changes_visible_to(request.user).filter(pk=change.pk).exists():
        raise PermissionDenied("只有办理转出的管理员或原学校、区县管理员可以查看转学联系函")
    raise Http404("未找到")


def transfer_out_letter(change: RosterChange) -> dict:
    """The 转学联系函 of a 转出本区, re-derived from the RosterChange and the student (nothing else is stored):
    the same facts ``services.transfer_out`` returned, as of the day of the transfer."""
    student, person, school = change.student, change.student.person, change.from_school
    on = change.effective_on or timezone.localdate(change.created_at)
    klass = change.from_class
    grade = klass.grade.label(academic_start_year(on)) if klass else ""
    entry = _transfer_out_entry(change)
    by = change.requested_by
    return {
        "change_id": change.pk,
        "date": on,
        "student_name": person.name,
        "gender": person.get_gender_display() if person.gender else "",
        "birth_date": person.birth_date,
        "ethnicity": _ethnicity_labels().get(person.ethnicity, person.ethnicity) if person.ethnicity else "",
        "student_no": student.student_no,
        "student_no_masked": student.student_no_masked,
        "from_district": school.district.name,
        "from_school": school.name,
        "from_school_code": school.code,
        "from_school_phone": school.phone,
        "from_school_address": school.address,
        "grade": grade,
        "klass": f"{grade}（{klass.number}）班" if klass else "",
        # transfer_out records the target as one string; separate names are shown when the entry has them
        "to_district_name": entry.get("to_district", ""),
        "to_school_name": entry.get("to_school", ""),
        "to": _target(entry),
        "reason": change.reason,
        "handled_by": (by.display_name if by else "") or entry.get("by", ""),
    }


def _letter_audit(user, change: RosterChange, letter: dict, fmt: str) -> None:
    audit_record(
        actor=user,
        action="roster.print_transfer_letter" if fmt == "pdf" else "roster.view_transfer_letter",
        obj=change,
        object_repr=f"{letter['student_name']} 转学联系函",
        changes={"format": fmt, "to": letter["to"]},
    )


@login_required
def transfer_out_letter_view(request, pk: int):
    """The 转学联系函 as a printable page (full 学籍号: audited like any reveal)."""
    change = _letter_change(request, pk)
    letter = transfer_out_letter(change)
    _letter_audit(request.user, change, letter, "html")
    return render(
        request,
        "roster/changes/transfer_out_letter.html",
        {"title": _("学生转学联系函"), "letter": letter, "change": change, "student": change.student},
    )


@login_required
def transfer_out_letter_pdf_view(request, pk: int):
    """The 转学联系函 as an A4 PDF (WeasyPrint, Noto Sans CJK SC, like the 花名册); one audit row per download."""
    from weasyprint import HTML

    change = _letter_change(request, pk)
    letter = transfer_out_letter(change)
    html = render_to_string(LETTER_TEMPLATE, {"title": _("学生转学联系函"), "letter": letter})
    pdf = HTML(string=html).write_pdf()
    _letter_audit(request.user, change, letter, "pdf")
    return attachment_response(pdf, f"转学联系函-{letter['student_name']}", "application/pdf")


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
            # a transfer keeps 学段 and 年级: offer the receiving school's classes of the student's cohort
            grade = c.student.klass.grade
            c.cohort_label = grade.label()
            c.classes = list(
                Class.objects.filter(
                    school=c.to_school,
                    archived_at__isnull=True,
                    grade__archived_at__isnull=True,
                    grade__stage=grade.stage,
                    grade__entry_year=grade.entry_year,
                )
                .select_related("grade")
                .order_by("number")
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
