"""Timetable reads. Every query starts from ``visible_to``: versions through the school, lessons through the
class, 调课/代课 through the school and class. Grids are plain dicts for the templates, the PDF, Excel and ICS."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q
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
    }


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


def _week_substitutions(timetable: Timetable, monday: dt.date | None):
    if monday is None:
        return []
    return list(
        Substitution.objects.filter(
            entry__timetable=timetable,
            status=SubstitutionStatus.APPROVED,
            date__gte=monday,
            date__lt=monday + dt.timedelta(days=7),
        ).select_related("substitute", "swap_entry", "entry")
    )


def _apply_week(entries: list[TimetableEntry], subs: list[Substitution], extra: dict[int, TimetableEntry]):
    """Items of ``entries`` for one week with the approved 调课/代课 applied."""
    by_entry = {}
    for s in subs:
        by_entry[s.entry_id] = s
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
    return grid_build(setup, _apply_week(entries, _week_substitutions(timetable, monday), {}))


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
    return grid_build(setup, items)


def room_grid(*, user, timetable: Timetable, room: Room) -> dict:
    setup = week_setup_for(timetable.school)
    entries = list(
        TimetableEntry.objects.visible_to(user)
        .filter(timetable=timetable, room=room)
        .select_related("subject", "teacher", "room", "klass__grade")
        .only(*ENTRY_FIELDS)
    )
    return grid_build(setup, [_item(e) for e in entries])


def overview(*, user, timetable: Timetable) -> dict:
    """The whole-school 总课表: one row per class, one column per (day, period), subject and teacher in each."""
    setup = week_setup_for(timetable.school)
    entries = (
        TimetableEntry.objects.visible_to(user)
        .filter(timetable=timetable)
        .select_related("subject", "teacher", "room", "klass__grade")
        .only(*ENTRY_FIELDS)
        .order_by("klass__grade__stage", "-klass__grade__entry_year", "klass__number")
    )
    by_class: dict[int, dict] = {}
    for e in entries:
        row = by_class.setdefault(e.klass_id, {"klass": e.klass, "cells": {}})
        for k in range(e.length):
            row["cells"][(e.day, e.period + k)] = e
    cols = [(d, p) for d in range(setup.days) for p in range(setup.periods)]
    rows = []
    for row in by_class.values():
        rows.append({"klass": row["klass"], "cells": [row["cells"].get(c) for c in cols]})
    return {"days": setup.day_names, "periods": list(range(1, setup.periods + 1)), "rows": rows, "cols": cols}


# --- 调课 / 代课 ------------------------------------------------------------------------------------------


def teacher_busy(*, timetable: Timetable, teacher_id: int, date: dt.date, day: int, periods: list[int]) -> bool:
    """Whether the teacher already teaches in one of ``periods`` of ``day`` in the week of ``date`` (own
    lessons not given away that day, plus lessons taken over for colleagues)."""
    own = TimetableEntry.objects.filter(timetable=timetable, teacher_id=teacher_id, day=day)
    away = set(
        Substitution.objects.filter(
            entry__timetable=timetable, original_teacher_id=teacher_id, date=date, status=SubstitutionStatus.APPROVED
        ).values_list("entry_id", flat=True)
    )
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
    load = dict(
        TimetableEntry.objects.filter(timetable=tt, day=entry.day)
        .values("teacher_id")
        .annotate(n=Count("pk"))
        .values_list("teacher_id", "n")
    )
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


def substitutions_visible(user):
    return (
        Substitution.objects.visible_to(user)
        .select_related("entry__subject", "klass__grade", "original_teacher", "substitute", "swap_entry__subject")
        .order_by("-date", "-id")
    )


def _q_teacher(person_id):
    return Q(original_teacher_id=person_id) | Q(substitute_id=person_id)
