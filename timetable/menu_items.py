"""Menu entries of the timetable module (registered in TimetableConfig.ready): 我的课表 for everyone with a
timetable, 排课管理 for school and district admins, 调课代课 for staff, 网上选课 for students and parents."""

from django.utils.translation import gettext_lazy as _

from core.menu import MenuItem, register
from core.scope import can_any, roles_of


def _has_timetable(user) -> bool:
    return bool(roles_of(user) & {"staff", "student", "guardian", "head_teacher", "subject_teacher"})


def _manages(user) -> bool:
    from .models import WeekSetup

    return can_any(user, "view", WeekSetup)


def _staff(user) -> bool:
    return bool(roles_of(user) & {"staff", "school_admin", "district_admin"})


def _chooses(user) -> bool:
    return bool(roles_of(user) & {"student", "guardian"})


register(MenuItem("timetable_my", _("我的课表"), "timetable:my", "calendar3", _has_timetable, _("教务"), 50))
register(MenuItem("timetable_choose", _("网上选课"), "timetable:choose", "check2-square", _chooses, _("教务"), 53))
register(MenuItem("timetable_manage", _("排课管理"), "timetable:manage_index", "grid-3x3", _manages, _("教务"), 51))
register(
    MenuItem(
        "timetable_substitutions", _("调课代课"), "timetable:substitutions", "arrow-left-right", _staff, _("教务"), 52
    )
)
