"""Hard-constraint check of stored placements, cell by cell: which lessons of a version clash and why.

The engine's ``evaluate`` counts violations for the whole timetable; the adjustment page also needs to know
*which* cells to mark red and what to say about each, right after a lesson is dragged. This check works on the
rows directly (one pass, dictionaries keyed by slot), so it answers in a few milliseconds for a whole school.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from .models import ClassRule, Room, TeacherRule, TimetableEntry, WeekSetup

# what the checks and the grids read of an entry (a Person row carries encrypted columns: not loaded)
ENTRY_FIELDS = [
    "id",
    "lesson_key",
    "day",
    "period",
    "length",
    "locked",
    "parallel_key",
    "teaching_group_id",
    "timetable_id",
    "klass__number",
    "klass__grade__stage",
    "klass__grade__entry_year",
    "klass__school_id",
    "subject__name",
    "teacher__name",
    "room__name",
]


def placement_problems(setup: WeekSetup, entry: TimetableEntry, *, rules: dict, class_rules: dict, rooms: dict):
    """Problems of one entry on its own (outside the week, blocked, unavailable, 连堂 across lunch/break)."""
    out = []
    last = entry.period + entry.length - 1
    if not (0 <= entry.day < setup.days and entry.period >= 0 and last < setup.periods):
        return [_("超出了每周的上课时段")]
    blocked = {(d, p) for d, p in setup.blocked or []}
    teacher_rule = rules.get(entry.teacher_id)
    class_rule = class_rules.get(entry.klass_id)
    room = rooms.get(entry.room_id)
    for p in range(entry.period, last + 1):
        cell = setup.slot_name(entry.day, p)
        if (entry.day, p) in blocked:
            out.append(_("%(cell)s 为全校不排课时段") % {"cell": cell})
        if teacher_rule and [entry.day, p] in teacher_rule.unavailable:
            out.append(_("教师在%(cell)s不能上课") % {"cell": cell})
        if class_rule and [entry.day, p] in class_rule.unavailable:
            out.append(_("班级在%(cell)s不排课") % {"cell": cell})
        if room and [entry.day, p] in room.unavailable:
            out.append(_("%(room)s在%(cell)s不可用") % {"room": room.name, "cell": cell})
    if entry.length > 1:
        if entry.period < setup.morning <= last:
            out.append(_("连堂不能跨午休"))
        for b in setup.breaks_after or []:
            if entry.period < int(b) <= last:
                out.append(_("连堂不能跨大课间（第 %(b)s 节之后）") % {"b": b})
    return out


def entry_conflicts(timetable, entries: list[TimetableEntry] | None = None) -> dict[int, list[str]]:
    """``{entry id: [Chinese reasons]}`` for every entry of ``timetable`` that breaks a hard constraint: a
    teacher, class or room in two places at once, an unavailable or blocked slot, a 连堂 across lunch, a
    teacher's daily cap. Entries without problems are absent."""
    from .problem import week_setup_for

    setup = week_setup_for(timetable.school)
    if entries is None:
        entries = list(
            timetable.entries.select_related("klass__grade", "subject", "teacher", "room").only(*ENTRY_FIELDS)
        )
    school = timetable.school_id
    teacher_ids = {e.teacher_id for e in entries if e.teacher_id}
    rules = {r.teacher_id: r for r in TeacherRule.objects.filter(school_id=school, teacher_id__in=teacher_ids)}
    class_rules = {r.klass_id: r for r in ClassRule.objects.filter(school_id=school)}
    rooms = {r.pk: r for r in Room.objects.filter(school_id=school)}
    problems: dict[int, list[str]] = defaultdict(list)

    # the rows of one 合班/走班 occurrence are one lesson: for a class (all its rows of the occurrence), for a
    # teacher and a room (the rows of one teaching group, or of the 合班)
    def class_unit(e):
        return e.parallel_key or e.pk

    def teacher_unit(e):
        return (e.parallel_key, e.teaching_group_id) if e.parallel_key else e.pk

    by_teacher: dict[tuple, list] = defaultdict(list)
    by_class: dict[tuple, list] = defaultdict(list)
    by_room: dict[tuple, list] = defaultdict(list)
    per_day: dict[tuple, list] = defaultdict(list)
    for e in entries:
        for msg in placement_problems(setup, e, rules=rules, class_rules=class_rules, rooms=rooms):
            problems[e.pk].append(msg)
        for p in e.periods():
            if e.teacher_id:
                by_teacher[(e.teacher_id, e.day, p)].append(e)
                per_day[(e.teacher_id, e.day)].append(e)
            by_class[(e.klass_id, e.day, p)].append(e)
            if e.room_id:
                by_room[(e.room_id, e.day, p)].append(e)
    for (_tid, day, p), clash in by_teacher.items():
        if len({teacher_unit(e) for e in clash}) > 1:
            for e in clash:
                others = "、".join(dict.fromkeys(o.klass.name for o in clash if teacher_unit(o) != teacher_unit(e)))
                problems[e.pk].append(
                    _("%(teacher)s 在%(cell)s同时要上 %(others)s 的课")
                    % {"teacher": e.teacher.name, "cell": setup.slot_name(day, p), "others": others}
                )
    for (_cid, day, p), clash in by_class.items():
        if len({class_unit(e) for e in clash}) > 1:
            for e in clash:
                others = "、".join(dict.fromkeys(o.subject.name for o in clash if class_unit(o) != class_unit(e)))
                problems[e.pk].append(
                    _("%(klass)s 在%(cell)s同时排了 %(others)s")
                    % {"klass": e.klass.name, "cell": setup.slot_name(day, p), "others": others}
                )
    for (_rid, day, p), clash in by_room.items():
        units = {teacher_unit(e) for e in clash}
        if len(units) > 1:
            for e in clash:
                problems[e.pk].append(
                    _("%(room)s 在%(cell)s被 %(n)s 个班同时使用")
                    % {"room": e.room.name, "cell": setup.slot_name(day, p), "n": len(units)}
                )
    for (tid, day), items in per_day.items():
        rule = rules.get(tid)
        n_lessons = len({(teacher_unit(e), e.period) for e in items})
        if rule and rule.max_per_day and n_lessons > rule.max_per_day:
            seen = {e.pk: e for e in items}
            for e in seen.values():
                problems[e.pk].append(
                    _("%(teacher)s %(day)s有 %(n)s 节课，超过每天最多 %(max)s 节")
                    % {
                        "teacher": e.teacher.name,
                        "day": setup.day_names[day] if day < setup.days else day + 1,
                        "n": n_lessons,
                        "max": rule.max_per_day,
                    }
                )
    return {k: list(dict.fromkeys(v)) for k, v in problems.items()}
