"""Timetable reads. Every query starts from ``visible_to``: versions through the school, lessons through the
class, 调课/代课 through the school and class. Grids are plain dicts for the templates, the PDF, Excel and ICS."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import Class, Person, School, StaffPost, TeachingAssignment
from core.scope import can, grants_for

from .checks import ENTRY_FIELDS
from .models import (
    Room,
    Substitution,
    SubstitutionKind,
    SubstitutionStatus,
    TeachingGroup,
    Timetable,
    TimetableEntry,
    TimetableStatus,
    WeekSetup,
)
from .problem import week_setup_for

WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def managed_schools(user):
    """Schools whose timetables ``user`` sets up (school admins: theirs; nobody else)."""
    schools = School.objects.visible_to(user).filter(archived_at__isnull=True)
    return [s for s in schools if can(user, "add", Timetable(school=s))]


def viewable_schools(user):
    """Schools whose versions and setup ``user`` may read as a manager (school and district admins)."""
    return [s for s in School.objects.visible_to(user).filter(archived_at__isnull=True) if can_view_setup(user, s)]


def can_view_setup(user, school) -> bool:
    return can(user, "view", WeekSetup(school=school))


def version_in_force(qs, on: dt.date | None):
    """Of the published versions in ``qs`` (current and replaced ones), the one in force on ``on``: the latest
    effective date not after it; before the first one takes effect, the current published version."""
    qs = qs.filter(published_at__isnull=False, status__in=[TimetableStatus.PUBLISHED, TimetableStatus.ARCHIVED])
    on = on or timezone.localdate()
    in_force = qs.filter(effective_from__lte=on).order_by("-effective_from", "-published_at").first()
    return in_force or qs.filter(status=TimetableStatus.PUBLISHED).first()


def published_timetable(*, user, school_id: int, on: dt.date | None = None) -> Timetable | None:
    """The version of a school in force on ``on`` (default today) that ``user`` can see."""
    qs = Timetable.objects.visible_to(user).filter(school_id=school_id).select_related("school", "term")
    return version_in_force(qs, on)


def own_lesson_targets(user) -> list[dict]:
    """The timetables whose lessons are the user's own: a teacher's own lessons, a student's or a parent's
    children's classes (not the classes a teacher teaches or leads: their lessons would come twice)."""
    return [t for t in my_targets(user) if t["kind"] == "teacher" or t.get("role") in ("student", "guardian")]


def my_targets(user) -> list[dict]:
    """What "我的课表" shows: a teacher's own timetable, the classes of a student or a parent's children, the
    class a teacher leads. ``[{"kind": "teacher"|"class", "id", "label", "school_id"}]``."""
    out: list[dict] = []
    seen = set()
    person = getattr(user, "person", None)
    grants = grants_for(user)
    if person is not None:
        schools = StaffPost.objects.filter(person=person, archived_at__isnull=True).values_list("school_id", flat=True)
        for school_id in sorted(set(schools)):
            key = ("teacher", person.pk, school_id)
            if key not in seen:
                seen.add(key)
                out.append(
                    {
                        "kind": "teacher",
                        "id": person.pk,
                        "label": _("%(name)s（我的课表）") % {"name": person.name},
                        "school_id": school_id,
                    }
                )
    klass_roles = {"student", "guardian", "head_teacher", "subject_teacher"}
    class_ids = [g.klass_id for g in grants if g.role in klass_roles and g.klass_id]
    names = {}
    if class_ids:
        for c in Class.objects.filter(pk__in=class_ids).select_related("grade"):
            names[c.pk] = c
    for g in grants:
        if g.role in klass_roles and g.klass_id and ("class", g.klass_id) not in seen and g.klass_id in names:
            seen.add(("class", g.klass_id))
            c = names[g.klass_id]
            out.append({"kind": "class", "id": c.pk, "label": c.name, "school_id": c.school_id, "role": g.role})
    return out


# --- grids ------------------------------------------------------------------------------------------------


def week_rows(setup: WeekSetup) -> list[dict]:
    """The rows of a week grid: period number, times, and the separators (午休, 大课间) after it."""
    rows = []
    breaks = {int(b) for b in setup.breaks_after or []}
    for p in range(setup.periods):
        start, end = setup.period_time(p)
        rows.append(
            {
                "period": p,
                "label": p + 1,
                "start": start,
                "end": end,
                "lunch_after": p + 1 == setup.morning and setup.morning < setup.periods,
                "break_after": (p + 1) in breaks,
            }
        )
    return rows


def _item(
    e: TimetableEntry, *, first: bool = True, badge: str = "", note: str = "", teacher=None, change: str = ""
) -> dict:
    teacher = teacher if teacher is not None else e.teacher
    return {
        "id": e.pk,
        "subject": e.subject.name,
        "klass": e.klass.name,
        "klass_id": e.klass_id,
        "teacher": teacher.name if teacher else "",
        "teacher_id": teacher.pk if teacher else None,
        "room": e.room.name if e.room_id else "",
        "length": e.length,
        "locked": e.locked,
        "first": first,
        "badge": badge,
        "change": change,  # "substitute" / "swap" when an approved 调课/代课 applies this week
        "note": note,
        "day": e.day,
        "period": e.period,
        "parallel_key": e.parallel_key,
        "group_id": e.teaching_group_id,
    }


