"""Read a FET file into an engine Problem."""

from __future__ import annotations

import gzip
import io
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from timetable.engine.model import Extra, Lesson, Problem, Room, Slot, StudentGroup, Teacher, Week, Weights

# Per-teacher and per-students-set limits: FET name after the prefix (see ``_limit_of``) -> (XML tag, field of
# Teacher / StudentGroup, which of two bounds is tighter).
TEACHER_LIMITS = {
    "MaxHoursDaily": ("Maximum_Hours_Daily", "max_per_day", min),
    "MaxDaysPerWeek": ("Max_Days_Per_Week", "max_days", min),
    "MaxGapsPerWeek": ("Max_Gaps", "max_gaps_per_week", min),
    "MaxGapsPerDay": ("Max_Gaps", "max_gaps_per_day", min),
    "MaxHoursContinuously": ("Maximum_Hours_Continuously", "max_consecutive_hard", min),
    "MinHoursDaily": ("Minimum_Hours_Daily", "min_per_day", max),
}
STUDENT_LIMITS = {
    "MaxHoursDaily": ("Maximum_Hours_Daily", "max_per_day", min),
    "MaxGapsPerWeek": ("Max_Gaps", "max_gaps_per_week", min),
    "MinHoursDaily": ("Minimum_Hours_Daily", "min_per_day", max),
}
# prefix -> (whose limit, for one named teacher/set or for all); longer prefixes first
LIMIT_PREFIXES = [
    ("ConstraintTeachers", "teacher", False),
    ("ConstraintTeacher", "teacher", True),
    ("ConstraintStudentsSet", "students", True),
    ("ConstraintStudents", "students", False),
]


def _limit_of(kind: str):
    """(whose, one, (tag, field, tighter)) of a FET limit constraint, or None."""
    for prefix, whose, one in LIMIT_PREFIXES:
        table = TEACHER_LIMITS if whose == "teacher" else STUDENT_LIMITS
        if kind.startswith(prefix) and kind[len(prefix) :] in table:
            return whose, one, table[kind[len(prefix) :]]
    return None


# Constraints that need no translation (always satisfied by the engine's model).
IMPLICIT = {"ConstraintBasicCompulsoryTime", "ConstraintBasicCompulsorySpace"}


@dataclass
class FetContext:
    tree: ET.ElementTree
    day_names: list[str]
    hour_names: list[str]
    activity_ids: list[str]  # active activities, in file order (= lesson ids)
    supported: Counter = field(default_factory=Counter)  # constraint type -> count applied
    unsupported: Counter = field(default_factory=Counter)  # constraint type -> count ignored
    inactive: int = 0
    institution: str = ""
    room_names: list[str] = field(default_factory=list)

    def report(self) -> str:
        """One-paragraph Chinese summary of what was imported and what was not."""
        lines = [f"活动 {len(self.activity_ids)} 个；已支持的约束：" + _fmt(self.supported)]
        if self.unsupported:
            lines.append("未支持（已忽略）的约束：" + _fmt(self.unsupported))
        if self.inactive:
            lines.append(f"停用的活动/约束 {self.inactive} 个已跳过")
        return "\n".join(lines)


def _fmt(counter: Counter) -> str:
    return "、".join(f"{k} × {v}" for k, v in sorted(counter.items())) or "无"


def _text(el: ET.Element | None, tag: str, default: str = "") -> str:
    if el is None:
        return default
    child = el.find(tag)
    # names are kept exactly as written (FET compares them verbatim, trailing tabs included)
    return child.text or "" if child is not None and child.text is not None else default


def _texts(el: ET.Element, tag: str) -> list[str]:
    return [c.text or "" for c in el.findall(tag)]


def _ids(el: ET.Element, tag: str) -> list[str]:
    return [t.strip() for t in _texts(el, tag)]


def _flag(el: ET.Element, tag: str, default: str = "false") -> bool:
    return _text(el, tag, default).strip().lower() == "true"


def _load(source: str | Path | bytes) -> ET.ElementTree:
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return ET.parse(io.BytesIO(data))  # noqa: S314 - FET files are local input


