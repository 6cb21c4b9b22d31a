"""Celery app. Tasks run eagerly unless CELERY_BROKER_URL is configured (see settings)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhixiao.settings")

app = Celery("zhixiao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
