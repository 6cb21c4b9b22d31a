"""The click grid of a week (one cell per day × period) shared by the pages that mark slots: the school's 不排课
时段, a teacher's 不可排/尽量不排 (set by the 教务 or, for wishes, by the teacher), a room's 不可用 and a class's 不排课
时段."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .. import selectors as sel


def slot_grid(setup, marked: set, toggle_url: str, *, blocked=None, soft=None) -> dict:
    """The click grid: ``marked`` slots (不可排 / 不可用), ``soft`` ones (尽量不排), the school's blocked ones."""
    rows = sel.week_rows(setup)
    blocked = blocked if blocked is not None else {(d, p) for d, p in setup.blocked or []}
    soft = soft or set()
    for row in rows:
        row["cells"] = [
            {
                "day": d,
                "on": (d, row["period"]) in marked,
                "soft": (d, row["period"]) in soft and (d, row["period"]) not in marked,
                "blocked": (d, row["period"]) in blocked,
            }
            for d in range(setup.days)
        ]
    return {"days": setup.day_names, "rows": rows, "toggle_url": toggle_url}


def slot_args(request) -> tuple[int, int]:
    """The clicked slot of a grid POST, or a ValidationError naming what is wrong."""
    try:
        return int(request.POST["day"]), int(request.POST["period"])
    except (KeyError, ValueError) as exc:
        raise ValidationError(_("时段不正确：星期和节次须为表格中的格子")) from exc


def error_text(exc) -> str:
    """A service's ValidationError as one line for the grid's error banner."""
    return "；".join(getattr(exc, "messages", None) or [str(exc)])
