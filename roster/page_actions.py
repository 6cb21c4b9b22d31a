"""学籍 buttons on core's school and class pages."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.extensions import register_page_action
from core.models import Student
from core.scope import can, can_any


def _can_export(user) -> bool:
    return can_any(user, "export", Student)


def school_actions(request, school) -> list[dict]:
    if not _can_export(request.user):
        return []
    return [
        {
            "label": _("导出学籍（教育部模板）"),
            "url": f"{reverse('roster:export_moe')}?school={school.pk}",
            "icon": "file-earmark-excel",
        },
        {
            "label": _("导出 OneRoster"),
            "url": f"{reverse('roster:export_oneroster')}?school={school.pk}",
            "icon": "filetype-csv",
        },
    ]


def class_actions(request, klass) -> list[dict]:
    if not _can_export(request.user):
        return []
    return [
        {"label": _("打印花名册"), "url": reverse("roster:class_roster_pdf", args=[klass.pk]), "icon": "printer"},
        {
            "label": _("导出学籍"),
            "url": f"{reverse('roster:export_moe')}?klass={klass.pk}",
            "icon": "file-earmark-excel",
        },
    ]


def student_actions(request, student) -> list[dict]:
    from .models import RosterChange

    if not RosterChange.objects.visible_to(request.user).filter(student=student).exists() and not can(
        request.user, "change", student
    ):
        return []
    return [
        {
            "label": _("学籍档案与异动"),
            "url": reverse("roster:student_record", args=[student.pk]),
            "icon": "journal-text",
        }
    ]


register_page_action("school_detail", school_actions)
register_page_action("student_detail", student_actions)
register_page_action("class_detail", class_actions)
