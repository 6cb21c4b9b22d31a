"""One way to tell people something happened (in-app first; email, SMS and webhooks by settings).

Every module calls ``notify(...)``; the delivery channels live behind it. Call it inside the service's
transaction: the messages are stored with it and delivered after commit.
"""

from __future__ import annotations

from collections.abc import Iterable


def notify(*, users: Iterable, title: str, body: str = "", url: str = "", kind: str = "", actor=None) -> int:
    """Notify ``users`` (User instances or ids). ``kind`` names the event (``"resources.review"``,
    ``"homeschool.leave"``…) so people can filter and channels can be chosen per kind. Returns how many users
    were notified."""
    # Placeholder until the notices work lands the in-app store and channels.
    return len({getattr(u, "pk", u) for u in users})
