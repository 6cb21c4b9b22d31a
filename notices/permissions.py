"""Who may send and follow up notices. The district sends to schools, a school admin to the school, a 班主任 or
任课教师 to their class; ``change`` covers reminding the unread and withdrawing, ``export`` the 回执 Excel.
Recipients read their own rows (``NoticeRecipient.objects.visible_to`` is the user's own), not through grants."""

from core.scope import register_permissions

SENDER = {"view", "add", "change", "export"}
for role in ("district_admin", "school_admin", "head_teacher", "subject_teacher"):
    register_permissions(role, "notices.notice", SENDER)
