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


_ITEMS: list[MenuItem] = []


def register(item: MenuItem) -> None:
    if any(i.key == item.key for i in _ITEMS):
        return
    _ITEMS.append(item)
    _ITEMS.sort(key=lambda i: i.order)


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
                }
            )
    return out
