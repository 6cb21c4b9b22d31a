"""Sending the external deliveries, with retries and back-off.

``schedule_delivery(ids)`` queues the Celery task after the surrounding transaction commits. A failed attempt
records the error and sets ``next_retry_at`` (1 min, 5 min, 30 min, 2 h); after ``MAX_ATTEMPTS`` the delivery is
``failed`` and shows on the 投递失败 page, where a district admin can retry it. With a broker the retry is
queued with a countdown; in the eager (single-process) setup ``deliveries_retry_due`` picks up what is due
(``python manage.py notify_retry`` from cron, or the page's button).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (60, 300, 1800, 7200)


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1`` (attempts ≥ 1)."""
    return dt.timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


def _eager() -> bool:
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True))


def schedule_delivery(delivery_ids: list[int]) -> None:
    if not delivery_ids:
        return
    from .tasks import deliver_task

    ids = list(delivery_ids)
    transaction.on_commit(lambda: deliver_task.delay(ids))


def deliver(delivery_id: int) -> str:
    """One attempt at one pending delivery. Returns its status afterwards ("" when there was nothing to do)."""
    from core.models import Delivery, DeliveryStatus

    from .channels import CHANNELS, DeliveryError

    with transaction.atomic():
        qs = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        delivery = qs.select_for_update(skip_locked=True).first()
        if delivery is None:
            return ""
        channel = CHANNELS.get(delivery.channel)
        delivery.attempts += 1
        try:
            if channel is None:
                raise DeliveryError(f"渠道 {delivery.channel} 未配置")
            channel.send(delivery)
        except Exception as exc:
            delivery.last_error = (str(exc) or exc.__class__.__name__)[:1000]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_retry_at = None
            else:
                delivery.next_retry_at = timezone.now() + backoff(delivery.attempts)
            logger.warning("delivery %s via %s failed: %s", delivery.pk, delivery.channel, delivery.last_error)
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.next_retry_at = None
            delivery.last_error = ""
        delivery.save(update_fields=["attempts", "status", "last_error", "next_retry_at", "sent_at"])
    if delivery.status == DeliveryStatus.PENDING and not _eager():
        from .tasks import deliver_task

        delay = max(1, int((delivery.next_retry_at - timezone.now()).total_seconds()))
        deliver_task.apply_async(([delivery.pk],), countdown=delay)
    return delivery.status


def deliver_many(delivery_ids: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pk in delivery_ids:
        status = deliver(pk)
        if status:
            counts[status] = counts.get(status, 0) + 1
    return counts


def deliveries_retry_due(*, now: dt.datetime | None = None, limit: int = 5000) -> dict[str, int]:
    """Attempt the pending deliveries whose retry time has come (the cron / beat sweep)."""
    from core.models import Delivery, DeliveryStatus

    now = now or timezone.now()
    ids = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_retry_at__lte=now)
        .order_by("next_retry_at")
        .values_list("pk", flat=True)[:limit]
    )
    return deliver_many(ids)


def delivery_retry(*, actor, delivery) -> str:
    """A district admin sends a failed (or waiting) delivery again now; the attempt counter starts over."""
    from core.audit import audit_record
    from core.models import Delivery, DeliveryStatus

    if not Delivery.objects.visible_to(actor).filter(pk=delivery.pk).exists():
        raise PermissionDenied("无权重发该消息")
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).exclude(status=DeliveryStatus.SENT).update(
            status=DeliveryStatus.PENDING, attempts=0, next_retry_at=None
        )
        audit_record(
            actor=actor,
            action="notify.delivery_retry",
            object_type="core.delivery",
            object_id=str(delivery.pk),
            object_repr=f"{delivery.channel} · {delivery.title}"[:200],
            district_id=delivery.district_id,
        )
    return deliver(delivery.pk)