def parallel_merge(timetable: Timetable, items: list[dict], *, show: str, mine: set[int] | None = None) -> list[dict]:
    """Fold the rows of one 合班/走班 occurrence into one grid item. In a class's grid a 合班 is marked “合班” with
    the other classes named, and a 走班 block shows “走班：<block>” with every group, teacher and room, or, for a
    viewer whose student is in ``mine`` (teaching group ids), only that group; in a teacher's or a room's grid
    the item names the classes (and the teaching group) taught."""
    parallel = [it for it in items if it.get("parallel_key")]
    if not parallel:
        return items
    keys = {it["parallel_key"] for it in parallel}
    rows = (
        TimetableEntry.objects.filter(timetable=timetable, parallel_key__in=keys)
        .select_related("klass__grade", "subject", "teacher", "room")
        .only(*ENTRY_FIELDS)
        .order_by("klass__grade__stage", "-klass__grade__entry_year", "klass__number", "teaching_group_id")
    )
    classes: dict[tuple, list[str]] = defaultdict(list)  # (key, group or None) -> class names
    members: dict[str, list] = defaultdict(list)
    for e in rows:
        for k in ((e.parallel_key, None), (e.parallel_key, e.teaching_group_id)):
            if e.klass.name not in classes[k]:
                classes[k].append(e.klass.name)
        members[e.parallel_key].append(e)
    names = {
        g.pk: (g.name, g.block.name)
        for g in TeachingGroup.objects.filter(
            pk__in={it["group_id"] for it in parallel if it["group_id"]}
        ).select_related("block")
    }
    for e in rows:
        if e.teaching_group_id and e.teaching_group_id not in names:
            names[e.teaching_group_id] = ("", "")
    # a 代课 of one teaching group shows on that group's line of the block
    substituted = {(it["parallel_key"], it["group_id"]): it for it in parallel if it.get("change") == "substitute"}
    by_unit: dict[tuple, dict] = {}
    out = []
    for it in items:
        key = it.get("parallel_key")
        if not key:
            out.append(it)
            continue
        unit = (key, it["first"]) if show == "class" else (key, it["group_id"], it["first"])
        merged = by_unit.get(unit)
        if merged is not None:
            merged["ids"].append(it["id"])
            continue
        merged = {**it, "ids": [it["id"]]}
        by_unit[unit] = merged
        out.append(merged)
        elective = any(e.teaching_group_id for e in members[key]) or key.startswith("b")
        if not elective:
            merged["parallel"] = "combined"
            all_classes = classes[(key, None)]
            if show == "class":
                others = [n for n in all_classes if n != it["klass"]]
                merged["with"] = _("与%(classes)s合班") % {"classes": "、".join(others)} if others else ""
            else:
                merged["klass"] = "、".join(all_classes)
            continue
        merged["parallel"] = "elective"
        group_name, block_name = names.get(it["group_id"], ("", ""))
        merged["block"] = block_name or _("走班")
        if show == "class":
            merged["subject"] = _("走班：%(name)s") % {"name": merged["block"]}
            groups, seen = [], set()
            for e in members[key]:
                if e.teaching_group_id in seen:
                    continue
                seen.add(e.teaching_group_id)
                change = substituted.get((key, e.teaching_group_id))
                groups.append(
                    {
                        "id": e.teaching_group_id,
                        "name": names.get(e.teaching_group_id, ("", ""))[0] or e.subject.name,
                        "subject": e.subject.name,
                        "teacher": change["teacher"] if change else (e.teacher.name if e.teacher_id else ""),
                        "room": e.room.name if e.room_id else "",
                        "note": change["note"] if change else "",
                    }
                )
            own = [g for g in groups if g["id"] in (mine or ())]
            if own:  # the student's own group: its subject, teacher and room, as an ordinary lesson reads
                groups = own
            notes = [f"{g['name']}：{g['note']}" for g in groups if g["note"]]
            merged["badge"] = _("代") if notes else ""
            merged["change"] = "substitute" if notes else ""
            merged["note"] = "；".join(notes)
            merged["groups"] = groups
            merged["teacher"] = ""
            merged["room"] = ""
            merged["title"] = "；".join(" ".join(x for x in (g["name"], g["teacher"], g["room"]) if x) for g in groups)
            if own and len(own) == 1:
                g = own[0]
                merged.update(
                    mine=True,
                    subject=g["name"],
                    teacher=g["teacher"],
                    room=g["room"],
                    groups=[],
                    title=_("走班：%(name)s") % {"name": merged["block"]},
                )
        else:
            label = group_name or it["subject"]
            merged["klass"] = f"{label}（{'、'.join(classes[(key, it['group_id'])])}）"
    return out


