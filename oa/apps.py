from django.apps import AppConfig


class OaConfig(AppConfig):
    name = "oa"
    verbose_name = "行政办公"

    def ready(self):
        from core.api import api, register_api_cases

        from . import menu_items, permissions, scope_cases  # noqa: F401  (registrations)
        from .api import oa_api_scope_cases, router

        if not any(prefix == "/oa" for prefix, _r in api._routers):
            api.add_router("/oa", router)
        register_api_cases(oa_api_scope_cases)

        from core.demo.generate import DEMO_HOOKS

        from .demo import oa_demo_seed

        if oa_demo_seed not in DEMO_HOOKS:
            DEMO_HOOKS.append(oa_demo_seed)
