"""Left menu: modules register entries; a user sees an entry only when it is visible to them."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url_name: str
    icon: str
    visible: Callable
    group: str = ""
    order: int = 100
    badge: Callable | None = None  # user -> int (unread, pending…), shown next to the label when > 0


_ITEMS: list[MenuItem] = []


def register(item: MenuItem) -> None:
    if any(i.key == item.key for i in _ITEMS):
        return
    _ITEMS.append(item)
    # a group's entries stay together (the menu shows each group heading once), groups in the order of
    # their first entry, entries by their own order inside the group
    first = {}
    for i in sorted(_ITEMS, key=lambda i: i.order):
        first.setdefault(i.group, i.order)
    _ITEMS.sort(key=lambda i: (first[i.group], i.order))


def menu_for(request) -> list[dict]:
    path = request.path
    out = []
    for item in _ITEMS:
        if item.visible(request.user):
            url = reverse(item.url_name)
            active = path == url if url == "/" else path.startswith(url)
            out.append(
                {
                    "key": item.key,
                    "label": item.label,
                    "url": url,
                    "icon": item.icon,
                    "group": item.group,
                    "active": active,
                    "badge": item.badge(request.user) if item.badge else 0,
                }
            )
    return out
