"""通知公告: a notice, its attachments and one recipient row per user (with the read time and the 回执)."""

from __future__ import annotations

import os

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import ScopedModel


class SenderLevel(models.TextChoices):
    DISTRICT = "district", _("区县")
    SCHOOL = "school", _("学校")
    CLASS = "class", _("班级")


class ReceiptKind(models.TextChoices):
    NONE = "", _("无需回执")
    CONFIRM = "confirm", _("确认已知晓")
    CHOICE = "choice", _("选择一项")
    TEXT = "text", _("填写简短文字")
    FILE = "file", _("上传文件")


class FanoutStatus(models.TextChoices):
    PENDING = "pending", _("等待分发")
    RUNNING = "running", _("正在分发")
    DONE = "done", _("已分发")
    FAILED = "failed", _("分发失败")


class RecipientRole(models.TextChoices):
    STAFF = "staff", _("教职工")
    PARENT = "parent", _("家长")
    STUDENT = "student", _("学生")


class Notice(ScopedModel):
    """A notice sent by the district, a school or a class teacher. The audience (``audience`` spec) is resolved
    from the org tree when it is sent and stored as ``NoticeRecipient`` rows; ``publish_at`` in the future makes
    it a scheduled notice that recipients see from that time."""

    district = models.ForeignKey("core.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("区县"))
    school = models.ForeignKey(
        "core.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("学校")
    )
    klass = models.ForeignKey(
        "core.Class", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("班级")
    )
    level = models.CharField(_("发布层级"), max_length=10, choices=SenderLevel.choices)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发布人")
    )
    sender_name = models.CharField(_("落款"), max_length=80, blank=True)
    title = models.CharField(_("标题"), max_length=120)
    body_html = models.TextField(_("正文"), blank=True)
    audience = models.JSONField(_("发送范围"), default=dict, blank=True)
    audience_label = models.CharField(_("发送范围说明"), max_length=300, blank=True)
    publish_at = models.DateTimeField(_("发布时间"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("截止展示时间"), null=True, blank=True)
    pinned = models.BooleanField(_("置顶"), default=False)
    receipt_kind = models.CharField(_("回执"), max_length=10, choices=ReceiptKind.choices, default="", blank=True)
    receipt_prompt = models.CharField(_("回执说明"), max_length=200, blank=True)
    receipt_options = models.JSONField(_("回执选项"), default=list, blank=True)
    receipt_deadline = models.DateTimeField(_("回执截止"), null=True, blank=True)
    fanout_status = models.CharField(
        _("分发状态"), max_length=10, choices=FanoutStatus.choices, default=FanoutStatus.PENDING
    )
    fanout_error = models.TextField(blank=True, default="")
    recipients_total = models.PositiveIntegerField(_("接收人数"), default=0)
    pushed_at = models.DateTimeField(_("站外推送时间"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)

    scope_paths = {"district": "district_id", "school": "school_id", "klass": "klass_id"}

    class Meta:
        verbose_name = _("通知公告")
        verbose_name_plural = _("通知公告")
        ordering = ["-publish_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level="district", school__isnull=True, klass__isnull=True)
                | models.Q(level="school", school__isnull=False, klass__isnull=True)
                | models.Q(level="class", school__isnull=False, klass__isnull=False),
                name="notice_level_matches_node",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def is_scheduled(self) -> bool:
        return self.publish_at > timezone.now()

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def needs_receipt(self) -> bool:
        return bool(self.receipt_kind)

    @property
    def receipt_open(self) -> bool:
        return self.needs_receipt and (self.receipt_deadline is None or self.receipt_deadline > timezone.now())


def attachment_path(instance, filename: str) -> str:
    # the stored name is random; the original name is kept in ``name`` for the download
    import uuid

    ext = os.path.splitext(filename)[1].lower()[:10]
    return f"notices/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class NoticeAttachment(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("文件"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小"), default=0)

    class Meta:
        verbose_name = _("通知附件")
        verbose_name_plural = _("通知附件")
        ordering = ["id"]

    def __str__(self):
        return self.name


class NoticeRecipientQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view"):
        """A recipient row is the recipient's own: the inbox shows one's own rows only (senders read the
        statistics through the notice, which is scoped)."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(user_id=user.pk)

    def published(self, now=None):
        now = now or timezone.now()
        return self.filter(notice__publish_at__lte=now, notice__withdrawn_at__isnull=True).exclude(
            notice__expires_at__lte=now
        )


def receipt_path(instance, filename: str) -> str:
    import uuid

    ext = os.path.splitext(filename)[1].lower()[:10]
    return f"notices/receipts/{instance.notice_id}/{uuid.uuid4().hex}{ext}"


class NoticeRecipient(models.Model):
    """One row per (notice, user). A parent is one row however many children the notice reaches; ``student``,
    ``klass`` and ``school`` say whom the row is for (the first child), so per-class statistics add up.

    A district notice writes ~10⁵ of these at once, so the table carries only the indexes its queries use (the
    unique (notice, user), the inbox's (user, notice), the statistics' (notice, class) and the 班主任's
    (class, notice)). The foreign keys skip the database's per-row checks (each inserted row would queue a
    check, and lock the referenced row, at commit): the rows are written only by the fan-out from ids it has
    just read, the org-tree columns are a snapshot at send time (those rows are never deleted), and deleting a
    notice or a user still removes its rows through the ORM's cascade."""

    notice = models.ForeignKey(
        Notice, on_delete=models.CASCADE, related_name="recipients", db_index=False, db_constraint=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    role = models.CharField(_("身份"), max_length=10, choices=RecipientRole.choices)
    student = models.ForeignKey(
        "core.Student",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    klass = models.ForeignKey(
        "core.Class",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    school = models.ForeignKey(
        "core.School",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("最近提醒"), null=True, blank=True)
    receipt_at = models.DateTimeField(_("回执时间"), null=True, blank=True)
    receipt_choice = models.CharField(_("回执选项"), max_length=100, blank=True)
    receipt_text = models.CharField(_("回执内容"), max_length=500, blank=True)
    receipt_file = models.FileField(_("回执文件"), upload_to=receipt_path, max_length=200, blank=True)
    receipt_file_name = models.CharField(max_length=200, blank=True)

    objects = NoticeRecipientQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知接收人")
        verbose_name_plural = _("通知接收人")
        constraints = [models.UniqueConstraint(fields=["notice", "user"], name="notice_recipient_once")]
        indexes = [
            models.Index(fields=["user", "notice"], name="notice_recipient_inbox"),
            models.Index(fields=["notice", "klass"], name="notice_recipient_class"),
            models.Index(fields=["klass", "notice"], name="notice_recipient_head"),
        ]

    def __str__(self):
        return f"{self.notice_id} → {self.user_id}"
