"""Menu entry of the knowledge module (registered in KnowledgeConfig.ready): 知识点 for everyone who may view
the district's tree (staff and students)."""

from django.utils.translation import gettext_lazy as _

from core.menu import MenuItem, register
from core.scope import can_any


def _sees_knowledge(user) -> bool:
    from .models import KnowledgeNode

    return can_any(user, "view", KnowledgeNode)


register(MenuItem("knowledge", _("知识点"), "knowledge:index", "diagram-3", _sees_knowledge, _("教学资源"), 69))
