from django.apps import AppConfig


class OaConfig(AppConfig):
    name = "oa"
    verbose_name = "行政办公"

    def ready(self):
        pass