def grid_build(setup: WeekSetup, items: list[dict]) -> dict:
    """``{"days": [...], "rows": [{..., "cells": [[item, ...] per day]}]}``; a 连堂 shows in both periods."""
    cells: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for it in items:
        for k in range(it["length"]):
            cells[(it["day"], it["period"] + k)].append(it if k == 0 else {**it, "first": False})
    blocked = {(d, p) for d, p in setup.blocked or []}
    rows = week_rows(setup)
    for row in rows:
        row["cells"] = [
            {"day": d, "items": cells.get((d, row["period"]), []), "blocked": (d, row["period"]) in blocked}
            for d in range(setup.days)
        ]
    return {"days": setup.day_names, "rows": rows}


def entry_teaching_rows(entry: TimetableEntry) -> list[TimetableEntry]:
    """The rows one teacher teaches as the lesson of ``entry``: every class of its 合班, the classes of its 走班
    teaching group (not the other groups of the block), or the entry alone. A 代课 covers all of them."""
    if not entry.parallel_key:
        return [entry]
    return list(
        TimetableEntry.objects.filter(
            timetable_id=entry.timetable_id,
            parallel_key=entry.parallel_key,
            teaching_group_id=entry.teaching_group_id,
        )
        .select_related("klass__grade", "klass__head_teacher")
        .order_by("klass__grade__stage", "-klass__grade__entry_year", "klass__number")
    )


def substitutions_cover(timetable: Timetable, subs: list[Substitution]) -> list[Substitution]:
    """Sets ``covered`` on each of ``subs``: the ids of the rows it applies to (a 代课 of a 合班 or of a 走班
    teaching group covers all their classes' rows; see ``entry_teaching_rows``). One query for all of them."""
    keys = {s.entry.parallel_key for s in subs if s.kind == SubstitutionKind.SUBSTITUTE and s.entry.parallel_key}
    rows: dict[tuple, list[int]] = defaultdict(list)
    if keys:
        for pk, key, group_id in TimetableEntry.objects.filter(timetable=timetable, parallel_key__in=keys).values_list(
            "pk", "parallel_key", "teaching_group_id"
        ):
            rows[(key, group_id)].append(pk)
    for s in subs:
        e = s.entry
        unit = (e.parallel_key, e.teaching_group_id)
        s.covered = rows[unit] if s.kind == SubstitutionKind.SUBSTITUTE and unit in rows else [e.pk]
    return subs


def substitutions_label_classes(subs: list[Substitution]) -> list[Substitution]:
    """Sets ``classes`` on each of ``subs``: the classes it is for, as a list reads them (“七年级（1）班、七年级（2）
    班” for a 代课 of a 合班 or a 走班 teaching group, otherwise its own class). One query for the whole list."""
    parallel = [s for s in subs if s.kind == SubstitutionKind.SUBSTITUTE and s.entry.parallel_key]
    names: dict[tuple, list[str]] = defaultdict(list)
    if parallel:
        rows = (
            TimetableEntry.objects.filter(
                timetable_id__in={s.entry.timetable_id for s in parallel},
                parallel_key__in={s.entry.parallel_key for s in parallel},
            )
            .select_related("klass__grade")
            .order_by("klass__grade__stage", "-klass__grade__entry_year", "klass__number")
        )
        for e in rows:
            names[(e.timetable_id, e.parallel_key, e.teaching_group_id)].append(e.klass.name)
    for s in subs:
        e = s.entry
        classes = names.get((e.timetable_id, e.parallel_key, e.teaching_group_id)) if s in parallel else None
        s.classes = "、".join(dict.fromkeys(classes)) if classes else s.klass.name
    return subs


def _week_substitutions(timetable: Timetable, monday: dt.date | None):
    if monday is None:
        return []
    subs = Substitution.objects.filter(
        entry__timetable=timetable,
        status=SubstitutionStatus.APPROVED,
        date__gte=monday,
        date__lt=monday + dt.timedelta(days=7),
    ).select_related("substitute", "swap_entry", "entry", "original_teacher")
    return substitutions_cover(timetable, list(subs))


def _apply_week(entries: list[TimetableEntry], subs: list[Substitution], extra: dict[int, TimetableEntry]):
    """Items of ``entries`` for one week with the approved 调课/代课 applied."""
    by_entry = {}
    for s in subs:
        for pk in getattr(s, "covered", [s.entry_id]):
            by_entry[pk] = s
        if s.kind == SubstitutionKind.SWAP and s.swap_entry_id:
            by_entry[s.swap_entry_id] = s
    items = []
    for e in entries:
        s = by_entry.get(e.pk)
        if s is None:
            items.append(_item(e))
        elif s.kind == SubstitutionKind.SUBSTITUTE:
            items.append(
                _item(
                    e,
                    badge=_("代"),
                    note=f"{s.original_teacher.name}→{s.substitute.name}",
                    teacher=s.substitute,
                    change="substitute",
                )
            )
        else:
            other = s.swap_entry if e.pk == s.entry_id else s.entry
            note = _("与%(day)s第%(p)s节对调") % {"day": WEEKDAYS[other.day], "p": other.period + 1}
            it = _item(e, badge=_("调"), note=note, change="swap")
            it["day"], it["period"] = other.day, other.period
            items.append(it)
    return items


