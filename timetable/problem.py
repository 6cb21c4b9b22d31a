"""Django → engine: build the ``timetable.engine`` Problem of a school from its week, rooms, 课时计划, 任课
(``core.TeachingAssignment`` of the term) and constraints, and turn the engine's placements back into rows.

Ids given to the engine: classes ``c<id>``, teachers ``t<person id>``, rooms ``r<id>``, lessons
``c<class>-s<subject>-<duration>`` (the 连堂 part of a subject is its own lesson with duration 2).
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

from .models import DEFAULT_WEIGHTS, ClassRule, CoursePlan, Room, TeacherRule, Timetable, TimetableEntry, WeekSetup


@dataclass
class LessonInfo:
    klass_id: int
    subject_id: int
    teacher_id: int | None
    duration: int
    count: int
    room_type: str = ""


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

    # what each class has to be taught: the grade's plan, overridden or extended by the 任课 rows
    lessons: dict[str, LessonInfo] = {}
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

    # locked entries of this version become fixed starts
    by_key: dict[str, Lesson] = {lesson.id: lesson for lesson in engine_lessons}
    for entry in timetable.entries.filter(locked=True).order_by("day", "period"):
        lesson = by_key.get(entry.lesson_key)
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


def _blocked_days(week: Week) -> set[int]:
    """Days on which every period is blocked (no lessons at all)."""
    return {d for d in range(week.days) if all((d, p) in week.blocked for p in range(week.periods))}


def entries_from_placements(timetable: Timetable, built: Built, placements: list[Placement]) -> list[TimetableEntry]:
    """Unsaved entries for the engine's placements."""
    out = []
    for pl in placements:
        info = built.lessons.get(pl.lesson_id)
        if info is None:
            continue
        room_id = int(pl.room_id[1:]) if pl.room_id and pl.room_id.startswith("r") else None
        out.append(
            TimetableEntry(
                timetable=timetable,
                lesson_key=pl.lesson_id,
                klass_id=info.klass_id,
                subject_id=info.subject_id,
                teacher_id=info.teacher_id,
                room_id=room_id,
                day=pl.day,
                period=pl.period,
                length=info.duration,
            )
        )
    return out


def placements_from_entries(entries) -> list[Placement]:
    """Engine placements of stored entries (for ``evaluate`` and as a solver hint)."""
    index: dict[str, int] = {}
    out = []
    for e in sorted(entries, key=lambda e: (e.lesson_key, e.day, e.period)):
        i = index.get(e.lesson_key, 0)
        index[e.lesson_key] = i + 1
        out.append(Placement(e.lesson_key, i, e.day, e.period, f"r{e.room_id}" if e.room_id else None))
    return out
