"""Menu entries: 通知公告 (everyone: the inbox), 已发通知 (those who may send), 我的消息 (everyone),
消息投递 (district admins)."""

from django.utils.translation import gettext_lazy as _

from core.menu import MenuItem, register
from core.scope import roles_of

SENDER_ROLES = {"district_admin", "school_admin", "head_teacher", "subject_teacher"}


def _logged_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _unread_notices(user) -> int:
    from .selectors import notice_unread_count

    return notice_unread_count(user=user)


def _unread_messages(user) -> int:
    from core.notify import unread_count

    return unread_count(user)


register(
    MenuItem(
        "notices_inbox", _("通知公告"), "notices:inbox", "megaphone", _logged_in, _("家校"), 40, badge=_unread_notices
    )
)
register(
    MenuItem(
        "notices_sent",
        _("已发通知"),
        "notices:sent",
        "send-check",
        lambda u: bool(roles_of(u) & SENDER_ROLES),
        _("家校"),
        41,
    )
)
register(
    MenuItem(
        "notify_messages", _("我的消息"), "notices:messages", "bell", _logged_in, _("家校"), 42, badge=_unread_messages
    )
)
register(
    MenuItem(
        "notify_deliveries",
        _("消息投递"),
        "notices:deliveries",
        "broadcast",
        lambda u: "district_admin" in roles_of(u),
        _("系统管理"),
        95,
    )
)
