"""Read the timetable FET produced (``<name>_activities.xml`` in fet-cl's output) as
engine placements, e.g. to check FET's result against our constraints with evaluate()."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from timetable.engine.model import Placement

from .reader import FetContext


def read_fet_activities(context: FetContext, path: str | Path) -> list[Placement]:
    root = ET.fromstring(Path(path).read_bytes().lstrip(b"\xef\xbb\xbf"))  # noqa: S314 - fet-cl output
    days = {n: i for i, n in enumerate(context.day_names)}
    hours = {n: i for i, n in enumerate(context.hour_names)}
    active = set(context.activity_ids)
    out = []
    for el in root.findall("Activity"):
        aid = (el.findtext("Id") or "").strip()
        day, hour = el.findtext("Day") or "", el.findtext("Hour") or ""
        if aid not in active or day not in days or hour not in hours:
            continue
        room = el.findtext("Room") or None
        out.append(Placement(aid, 0, days[day], hours[hour], room))
    return out