def class_grid(*, user, timetable: Timetable, klass: Class, monday: dt.date | None = None) -> dict:
    setup = week_setup_for(timetable.school)
    entries = list(
        TimetableEntry.objects.visible_to(user)
        .filter(timetable=timetable, klass=klass)
        .select_related("subject", "teacher", "room", "klass__grade")
        .only(*ENTRY_FIELDS)
    )
    items = _apply_week(entries, _week_substitutions(timetable, monday), {})
    return grid_build(setup, parallel_merge(timetable, items, show="class", mine=viewer_groups(user, klass.pk)))


def viewer_groups(user, klass_id: int) -> set[int]:
    """The 走班 teaching groups of the user's own student record, or of their children, in that class: a student's
    or a parent's timetable shows that group (subject, teacher, room) instead of the whole block."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return set()
    from core.models import Student

    students = Student.objects.filter(klass_id=klass_id).filter(
        Q(person_id=person_id) | Q(guardianships__guardian_id=person_id)
    )
    return set(
        TeachingGroup.students.through.objects.filter(student__in=students).values_list("teachinggroup_id", flat=True)
    )


def group_students(group: TeachingGroup) -> list:
    """A teaching group's 名单, by class and 班内学号."""
    return list(
        group.students.select_related("person", "klass__grade").order_by(
            "klass__grade__stage", "-klass__grade__entry_year", "klass__number", "class_no", "id"
        )
    )


def elective_offers(user, *, now=None) -> list[dict]:
    """网上选课 for the user's own student record and their children: one entry per (student, block with a 选课
    window) — ``{"student", "block", "state": soon|open|closed, "mine": group id or None, "groups": [{"group",
    "taken", "seats", "full", "mine"}]}``; only the groups the student's class may join."""
    from core.models import Student
    from core.models.people import StudentStatus

    from .models import ElectiveBlock

    pid = getattr(user, "person_id", None)
    if not pid:
        return []
    now = now or timezone.now()
    students = (
        Student.objects.filter(Q(person_id=pid) | Q(guardianships__guardian_id=pid), status=StudentStatus.ENROLLED)
        .select_related("person", "klass__grade")
        .distinct()
        .order_by("pk")
    )
    out = []
    for st in students:
        blocks = ElectiveBlock.objects.filter(
            choose_from__isnull=False, school_id=st.school_id, groups__classes=st.klass_id
        ).distinct()
        for block in blocks:
            groups = list(
                block.groups.filter(classes=st.klass_id)
                .select_related("subject", "teacher", "room")
                .annotate(taken=Count("students", distinct=True))
                .order_by("name")
            )
            mine = (
                TeachingGroup.students.through.objects.filter(student_id=st.pk, teachinggroup__block=block)
                .values_list("teachinggroup_id", flat=True)
                .first()
            )
            rows = []
            for g in groups:
                seats = g.seats
                rows.append(
                    {
                        "group": g,
                        "taken": g.taken,
                        "seats": seats,
                        "full": seats is not None and g.taken >= seats,
                        "mine": g.pk == mine,
                    }
                )
            out.append(
                {"student": st, "block": block, "state": block.choosing_state(now), "mine": mine, "groups": rows}
            )
    return out


def teacher_groups(person_id: int, school_id: int) -> list[TeachingGroup]:
    """The 走班 teaching groups a teacher teaches at a school, with ``n_students`` (for 我的课表's 名单 links)."""
    return list(
        TeachingGroup.objects.filter(teacher_id=person_id, block__school_id=school_id)
        .select_related("block")
        .annotate(n_students=Count("students"))
        .order_by("block__name", "name")
    )


def group_for_roster(user, pk: int) -> TeachingGroup | None:
    """A teaching group whose 名单 ``user`` may read: its teacher, or whoever may read the school's 排课 setup."""
    group = (
        TeachingGroup.objects.select_related("block__school", "block__grade", "teacher", "room", "subject")
        .filter(pk=pk)
        .first()
    )
    if group is None or not getattr(user, "is_authenticated", False):
        return None
    if group.teacher_id == getattr(user, "person_id", None) or can_view_setup(user, group.block.school):
        return group
    return None


