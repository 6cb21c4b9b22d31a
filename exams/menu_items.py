"""Menu entries of the exams module (registered in ExamsConfig.ready): 考试管理 for the staff who can see exams."""

from django.utils.translation import gettext_lazy as _

from core.menu import MenuItem, register
from core.scope import can_any


def _sees_exams(user) -> bool:
    from .models import Exam

    return can_any(user, "view", Exam)


register(MenuItem("exams_manage", _("考试管理"), "exams:exam_list", "journal-check", _sees_exams, _("考试"), 60))