def read_fet(source: str | Path | bytes) -> tuple[Problem, FetContext]:
    tree = _load(source)
    root = tree.getroot()
    day_names = [_text(d, "Name") for d in root.findall("./Days_List/Day")]
    hour_names = [_text(h, "Name") for h in root.findall("./Hours_List/Hour")]
    day_idx = {n: i for i, n in enumerate(day_names)}
    hour_idx = {n: i for i, n in enumerate(hour_names)}
    D, P = len(day_names), len(hour_names)

    def slot(el: ET.Element, day_tag: str, hour_tag: str) -> Slot | None:
        d, h = _text(el, day_tag), _text(el, hour_tag)
        if d in day_idx and h in hour_idx:
            return (day_idx[d], hour_idx[h])
        return None

    week = Week(days=D, periods=P, morning=P, day_names=day_names)

    # teachers
    teachers: dict[str, Teacher] = {}
    for t in root.findall("./Teachers_List/Teacher"):
        name = _text(t, "Name")
        teachers[name] = Teacher(id=name, name=name)

    # students: flatten to atoms
    atoms_of: dict[str, set[str]] = defaultdict(set)
    size_of: dict[str, int] = {}
    atom_size: dict[str, int] = {}
    for year in root.findall("./Students_List/Year"):
        yname = _text(year, "Name")
        size_of[yname] = int(_text(year, "Number_of_Students", "0") or 0)
        groups = year.findall("Group")
        if not groups:
            atoms_of[yname].add(yname)
            atom_size[yname] = size_of[yname]
        for group in groups:
            gname = _text(group, "Name")
            size_of.setdefault(gname, int(_text(group, "Number_of_Students", "0") or 0))
            subs = group.findall("Subgroup")
            if not subs:
                atoms_of[gname].add(gname)
                atom_size[gname] = size_of[gname]
            for sub in subs:
                sname = _text(sub, "Name")
                size_of.setdefault(sname, int(_text(sub, "Number_of_Students", "0") or 0))
                atoms_of[sname].add(sname)
                atom_size[sname] = size_of[sname]
                atoms_of[gname].add(sname)
            atoms_of[yname] |= atoms_of[gname]
    groups: dict[str, StudentGroup] = {a: StudentGroup(id=a, name=a) for a in sorted(atom_size)}

    # rooms
    rooms: dict[str, Room] = {}
    ctx_unsupported: Counter = Counter()
    for r in root.findall("./Rooms_List/Room"):
        name = _text(r, "Name")
        if _flag(r, "Virtual"):
            ctx_unsupported["Virtual room"] += 1
        rooms[name] = Room(
            id=name, name=name, type=_text(r, "Building") or "room", capacity=int(_text(r, "Capacity", "0") or 0)
        )

    # activities
    lessons: dict[str, Lesson] = {}
    meta: dict[str, dict] = {}
    inactive = 0
    for a in root.findall("./Activities_List/Activity"):
        if not _flag(a, "Active", "true"):
            inactive += 1
            continue
        aid = _text(a, "Id").strip()
        students = _texts(a, "Students")
        atoms: set[str] = set()
        for s in students:
            atoms |= atoms_of.get(s, set())
        nstud = _text(a, "Number_Of_Students").strip()
        size = int(nstud) if nstud else sum(size_of.get(s, 0) for s in students)
        tlist = _texts(a, "Teacher")
        for t in tlist:
            teachers.setdefault(t, Teacher(id=t, name=t))
        subject = _text(a, "Subject")
        lessons[aid] = Lesson(
            id=aid,
            subject=subject,
            groups=sorted(atoms),
            teachers=tlist,
            count=1,
            duration=int(_text(a, "Duration", "1") or 1),
            size=size,
            needs_room=False,
            name=f"{subject} {'+'.join(students) or '-'} #{aid}",
        )
        meta[aid] = {
            "tags": set(_texts(a, "Activity_Tag")),
            "students": set(students),
            "group": _text(a, "Activity_Group_Id").strip(),
        }

    supported: Counter = Counter()
    unsupported: Counter = ctx_unsupported
    extras: list[Extra] = []
    same_start: list[list[str]] = []
    room_sets: dict[str, list[set[str]]] = defaultdict(list)  # activity -> preferred room sets (intersected)
    home_rooms: dict[str, list[set[str]]] = defaultdict(list)  # lower priority: only without preferred rooms
    fixed_room: dict[str, str] = {}

    def matching(el: ET.Element) -> list[str]:
        teacher, students, subject = _text(el, "Teacher_Name"), _text(el, "Students_Name"), _text(el, "Subject_Name")
        tag, duration = _text(el, "Activity_Tag_Name"), _text(el, "Duration").strip()
        out = []
        for aid, lesson in lessons.items():
            if teacher and teacher not in lesson.teachers:
                continue
            if students and students not in meta[aid]["students"]:
                continue
            if subject and subject != lesson.subject:
                continue
            if tag and tag not in meta[aid]["tags"]:
                continue
            if duration and int(duration) != lesson.duration:
                continue
            out.append(aid)
        return out

    def restrict_starts(aid: str, starts: set[Slot]) -> None:
        lesson = lessons[aid]
        lesson.allowed_starts = starts if lesson.allowed_starts is None else lesson.allowed_starts & starts

    def slots_to_starts(aid: str, allowed: set[Slot]) -> set[Slot]:
        dur = lessons[aid].duration
        return {(d, h) for d in range(D) for h in range(P) if all((d, h + k) in allowed for k in range(dur))}

    def atoms_for(name: str) -> set[str]:
        return atoms_of.get(name, set())

    time_list = root.find("Time_Constraints_List")
    space_list = root.find("Space_Constraints_List")
    constraints = list(time_list if time_list is not None else []) + list(space_list if space_list is not None else [])
    for el in constraints:
        kind = el.tag
        if not _flag(el, "Active", "true"):
            inactive += 1
            continue
        weight = float(_text(el, "Weight_Percentage", "100") or 100)
        hard = weight >= 100
        ok = True
        if kind in IMPLICIT:
            pass
        elif kind == "ConstraintBreakTimes" and hard:
            for bt in el.findall("Break_Time"):
                s = slot(bt, "Day", "Hour")
                if s:
                    week.blocked.add(s)
        elif kind == "ConstraintTeacherNotAvailableTimes" and hard:
            t = teachers.get(_text(el, "Teacher"))
            for nat in el.findall("Not_Available_Time"):
                s = slot(nat, "Day", "Hour")
                if s and t:
                    t.unavailable.add(s)
        elif kind == "ConstraintStudentsSetNotAvailableTimes" and hard:
            for nat in el.findall("Not_Available_Time"):
                s = slot(nat, "Day", "Hour")
                for a in atoms_for(_text(el, "Students")):
                    if s:
                        groups[a].unavailable.add(s)
        elif kind == "ConstraintRoomNotAvailableTimes" and hard:
            r = rooms.get(_text(el, "Room"))
            for nat in el.findall("Not_Available_Time"):
                s = slot(nat, "Day", "Hour")
                if s and r:
                    r.unavailable.add(s)
        elif kind == "ConstraintActivityPreferredStartingTime" and hard:
            aid = _text(el, "Activity_Id").strip()
            s = slot(el, "Preferred_Day", "Preferred_Hour")
            if aid in lessons and s:
                lessons[aid].fixed = [s]
            elif aid in lessons:
                d, h = _text(el, "Preferred_Day"), _text(el, "Preferred_Hour")
                if d in day_idx:
                    restrict_starts(aid, {(day_idx[d], q) for q in range(P)})
                elif h in hour_idx:
                    restrict_starts(aid, {(q, hour_idx[h]) for q in range(D)})
        elif kind == "ConstraintActivityPreferredStartingTimes" and hard:
            aid = _text(el, "Activity_Id").strip()
            starts = {
                s
                for pst in el.findall("Preferred_Starting_Time")
                if (s := slot(pst, "Preferred_Starting_Day", "Preferred_Starting_Hour"))
            }
            if aid in lessons:
                restrict_starts(aid, starts)
        elif kind == "ConstraintActivityPreferredTimeSlots" and hard:
            aid = _text(el, "Activity_Id").strip()
            allowed = {
                s for pts in el.findall("Preferred_Time_Slot") if (s := slot(pts, "Preferred_Day", "Preferred_Hour"))
            }
            if aid in lessons:
                restrict_starts(aid, slots_to_starts(aid, allowed))
        elif (
            kind in ("ConstraintActivitiesPreferredStartingTimes", "ConstraintSubactivitiesPreferredStartingTimes")
            and hard
        ):
            if kind.startswith("ConstraintSub"):
                ok = False
            else:
                starts = {
                    s
                    for pst in el.findall("Preferred_Starting_Time")
                    if (s := slot(pst, "Preferred_Starting_Day", "Preferred_Starting_Hour"))
                }
                for aid in matching(el):
                    restrict_starts(aid, starts)
        elif kind == "ConstraintActivitiesPreferredTimeSlots" and hard:
            allowed = {
                s for pts in el.findall("Preferred_Time_Slot") if (s := slot(pts, "Preferred_Day", "Preferred_Hour"))
            }
            for aid in matching(el):
                restrict_starts(aid, slots_to_starts(aid, allowed))
        elif kind == "ConstraintMinDaysBetweenActivities":
            ids = [i for i in _ids(el, "Activity_Id") if i in lessons]
            extras.append(
                Extra(
                    "min_days",
                    [(i, 0) for i in ids],
                    value=int(_text(el, "MinDays", "1") or 1),
                    weight=weight,
                    label=f"活动 {'、'.join(ids)} 至少相隔 {_text(el, 'MinDays', '1')} 天",
                    consecutive_if_same_day=_flag(el, "Consecutive_If_Same_Day"),
                )
            )
        elif kind == "ConstraintActivitiesSameStartingTime":
            ids = [i for i in _ids(el, "Activity_Id") if i in lessons]
            if hard:
                same_start.append(ids)
            else:
                extras.append(
                    Extra("same_start", [(i, 0) for i in ids], weight=weight, label=f"活动 {'、'.join(ids)} 同时开始")
                )
        elif kind == "ConstraintActivitiesNotOverlapping" and hard:
            ids = [i for i in _ids(el, "Activity_Id") if i in lessons]
            extras.append(Extra("not_overlapping", [(i, 0) for i in ids], label=f"活动 {'、'.join(ids)} 不能重叠"))
        elif kind in ("ConstraintActivityEndsStudentsDay", "ConstraintActivitiesEndStudentsDay") and hard:
            ids = [_text(el, "Activity_Id").strip()] if kind == "ConstraintActivityEndsStudentsDay" else matching(el)
            for aid in ids:
                if aid in lessons:
                    occ = [(aid, i) for i in range(lessons[aid].count)]
                    extras.append(Extra("ends_day", occ, label=f"活动 {aid} 须是学生当天最后一节"))
        elif kind == "ConstraintActivitiesOccupyMaxTimeSlotsFromSelection" and hard:
            ids = [i for i in _ids(el, "Activity_Id") if i in lessons]
            chosen = {
                s for sel in el.findall("Selected_Time_Slot") if (s := slot(sel, "Selected_Day", "Selected_Hour"))
            }
            n = int(_text(el, "Max_Number_of_Occupied_Time_Slots", "0") or 0)
            occ = [(i, k) for i in ids for k in range(lessons[i].count)]
            label = f"活动 {'、'.join(ids[:5])}{'等' if len(ids) > 5 else ''} 在所选时段中最多占 {n} 个"
            extras.append(Extra("occupy_max", occ, value=n, slots=chosen, label=label))
        elif kind == "ConstraintActivitiesSameStartingDay" and hard:
            ids = [i for i in _ids(el, "Activity_Id") if i in lessons]
            if len(ids) > 1:
                extras.append(Extra("same_day", [(i, 0) for i in ids], label=f"活动 {'、'.join(ids)} 须在同一天"))
        elif kind == "ConstraintTwoActivitiesGrouped" and hard:
            a, b = _text(el, "First_Activity_Id").strip(), _text(el, "Second_Activity_Id").strip()
            if a in lessons and b in lessons:
                extras.append(Extra("grouped", [(a, 0), (b, 0)], label=f"活动 {a} 与活动 {b} 须连排"))
        elif kind == "ConstraintTwoActivitiesConsecutive" and hard:
            a, b = _text(el, "First_Activity_Id").strip(), _text(el, "Second_Activity_Id").strip()
            if a in lessons and b in lessons:
                extras.append(Extra("consecutive", [(a, 0), (b, 0)], label=f"活动 {b} 紧接在活动 {a} 之后"))
        elif hard and (limit := _limit_of(kind)):
            # one teacher / students set (by name) or all of them; the tighter bound wins
            whose, one, (tag, attr, tighter) = limit
            n = int(_text(el, tag))
            if whose == "teacher":
                name = _text(el, "Teacher_Name")
                targets = [teachers[name]] if one and name in teachers else list(teachers.values())
            else:
                targets = [groups[a] for a in (atoms_for(_text(el, "Students")) if one else groups)]
            for t in targets:
                old = getattr(t, attr)
                setattr(t, attr, n if old is None else tighter(old, n))
                # FET's default: teachers may have empty days, students not
                if attr == "min_per_day" and not _flag(
                    el, "Allow_Empty_Days", "true" if whose == "teacher" else "false"
                ):
                    t.min_every_day = True
        elif (
            kind
            in (
                "ConstraintStudentsEarlyMaxBeginningsAtSecondHour",
                "ConstraintStudentsSetEarlyMaxBeginningsAtSecondHour",
            )
            and hard
        ):
            if int(_text(el, "Max_Beginnings_At_Second_Hour", "0") or 0) != 0:
                ok = False
            else:
                targets = atoms_for(_text(el, "Students")) if kind.startswith("ConstraintStudentsSet") else set(groups)
                for a in targets:
                    groups[a].early_start = True
        elif kind == "ConstraintActivityPreferredRoom" and hard:
            aid, room = _text(el, "Activity_Id").strip(), _text(el, "Room")
            if aid in lessons and room in rooms:
                room_sets[aid].append({room})
                if _flag(el, "Permanently_Locked"):
                    fixed_room[aid] = room
        elif kind == "ConstraintActivityPreferredRooms" and hard:
            aid = _text(el, "Activity_Id").strip()
            if aid in lessons:
                room_sets[aid].append(set(_texts(el, "Preferred_Room")))
        elif kind in ("ConstraintSubjectPreferredRoom", "ConstraintSubjectPreferredRooms") and hard:
            subj = _text(el, "Subject")
            rs = {_text(el, "Room")} if kind.endswith("Room") else set(_texts(el, "Preferred_Room"))
            for aid, lesson in lessons.items():
                if lesson.subject == subj:
                    room_sets[aid].append(rs)
        elif kind in ("ConstraintActivityTagPreferredRoom", "ConstraintActivityTagPreferredRooms") and hard:
            tag = _text(el, "Activity_Tag")
            rs = {_text(el, "Room")} if kind.endswith("Room") else set(_texts(el, "Preferred_Room"))
            for aid in lessons:
                if tag in meta[aid]["tags"]:
                    room_sets[aid].append(rs)
        elif (
            kind in ("ConstraintSubjectActivityTagPreferredRoom", "ConstraintSubjectActivityTagPreferredRooms") and hard
        ):
            tag, subj = _text(el, "Activity_Tag"), _text(el, "Subject")
            rs = {_text(el, "Room")} if kind.endswith("Room") else set(_texts(el, "Preferred_Room"))
            for aid, lesson in lessons.items():
                if tag in meta[aid]["tags"] and lesson.subject == subj:
                    room_sets[aid].append(rs)
        elif kind in ("ConstraintTeacherHomeRoom", "ConstraintTeacherHomeRooms") and hard:
            teacher = _text(el, "Teacher")
            rs = {_text(el, "Room")} if kind.endswith("Room") else set(_texts(el, "Preferred_Room"))
            # as in FET: only the activities this teacher teaches alone
            for aid, lesson in lessons.items():
                if lesson.teachers == [teacher]:
                    home_rooms[aid].append(rs)
        elif kind in ("ConstraintStudentsSetHomeRoom", "ConstraintStudentsSetHomeRooms") and hard:
            students = _text(el, "Students")
            rs = {_text(el, "Room")} if kind.endswith("Room") else set(_texts(el, "Preferred_Room"))
            # as in FET: only the activities of exactly this students set
            for aid in lessons:
                if meta[aid]["students"] == {students}:
                    home_rooms[aid].append(rs)
        else:
            ok = False
        if ok:
            supported[kind] += 1
        else:
            unsupported[kind if hard else f"{kind} (weight {weight:g}%)"] += 1

    # rooms: preferred rooms win over home rooms (as in FET); several constraints intersect
    for aid, lesson in lessons.items():
        sets = room_sets.get(aid) or home_rooms.get(aid)
        if not sets:
            continue
        allowed = set.intersection(*sets) & set(rooms)
        lesson.rooms = sorted(allowed)
        lesson.needs_room = True
        if aid in fixed_room and fixed_room[aid] in allowed:
            lesson.fixed_rooms = [fixed_room[aid]]

    # same starting time -> 走班-style blocks (union of overlapping constraints)
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent.get(a, a) != a:
            a = parent[a]
        return a

    for ids in same_start:
        for other in ids[1:]:
            ra, rb = find(ids[0]), find(other)
            if ra != rb:
                parent[rb] = ra
    for aid in parent:
        root_id = find(aid)
        lessons[aid].block = f"same-{root_id}"
        lessons[root_id].block = f"same-{root_id}"

    problem = Problem(
        week=week,
        teachers=list(teachers.values()),
        groups=list(groups.values()),
        rooms=list(rooms.values()),
        lessons=list(lessons.values()),
        weights=Weights(),
        name=_text(root, "Institution_Name"),
        extras=extras,
        native_soft=False,
    )
    context = FetContext(
        tree=tree,
        day_names=day_names,
        hour_names=hour_names,
        activity_ids=list(lessons),
        supported=supported,
        unsupported=unsupported,
        inactive=inactive,
        institution=problem.name,
        room_names=list(rooms),
    )
    return problem, context
