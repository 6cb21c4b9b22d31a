"""One way to tell people something happened (in-app first; email, SMS and webhooks by settings).

Every module calls ``notify(...)``; the delivery channels live behind it. Call it inside the service's
transaction: the messages are stored with it and delivered after commit.

* in-app: one ``Notification`` row per user (written in bulk, COPY on PostgreSQL), shown in 我的消息 with an
  unread count; ``notification_mark_read`` / ``notifications_mark_all_read`` are idempotent;
* external channels (``core.notify.channels``): one ``Delivery`` row per (user, configured channel the user has
  an address for), sent by a Celery task after commit and retried with back-off (``core.notify.delivery``);
  failures are listed for district admins with a retry button.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

MAX_TITLE = 200


def _user_ids(users: Iterable) -> list[int]:
    seen: dict[int, None] = {}
    for u in users:
        pk = getattr(u, "pk", u)
        if pk is not None:
            seen[int(pk)] = None
    return list(seen)


def _safe_url(url: str) -> str:
    """Only same-site paths: a notification link can never send someone to another site."""
    url = (url or "").strip()
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else ""


def _district_of(actor, first_user_id: int | None) -> int | None:
    from core.scope import grants_for

    for who in (actor, None):
        if who is None and first_user_id is not None:
            from core.models import User

            who = User.objects.filter(pk=first_user_id).first()
        grants = grants_for(who) if who is not None else []
        if grants:
            return grants[0].district_id
    return None


def notify(
    *,
    users: Iterable,
    title: str,
    body: str = "",
    url: str = "",
    kind: str = "",
    actor=None,
    channels: Iterable[str] | None = None,
    in_app: bool = True,
) -> int:
    """Notify ``users`` (User instances or ids). ``kind`` names the event (``"resources.review"``,
    ``"homeschool.leave"``…) so people can filter and channels can be chosen per kind. ``channels`` limits the
    external channels (default: every configured one); ``in_app=False`` skips the inbox row (for modules that
    keep their own inbox, such as 通知公告); without ``channels``, ``settings.ZX_NOTIFY_KIND_CHANNELS`` may choose
    them per kind. Returns how many users were notified."""
    from core.models import Delivery, Notification

    from .channels import active_channels
    from .delivery import schedule_delivery

    ids = _user_ids(users)
    if not ids:
        return 0
    if channels is None:
        channels = channels_for_kind(kind)
    title = (title or "").strip()[:MAX_TITLE]
    url = _safe_url(url)
    now = timezone.now()
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        notification_ids: dict[int, int] = {}
        if in_app:
            from core.bulk import bulk_insert_rows

            rows = [
                {
                    "user_id": uid,
                    "title": title,
                    "body": body,
                    "url": url,
                    "kind": kind,
                    "actor_id": actor_id,
                    "created_at": now,
                }
                for uid in ids
            ]
            notification_ids = dict(zip(ids, bulk_insert_rows(Notification, rows), strict=True))
        deliveries = []
        channel_list = active_channels(channels)
        district_id = _district_of(actor, ids[0]) if channel_list else None
        for channel in channel_list:
            for uid, address in channel.addresses(ids).items():
                deliveries.append(
                    Delivery(
                        notification_id=notification_ids.get(uid),
                        user_id=uid,
                        district_id=district_id,
                        channel=channel.name,
                        address=address[:200],
                        title=title,
                        body=body,
                        url=url,
                        kind=kind,
                        created_at=now,
                    )
                )
        if deliveries:
            Delivery.objects.bulk_create(deliveries, batch_size=2000)
            schedule_delivery([d.pk for d in deliveries])
    return len(ids)


def channels_for_kind(kind: str) -> list[str] | None:
    """The external channels configured for ``kind`` by ``settings.ZX_NOTIFY_KIND_CHANNELS`` (``{"notices.remind":
    ["sms", "wecom"], "homeschool.": ["email"]}``: exact kind first, then the longest matching prefix); None
    means every configured channel."""
    from django.conf import settings

    table = getattr(settings, "ZX_NOTIFY_KIND_CHANNELS", None) or {}
    if kind in table:
        return list(table[kind])
    prefixes = [p for p in table if p.endswith(".") and kind.startswith(p)]
    return list(table[max(prefixes, key=len)]) if prefixes else None


def unread_count(user) -> int:
    from core.models import Notification

    return Notification.objects.visible_to(user).unread().count()


def notification_mark_read(*, actor, notification_id: int) -> bool:
    """Mark one of the actor's own notifications read. Idempotent (True when it was unread)."""
    from core.models import Notification

    qs = Notification.objects.visible_to(actor).filter(pk=notification_id, read_at__isnull=True)
    return qs.update(read_at=timezone.now()) > 0


def notifications_mark_all_read(*, actor) -> int:
    from core.models import Notification

    return Notification.objects.visible_to(actor).unread().update(read_at=timezone.now())


__all__ = ["notification_mark_read", "notifications_mark_all_read", "notify", "unread_count"]
