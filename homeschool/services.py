"""Writes of 家校互动. Each service: keyword-only arguments, a scope check (``can``), validation with Chinese
messages that name the field, one transaction, one audit row, notifications sent inside the transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record, diff, snapshot
from core.crypto import blind_index
from core.models import Class, Guardianship, IdType, Person, Relation, Student, User
from core.notify import notify
from core.scope import can, roles_for
from core.services import guardianship_bind, person_build, person_find, phone_check

from .models import (
    AttendanceKind,
    AttendanceMark,
    AttendanceSheet,
    BindingRequest,
    BindingStatus,
    HalfDay,
    InvitationCode,
    LeaveKind,
    LeaveRequest,
    LeaveStatus,
    new_code,
    normalise_code,
    school_half_days,
)

MISMATCH = "信息不匹配，请核对邀请码、孩子姓名和身份证号"
ATTACHMENT_TYPES = {b"%PDF": "application/pdf", b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg"}
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024


def grade_leader_days() -> Decimal:
    """Leaves longer than this many school days go on to the grade leader after the 班主任."""
    return Decimal(str(getattr(settings, "ZX_LEAVE_GRADE_LEADER_DAYS", 3)))


def _require(actor, action: str, obj) -> None:
    if not can(actor, action, obj):
        raise PermissionDenied("无权执行此操作")


def _guardian_users(student: Student) -> list[User]:
    return list(User.objects.filter(person__wards__student=student, is_active=True))


def _head_teacher_users(klass: Class) -> list[User]:
    """The 班主任; the school admins while the class has none (they take the 班主任's steps then)."""
    if not klass.head_teacher_id:
        return list(User.objects.filter(role_grants__role="school_admin", role_grants__school_id=klass.school_id))
    return list(User.objects.filter(person_id=klass.head_teacher_id, is_active=True))


def grade_approvers(klass: Class) -> list[User]:
    """The grade leaders of the class's grade; the school admins when the grade has none."""
    users = list(User.objects.filter(role_grants__role="grade_leader", role_grants__grade_id=klass.grade_id))
    if not users:
        users = list(User.objects.filter(role_grants__role="school_admin", role_grants__school_id=klass.school_id))
    return [u for u in users if u.is_active]


# --- invitation codes ------------------------------------------------------------------------------------


@transaction.atomic
def invitation_code_create(*, actor, klass: Class, days: int = 30, max_uses: int = 100) -> InvitationCode:
    """生成班级邀请码, valid for ``days`` days and ``max_uses`` registrations."""
    if not 1 <= days <= 365:
        raise ValidationError({"days": "有效天数应在 1–365 之间"})
    if not 1 <= max_uses <= 1000:
        raise ValidationError({"max_uses": "可用次数应在 1–1000 之间"})
    code = InvitationCode(
        klass=klass,
        code=new_code(),
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=days),
        max_uses=max_uses,
    )
    _require(actor, "add", code)
    while InvitationCode.objects.filter(code=code.code).exists():
        code.code = new_code()
    code.full_clean()
    code.save()
    audit_record(actor=actor, action="homeschool.code_create", obj=code, object_repr=f"{klass} 邀请码")
    return code


@transaction.atomic
def invitation_code_revoke(*, actor, code: InvitationCode) -> None:
    _require(actor, "change", code)
    if code.revoked_at is None:
        code.revoked_at = timezone.now()
        code.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action="homeschool.code_revoke", obj=code, object_repr=f"{code.klass} 邀请码")


# --- parent registration and binding ---------------------------------------------------------------------


@dataclass
class Registration:
    binding: BindingRequest
    user: User
    new_account: bool  # the account was made now (the parent may log in at once)
    password_pending: bool  # an existing account without password: the password applies on approval


def _usable_code(value: str) -> InvitationCode:
    code = InvitationCode.objects.select_related("klass", "klass__school").filter(code=normalise_code(value)).first()
    if code is None or not code.is_usable:
        raise ValidationError({"code": "邀请码无效、已过期或已作废，请向班主任索取新的邀请码"})
    return code


