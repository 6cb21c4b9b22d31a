from django.apps import AppConfig


class RosterConfig(AppConfig):
    name = "roster"
    verbose_name = "学籍"

    def ready(self):
        from core.data.loaders import register_reference_loader

        from . import menu_items, page_actions, permissions, scope_cases  # noqa: F401  (registrations)
        from .data.loaders import code_tables_ensure

        register_reference_loader(code_tables_ensure)
