"""Timetable fixtures on top of ``core.testing.build_world()`` (made on first use, idempotent), shared by the
scope-matrix cases, the API cases and the app's tests.

School A (蛟川中学, 七年级 1 班 and 2 班): a 5 × 6 week, a 课时计划 (语文 5, 数学 5), 任课 (1 班: 陈老师 数学,
王班主任 语文; 2 班: 赵班主任 语文), a 物理实验室, a published version "矩阵课表" (1 班 周一 1–2 节 数学/语文,
2 班 周一第 1 节 语文), a draft copy, a pending 代课 request of 陈老师 (张校长 to take over). School B has its own
published version (刘老师 数学 in 骆驼学校's class).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.models import TeachingAssignment

from .models import CoursePlan, Room, Substitution, Timetable, TimetableEntry, TimetableStatus, WeekSetup

PUBLISHED_NAME = "矩阵课表"
DRAFT_NAME = "矩阵课表草稿"
RUNNING_NAME = "矩阵课表求解中"
REASON = "矩阵：外出培训"


def _entry(tt, klass, subject, teacher, day, period, length=1):
    return TimetableEntry.objects.create(
        timetable=tt,
        lesson_key=f"c{klass.pk}-s{subject.pk}-{length}",
        klass=klass,
        subject=subject,
        teacher=teacher,
        day=day,
        period=period,
        length=length,
    )


def tt_world(w):
    """Adds the timetable fixtures to the world ``w`` (once) and returns it."""
    if getattr(w, "tt_a", None) is not None:
        return w
    WeekSetup.objects.create(school=w.school_a, days=5, periods=6, morning=4, period_times=[], weights={})
    for s in (w.math, w.chinese):
        CoursePlan.objects.create(school=w.school_a, grade=w.grade_a, subject=s, periods_per_week=5, is_main=True)
    TeachingAssignment.objects.get_or_create(
        teacher=w.head_a1, klass=w.class_a1, subject=w.chinese, term=w.term, defaults={"periods_per_week": 5}
    )
    TeachingAssignment.objects.get_or_create(
        teacher=w.head_a2, klass=w.class_a2, subject=w.chinese, term=w.term, defaults={"periods_per_week": 5}
    )
    w.room_a = Room.objects.create(school=w.school_a, name="物理实验室", room_type="物理实验室", capacity=48)
    today = timezone.localdate()
    w.tt_a = Timetable.objects.create(
        school=w.school_a,
        term=w.term,
        name=PUBLISHED_NAME,
        status=TimetableStatus.PUBLISHED,
        effective_from=today - dt.timedelta(days=7),
        published_at=timezone.now(),
    )
    w.entry_a1_math = _entry(w.tt_a, w.class_a1, w.math, w.math_a, 0, 0)
    w.entry_a1_chinese = _entry(w.tt_a, w.class_a1, w.chinese, w.head_a1, 0, 1)
    w.entry_a2_chinese = _entry(w.tt_a, w.class_a2, w.chinese, w.head_a2, 0, 0)
    w.tt_a_draft = Timetable.objects.create(
        school=w.school_a, term=w.term, name=DRAFT_NAME, status=TimetableStatus.SOLVED, time_limit=2
    )
    w.draft_entry = _entry(w.tt_a_draft, w.class_a1, w.math, w.math_a, 1, 0)
    _entry(w.tt_a_draft, w.class_a2, w.chinese, w.head_a2, 1, 1)
    w.tt_a_running = Timetable.objects.create(
        school=w.school_a,
        term=w.term,
        name=RUNNING_NAME,
        status=TimetableStatus.SOLVING,
        progress={"elapsed": 3, "solutions": 2, "objective": 40, "limit": 30},
    )
    w.tt_b = Timetable.objects.create(
        school=w.school_b,
        term=w.term,
        name="骆驼学校课表",
        status=TimetableStatus.PUBLISHED,
        effective_from=today - dt.timedelta(days=7),
        published_at=timezone.now(),
    )
    w.entry_b1_math = _entry(w.tt_b, w.class_b1, w.math, w.math_b, 0, 0)
    monday = today - dt.timedelta(days=today.weekday())
    date = monday + dt.timedelta(days=7)  # next Monday: the 数学 lesson of 1 班
    w.sub_a = Substitution.objects.create(
        school=w.school_a,
        entry=w.entry_a1_math,
        klass=w.class_a1,
        date=date,
        original_teacher=w.math_a,
        substitute=w.principal_a,
        reason=REASON,
        requested_by=w.teacher_a,
    )
    return w


BLOCK_NAME = "矩阵选考A段"
GROUP_NAME = "物理A班"


def parallel_world(w):
    """合班 and 走班 fixtures on school A (once): 七年级 1、2 班 体育与健康 together with 赵班主任 (2 periods), and a
    走班 block “矩阵选考A段” (2 periods) with 物理A班 (陈老师, 物理实验室) and 历史A班 (王班主任), both from 1、2 班."""
    from core.models import Subject

    from .models import CombinedLesson, ElectiveBlock, TeachingGroup

    tt_world(w)
    if getattr(w, "block_a", None) is not None:
        return w
    subjects = {s.name: s for s in Subject.objects.filter(district=w.district)}
    w.combined_a = CombinedLesson.objects.create(
        school=w.school_a, subject=subjects["体育与健康"], teacher=w.head_a2, periods_per_week=2
    )
    w.combined_a.classes.set([w.class_a1, w.class_a2])
    w.block_a = ElectiveBlock.objects.create(school=w.school_a, grade=w.grade_a, name=BLOCK_NAME, periods_per_week=2)
    w.group_a = TeachingGroup.objects.create(
        block=w.block_a, name=GROUP_NAME, subject=subjects["物理"], teacher=w.math_a, room=w.room_a, size=30
    )
    w.group_a.classes.set([w.class_a1, w.class_a2])
    w.group_a2 = TeachingGroup.objects.create(
        block=w.block_a, name="历史A班", subject=subjects["历史"], teacher=w.head_a1, size=30
    )
    w.group_a2.classes.set([w.class_a1, w.class_a2])
    return w


def parallel_entries(w, tt):
    """Placed rows of the ``parallel_world`` lessons in version ``tt`` (once): the 体育与健康 合班 of 1、2 班 on
    Wednesday period 1, and the 走班 block on Wednesday period 2 (物理A班 and 历史A班, each with a row per
    class). Sets ``w.pe_rows`` and ``w.block_rows`` (``{(group, class): row}``)."""
    parallel_world(w)
    if getattr(w, "pe_rows", None) is not None:
        return w
    pe = w.combined_a
    w.pe_rows = [
        TimetableEntry.objects.create(
            timetable=tt,
            lesson_key=f"m{pe.pk}-1",
            klass=klass,
            subject=pe.subject,
            teacher=pe.teacher,
            day=2,
            period=0,
            parallel_key=f"m{pe.pk}-1#0",
        )
        for klass in (w.class_a1, w.class_a2)
    ]
    w.block_rows = {}
    for group in (w.group_a, w.group_a2):
        for klass in (w.class_a1, w.class_a2):
            w.block_rows[(group.pk, klass.pk)] = TimetableEntry.objects.create(
                timetable=tt,
                lesson_key=f"g{group.pk}-1",
                klass=klass,
                subject=group.subject,
                teacher=group.teacher,
                room=group.room,
                day=2,
                period=1,
                parallel_key=f"b{w.block_a.pk}-1#0",
                teaching_group=group,
            )
    return w


def choosing_open(w, *, days: float = 1):
    """Opens 网上选课 of the ``parallel_world`` block now (for ``days``), without notifying anyone."""
    import datetime as dt

    from django.utils import timezone

    parallel_world(w)
    now = timezone.now()
    w.block_a.choose_from, w.block_a.choose_until = now - dt.timedelta(hours=1), now + dt.timedelta(days=days)
    w.block_a.save(update_fields=["choose_from", "choose_until"])
    return w
