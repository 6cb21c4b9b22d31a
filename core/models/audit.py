import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..scope import ScopedQuerySet, grants_for, role_allows
from .base import ScopedModel


class AuditLogQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = "view"):
        """District-level audit viewers also see platform rows that belong to no district (e.g. failed
        logins for unknown usernames)."""
        qs = super().visible_to(user, action)
        if any(g.level == "district" and role_allows(g.role, "core.auditlog", action) for g in grants_for(user)):
            qs = qs | self.filter(district_id__isnull=True)
        return qs


class AuditAppendOnlyError(Exception):
    pass


class AuditLog(ScopedModel):
    """Append-only, hash-chained record of every write and every sensitive read.

    ``id`` is the chain sequence (allocated from AuditChainHead, not from the database sequence);
    ``hash`` = SHA-256 over the row's content and ``prev_hash``. Database triggers refuse UPDATE and
    DELETE; ``manage.py audit_verify`` recomputes the chain and names the first broken row.
    """

    id = models.BigIntegerField(primary_key=True)
    occurred_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=40, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True, db_index=True)
    object_id = models.CharField(_("对象ID"), max_length=40, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    result = models.CharField(_("结果"), max_length=10, default="ok")
    district_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    school_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    scope_paths = {"district": "district_id", "school": "school_id"}
    objects = AuditLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-id"]

    def __str__(self):
        return f"#{self.id} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditAppendOnlyError("审计日志只允许追加，不可修改")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditAppendOnlyError("审计日志只允许追加，不可删除")

    def payload(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "occurred_at": self.occurred_at.isoformat(timespec="microseconds"),
                "actor_id": self.actor_id,
                "actor_name": self.actor_name,
                "ip": self.ip,
                "action": self.action,
                "object_type": self.object_type,
                "object_id": self.object_id,
                "object_repr": self.object_repr,
                "changes": self.changes,
                "result": self.result,
                "district_id": self.district_id,
                "school_id": self.school_id,
                "prev_hash": self.prev_hash,
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.payload().encode()).hexdigest()


class AuditChainHead(models.Model):
    """Single row holding the chain's last sequence and hash; locking it serialises audit appends."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("审计链头")
