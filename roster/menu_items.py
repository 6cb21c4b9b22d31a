from django.utils.translation import gettext_lazy as _

from core.menu import MenuItem, register
from core.scope import can_any

from .models import ImportJob, RosterChange, admin_nodes

register(
    MenuItem(
        "roster_imports",
        _("学籍导入"),
        "roster:imports",
        "upload",
        lambda u: can_any(u, "add", ImportJob),
        _("学籍"),
        55,
    )
)
register(
    MenuItem(
        "roster_transfers",
        _("转学审批"),
        "roster:transfers",
        "arrow-left-right",
        lambda u: any(admin_nodes(u, "view")),
        _("学籍"),
        56,
    )
)
register(
    MenuItem(
        "roster_dropouts",
        _("控辍保学"),
        "roster:dropouts",
        "person-exclamation",
        lambda u: can_any(u, "change", RosterChange),
        _("学籍"),
        57,
    )
)


def _stats_allowed(user) -> bool:
    from .views.stats import stats_allowed

    return stats_allowed(user)


register(MenuItem("roster_stats", _("学籍统计"), "roster:stats", "bar-chart", _stats_allowed, _("学籍"), 58))
