"""Django → engine: build the ``timetable.engine`` Problem of a school from its week, rooms, 课时计划, 任课
(``core.TeachingAssignment`` of the term) and constraints, and turn the engine's placements back into rows.

Ids given to the engine: classes ``c<id>``, teachers ``t<person id>``, rooms ``r<id>``, lessons
``c<class>-s<subject>-<duration>`` (the 连堂 part of a subject is its own lesson with duration 2).

合班 (``CombinedLesson``) is one lesson ``m<id>-<duration>`` with all its classes as groups; it replaces those
classes' own lesson of the subject. A 走班 block gives each teaching group a student group ``g<id>`` that
overlaps the classes its students come from, and a lesson ``g<id>-<duration>`` in the engine block named after
the block, so all groups of a block are taught at the same times. Their placements are written as one
``TimetableEntry`` per class (and group) sharing a ``parallel_key``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from core.models import Class, Person, StudentStatus, TeachingAssignment
from timetable.engine.model import (
    Conflict,
    Lesson,
    Placement,
    Problem,
    StudentGroup,
    Teacher,
    Week,
    Weights,
)
from timetable.engine.model import Room as EngineRoom

from .models import (
    DEFAULT_WEIGHTS,
    ClassRule,
    CombinedLesson,
    CoursePlan,
    ElectiveBlock,
    Room,
    TeacherRule,
    Timetable,
    TimetableEntry,
    WeekSetup,
)


@dataclass
class LessonInfo:
    klass_id: int
    subject_id: int
    teacher_id: int | None
    duration: int
    count: int
    room_type: str = ""
    klass_ids: list[int] = field(default_factory=list)  # 合班/走班: every class taught (klass_id is the first)
    parallel: str = ""  # base of TimetableEntry.parallel_key: "m<id>-<d>" (合班) or "b<id>-<d>" (走班 block)
    group_id: int | None = None  # 走班 teaching group


@dataclass
class Built:
    problem: Problem
    lessons: dict[str, LessonInfo]
    # product-level problems found while building (a subject in the plan with no teacher…)
    issues: list[Conflict] = field(default_factory=list)


def _slots(value) -> set[tuple[int, int]]:
    return {(int(d), int(p)) for d, p in value or []}


def week_setup_for(school) -> WeekSetup:
    """The school's week, or an unsaved default (5 days × 8 periods, 4 in the morning)."""
    setup = WeekSetup.objects.filter(school=school).first()
    if setup is None:
        setup = WeekSetup(school=school)
        setup.clean()
    return setup


def engine_week(setup: WeekSetup) -> Week:
    return Week(
        days=setup.days,
        periods=setup.periods,
        morning=setup.morning,
        day_names=list(setup.day_names),
        blocked=_slots(setup.blocked),
        # stored as "after the n-th period" (1-based); the engine counts period indexes from 0
        breaks_after={int(b) - 1 for b in setup.breaks_after or []},
    )


def lesson_key(klass_id: int, subject_id: int, duration: int) -> str:
    return f"c{klass_id}-s{subject_id}-{duration}"


