from django.utils.translation import gettext_lazy as _

from core.menu import MenuItem, register
from core.scope import can_any

from .models import ImportJob

register(
    MenuItem(
        "roster_imports",
        _("学籍导入"),
        "roster:imports",
        "upload",
        lambda u: can_any(u, "add", ImportJob),
        _("学籍"),
        35,
    )
)
