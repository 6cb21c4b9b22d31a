from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = "考试与成绩"

    def ready(self):
        from core.api import api, register_api_cases

        from . import (  # noqa: F401  (registrations)
            menu_items,
            menu_items_report,
            permissions,
            scope_cases_manage,
            scope_cases_report,
        )
        from .api import exams_api_scope_cases, router

        if not any(prefix == "/exams" for prefix, _r in api._routers):
            api.add_router("/exams", router)
        register_api_cases(exams_api_scope_cases)

        from core.demo.generate import DEMO_HOOKS

        from .demo import exams_demo_seed

        if exams_demo_seed not in DEMO_HOOKS:
            DEMO_HOOKS.append(exams_demo_seed)
