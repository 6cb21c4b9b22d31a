"""The in-app notification store and the external deliveries (email, SMS, WeCom, DingTalk) of ``core.notify``."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view"):
        """A notification belongs to its recipient only: nobody else reads or marks it, admins included."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(user_id=user.pk)

    def unread(self):
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """站内消息: one row per user and event."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("接收人")
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True, default="")
    url = models.CharField(_("链接"), max_length=500, blank=True, default="")
    kind = models.CharField(_("类型"), max_length=60, blank=True, default="", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("发送人"),
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_recent"),
            models.Index(fields=["user"], condition=models.Q(read_at__isnull=True), name="notification_user_unread"),
        ]

    def __str__(self):
        return self.title


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已送达")
    FAILED = "failed", _("发送失败")


class DeliveryQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view"):
        """Deliveries are operations data: the district admins of the district the message came from see them
        (and may retry); superusers see all. Everyone else sees nothing."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        from core.scope import grants_for

        districts = sorted({g.district_id for g in grants_for(user) if g.role == "district_admin"})
        if not districts:
            return self.none()
        return self.filter(district_id__in=districts)


class Delivery(models.Model):
    """One message to one user through one external channel, with its retry state."""

    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("接收人")
    )
    district = models.ForeignKey(
        "core.District", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("区县")
    )
    channel = models.CharField(_("渠道"), max_length=20)
    address = models.CharField(_("地址"), max_length=200, blank=True, default="")
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True, default="")
    url = models.CharField(_("链接"), max_length=500, blank=True, default="")
    kind = models.CharField(_("类型"), max_length=60, blank=True, default="")
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True, default="")
    next_retry_at = models.DateTimeField(_("下次重试"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_retry_at"], name="delivery_due")]

    def __str__(self):
        return f"{self.channel} → {self.user_id}: {self.title}"