def group_candidates(group: TeachingGroup) -> list[dict]:
    """The 在读 students of a teaching group's source classes, for ticking its 名单: ``[{"student", "checked",
    "other": the name of another group of the block they are in, or ""}]``."""
    from core.models import Student
    from core.models.people import StudentStatus

    other = dict(
        TeachingGroup.students.through.objects.filter(teachinggroup__block_id=group.block_id)
        .exclude(teachinggroup_id=group.pk)
        .values_list("student_id", "teachinggroup__name")
    )
    members = set(group.students.values_list("pk", flat=True))
    students = (
        Student.objects.filter(klass__in=group.classes.all(), status=StudentStatus.ENROLLED)
        .select_related("person", "klass__grade")
        .order_by("klass__grade__stage", "-klass__grade__entry_year", "klass__number", "class_no", "id")
    )
    return [{"student": st, "checked": st.pk in members, "other": other.get(st.pk, "")} for st in students]


def block_roster_counts(block) -> dict:
    """``{"groups": {group id: students}, "unassigned": 在读 students of the block's classes in no group}``."""
    from core.models import Student
    from core.models.people import StudentStatus

    through = TeachingGroup.students.through.objects.filter(teachinggroup__block=block)
    counts = dict(through.values("teachinggroup_id").annotate(n=Count("id")).values_list("teachinggroup_id", "n"))
    class_ids = TeachingGroup.classes.through.objects.filter(teachinggroup__block=block).values("class_id")
    unassigned = (
        Student.objects.filter(klass_id__in=class_ids, status=StudentStatus.ENROLLED)
        .exclude(pk__in=through.values("student_id"))
        .count()
    )
    return {"groups": counts, "unassigned": unassigned}


def teacher_grid(*, user, timetable: Timetable, teacher: Person, monday: dt.date | None = None) -> dict:
    """A teacher's week. With ``monday``: their lessons taken by a substitute are marked, and the lessons they
    take for colleagues that week are added (found through the school's 调课/代课 list)."""
    setup = week_setup_for(timetable.school)
    entries = list(
        TimetableEntry.objects.visible_to(user)
        .filter(timetable=timetable, teacher=teacher)
        .select_related("subject", "teacher", "room", "klass__grade")
        .only(*ENTRY_FIELDS)
    )
    subs = _week_substitutions(timetable, monday)
    items = []
    for it in _apply_week(entries, subs, {}):
        if it["change"] == "substitute":
            it["note"] = _("由%(name)s代课") % {"name": it["teacher"]}
            it["teacher"] = teacher.name
            it["away"] = True
        items.append(it)
    if monday is not None:
        visible = set(
            Substitution.objects.visible_to(user).filter(pk__in=[s.pk for s in subs]).values_list("pk", flat=True)
        )
        for s in subs:
            if s.pk in visible and s.kind == SubstitutionKind.SUBSTITUTE and s.substitute_id == teacher.pk:
                e = (
                    TimetableEntry.objects.filter(pk=s.entry_id)
                    .select_related("subject", "teacher", "room", "klass__grade")
                    .only(*ENTRY_FIELDS)
                    .first()
                )
                items.append(
                    _item(
                        e,
                        badge=_("代"),
                        note=_("代%(name)s") % {"name": s.original_teacher.name},
                        teacher=teacher,
                        change="substitute",
                    )
                )
    return grid_build(setup, parallel_merge(timetable, items, show="teacher"))


def room_grid(*, user, timetable: Timetable, room: Room) -> dict:
    setup = week_setup_for(timetable.school)
    entries = list(
        TimetableEntry.objects.visible_to(user)
        .filter(timetable=timetable, room=room)
        .select_related("subject", "teacher", "room", "klass__grade")
        .only(*ENTRY_FIELDS)
    )
    return grid_build(setup, parallel_merge(timetable, [_item(e) for e in entries], show="room"))


def overview(*, user, timetable: Timetable) -> dict:
    """The whole-school 总课表: one row per class, one column per (day, period). Each taken cell is
    ``{"ids", "lessons": [{"parallel", "label", "lines", "text"}], "text"}``: a class's own lesson is “subject
    teacher”, a 合班 names the classes taught together, a 走班 shows “走班：<block>” with each teaching group the
    class's students go to, its teacher and room. ``text`` is the whole cell in one line (title, Excel)."""
    setup = week_setup_for(timetable.school)
    entries = list(
        TimetableEntry.objects.visible_to(user)
        .filter(timetable=timetable)
        .select_related("subject", "teacher", "room", "klass__grade")
        .only(*ENTRY_FIELDS)
        .order_by("klass__grade__stage", "-klass__grade__entry_year", "klass__number", "teaching_group_id")
    )
    key_classes: dict[str, list[str]] = defaultdict(list)
    for e in entries:
        if e.parallel_key and e.klass.name not in key_classes[e.parallel_key]:
            key_classes[e.parallel_key].append(e.klass.name)
    groups = {
        g.pk: g
        for g in TeachingGroup.objects.filter(pk__in={e.teaching_group_id for e in entries if e.teaching_group_id})
        .select_related("block")
        .only("id", "name", "block__name")
    }
    by_class: dict[int, dict] = {}
    for e in entries:
        row = by_class.setdefault(e.klass_id, {"klass": e.klass, "cells": {}})
        for k in range(e.length):
            # the rows of one 合班/走班 occurrence make one lesson of the cell
            row["cells"].setdefault((e.day, e.period + k), {}).setdefault(e.parallel_key or e.pk, []).append(e)
    cols = [(d, p) for d in range(setup.days) for p in range(setup.periods)]
    rows = []
    for row in by_class.values():
        cells = []
        for c in cols:
            units = row["cells"].get(c)
            cells.append(_overview_cell(list(units.values()), key_classes, groups) if units else None)
        rows.append({"klass": row["klass"], "cells": cells})
    return {"days": setup.day_names, "periods": list(range(1, setup.periods + 1)), "rows": rows, "cols": cols}


