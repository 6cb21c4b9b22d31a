"""家校互动: parent invitation codes and binding requests, student leave (请假) and daily attendance (考勤).

Every model is scoped to the class (and, where it concerns one child, to the student), so a 班主任 sees their
class, a grade leader their grade, a school admin the school and a parent only their own children's rows.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Class, Guardianship, Person, Relation, Student
from core.models.base import ScopedModel, TimeStampedModel

# Codes are read aloud and typed on phones: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8

CLASS_PATHS = {
    "district": "klass__school__district_id",
    "school": "klass__school_id",
    "grade": "klass__grade_id",
    "klass": "klass_id",
}


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(value: str) -> str:
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


class InvitationCode(ScopedModel, TimeStampedModel):
    """班级邀请码: handed to the parents of one class (printed or as a QR code) to register and ask for binding."""

    klass = models.ForeignKey(Class, on_delete=models.PROTECT, related_name="+", verbose_name=_("班级"))
    code = models.CharField(_("邀请码"), max_length=12, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("生成人")
    )
    expires_at = models.DateTimeField(_("有效期至"))
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("可用次数"), default=100)
    use_count = models.PositiveIntegerField(_("已用次数"), default=0)

    scope_paths = CLASS_PATHS

    class Meta:
        verbose_name = _("班级邀请码")
        verbose_name_plural = _("班级邀请码")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.code

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired and self.use_count < self.max_uses

    @property
    def state_label(self) -> str:
        if self.is_revoked:
            return str(_("已作废"))
        if self.is_expired:
            return str(_("已过期"))
        if self.use_count >= self.max_uses:
            return str(_("已用完"))
        return str(_("有效"))


class BindingStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")


STUDENT_PATHS = {
    "district": "student__district_id",
    "school": "student__school_id",
    "grade": "student__klass__grade_id",
    "klass": "student__klass_id",
    "student": "student_id",
}


class BindingRequest(ScopedModel, TimeStampedModel):
    """家长绑定申请: made on the public registration page, approved or rejected by the 班主任."""

    code = models.ForeignKey(
        InvitationCode, on_delete=models.PROTECT, related_name="requests", verbose_name=_("邀请码")
    )
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+", verbose_name=_("学生"))
    guardian = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("家长"))
    relation = models.CharField(_("关系"), max_length=1, choices=Relation.choices)
    status = models.CharField(_("状态"), max_length=10, choices=BindingStatus.choices, default=BindingStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reject_reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    guardianship = models.ForeignKey(Guardianship, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Password chosen on the form for an existing account that never had one: applied only once the 班主任
    # approves, so the form alone cannot take over an account made by the school.
    pending_password = models.CharField(max_length=128, blank=True, editable=False)

    scope_paths = STUDENT_PATHS

    class Meta:
        verbose_name = _("家长绑定申请")
        verbose_name_plural = _("家长绑定申请")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["guardian", "student"],
                condition=models.Q(status="pending"),
                name="binding_one_pending_per_family",
            )
        ]

    def __str__(self):
        return f"{self.guardian} → {self.student}"


class LeaveKind(models.TextChoices):
    SICK = "sick", _("病假")
    PERSONAL = "personal", _("事假")
    OTHER = "other", _("其他")


class HalfDay(models.TextChoices):
    AM = "am", _("上午")
    PM = "pm", _("下午")


class LeaveStatus(models.TextChoices):
    PENDING_HEAD = "pending_head", _("待班主任审批")
    PENDING_GRADE = "pending_grade", _("待年级组长审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    CANCELLED = "cancelled", _("已撤销")


PENDING_LEAVE = (LeaveStatus.PENDING_HEAD, LeaveStatus.PENDING_GRADE)


def school_half_days(start: dt.date, start_half: str, end: dt.date, end_half: str) -> int:
    """Half school days (Monday–Friday) from ``start``/``start_half`` to ``end``/``end_half`` inclusive."""
    count, day = 0, start
    while day <= end:
        if day.weekday() < 5:
            first = HalfDay.PM if (day == start and start_half == HalfDay.PM) else HalfDay.AM
            last = HalfDay.AM if (day == end and end_half == HalfDay.AM) else HalfDay.PM
            count += 1 if first == last else 2
        day += dt.timedelta(days=1)
    return count


class LeaveRequest(ScopedModel, TimeStampedModel):
    """学生请假: submitted by a parent, approved by the 班主任 (and the grade leader for long leaves)."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+", verbose_name=_("学生"))
    # the class when submitted: its 班主任 approves and its attendance shows the leave
    klass = models.ForeignKey(Class, on_delete=models.PROTECT, related_name="+", verbose_name=_("班级"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    kind = models.CharField(_("请假类型"), max_length=10, choices=LeaveKind.choices)
    start_date = models.DateField(_("开始日期"))
    start_half = models.CharField(_("开始"), max_length=2, choices=HalfDay.choices, default=HalfDay.AM)
    end_date = models.DateField(_("结束日期"))
    end_half = models.CharField(_("结束"), max_length=2, choices=HalfDay.choices, default=HalfDay.PM)
    days = models.DecimalField(_("天数"), max_digits=5, decimal_places=1, default=Decimal("0"))
    reason = models.CharField(_("事由"), max_length=500)
    attachment = models.FileField(_("附件"), upload_to="homeschool/leave/%Y/%m/", blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=14, choices=LeaveStatus.choices, default=LeaveStatus.PENDING_HEAD)
    reject_reason = models.CharField(_("驳回原因"), max_length=200, blank=True)
    returned_at = models.DateTimeField(_("销假时间"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    return_note = models.CharField(_("销假说明"), max_length=200, blank=True)
    # [{"at": iso, "by": name, "action": "submit|approve|reject|cancel|return", "note": ""}]
    timeline = models.JSONField(default=list, blank=True, editable=False)

    scope_paths = {
        "district": "klass__school__district_id",
        "school": "klass__school_id",
        "grade": "klass__grade_id",
        "klass": "klass_id",
        "student": "student_id",
    }

    class Meta:
        verbose_name = _("学生请假")
        verbose_name_plural = _("学生请假")
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["klass", "status", "start_date"]),
            models.Index(fields=["student", "start_date"]),
        ]

    def __str__(self):
        return f"{self.student} {self.get_kind_display()} {self.period_label}"

    @property
    def period_label(self) -> str:
        """11-23 全天 · 11-23 下午 · 11-23 至 11-25 · 11-23 下午 至 11-24 上午."""
        if self.start_date == self.end_date:
            if self.start_half != self.end_half:
                return f"{self.start_date:%m-%d} {_('全天')}"
            return f"{self.start_date:%m-%d} {self.get_start_half_display()}"
        start = f"{self.start_date:%m-%d}" + (f" {_('下午')}" if self.start_half == HalfDay.PM else "")
        end = f"{self.end_date:%m-%d}" + (f" {_('上午')}" if self.end_half == HalfDay.AM else "")
        return f"{start} {_('至')} {end}"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_LEAVE

    def covers(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date


class AttendanceKind(models.TextChoices):
    LATE = "late", _("迟到")
    EARLY = "early", _("早退")
    ABSENT = "absent", _("缺勤（旷课）")
    LEAVE = "leave", _("请假")


# the order a tap cycles through (present → 迟到 → 早退 → 缺勤 → 请假 → present)
CYCLE = ["", AttendanceKind.LATE, AttendanceKind.EARLY, AttendanceKind.ABSENT, AttendanceKind.LEAVE]


class AttendanceSheet(ScopedModel, TimeStampedModel):
    """One class's attendance of one day. Only exceptions are stored as marks; everyone else was present.
    The counts are kept on the sheet so school and district statistics never read student rows."""

    klass = models.ForeignKey(Class, on_delete=models.PROTECT, related_name="+", verbose_name=_("班级"))
    date = models.DateField(_("日期"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("考勤人")
    )
    expected = models.PositiveSmallIntegerField(_("应到人数"), default=0)
    late = models.PositiveSmallIntegerField(_("迟到"), default=0)
    early = models.PositiveSmallIntegerField(_("早退"), default=0)
    absent = models.PositiveSmallIntegerField(_("缺勤"), default=0)
    leave = models.PositiveSmallIntegerField(_("请假"), default=0)

    scope_paths = CLASS_PATHS

    class Meta:
        verbose_name = _("班级考勤")
        verbose_name_plural = _("班级考勤")
        ordering = ["-date", "klass_id"]
        constraints = [models.UniqueConstraint(fields=["klass", "date"], name="attendance_one_sheet_per_day")]

    def __str__(self):
        return f"{self.klass} {self.date}"

    @property
    def present(self) -> int:
        return self.expected - self.absent - self.leave


class AttendanceMark(ScopedModel):
    """A student who was not simply present that day."""

    sheet = models.ForeignKey(AttendanceSheet, on_delete=models.CASCADE, related_name="marks")
    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="+", verbose_name=_("学生"))
    kind = models.CharField(_("考勤"), max_length=8, choices=AttendanceKind.choices)
    leave = models.ForeignKey(LeaveRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="marks")

    scope_paths = {
        "district": "sheet__klass__school__district_id",
        "school": "sheet__klass__school_id",
        "grade": "sheet__klass__grade_id",
        "klass": "sheet__klass_id",
        "student": "student_id",
    }

    class Meta:
        verbose_name = _("考勤记录")
        verbose_name_plural = _("考勤记录")
        constraints = [models.UniqueConstraint(fields=["sheet", "student"], name="attendance_one_mark_per_student")]

    def __str__(self):
        return f"{self.student} {self.get_kind_display()}"
