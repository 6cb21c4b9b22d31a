from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "resources"
    verbose_name = "教学资源库"

    def ready(self):
        from core.api import api, register_api_cases

        from . import menu_items, permissions, scope_cases  # noqa: F401  (registrations)
        from .api import resources_api_scope_cases, router

        if not any(prefix == "/resources" for prefix, _r in api._routers):
            api.add_router("/resources", router)
        register_api_cases(resources_api_scope_cases)

        from core.demo.generate import DEMO_HOOKS

        from .demo import resources_demo_seed

        if resources_demo_seed not in DEMO_HOOKS:
            DEMO_HOOKS.append(resources_demo_seed)

        try:
            from knowledge.extensions import register_node_usage
        except ImportError:  # pragma: no cover
            return
        from .views.browse import knowledge_node_usage

        register_node_usage(knowledge_node_usage)