def _overview_cell(units: list[list[TimetableEntry]], key_classes: dict, groups: dict) -> dict:
    lessons = []
    for unit in units:
        e = unit[0]
        teacher = e.teacher.name if e.teacher_id else ""
        if not e.parallel_key:
            text = f"{e.subject.name} {teacher}".strip()
            lessons.append({"parallel": "", "label": e.subject.name[:2], "lines": [], "text": text})
        elif not (e.teaching_group_id or e.parallel_key.startswith("b")):
            together = "、".join(key_classes[e.parallel_key])
            line = _("合班：%(classes)s") % {"classes": together}
            lessons.append(
                {
                    "parallel": "combined",
                    "label": e.subject.name[:2],
                    "lines": [together],  # the page marks it “合班” with a badge
                    "text": " ".join(x for x in (e.subject.name, teacher) if x) + f"（{line}）",
                }
            )
        else:
            block = next((groups[r.teaching_group_id].block.name for r in unit if r.teaching_group_id in groups), "")
            label = _("走班：%(name)s") % {"name": block or _("走班")}
            lines = []
            for r in unit:
                group = groups.get(r.teaching_group_id)
                parts = (
                    group.name if group else r.subject.name,
                    r.teacher.name if r.teacher_id else "",
                    r.room.name if r.room_id else "",
                )
                line = " ".join(x for x in parts if x)
                if line not in lines:
                    lines.append(line)
            lessons.append(
                {"parallel": "elective", "label": label, "lines": lines, "text": f"{label}（{'；'.join(lines)}）"}
            )
    return {
        "ids": [e.pk for unit in units for e in unit],
        "lessons": lessons,
        "text": " / ".join(lesson["text"] for lesson in lessons),
    }


# --- 调课 / 代课 ------------------------------------------------------------------------------------------


def teacher_busy(*, timetable: Timetable, teacher_id: int, date: dt.date, day: int, periods: list[int]) -> bool:
    """Whether the teacher already teaches in one of ``periods`` of ``day`` in the week of ``date`` (own
    lessons not given away that day, plus lessons taken over for colleagues)."""
    own = TimetableEntry.objects.filter(timetable=timetable, teacher_id=teacher_id, day=day)
    given = Substitution.objects.filter(
        entry__timetable=timetable, original_teacher_id=teacher_id, date=date, status=SubstitutionStatus.APPROVED
    ).select_related("entry")
    # every row of a 合班/走班 lesson is the teacher's: busy on any of them unless a 代课 covers the lesson
    away = {pk for s in substitutions_cover(timetable, list(given)) for pk in s.covered}
    wanted = set(periods)
    for e in own:
        if e.pk not in away and wanted & set(e.periods()):
            return True
    for s in Substitution.objects.filter(
        entry__timetable=timetable,
        substitute_id=teacher_id,
        date=date,
        status__in=[SubstitutionStatus.APPROVED, SubstitutionStatus.PENDING],
        kind=SubstitutionKind.SUBSTITUTE,
    ).select_related("entry"):
        if wanted & set(s.entry.periods()):
            return True
    return False


