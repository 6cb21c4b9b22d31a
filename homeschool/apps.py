from django.apps import AppConfig


class HomeschoolConfig(AppConfig):
    name = "homeschool"
    verbose_name = "家校互动"

    def ready(self):
        from core.api import api, register_api_cases

        from . import menu_items, permissions, scope_cases  # noqa: F401  (registrations)
        from .api import homeschool_api_scope_cases, router

        if not any(prefix == "/homeschool" for prefix, _r in api._routers):
            api.add_router("/homeschool", router)
        register_api_cases(homeschool_api_scope_cases)

        from core.demo.generate import DEMO_HOOKS

        from .demo import homeschool_demo_seed

        if homeschool_demo_seed not in DEMO_HOOKS:
            DEMO_HOOKS.append(homeschool_demo_seed)
