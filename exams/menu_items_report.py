"""Menu entries of the report pages: 成绩报告 for students and parents, 排名公开规则 for the district."""

from django.utils.translation import gettext_lazy as _

from core.menu import MenuItem, register
from core.scope import roles_of

register(
    MenuItem(
        "exam_reports",
        _("成绩报告"),
        "exams:my_reports",
        "file-earmark-bar-graph",
        lambda u: bool(roles_of(u) & {"guardian", "student"}),
        _("考试"),
        61,
    )
)
register(
    MenuItem(
        "exam_ranking_policy",
        _("排名公开规则"),
        "exams:ranking_policy",
        "eye-slash",
        lambda u: bool(roles_of(u) & {"district_admin", "researcher"}),
        _("考试"),
        69,
    )
)
