"""The core module's menu entries. Other apps register theirs the same way in AppConfig.ready()."""

from django.utils.translation import gettext_lazy as _

from .menu import MenuItem, register
from .models import AuditLog, Class, Guardianship, RoleGrant, School, StaffPost, Student
from .scope import can_any, roles_of

ADMIN_ROLES = {"district_admin", "school_admin", "grade_leader"}


def _admin(user) -> bool:
    return bool(roles_of(user) & ADMIN_ROLES)


register(MenuItem("home", _("首页"), "core:home", "house", lambda u: True, order=0))
register(
    MenuItem(
        "schools",
        _("学校"),
        "core:school_list",
        "building",
        lambda u: _admin(u) and can_any(u, "view", School),
        _("组织机构"),
        10,
    )
)
register(
    MenuItem(
        "classes",
        _("班级"),
        "core:class_list",
        "grid-3x3-gap",
        lambda u: bool(roles_of(u) & (ADMIN_ROLES | {"head_teacher", "subject_teacher"})) and can_any(u, "view", Class),
        _("组织机构"),
        20,
    )
)
register(
    MenuItem(
        "students",
        _("学生"),
        "core:student_list",
        "people",
        lambda u: (
            bool(roles_of(u) & (ADMIN_ROLES | {"head_teacher", "subject_teacher"})) and can_any(u, "view", Student)
        ),
        _("人员"),
        30,
    )
)
register(
    MenuItem(
        "staff",
        _("教职工"),
        "core:staff_list",
        "person-badge",
        lambda u: bool(roles_of(u) & (ADMIN_ROLES | {"staff"})) and can_any(u, "view", StaffPost),
        _("人员"),
        40,
    )
)
register(
    MenuItem(
        "parents",
        _("家长"),
        "core:parent_list",
        "people-fill",
        lambda u: bool(roles_of(u) & (ADMIN_ROLES | {"head_teacher"})) and can_any(u, "view", Guardianship),
        _("人员"),
        50,
    )
)
register(
    MenuItem(
        "roles",
        _("角色授权"),
        "core:roles",
        "shield-lock",
        lambda u: can_any(u, "manage", RoleGrant),
        _("系统管理"),
        80,
    )
)
register(
    MenuItem(
        "audit", _("审计日志"), "core:audit", "journal-text", lambda u: can_any(u, "view", AuditLog), _("系统管理"), 90
    )
)
register(
    MenuItem(
        "base_data",
        _("基础数据"),
        "core:base_data",
        "sliders",
        lambda u: bool(roles_of(u) & {"district_admin", "school_admin"}),
        _("系统管理"),
        70,
    )
)
