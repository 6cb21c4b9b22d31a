from django.apps import AppConfig


class RosterConfig(AppConfig):
    name = "roster"
    verbose_name = "学籍"

    def ready(self):
        from core.api import api, register_api_cases
        from core.data.loaders import register_reference_loader

        from . import (  # noqa: F401  (registrations)
            menu_items,
            page_actions,
            page_actions_changes,
            permissions,
            scope_cases,
            scope_cases_changes,
            scope_cases_placement,
            scope_cases_record,
            scope_cases_stats,
        )
        from .api import roster_api_scope_cases, router

        if not any(prefix == "/roster" for prefix, _r in api._routers):
            api.add_router("/roster", router)
        register_api_cases(roster_api_scope_cases)
        from .data.loaders import code_tables_ensure

        register_reference_loader(code_tables_ensure)

        from core.demo.generate import DEMO_HOOKS

        from .demo import roster_demo_seed

        if roster_demo_seed not in DEMO_HOOKS:
            DEMO_HOOKS.append(roster_demo_seed)
