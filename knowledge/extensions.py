"""Extension point for the modules that tag their rows with knowledge points (resources, item bank, homework,
mastery, exam 小题). Each registers, in its AppConfig.ready(), a function

    fn(request, node) -> list[{"label": str, "count": int, "url": str}]

returning what the requesting user may see of its rows tagged with ``node`` (already scoped to
``request.user``). The node detail page lists every entry with a count above zero."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

NodeUsageFn = Callable[..., list[dict]]
_USAGE: list[NodeUsageFn] = []


def register_node_usage(fn: NodeUsageFn) -> None:
    if fn not in _USAGE:
        _USAGE.append(fn)


def node_usage(request, node) -> list[dict]:
    """Every registered module's entries for ``node``. A failing module is logged and skipped, so one broken
    extension never takes the knowledge-point page down."""
    rows: list[dict] = []
    for fn in _USAGE:
        try:
            for entry in fn(request, node) or []:
                if entry.get("count"):
                    rows.append(
                        {"label": str(entry["label"]), "count": int(entry["count"]), "url": entry.get("url", "")}
                    )
        except Exception:
            log.exception("knowledge node usage extension %r failed", fn)
    return rows
