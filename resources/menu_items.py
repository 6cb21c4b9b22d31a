"""Menu entries of the resource library: 资源库 (browse and search), 我的资源, 资源审核 (reviewers), 学习任务
(students and parents), 共建共享统计 (reviewers)."""

from django.utils.translation import gettext_lazy as _

from core.menu import MenuItem, register
from core.scope import can_any, roles_of


def _browses(user) -> bool:
    from .models import Resource

    return can_any(user, "view", Resource)


def _uploads(user) -> bool:
    from .models import Resource

    return can_any(user, "add", Resource)


def _reviews(user) -> bool:
    from .models import Resource

    return can_any(user, "review", Resource)


def _pushes(user) -> bool:
    return bool({"head_teacher", "subject_teacher"} & roles_of(user))


def _has_tasks(user) -> bool:
    return bool({"student", "guardian"} & roles_of(user))


# order 69 like 知识点 (same group): the entries stay together under 教学资源, in registration order
GROUP = _("教学资源")
register(MenuItem("resources_browse", _("资源库"), "resources:browse", "collection", _browses, GROUP, 69))
register(MenuItem("resources_mine", _("我的资源"), "resources:mine", "folder2-open", _uploads, GROUP, 69))
register(MenuItem("resources_review", _("资源审核"), "resources:review", "clipboard-check", _reviews, GROUP, 69))
register(MenuItem("resources_pushes", _("推送的任务"), "resources:pushes", "send", _pushes, GROUP, 69))
register(MenuItem("resources_stats", _("共建共享统计"), "resources:stats", "bar-chart", _reviews, GROUP, 69))
register(MenuItem("resources_tasks", _("我的学习任务"), "resources:my_tasks", "check2-square", _has_tasks, GROUP, 69))
