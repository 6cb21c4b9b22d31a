from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "组织与身份"

    def ready(self):
        from . import permissions, signals  # noqa: F401  (registers role permissions and auth signal handlers)
