from django.apps import AppConfig


class TimetableConfig(AppConfig):
    name = "timetable"
    verbose_name = "排课与课表"

    def ready(self):
        from core.api import api, register_api_cases

        from . import menu_items, permissions, scope_cases  # noqa: F401  (registrations)
        from .api import router, timetable_api_scope_cases

        if not any(prefix == "/timetable" for prefix, _r in api._routers):
            api.add_router("/timetable", router)
        register_api_cases(timetable_api_scope_cases)

        from core.demo.generate import DEMO_HOOKS

        from .demo import timetable_demo_seed

        if timetable_demo_seed not in DEMO_HOOKS:
            DEMO_HOOKS.append(timetable_demo_seed)
