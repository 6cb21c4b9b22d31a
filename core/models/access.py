import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import ScopedModel
from .org import Class, District, Grade, School


class Role(models.TextChoices):
    """Roles granted explicitly at a node. Teachers, 班主任, parents and students get theirs from the
    org tree itself (staff posts, class assignments, guardianships, enrolment)."""

    DISTRICT_ADMIN = "district_admin", _("区县管理员")
    SCHOOL_ADMIN = "school_admin", _("学校管理员（校长/教务）")
    GRADE_LEADER = "grade_leader", _("年级组长")
    AUDITOR = "auditor", _("审计管理员")
    RESEARCHER = "researcher", _("教研员")


ROLE_LEVEL = {
    Role.DISTRICT_ADMIN: "district",
    Role.AUDITOR: "district",
    Role.RESEARCHER: "district",
    Role.SCHOOL_ADMIN: "school",
    Role.GRADE_LEADER: "grade",
}
# Roles that must pass a TOTP second factor before using the system.
MFA_ROLES = {Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN, Role.AUDITOR, Role.RESEARCHER}
IMPLICIT_ROLE_LABELS = {
    "staff": _("教职工"),
    "head_teacher": _("班主任"),
    "subject_teacher": _("任课教师"),
    "guardian": _("家长"),
    "student": _("学生"),
}


def role_label(role: str) -> str:
    if role in Role.values:
        return str(Role(role).label)
    return str(IMPLICIT_ROLE_LABELS.get(role, role))


class RoleGrant(ScopedModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    grade = models.ForeignKey(Grade, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    klass = models.ForeignKey(Class, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    scope_paths = {"district": "district_id", "school": "school_id", "grade": "grade_id", "klass": "klass_id"}

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            # Expressions instead of nulls_distinct=False, which SQLite cannot enforce.
            models.UniqueConstraint(
                "user",
                "role",
                "district",
                Coalesce("school", Value(0)),
                Coalesce("grade", Value(0)),
                Coalesce("klass", Value(0)),
                name="rolegrant_unique",
            )
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} @ {self.node}"

    @property
    def level(self) -> str:
        return ROLE_LEVEL[self.role]

    @property
    def node(self):
        return self.klass or self.grade or self.school or self.district


class PersonalAccessToken(models.Model):
    """API token (个人访问令牌). Only its SHA-256 is stored; the token is shown once at creation."""

    PREFIX = "zx_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=60)
    token_prefix = models.CharField(max_length=12, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("访问令牌")
        verbose_name_plural = _("访问令牌")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.token_prefix}…)"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def new_secret(cls) -> str:
        return cls.PREFIX + secrets.token_urlsafe(30)

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
