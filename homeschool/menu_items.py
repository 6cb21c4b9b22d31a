"""Menu entries of 家校互动 (registered in HomeschoolConfig.ready), right after the notices (40–42) in 家校."""

from django.utils.translation import gettext_lazy as _

from core.menu import MenuItem, register
from core.scope import can_any, roles_of

GROUP = _("家校")


def _parent(user) -> bool:
    return "guardian" in roles_of(user)


def _leaves(user) -> bool:
    from .models import LeaveRequest

    return bool(roles_of(user) - {"guardian", "student"}) and can_any(user, "view", LeaveRequest)


def _bindings(user) -> bool:
    from .models import BindingRequest

    return can_any(user, "change", BindingRequest)


def _attendance(user) -> bool:
    from .models import AttendanceSheet

    return can_any(user, "view", AttendanceSheet)


register(MenuItem("homeschool_parent", _("我的孩子"), "homeschool:parent_home", "people", _parent, GROUP, 44))
register(MenuItem("homeschool_leave", _("请假审批"), "homeschool:leave_queue", "calendar-check", _leaves, GROUP, 45))
register(
    MenuItem(
        "homeschool_attendance", _("考勤"), "homeschool:attendance_home", "clipboard-check", _attendance, GROUP, 46
    )
)
register(MenuItem("homeschool_binding", _("家长绑定"), "homeschool:binding_queue", "person-plus", _bindings, GROUP, 47))