def substitution_candidates(*, entry: TimetableEntry, date: dt.date, limit: int = 8) -> list[dict]:
    """Who could take ``entry`` on ``date``: staff of the school free at that time, those who teach the subject
    first, then the fewest 代课 this term (fair load), then the fewest lessons that day."""
    tt = entry.timetable
    staff = (
        Person.objects.filter(staff_posts__school_id=tt.school_id, staff_posts__archived_at__isnull=True)
        .exclude(pk=entry.teacher_id)
        .distinct()
    )
    subject_teachers = set(
        TeachingAssignment.objects.filter(subject_id=entry.subject_id, klass__school_id=tt.school_id).values_list(
            "teacher_id", flat=True
        )
    ) | set(
        StaffPost.objects.filter(school_id=tt.school_id, main_subject_id=entry.subject_id).values_list(
            "person_id", flat=True
        )
    )
    term = tt.term
    counts = dict(
        Substitution.objects.filter(
            school_id=tt.school_id,
            kind=SubstitutionKind.SUBSTITUTE,
            status=SubstitutionStatus.APPROVED,
            date__gte=term.start_date,
            date__lte=term.end_date,
        )
        .values("substitute_id")
        .annotate(n=Count("pk"))
        .values_list("substitute_id", "n")
    )
    # lessons, not rows: a 合班 or a 走班 group taught to several classes is one lesson of the teacher
    lessons: dict[int, set] = defaultdict(set)
    for pk, teacher_id, key, group_id, period in TimetableEntry.objects.filter(
        timetable=tt, day=entry.day, teacher_id__isnull=False
    ).values_list("pk", "teacher_id", "parallel_key", "teaching_group_id", "period"):
        lessons[teacher_id].add((key, group_id, period) if key else pk)
    load = {tid: len(units) for tid, units in lessons.items()}
    out = []
    for p in staff:
        if teacher_busy(timetable=tt, teacher_id=p.pk, date=date, day=entry.day, periods=entry.periods()):
            continue
        out.append(
            {
                "person": p,
                "same_subject": p.pk in subject_teachers,
                "subs_this_term": counts.get(p.pk, 0),
                "lessons_that_day": load.get(p.pk, 0),
            }
        )
    out.sort(key=lambda c: (not c["same_subject"], c["subs_this_term"], c["lessons_that_day"], c["person"].name))
    return out[:limit]


def substitution_stats(*, user, school_id: int, term) -> list[dict]:
    """Per teacher, this term: lessons taken over for colleagues (代课) and lessons given away."""
    qs = Substitution.objects.visible_to(user).filter(
        school_id=school_id, status=SubstitutionStatus.APPROVED, date__gte=term.start_date, date__lte=term.end_date
    )
    given = dict(qs.values("original_teacher_id").annotate(n=Count("pk")).values_list("original_teacher_id", "n"))
    taken = dict(
        qs.filter(kind=SubstitutionKind.SUBSTITUTE)
        .values("substitute_id")
        .annotate(n=Count("pk"))
        .values_list("substitute_id", "n")
    )
    ids = set(given) | set(taken)
    names = dict(Person.objects.filter(pk__in=ids).values_list("pk", "name"))
    rows = [
        {"teacher": names.get(pid, ""), "taken": taken.get(pid, 0), "given": given.get(pid, 0)}
        for pid in ids
        if pid is not None
    ]
    rows.sort(key=lambda r: (-r["taken"], -r["given"], r["teacher"]))
    return rows


def upcoming_dates(entry: TimetableEntry, weeks: int = 4, today: dt.date | None = None) -> list[dt.date]:
    """The next dates on which ``entry`` takes place (for the request form)."""
    today = today or timezone.localdate()
    first = monday_of(today) + dt.timedelta(days=entry.day)
    if first < today:
        first += dt.timedelta(days=7)
    return [first + dt.timedelta(days=7 * i) for i in range(weeks)]


def teaching_entries(*, user, timetable: Timetable, teacher: Person):
    return (
        TimetableEntry.objects.visible_to(user)
        .filter(timetable=timetable, teacher=teacher)
        .select_related("subject", "klass__grade")
        .order_by("day", "period")
    )


def _covering(entries) -> Q:
    """代课 of a 合班 or 走班 teaching group that also covers one of ``entries`` (a request is stored on the row it
    was asked on, and covers every row of the lesson: see ``entry_teaching_rows``)."""
    rows = entries.filter(timetable_id=OuterRef("entry__timetable_id"), parallel_key=OuterRef("entry__parallel_key"))
    same_lesson = (Q(entry__teaching_group__isnull=True) & Exists(rows.filter(teaching_group__isnull=True))) | Exists(
        rows.filter(teaching_group_id=OuterRef("entry__teaching_group_id"))
    )
    return Q(kind=SubstitutionKind.SUBSTITUTE) & ~Q(entry__parallel_key="") & same_lesson


def head_teacher_substitutions(person_id) -> Q:
    """The 调课/代课 of the classes ``person_id`` is head teacher of, with 代课 of their 合班/走班 lessons."""
    return Q(klass__head_teacher_id=person_id) | _covering(
        TimetableEntry.objects.filter(klass__head_teacher_id=person_id)
    )


def substitutions_visible(user):
    """The 调课/代课 in the user's scope, and the 代课 of a 合班 or 走班 teaching group stored on another class's
    row when it also covers a class the user sees."""
    mine = Q(pk__in=Substitution.objects.visible_to(user).values("pk"))
    return (
        Substitution.objects.filter(mine | _covering(TimetableEntry.objects.visible_to(user)))
        .select_related("entry__subject", "klass__grade", "original_teacher", "substitute", "swap_entry__subject")
        .order_by("-date", "-id")
    )


def _q_teacher(person_id):
    return Q(original_teacher_id=person_id) | Q(substitute_id=person_id)


# --- a week across a change of version --------------------------------------------------------------------


