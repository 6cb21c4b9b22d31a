"""Celery tasks of core.notify (registered through ``notices.tasks``, which Celery autodiscovers)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="notify.deliver")
def deliver_task(delivery_ids: list[int]) -> dict[str, int]:
    from .delivery import deliver_many

    return deliver_many(list(delivery_ids))


@shared_task(name="notify.retry_due")
def retry_due_task() -> dict[str, int]:
    from .delivery import deliveries_retry_due

    return deliveries_retry_due()
