from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "知识点"

    def ready(self):
        from core.api import api, register_api_cases

        from . import menu_items, permissions, scope_cases  # noqa: F401  (registrations)
        from .api import knowledge_api_scope_cases, router

        if not any(prefix == "/knowledge" for prefix, _r in api._routers):
            api.add_router("/knowledge", router)
        register_api_cases(knowledge_api_scope_cases)

        from core.demo.generate import DEMO_HOOKS

        from .demo import knowledge_demo_seed

        if knowledge_demo_seed not in DEMO_HOOKS:
            DEMO_HOOKS.append(knowledge_demo_seed)
