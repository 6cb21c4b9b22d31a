"""学籍异动 buttons on core's school page: 升级与毕业 and 转学审批 (for the school's admin and the district admin)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.extensions import register_page_action
from core.models import Student
from core.scope import can

from .models import RosterChange


def _school_admin(user, school) -> bool:
    probe = Student(district_id=school.district_id, school=school)
    return can(user, "add", RosterChange(student=probe)) and can(user, "change", probe)


def school_actions(request, school) -> list[dict]:
    if school.archived_at is not None or not _school_admin(request.user, school):
        return []
    return [
        {
            "label": _("升级与毕业"),
            "url": reverse("roster:school_promote", args=[school.pk]),
            "icon": "arrow-up-circle",
        },
        {"label": _("转学审批"), "url": reverse("roster:transfers"), "icon": "arrow-left-right"},
    ]


register_page_action("school_detail", school_actions)
