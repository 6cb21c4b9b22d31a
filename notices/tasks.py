"""Celery tasks of the notices app (autodiscovered as ``notices.tasks``); importing ``core.notify.tasks`` here
registers the shared notification tasks with the worker too."""

from __future__ import annotations

import logging

from celery import shared_task

from core.notify.tasks import deliver_task, retry_due_task  # noqa: F401  (registration)

logger = logging.getLogger(__name__)


@shared_task(name="notices.fanout")
def fanout_task(notice_id: int) -> int:
    """Write the recipients, then push the notice through the external channels if it is already published
    (a scheduled one is pushed by ``publish_due_task`` / eta)."""
    from django.conf import settings
    from django.utils import timezone

    from .models import Notice
    from .services import notice_fanout, recipients_analyze

    n = notice_fanout(notice_id=notice_id)
    recipients_analyze(count=n)
    notice = Notice.objects.filter(pk=notice_id).only("publish_at").first()
    if notice is None:
        return n
    if notice.publish_at <= timezone.now():
        push_task.delay(notice_id)
    elif not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True):
        push_task.apply_async((notice_id,), eta=notice.publish_at)
    return n


@shared_task(name="notices.push")
def push_task(notice_id: int) -> int:
    from .services import notice_push

    return notice_push(notice_id=notice_id)


@shared_task(name="notices.publish_due")
def publish_due_task() -> int:
    from .services import notices_publish_due

    return notices_publish_due()
