from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "通知公告"

    def ready(self):
        from core.api import api, register_api_cases

        from . import menu_items, permissions, scope_cases  # noqa: F401  (registrations)
        from .api import notices_api_scope_cases, router

        if not any(prefix == "" and r is router for prefix, r in api._routers):
            api.add_router("", router)
        register_api_cases(notices_api_scope_cases)

        from core.demo.generate import DEMO_HOOKS

        from .demo import notices_demo_seed

        if notices_demo_seed not in DEMO_HOOKS:
            DEMO_HOOKS.append(notices_demo_seed)