def problem_build(*, timetable: Timetable) -> Built:
    """The engine problem of ``timetable``'s school and term; its locked entries become fixed slots."""
    school = timetable.school
    setup = week_setup_for(school)
    week = engine_week(setup)
    issues: list[Conflict] = []

    classes = list(
        Class.objects.filter(school=school, archived_at__isnull=True)
        .select_related("grade")
        .annotate(n=Count("students", filter=Q(students__status=StudentStatus.ENROLLED)))
    )
    class_by_id = {c.pk: c for c in classes}
    plans: dict[int, list[CoursePlan]] = {}
    for plan in CoursePlan.objects.filter(school=school).select_related("subject"):
        plans.setdefault(plan.grade_id, []).append(plan)
    assignments: dict[tuple[int, int], TeachingAssignment] = {}
    for ta in TeachingAssignment.objects.filter(klass__in=classes, term=timetable.term).select_related("subject"):
        assignments[(ta.klass_id, ta.subject_id)] = ta
    class_rules = {r.klass_id: r for r in ClassRule.objects.filter(school=school)}

    groups = []
    for c in classes:
        rule = class_rules.get(c.pk)
        groups.append(
            StudentGroup(
                id=f"c{c.pk}",
                name=c.name,
                unavailable=_slots(rule.unavailable) if rule else set(),
                max_per_day=rule.max_per_day if rule else None,
            )
        )

    lessons: dict[str, LessonInfo] = {}
    wanted = _class_subject_demand(classes, plans, assignments)
    combined = list(CombinedLesson.objects.filter(school=school).select_related("subject").prefetch_related("classes"))
    for cl in combined:  # a 合班 replaces its classes' own lesson of the subject
        for c in cl.classes.all():
            wanted.pop((c.pk, cl.subject_id), None)

    engine_lessons: list[Lesson] = []
    teacher_ids: set[int] = set()
    for (klass_id, subject_id), item in sorted(wanted.items()):
        count = int(item.get("count") or 0)
        if count <= 0:
            continue
        klass = class_by_id[klass_id]
        ta = assignments.get((klass_id, subject_id))
        if ta is None:
            issues.append(
                Conflict(
                    code="no_teacher",
                    message=_("%(klass)s 的%(subject)s没有任课教师（课时计划每周 %(n)s 节）")
                    % {"klass": klass.name, "subject": item["subject"], "n": count},
                    subjects=[f"c{klass_id}"],
                )
            )
            continue
        teacher_ids.add(ta.teacher_id)
        doubles = min(int(item["doubles"]), count // 2)
        singles = count - 2 * doubles
        for duration, n in ((2, doubles), (1, singles)):
            if n <= 0:
                continue
            key = lesson_key(klass_id, subject_id, duration)
            lessons[key] = LessonInfo(klass_id, subject_id, ta.teacher_id, duration, n, item["room_type"])
            engine_lessons.append(
                Lesson(
                    id=key,
                    subject=item["subject"],
                    groups=[f"c{klass_id}"],
                    teachers=[f"t{ta.teacher_id}"],
                    count=n,
                    duration=duration,
                    room_type=item["room_type"] or None,
                    size=klass.n,
                    main=bool(item["main"]),
                    max_per_day=max(1, math.ceil(n / max(1, week.days - len(_blocked_days(week))))),
                    needs_room=bool(item["room_type"]),
                    name=f"{klass.name} {item['subject']}",
                )
            )

    def max_per_day(n: int) -> int:
        return max(1, math.ceil(n / max(1, week.days - len(_blocked_days(week)))))

    for cl in combined:
        ids = sorted(c.pk for c in cl.classes.all() if c.pk in class_by_id)
        if not ids:
            continue
        teacher_ids.add(cl.teacher_id)
        names = "、".join(class_by_id[i].name for i in ids)
        grade_plans = plans.get(class_by_id[ids[0]].grade_id, [])
        main = any(p.is_main for p in grade_plans if p.subject_id == cl.subject_id)
        for duration, n in _split(cl.periods_per_week, cl.doubles):
            key = f"m{cl.pk}-{duration}"
            lessons[key] = LessonInfo(
                ids[0], cl.subject_id, cl.teacher_id, duration, n, cl.room_type, klass_ids=ids, parallel=key
            )
            engine_lessons.append(
                Lesson(
                    id=key,
                    subject=cl.subject.name,
                    groups=[f"c{i}" for i in ids],
                    teachers=[f"t{cl.teacher_id}"],
                    count=n,
                    duration=duration,
                    room_type=cl.room_type or None,
                    size=sum(class_by_id[i].n for i in ids),
                    main=main,
                    max_per_day=max_per_day(n),
                    needs_room=bool(cl.room_type),
                    name=_("%(classes)s %(subject)s（合班）") % {"classes": names, "subject": cl.subject.name},
                )
            )

    blocks = ElectiveBlock.objects.filter(school=school).prefetch_related("groups__classes", "groups__subject")
    for block in blocks:
        for g in block.groups.all():
            ids = sorted(c.pk for c in g.classes.all() if c.pk in class_by_id)
            if not ids:
                continue
            # the students of the group are not free when one of their classes is not
            unavailable = set()
            for i in ids:
                if i in class_rules:
                    unavailable |= _slots(class_rules[i].unavailable)
            groups.append(
                StudentGroup(
                    id=f"g{g.pk}",
                    name=f"{block.name} {g.name}",
                    unavailable=unavailable,
                    overlaps=[f"c{i}" for i in ids],
                )
            )
            teacher_ids.add(g.teacher_id)
            for duration, n in _split(block.periods_per_week, block.doubles):
                key = f"g{g.pk}-{duration}"
                lessons[key] = LessonInfo(
                    ids[0],
                    g.subject_id,
                    g.teacher_id,
                    duration,
                    n,
                    g.room_type,
                    klass_ids=ids,
                    parallel=f"b{block.pk}-{duration}",
                    group_id=g.pk,
                )
                engine_lessons.append(
                    Lesson(
                        id=key,
                        subject=g.subject.name,
                        groups=[f"g{g.pk}"],
                        teachers=[f"t{g.teacher_id}"],
                        count=n,
                        duration=duration,
                        room_type=(g.room_type or None) if not g.room_id else None,
                        rooms=[f"r{g.room_id}"] if g.room_id else None,
                        size=g.size or 0,
                        # the engine names the block in its messages: use the 教务's name
                        block=block.name if duration == 1 else _("%(name)s（连堂）") % {"name": block.name},
                        max_per_day=max_per_day(n),
                        needs_room=bool(g.room_id or g.room_type),
                        name=f"{block.name} {g.name}",
                    )
                )

    # locked entries of this version become fixed starts (the rows of one 合班/走班 occurrence count once)
    by_key: dict[str, Lesson] = {lesson.id: lesson for lesson in engine_lessons}
    units: set[tuple[str, str]] = set()
    for entry in timetable.entries.filter(locked=True).order_by("day", "period", "id"):
        lesson = by_key.get(entry.lesson_key)
        if entry.parallel_key:
            if (entry.lesson_key, entry.parallel_key) in units:
                continue
            units.add((entry.lesson_key, entry.parallel_key))
        if lesson is not None and len(lesson.fixed) < lesson.count:
            lesson.fixed.append((entry.day, entry.period))
            lesson.fixed_rooms.append(f"r{entry.room_id}" if entry.room_id else None)

    rules = {r.teacher_id: r for r in TeacherRule.objects.filter(school=school, teacher_id__in=teacher_ids)}
    names = dict(Person.objects.filter(pk__in=teacher_ids).values_list("pk", "name"))
    teachers = []
    for pid in sorted(teacher_ids):
        rule = rules.get(pid)
        teachers.append(
            Teacher(
                id=f"t{pid}",
                name=names.get(pid, str(pid)),
                unavailable=_slots(rule.unavailable) if rule else set(),
                preferred_off=_slots(rule.preferred_off) if rule else set(),
                max_per_day=rule.max_per_day if rule else None,
                max_consecutive=rule.max_consecutive if rule else None,
            )
        )
    rooms = [
        EngineRoom(id=f"r{r.pk}", name=r.name, type=r.room_type, capacity=r.capacity, unavailable=_slots(r.unavailable))
        for r in Room.objects.filter(school=school, is_active=True)
    ]
    weights = Weights(**{k: int((setup.weights or {}).get(k, v)) for k, v in DEFAULT_WEIGHTS.items()})
    problem = Problem(
        week=week,
        teachers=teachers,
        groups=groups,
        rooms=rooms,
        lessons=engine_lessons,
        weights=weights,
        name=f"{school.name} {timetable.name}",
        assign_rooms=any(lesson.needs_room for lesson in engine_lessons),
    )
    return Built(problem=problem, lessons=lessons, issues=issues)


def _split(count: int, doubles: int) -> list[tuple[int, int]]:
    """``[(duration, n)]`` of a weekly count with ``doubles`` 连堂: (2, doubles) and (1, the rest), without zeros."""
    doubles = min(int(doubles or 0), count // 2)
    return [(d, n) for d, n in ((2, doubles), (1, count - 2 * doubles)) if n > 0]


def _class_subject_demand(
    classes, plans: dict[int, list[CoursePlan]], assignments: dict
) -> dict[tuple[int, int], dict]:
    """What each class has to be taught: the grade's plan, overridden or extended by the 任课 rows."""
    wanted: dict[tuple[int, int], dict] = {}
    for c in classes:
        for plan in plans.get(c.grade_id, []):
            wanted[(c.pk, plan.subject_id)] = {
                "count": plan.periods_per_week,
                "doubles": plan.doubles,
                "main": plan.is_main,
                "room_type": plan.room_type,
                "subject": plan.subject.name,
            }
    for (klass_id, subject_id), ta in assignments.items():
        if ta.periods_per_week:
            item = wanted.setdefault(
                (klass_id, subject_id),
                {"doubles": 0, "main": False, "room_type": "", "subject": ta.subject.name},
            )
            item["count"] = ta.periods_per_week
    return wanted


def class_week_hours(*, school, term) -> dict[int, dict]:
    """Per active class of the school: ``{"klass", "hours", "capacity", "combined", "blocks"}`` — periods a week
    from the 课时计划/任课 (a 合班 subject counted once, as the 合班), plus 合班 and 走班 blocks, against the slots
    the class can have lessons in (the week without blocked slots and the class's own 不排课 slots)."""
    setup = week_setup_for(school)
    blocked = _slots(setup.blocked)
    classes = list(Class.objects.filter(school=school, archived_at__isnull=True).select_related("grade"))
    plans: dict[int, list[CoursePlan]] = {}
    for plan in CoursePlan.objects.filter(school=school).select_related("subject"):
        plans.setdefault(plan.grade_id, []).append(plan)
    assignments = {}
    if term is not None:
        for ta in TeachingAssignment.objects.filter(klass__in=classes, term=term).select_related("subject"):
            assignments[(ta.klass_id, ta.subject_id)] = ta
    wanted = _class_subject_demand(classes, plans, assignments)
    out = {
        c.pk: {
            "klass": c,
            "hours": 0,
            "capacity": setup.days * setup.periods - len(blocked),
            "combined": 0,
            "blocks": 0,
        }
        for c in classes
    }
    for rule in ClassRule.objects.filter(school=school):
        if rule.klass_id in out:
            out[rule.klass_id]["capacity"] -= len(_slots(rule.unavailable) - blocked)
    for cl in CombinedLesson.objects.filter(school=school).prefetch_related("classes"):
        for c in cl.classes.all():
            if c.pk in out:
                wanted.pop((c.pk, cl.subject_id), None)
                out[c.pk]["combined"] += cl.periods_per_week
    for block in ElectiveBlock.objects.filter(school=school).prefetch_related("groups__classes"):
        for cid in {c.pk for g in block.groups.all() for c in g.classes.all()}:
            if cid in out:
                out[cid]["blocks"] += block.periods_per_week
    for (cid, _sid), item in wanted.items():
        if cid in out:
            out[cid]["hours"] += int(item.get("count") or 0)
    for row in out.values():
        row["hours"] += row["combined"] + row["blocks"]
    return out


def _blocked_days(week: Week) -> set[int]:
    """Days on which every period is blocked (no lessons at all)."""
    return {d for d in range(week.days) if all((d, p) in week.blocked for p in range(week.periods))}


def entries_from_placements(timetable: Timetable, built: Built, placements: list[Placement]) -> list[TimetableEntry]:
    """Unsaved entries for the engine's placements: one per class (合班 and 走班 rows of one occurrence share a
    ``parallel_key``, new ones never reuse a key of the rows kept in the version)."""
    kept: dict[tuple[str, int, int], str] = {}
    taken: set[str] = set()
    if timetable.pk:
        for key, day, period in timetable.entries.exclude(parallel_key="").values_list("parallel_key", "day", "period"):
            kept[(key.split("#")[0], day, period)] = key
            taken.add(key)
    unit_keys: dict[tuple[str, int], str] = {}
    out = []
    for pl in sorted(placements, key=lambda p: (p.lesson_id, p.index)):
        info = built.lessons.get(pl.lesson_id)
        if info is None:
            continue
        room_id = int(pl.room_id[1:]) if pl.room_id and pl.room_id.startswith("r") else None
        pkey = ""
        if info.parallel:
            pkey = unit_keys.get((info.parallel, pl.index), "")
            if not pkey:
                # a group added to a block whose occurrence is locked joins the kept rows of that slot
                pkey = kept.get((info.parallel, pl.day, pl.period), "")
            if not pkey:
                n = pl.index
                while f"{info.parallel}#{n}" in taken:
                    n += 1
                pkey = f"{info.parallel}#{n}"
                taken.add(pkey)
            unit_keys[(info.parallel, pl.index)] = pkey
        for klass_id in info.klass_ids or [info.klass_id]:
            out.append(
                TimetableEntry(
                    timetable=timetable,
                    lesson_key=pl.lesson_id,
                    klass_id=klass_id,
                    subject_id=info.subject_id,
                    teacher_id=info.teacher_id,
                    room_id=room_id,
                    day=pl.day,
                    period=pl.period,
                    length=info.duration,
                    parallel_key=pkey,
                    teaching_group_id=info.group_id,
                )
            )
    return out


def placements_from_entries(entries) -> list[Placement]:
    """Engine placements of stored entries (for ``evaluate`` and as a solver hint)."""
    index: dict[str, int] = {}
    units: set[tuple[str, str]] = set()
    out = []
    for e in sorted(entries, key=lambda e: (e.lesson_key, e.day, e.period)):
        if e.parallel_key:  # one placement per 合班/走班 occurrence, whatever the number of classes
            if (e.lesson_key, e.parallel_key) in units:
                continue
            units.add((e.lesson_key, e.parallel_key))
        i = index.get(e.lesson_key, 0)
        index[e.lesson_key] = i + 1
        out.append(Placement(e.lesson_key, i, e.day, e.period, f"r{e.room_id}" if e.room_id else None))
    return out
