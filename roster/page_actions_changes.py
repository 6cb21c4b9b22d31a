"""学籍异动 buttons on core's pages (for the school's admin and the district admin): 升级与毕业, 转学审批 and
分班 on the school page, 本年级分班 on a class page."""

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
        {"label": _("分班"), "url": reverse("roster:school_placement", args=[school.pk]), "icon": "diagram-3"},
        {"label": _("转学审批"), "url": reverse("roster:transfers"), "icon": "arrow-left-right"},
    ]


def class_actions(request, klass) -> list[dict]:
    from .services import _grade_probe  # the rule cohort_place_plan enforces

    grade = klass.grade
    if (
        klass.archived_at is not None
        or grade.archived_at is not None
        or not can(request.user, "add", _grade_probe(grade))
    ):
        return []
    return [
        {
            "label": _("本年级分班"),
            "url": reverse("roster:grade_placement", args=[grade.pk]),
            "icon": "diagram-3",
        }
    ]


register_page_action("school_detail", school_actions)
register_page_action("class_detail", class_actions)