def versions_by_day(*, user, school_id: int, monday: dt.date) -> list[tuple[Timetable, list[int]]]:
    """The published versions of a school in force on each day of the week starting ``monday`` (the same rule as
    ``version_in_force``, applied day by day with one query): ``[(version, [weekday, ...]), ...]`` in day order.
    A version that takes effect on a Wednesday gives Monday and Tuesday to the one before it."""
    versions = list(
        Timetable.objects.visible_to(user)
        .filter(
            school_id=school_id,
            published_at__isnull=False,
            status__in=[TimetableStatus.PUBLISHED, TimetableStatus.ARCHIVED],
        )
        .select_related("school", "term")
    )
    current = next((v for v in versions if v.status == TimetableStatus.PUBLISHED), None)
    out: dict[int, tuple[Timetable, list[int]]] = {}
    for weekday in range(7):
        day = monday + dt.timedelta(days=weekday)
        started = [v for v in versions if v.effective_from and v.effective_from <= day]
        tt = max(started, key=lambda v: (v.effective_from, v.published_at)) if started else current
        if tt is not None:
            out.setdefault(tt.pk, (tt, []))[1].append(weekday)
    return list(out.values())


def grid_items(grid: dict) -> list[dict]:
    """The lesson items of a built grid, once each (a 连堂's second period is left out)."""
    return [it for row in grid["rows"] for cell in row["cells"] for it in cell["items"] if it["first"]]


def week_grid(
    *, user, school_id: int, monday: dt.date, klass: Class | None = None, teacher: Person | None = None
) -> tuple[dict | None, list[tuple[Timetable, list[int]]]]:
    """A class's (``klass``) or a teacher's week with each day taken from the version in force that day and the
    approved 调课/代课 applied; and the versions used (``versions_by_day``). ``(None, [])`` before any version."""
    parts = versions_by_day(user=user, school_id=school_id, monday=monday)
    if not parts:
        return None, []
    items: list[dict] = []
    for tt, days in parts:
        if klass is not None:
            grid = class_grid(user=user, timetable=tt, klass=klass, monday=monday)
        else:
            grid = teacher_grid(user=user, timetable=tt, teacher=teacher, monday=monday)
        items += [it for it in grid_items(grid) if it["day"] in days]
    return grid_build(week_setup_for(parts[-1][0].school), items), parts


# --- 代课 statistics --------------------------------------------------------------------------------------


def substitution_months(term) -> list[dt.date]:
    """The first day of every month the term touches (the month filter of the statistics page)."""
    out, day = [], term.start_date.replace(day=1)
    while day <= term.end_date:
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def substitution_teacher_stats(*, user, school_id: int, start: dt.date, end: dt.date) -> dict:
    """Per teacher of the school, the 调课/代课 dated ``start``–``end`` (both included) that ``user`` can see:
    代课 taught for colleagues (times and periods, a 连堂 counting two), 代课 asked of others, 调课 taken part in
    (as the one asking or the colleague swapped with) — all approved — and their requests still pending.
    ``{"rows": [...], "total": {...}}``, the busiest substitute first."""
    qs = Substitution.objects.visible_to(user).filter(school_id=school_id, date__gte=start, date__lte=end)
    approved = qs.filter(status=SubstitutionStatus.APPROVED)
    subs = approved.filter(kind=SubstitutionKind.SUBSTITUTE)
    swaps = approved.filter(kind=SubstitutionKind.SWAP)
    rows: dict[int, dict] = defaultdict(
        lambda: {"taught": 0, "taught_periods": 0, "requested": 0, "swaps": 0, "pending": 0}
    )
    for pid, n, periods in (
        subs.exclude(substitute_id=None)
        .values("substitute_id")
        .annotate(n=Count("pk"), periods=Sum("entry__length"))
        .values_list("substitute_id", "n", "periods")
    ):
        rows[pid]["taught"], rows[pid]["taught_periods"] = n, periods or 0
    for pid, n in subs.values("original_teacher_id").annotate(n=Count("pk")).values_list("original_teacher_id", "n"):
        rows[pid]["requested"] = n
    for a, b in swaps.values_list("original_teacher_id", "substitute_id"):
        for pid in {a, b} - {None}:
            rows[pid]["swaps"] += 1
    pending = qs.filter(status=SubstitutionStatus.PENDING)
    for pid, n in pending.values("original_teacher_id").annotate(n=Count("pk")).values_list("original_teacher_id", "n"):
        rows[pid]["pending"] = n
    names = dict(Person.objects.filter(pk__in=list(rows)).values_list("pk", "name"))
    out = [{"teacher_id": pid, "teacher": names.get(pid, ""), **counts} for pid, counts in rows.items()]
    out.sort(key=lambda r: (-r["taught_periods"], -r["taught"], -r["requested"], r["teacher"]))
    keys = ("taught", "taught_periods", "requested", "swaps", "pending")
    total = {k: sum(r[k] for r in out) for k in keys}
    total["swaps"] = swaps.count()  # each 调课 involves two teachers: count it once in the total
    return {"rows": out, "total": total}