def _check_password(password: str, user=None) -> None:
    try:
        validate_password(password or "", user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None


@transaction.atomic
def parent_register(
    *,
    code: str,
    phone: str,
    parent_name: str,
    child_name: str,
    child_id_number: str,
    relation: str,
    password: str = "",
    ip: str | None = None,
    guardian: Person | None = None,
) -> Registration:
    """家长自助注册 (public form): checks the child is in the code's class — by name and the blind index of the
    full ID number, never saying which one is wrong — then makes the parent account (or reuses the one with
    that phone: one account covers several children) and a binding request for the 班主任 to approve.
    A logged-in parent binding another child passes ``guardian`` (their own person) instead of phone and
    password."""
    invitation = _usable_code(code)
    if guardian is None:
        phone = phone_check(phone)
        if not phone:
            raise ValidationError({"phone": "请填写手机号"})
        parent_name = (parent_name or "").strip()
        if not parent_name:
            raise ValidationError({"parent_name": "请填写家长姓名"})
    else:
        parent_name = guardian.name
    if relation not in Relation.values:
        raise ValidationError({"relation": "请选择与孩子的关系"})
    number = (child_id_number or "").strip().upper()
    student = (
        Student.objects.select_related("person", "klass")
        .filter(
            klass=invitation.klass,
            status="enrolled",
            archived_at__isnull=True,
            person__id_number_index=blind_index(f"{IdType.RESIDENT}:{number}", "id"),
            person__name=(child_name or "").strip(),
        )
        .first()
        if number
        else None
    )
    if student is None:
        raise ValidationError(MISMATCH)

    person = guardian or person_find(phone=phone)
    new_account = person is None
    password_pending = False
    pending_hash = ""
    if person is None:
        _check_password(password)
        person = person_build(name=parent_name, phone=phone)
        user = person.user
        user.set_password(password)
        user.save(update_fields=["password"])
    else:
        if person.pk == student.person_id:
            raise ValidationError(MISMATCH)
        user = User.objects.filter(person=person).first() or User.objects.create(
            username=f"u{person.pk:07d}", person=person, password="!"
        )
        if Guardianship.objects.filter(guardian=person, student=student).exists():
            raise ValidationError({"phone": "该手机号已绑定这个孩子，请直接登录"})
        if guardian is None and not user.has_usable_password():
            _check_password(password, user)
            pending_hash, password_pending = make_password(password), True
    if BindingRequest.objects.filter(guardian=person, student=student, status=BindingStatus.PENDING).exists():
        raise ValidationError({"phone": "已提交过绑定申请，请等待班主任审核"})
    binding = BindingRequest(
        code=invitation, student=student, guardian=person, relation=relation, pending_password=pending_hash
    )
    binding.full_clean(exclude=["pending_password"])
    try:
        with transaction.atomic():
            binding.save()
    except IntegrityError:
        raise ValidationError({"phone": "已提交过绑定申请，请等待班主任审核"}) from None
    InvitationCode.objects.filter(pk=invitation.pk).update(use_count=F("use_count") + 1)
    audit_record(
        actor=None,
        action="homeschool.binding_request",
        obj=binding,
        object_repr=f"{student.person.name} 家长绑定申请",
        ip=ip,
        changes={"relation": [None, relation], "new_account": [None, new_account]},
    )
    notify(
        users=_head_teacher_users(invitation.klass),
        title=f"{student.person.name}的家长申请绑定",
        body=f"{parent_name}（{Relation(relation).label}）申请绑定，请审核。",
        url=reverse("homeschool:binding_queue"),
        kind="homeschool.binding",
    )
    return Registration(binding=binding, user=user, new_account=new_account, password_pending=password_pending)


def _pending_binding(binding: BindingRequest) -> None:
    if binding.status != BindingStatus.PENDING:
        raise ValidationError(f"该申请已{binding.get_status_display()}，不能重复处理")


@transaction.atomic
def binding_approve(*, actor, binding: BindingRequest) -> Guardianship:
    """审核通过: creates the Guardianship (the guardian role follows from it) and tells the parent."""
    binding = BindingRequest.objects.select_for_update().get(pk=binding.pk)
    _require(actor, "change", binding)
    _pending_binding(binding)
    existing = Guardianship.objects.filter(guardian=binding.guardian, student=binding.student).first()
    g = existing or guardianship_bind(
        actor=actor, student=binding.student, relation=binding.relation, guardian=binding.guardian
    )
    user = User.objects.filter(person=binding.guardian).first()
    if user is not None and binding.pending_password and not user.has_usable_password():
        user.password = binding.pending_password
        user.save(update_fields=["password"])
    binding.status, binding.decided_by, binding.decided_at = BindingStatus.APPROVED, actor, timezone.now()
    binding.guardianship, binding.pending_password = g, ""
    binding.save()
    audit_record(
        actor=actor, action="homeschool.binding_approve", obj=binding, object_repr=f"{binding.student} 家长绑定"
    )
    notify(
        users=[user] if user else [],
        title="家长绑定已通过",
        body=f"您已成功绑定{binding.student.person.name}，可以查看通知、请假和考勤。",
        url=reverse("homeschool:parent_home"),
        kind="homeschool.binding",
        actor=actor,
    )
    return g


@transaction.atomic
def binding_reject(*, actor, binding: BindingRequest, reason: str) -> None:
    binding = BindingRequest.objects.select_for_update().get(pk=binding.pk)
    _require(actor, "change", binding)
    _pending_binding(binding)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写驳回原因"})
    binding.status, binding.decided_by, binding.decided_at = BindingStatus.REJECTED, actor, timezone.now()
    binding.reject_reason, binding.pending_password = reason[:200], ""
    binding.save()
    audit_record(
        actor=actor,
        action="homeschool.binding_reject",
        obj=binding,
        object_repr=f"{binding.student} 家长绑定",
        changes={"reject_reason": [None, binding.reject_reason]},
    )
    notify(
        users=User.objects.filter(person=binding.guardian),
        title="家长绑定未通过",
        body=f"班主任驳回了绑定{binding.student.person.name}的申请：{binding.reject_reason}",
        url=reverse("homeschool:parent_home"),
        kind="homeschool.binding",
        actor=actor,
    )


# --- leave ---------------------------------------------------------------------------------------------


def _step(leave: LeaveRequest, actor, action: str, note: str = "") -> None:
    leave.timeline = [
        *leave.timeline,
        {"at": timezone.now().isoformat(timespec="seconds"), "by": actor.display_name, "action": action, "note": note},
    ]


def _check_attachment(upload) -> str:
    if upload.size > ATTACHMENT_MAX_BYTES:
        raise ValidationError({"attachment": "附件不能超过 5 MB"})
    head = upload.read(8)
    upload.seek(0)
    for magic, content_type in ATTACHMENT_TYPES.items():
        if head.startswith(magic):
            return content_type
    raise ValidationError({"attachment": "附件只能是图片（JPG/PNG）或 PDF"})


def _leave_url(leave: LeaveRequest) -> str:
    return reverse("homeschool:leave_detail", args=[leave.pk])


@transaction.atomic
def leave_submit(
    *,
    actor,
    student: Student,
    kind: str,
    start_date: dt.date,
    end_date: dt.date,
    reason: str,
    start_half: str = HalfDay.AM,
    end_half: str = HalfDay.PM,
    attachment=None,
) -> LeaveRequest:
    """家长为孩子请假. Half-day granularity; the length counts school days (Monday–Friday) only."""
    leave = LeaveRequest(
        student=student,
        klass_id=student.klass_id,
        submitted_by=actor,
        kind=kind,
        start_date=start_date,
        start_half=start_half,
        end_date=end_date,
        end_half=end_half,
        reason=(reason or "").strip(),
    )
    _require(actor, "add", leave)
    if kind not in LeaveKind.values:
        raise ValidationError({"kind": "请选择请假类型"})
    if not leave.reason:
        raise ValidationError({"reason": "请填写请假事由"})
    if (end_date, end_half) < (start_date, start_half):
        raise ValidationError({"end_date": "结束时间不能早于开始时间"})
    if start_date < timezone.localdate() - dt.timedelta(days=7):
        raise ValidationError({"start_date": "只能补请最近 7 天内的假"})
    if (end_date - start_date).days > 60:
        raise ValidationError({"end_date": "一次请假不能超过 60 天"})
    halves = school_half_days(start_date, start_half, end_date, end_half)
    if halves == 0:
        raise ValidationError({"start_date": "所选时段没有上课日（周六、周日不用请假）"})
    leave.days = Decimal(halves) / 2
    overlapping = LeaveRequest.objects.filter(
        student=student,
        status__in=[LeaveStatus.PENDING_HEAD, LeaveStatus.PENDING_GRADE, LeaveStatus.APPROVED],
        start_date__lte=end_date,
        end_date__gte=start_date,
    )
    if overlapping.exists():
        raise ValidationError({"start_date": "这段时间已有请假申请，请勿重复提交"})
    if attachment:
        _check_attachment(attachment)
        leave.attachment_name = attachment.name[-200:]
        leave.attachment = attachment
    _step(leave, actor, "submit", leave.reason)
    leave.full_clean(exclude=["attachment"])
    leave.save()
    audit_record(
        actor=actor,
        action="homeschool.leave_submit",
        obj=leave,
        object_repr=str(leave),
        changes=diff({}, snapshot(leave, ["kind", "start_date", "end_date", "days"])),
    )
    notify(
        users=_head_teacher_users(leave.klass),
        title=f"{student.person.name}请假待审批",
        body=f"{leave.get_kind_display()} {leave.period_label}（{leave.days} 天）：{leave.reason}",
        url=_leave_url(leave),
        kind="homeschool.leave",
        actor=actor,
    )
    return leave


def _locked(leave: LeaveRequest) -> LeaveRequest:
    return LeaveRequest.objects.select_for_update().select_related("student__person", "klass").get(pk=leave.pk)


def _step_action(leave: LeaveRequest) -> str:
    if leave.status == LeaveStatus.PENDING_HEAD:
        return "approve"
    if leave.status == LeaveStatus.PENDING_GRADE:
        return "approve_grade"
    raise ValidationError(f"该请假已{leave.get_status_display()}，不能再审批")


def can_decide(user, leave: LeaveRequest) -> bool:
    """Whether ``user`` may approve or reject the pending step of ``leave``. The first step is the 班主任's;
    the school admin takes it only while the class has no 班主任."""
    if not leave.is_pending:
        return False
    action = _step_action(leave)
    if action == "approve" and leave.klass.head_teacher_id and "head_teacher" not in roles_for(user, action, leave):
        return False
    return can(user, action, leave)


def _require_decide(actor, leave: LeaveRequest) -> str:
    action = _step_action(leave)
    if not can_decide(actor, leave):
        raise PermissionDenied("无权审批该请假")
    return action


def _tell_family(leave: LeaveRequest, title: str, body: str, actor) -> None:
    notify(
        users=_guardian_users(leave.student),
        title=title,
        body=body,
        url=_leave_url(leave),
        kind="homeschool.leave",
        actor=actor,
    )


@transaction.atomic
def leave_approve(*, actor, leave: LeaveRequest, note: str = "") -> LeaveRequest:
    """审批通过 the current step. A leave longer than ``grade_leader_days()`` goes on to the grade leader after
    the 班主任; once fully approved it is marked 请假 in the class's attendance of the days it covers."""
    leave = _locked(leave)
    action = _require_decide(actor, leave)
    name = leave.student.person.name
    if action == "approve" and leave.days > grade_leader_days():
        leave.status = LeaveStatus.PENDING_GRADE
        _step(leave, actor, "approve_head", note)
        leave.save()
        notify(
            users=grade_approvers(leave.klass),
            title=f"{name}请假 {leave.days} 天待审批",
            body=f"班主任已同意，{leave.get_kind_display()} {leave.period_label}：{leave.reason}",
            url=_leave_url(leave),
            kind="homeschool.leave",
            actor=actor,
        )
        _tell_family(leave, "请假：班主任已同意", f"{name}的请假已由班主任同意，等待年级组长审批。", actor)
    else:
        leave.status = LeaveStatus.APPROVED
        _step(leave, actor, "approve", note)
        leave.save()
        attendance_apply_leave(leave=leave)
        _tell_family(leave, "请假已批准", f"{name} {leave.period_label} 的请假已批准。", actor)
    audit_record(
        actor=actor,
        action="homeschool.leave_approve",
        obj=leave,
        object_repr=str(leave),
        changes={"status": [None, leave.status]},
    )
    return leave


@transaction.atomic
def leave_reject(*, actor, leave: LeaveRequest, reason: str) -> LeaveRequest:
    leave = _locked(leave)
    _require_decide(actor, leave)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写驳回原因"})
    leave.status, leave.reject_reason = LeaveStatus.REJECTED, reason[:200]
    _step(leave, actor, "reject", leave.reject_reason)
    leave.save()
    audit_record(
        actor=actor,
        action="homeschool.leave_reject",
        obj=leave,
        object_repr=str(leave),
        changes={"reject_reason": [None, leave.reject_reason]},
    )
    _tell_family(leave, "请假未批准", f"{leave.student.person.name}的请假被驳回：{leave.reject_reason}", actor)
    return leave


@transaction.atomic
def leave_cancel(*, actor, leave: LeaveRequest) -> LeaveRequest:
    """家长撤销 a leave that is still waiting for approval."""
    leave = _locked(leave)
    _require(actor, "cancel", leave)
    if not leave.is_pending:
        raise ValidationError(f"该请假已{leave.get_status_display()}，不能撤销")
    leave.status = LeaveStatus.CANCELLED
    _step(leave, actor, "cancel")
    leave.save()
    audit_record(actor=actor, action="homeschool.leave_cancel", obj=leave, object_repr=str(leave))
    notify(
        users=_head_teacher_users(leave.klass),
        title=f"{leave.student.person.name}的请假已撤销",
        body=leave.period_label,
        url=_leave_url(leave),
        kind="homeschool.leave",
        actor=actor,
    )
    return leave


@transaction.atomic
def leave_return(*, actor, leave: LeaveRequest, note: str = "") -> LeaveRequest:
    """销假: the child is back (recorded by the 班主任 or a parent)."""
    leave = _locked(leave)
    _require(actor, "return", leave)
    if leave.status != LeaveStatus.APPROVED:
        raise ValidationError("只有已批准的请假才能销假")
    if leave.returned_at is not None:
        raise ValidationError("该请假已销假")
    leave.returned_at, leave.returned_by, leave.return_note = timezone.now(), actor, (note or "").strip()[:200]
    _step(leave, actor, "return", leave.return_note)
    leave.save()
    audit_record(actor=actor, action="homeschool.leave_return", obj=leave, object_repr=str(leave))
    others = [u for u in _guardian_users(leave.student) + _head_teacher_users(leave.klass) if u.pk != actor.pk]
    notify(
        users=others,
        title=f"{leave.student.person.name}已销假",
        body=leave.return_note or leave.period_label,
        url=_leave_url(leave),
        kind="homeschool.leave",
        actor=actor,
    )
    return leave


# --- attendance ------------------------------------------------------------------------------------------


def _recount(sheet: AttendanceSheet) -> None:
    counts = dict.fromkeys(AttendanceKind.values, 0)
    for kind in sheet.marks.values_list("kind", flat=True):
        counts[kind] += 1
    for kind, n in counts.items():
        setattr(sheet, kind, n)
    sheet.save(update_fields=[*AttendanceKind.values, "updated_at"])


def attendance_apply_leave(*, leave: LeaveRequest) -> int:
    """An approved leave turns the child's 缺勤 or unmarked days into 请假 on sheets already taken. Returns how
    many sheets changed (sheets taken later are pre-filled from the leave instead)."""
    changed = 0
    sheets = AttendanceSheet.objects.filter(
        klass_id=leave.klass_id, date__gte=leave.start_date, date__lte=leave.end_date
    )
    for sheet in sheets:
        mark = sheet.marks.filter(student_id=leave.student_id).first()
        if mark is None:
            AttendanceMark.objects.create(
                sheet=sheet, student_id=leave.student_id, kind=AttendanceKind.LEAVE, leave=leave
            )
        elif mark.kind == AttendanceKind.ABSENT:
            mark.kind, mark.leave = AttendanceKind.LEAVE, leave
            mark.save(update_fields=["kind", "leave"])
        else:
            continue
        _recount(sheet)
        changed += 1
    return changed


def approved_leaves_on(*, klass_id: int, day: dt.date) -> dict[int, LeaveRequest]:
    """Approved leaves of the class covering ``day``, by student id (pre-fill of the attendance sheet)."""
    rows = LeaveRequest.objects.filter(
        klass_id=klass_id, status=LeaveStatus.APPROVED, start_date__lte=day, end_date__gte=day
    ).select_related("student__person")
    return {leave.student_id: leave for leave in rows}


@transaction.atomic
def attendance_take(*, actor, klass: Class, date: dt.date, marks: dict[int, str]) -> AttendanceSheet:
    """记录考勤 of ``klass`` on ``date``: ``marks`` maps student id → 迟到/早退/缺勤/请假; everyone else present.
    Taking the same day again replaces that day's marks."""
    sheet = AttendanceSheet.objects.filter(klass=klass, date=date).first()
    probe = sheet or AttendanceSheet(klass=klass, date=date)
    _require(actor, "change" if sheet else "add", probe)
    if date > timezone.localdate():
        raise ValidationError({"date": "不能记录将来日期的考勤"})
    students = {
        s.pk: s
        for s in Student.objects.filter(klass=klass, status="enrolled", archived_at__isnull=True).select_related(
            "person"
        )
    }
    for sid, kind in marks.items():
        if sid not in students:
            raise ValidationError({"marks": f"学生（编号 {sid}）不在{klass.name}"})
        if kind not in AttendanceKind.values:
            raise ValidationError({"marks": f"{students[sid].person.name}：考勤类型“{kind}”无效"})
    before = snapshot(sheet, [*AttendanceKind.values, "expected"]) if sheet else {}
    if sheet is None:
        sheet = AttendanceSheet(klass=klass, date=date)
    sheet.taken_by, sheet.expected = actor, len(students)
    sheet.full_clean(exclude=["taken_by"])
    sheet.save()
    sheet.marks.all().delete()
    leaves = approved_leaves_on(klass_id=klass.pk, day=date)
    AttendanceMark.objects.bulk_create(
        [
            AttendanceMark(
                sheet=sheet,
                student_id=sid,
                kind=kind,
                leave=leaves.get(sid) if kind == AttendanceKind.LEAVE else None,
            )
            for sid, kind in sorted(marks.items())
        ]
    )
    _recount(sheet)
    audit_record(
        actor=actor,
        action="homeschool.attendance_take",
        obj=sheet,
        object_repr=f"{klass} {date:%Y-%m-%d} 考勤",
        changes=diff(before, snapshot(sheet, [*AttendanceKind.values, "expected"])),
    )
    return sheet


__all__ = [
    "Registration",
    "attendance_apply_leave",
    "attendance_take",
    "binding_approve",
    "binding_reject",
    "can_decide",
    "grade_approvers",
    "invitation_code_create",
    "invitation_code_revoke",
    "leave_approve",
    "leave_cancel",
    "leave_reject",
    "leave_return",
    "leave_submit",
    "parent_register",
]
