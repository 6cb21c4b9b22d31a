from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "组织与身份"

    def ready(self):
        from . import menu_items, permissions, signals  # noqa: F401  (registers permissions, menu and signal handlers)
