"""Extension points: modules add buttons to core's pages without core knowing about them.

    register_page_action("class_detail", fn)   # fn(request, obj) -> list of {"label", "url", "icon", "style"}

Core's detail views call ``page_actions(name, request, obj)``; each function decides (by scope) what to offer.
"""

from collections.abc import Callable

_ACTIONS: dict[str, list[Callable]] = {}


def register_page_action(page: str, fn: Callable) -> None:
    fns = _ACTIONS.setdefault(page, [])
    if fn not in fns:
        fns.append(fn)


def page_actions(page: str, request, obj) -> list[dict]:
    out: list[dict] = []
    for fn in _ACTIONS.get(page, []):
        out.extend(fn(request, obj))
    return out
