from django.apps import AppConfig


class HomeschoolConfig(AppConfig):
    name = "homeschool"
    verbose_name = "家校互动"

    def ready(self):
        pass
