"""Write a solution back into the FET file with locked times and rooms."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path

from timetable.engine.model import Solution

from .reader import FetContext

LOCK_TIME = "ConstraintActivityPreferredStartingTime"
LOCK_ROOM = "ConstraintActivityPreferredRoom"


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = ET.SubElement(parent, tag)
    el.text = text
    return el


def _finish(el: ET.Element) -> None:
    el.tail = "\n"
    for child in el:
        child.tail = "\n\t"
    if len(el):
        el[-1].tail = "\n"
    el.text = "\n\t"


def write_fet(context: FetContext, solution: Solution, path: str | Path) -> int:
    """Write ``solution`` into a copy of the imported file at ``path``.

    Every placed activity gets a locked starting time (weight 100) and, when it has a
    room, a locked preferred room; earlier locks of those activities are replaced.
    Returns the number of activities locked.
    """
    tree = copy.deepcopy(context.tree)
    root = tree.getroot()
    placed = {pl.lesson_id: pl for pl in solution.placements}
    time_list = root.find("Time_Constraints_List")
    if time_list is None:
        time_list = ET.SubElement(root, "Time_Constraints_List")
    space_list = root.find("Space_Constraints_List")
    if space_list is None:
        space_list = ET.SubElement(root, "Space_Constraints_List")
    # drop the old single-activity locks of the activities we place (they would duplicate ours)
    for parent, tag in ((time_list, LOCK_TIME), (space_list, LOCK_ROOM)):
        for el in list(parent.findall(tag)):
            aid = (el.findtext("Activity_Id") or "").strip()
            if aid not in placed:
                continue
            if tag == LOCK_ROOM and not placed[aid].room_id:
                continue
            parent.remove(el)
    for aid in context.activity_ids:
        pl = placed.get(aid)
        if pl is None:
            continue
        el = ET.SubElement(time_list, LOCK_TIME)
        _sub(el, "Weight_Percentage", "100")
        _sub(el, "Activity_Id", aid)
        _sub(el, "Preferred_Day", context.day_names[pl.day])
        _sub(el, "Preferred_Hour", context.hour_names[pl.period])
        _sub(el, "Permanently_Locked", "true")
        _sub(el, "Active", "true")
        _sub(el, "Comments", "")
        _finish(el)
        if pl.room_id:
            el = ET.SubElement(space_list, LOCK_ROOM)
            _sub(el, "Weight_Percentage", "100")
            _sub(el, "Activity_Id", aid)
            _sub(el, "Room", pl.room_id)
            _sub(el, "Permanently_Locked", "true")
            _sub(el, "Active", "true")
            _sub(el, "Comments", "")
            _finish(el)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as fh:
        fh.write(b'<?xml version="1.0" encoding="UTF-8"?>\n\n')
        tree.write(fh, encoding="utf-8", xml_declaration=False)
        fh.write(b"\n")
    return len(placed)
