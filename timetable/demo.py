"""Demo data of the timetable module: a seed_demo hook (registered in TimetableConfig.ready).

For the demo school (the one with the demo logins): a 5-day week of 8 periods (4 in the morning, 大课间 after
the 2nd, 周三下午第 7–8 节 教研 blocked), a 课时计划 for each of its grades, special rooms, 任课 with periods per week
for every class and planned subject (reusing the school's teachers, adding 任课 where a subject has none), a
few teacher constraints, a 合班 (体育与健康 of two classes of the last grade), a 走班 (七年级兴趣拓展: 合唱团, 书法社 and
编程社 drawing from every class of the grade, one period a week), and a published timetable solved by the engine
with a short time limit (a greedy placement when the engine cannot answer in time)."""

from __future__ import annotations

import datetime as dt
import random
import time

from django.utils import timezone

JUNIOR_PLAN = [
    # subject, periods/week, 连堂, 主科, room type
    ("语文", 6, 0, True, ""),
    ("数学", 5, 0, True, ""),
    ("英语", 5, 0, True, ""),
    ("物理", 3, 0, False, ""),
    ("道德与法治", 2, 0, False, ""),
    ("历史", 2, 0, False, ""),
    ("地理", 2, 0, False, ""),
    ("生物学", 2, 0, False, "生物实验室"),
    ("体育与健康", 3, 0, False, ""),
    ("音乐", 1, 0, False, "音乐教室"),
    ("美术", 1, 0, False, "美术教室"),
    ("信息科技", 1, 0, False, "计算机教室"),
]
PRIMARY_PLAN = [
    ("语文", 7, 0, True, ""),
    ("数学", 5, 0, True, ""),
    ("英语", 3, 0, True, ""),
    ("科学", 2, 0, False, ""),
    ("道德与法治", 2, 0, False, ""),
    ("体育与健康", 4, 0, False, ""),
    ("音乐", 2, 0, False, "音乐教室"),
    ("美术", 2, 0, False, "美术教室"),
    ("信息科技", 1, 0, False, "计算机教室"),
]
SENIOR_PLAN = [
    ("语文", 5, 0, True, ""),
    ("数学", 6, 1, True, ""),
    ("英语", 5, 0, True, ""),
    ("物理", 4, 1, False, ""),
    ("化学", 3, 0, False, "化学实验室"),
    ("生物学", 2, 0, False, ""),
    ("思想政治", 2, 0, False, ""),
    ("历史", 2, 0, False, ""),
    ("地理", 2, 0, False, ""),
    ("体育与健康", 2, 0, False, ""),
]
ROOMS = [
    ("生物实验室", "生物实验室", 50),
    ("音乐教室", "音乐教室", 55),
    ("美术教室", "美术教室", 55),
    ("计算机教室（一）", "计算机教室", 55),
    ("计算机教室（二）", "计算机教室", 55),
    ("化学实验室", "化学实验室", 50),
]
PLANS = {"junior": JUNIOR_PLAN, "primary": PRIMARY_PLAN, "senior": SENIOR_PLAN}


def timetable_demo_seed(*, district, seed: int = 0, out=None, batch_size: int = 0, time_limit: float = 4) -> None:
    from core.demo.generate import demo_school_and_class
    from core.models import Class, RoleGrant, Subject, TeachingAssignment
    from core.services import current_term

    from . import services
    from .models import ClassRule, CoursePlan, Room, TeacherRule, Timetable, TimetableStatus, WeekSetup

    # the school of the demo logins (found the same way by every module's hook) and its 教务 (school admin)
    school, _demo_class = demo_school_and_class(district)
    if school is None:
        if out:
            out("排课演示数据：没有演示学校，跳过")
        return
    grant = (
        RoleGrant.objects.filter(role="school_admin", school=school, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if grant is None:
        if out:
            out(f"排课演示数据：{school.name} 没有学校管理员账号，跳过")
        return
    admin = grant.user
    term = current_term(district_id=district.pk)
    if term is None or Timetable.objects.filter(school=school).exists():
        return
    rng = random.Random(seed + 6)
    started = time.monotonic()
    WeekSetup.objects.update_or_create(
        school=school,
        defaults={
            "days": 5,
            "periods": 8,
            "morning": 4,
            "breaks_after": [2],
            "blocked": [[2, 6], [2, 7]],
            "period_times": [],
            "weights": {},
        },
    )
    setup = WeekSetup.objects.get(school=school)
    setup.full_clean()  # fills the default period times and weights
    setup.save()
    for name, rtype, cap in ROOMS:
        Room.objects.get_or_create(school=school, name=name, defaults={"room_type": rtype, "capacity": cap})
    subjects = {s.name: s for s in Subject.objects.filter(district=district)}
    classes = list(Class.objects.filter(school=school, archived_at__isnull=True).select_related("grade"))
    grades = []
    for c in classes:
        if c.grade not in grades:
            grades.append(c.grade)
    teachers_by_subject: dict[int, list] = {}
    for ta in TeachingAssignment.objects.filter(klass__school=school, term=term):
        teachers_by_subject.setdefault(ta.subject_id, [])
        if ta.teacher_id not in teachers_by_subject[ta.subject_id]:
            teachers_by_subject[ta.subject_id].append(ta.teacher_id)
    from core.models import StaffPost

    staff = list(
        StaffPost.objects.filter(school=school, archived_at__isnull=True, post="teacher").values_list(
            "person_id", "main_subject_id"
        )
    )
    by_main: dict[int, list] = {}
    for pid, sid in staff:
        by_main.setdefault(sid, []).append(pid)
    load: dict[int, int] = {}
    for grade in grades:
        for name, n, doubles, main, rtype in PLANS.get(grade.stage, JUNIOR_PLAN):
            subject = subjects.get(name)
            if subject is None:
                continue
            CoursePlan.objects.get_or_create(
                school=school,
                grade=grade,
                subject=subject,
                defaults={"periods_per_week": n, "doubles": doubles, "is_main": main, "room_type": rtype},
            )
            pool = teachers_by_subject.get(subject.pk) or by_main.get(subject.pk) or [pid for pid, _s in staff]
            for c in [c for c in classes if c.grade_id == grade.pk]:
                ta = TeachingAssignment.objects.filter(klass=c, subject=subject, term=term).first()
                if ta is None:
                    # the least loaded teacher of the subject, at most 16 periods a week
                    candidates = sorted(pool, key=lambda p: (load.get(p, 0), rng.random()))
                    pid = next((p for p in candidates if load.get(p, 0) + n <= 16), candidates[0])
                    ta = TeachingAssignment.objects.create(
                        klass=c, subject=subject, term=term, teacher_id=pid, periods_per_week=n
                    )
                elif not ta.periods_per_week:
                    ta.periods_per_week = n
                    ta.save(update_fields=["periods_per_week"])
                load[ta.teacher_id] = load.get(ta.teacher_id, 0) + ta.periods_per_week
    # a few realistic constraints: a teacher with a moderate load who is away on Friday afternoons (区教研)
    moderate = sorted((p for p in load if 6 <= load[p] <= 14), key=lambda p: (-load[p], p))[:1]
    if moderate:
        TeacherRule.objects.get_or_create(
            school=school,
            teacher_id=moderate[0],
            defaults={"unavailable": [[4, 4], [4, 5], [4, 6], [4, 7]], "max_per_day": 4},
        )
    if classes:
        ClassRule.objects.get_or_create(school=school, klass=classes[0], defaults={"unavailable": [], "max_per_day": 7})
    _demo_combined_pe(admin=admin, school=school, classes=classes, subjects=subjects, term=term, out=out)
    _demo_elective_block(admin=admin, school=school, classes=classes, subjects=subjects, term=term, out=out)
    tt = services.timetable_create(actor=admin, school=school, name="本学期课表", time_limit=int(time_limit))
    status = services.timetable_solve_run(tt.pk)
    tt.refresh_from_db()
    if status != TimetableStatus.SOLVED:
        greedy_fill(tt)
    tt.refresh_from_db()
    if tt.status == TimetableStatus.SOLVED:
        try:
            services.timetable_publish(
                actor=admin,
                timetable=tt,
                effective_from=max(
                    term.start_date, timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
                ),
            )
        except Exception as exc:  # a greedy fallback may leave clashes; the 教务 sees them in red
            if out:
                out(f"  课表未发布：{exc}")
    if out:
        out(
            f"排课演示数据：{school.name} {tt.entries.count()} 节课（{tt.get_status_display()}），"
            f"用时 {time.monotonic() - started:.1f} 秒"
        )


def _classes_by_grade(classes) -> dict:
    """grade -> its classes in order, grades in the order they were created."""
    by_grade: dict = {}
    for c in sorted(classes, key=lambda c: (c.grade.pk, c.name)):
        by_grade.setdefault(c.grade, []).append(c)
    return by_grade


def _demo_combined_pe(*, admin, school, classes, subjects, term, out) -> None:
    """A 合班 in the demo: the first two classes of the last grade have 体育与健康 together, with the
    first class's PE teacher (two classes on the field at once is common in junior schools)."""
    from django.core.exceptions import ValidationError

    from core.models import TeachingAssignment

    from . import services
    from .models import CombinedLesson, CoursePlan

    pe = subjects.get("体育与健康")
    by_grade = _classes_by_grade(classes)
    pairs = [cs[:2] for cs in by_grade.values() if len(cs) >= 2]
    if pe is None or not pairs or CombinedLesson.objects.filter(school=school).exists():
        return
    pair = pairs[-1]
    plan = CoursePlan.objects.filter(school=school, grade=pair[0].grade, subject=pe).first()
    ta = TeachingAssignment.objects.filter(klass=pair[0], subject=pe, term=term).first()
    if plan is None or ta is None:
        return
    try:
        services.combined_lesson_save(
            actor=admin,
            school=school,
            subject=pe,
            classes=pair,
            teacher=ta.teacher,
            periods_per_week=plan.periods_per_week,
        )
    except ValidationError as exc:  # the demo goes on without it; the 教务 can add it on the 合班 page
        if out:
            out(f"  合班未建立：{exc}")


ELECTIVE_GROUPS = [
    # teaching group, subject (its teacher is the one of the grade's first class), room
    ("合唱团", "音乐", "音乐教室"),
    ("书法社", "美术", "美术教室"),
    ("编程社", "信息科技", "计算机教室（一）"),
]


def _demo_elective_block(*, admin, school, classes, subjects, term, out) -> None:
    """A 走班 in the demo: the youngest junior grade with two or more classes has one 兴趣拓展 period a week in which its
    students leave their classes for 合唱团, 书法社 or 编程社 (taught by the grade's music, art and IT teachers, in
    their special rooms)."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from core.models import TeachingAssignment

    from . import services
    from .models import ElectiveBlock, Room

    by_grade = _classes_by_grade(classes)
    grades = [g for g, cs in by_grade.items() if len(cs) >= 2]
    if not grades or ElectiveBlock.objects.filter(school=school).exists():
        return
    # 走班 belongs to secondary school: the youngest junior (or senior) grade, else the first one
    grade = min(grades, key=lambda g: (g.stage not in ("junior", "senior"), g.stage != "junior", -g.entry_year))
    members = by_grade[grade]
    groups = []
    for name, subject_name, room_name in ELECTIVE_GROUPS:
        subject = subjects.get(subject_name)
        ta = TeachingAssignment.objects.filter(klass=members[0], subject=subject, term=term).first()
        if subject is None or ta is None or any(g[2] == ta.teacher for g in groups):
            continue
        groups.append((name, subject, ta.teacher, Room.objects.filter(school=school, name=room_name).first()))
    if len(groups) < 2:
        return
    # seats: an even share and ten more, so that students can still change group in the demo's 网上选课
    share = sum(c.students.filter(archived_at__isnull=True).count() for c in members) // len(groups)
    size = share + 10 if share else None
    try:
        with transaction.atomic():
            block = services.elective_block_save(
                actor=admin, school=school, grade=grade, name=f"{grade.label()}兴趣拓展", periods_per_week=1
            )
            for name, subject, teacher, room in groups:
                services.teaching_group_save(
                    actor=admin,
                    block=block,
                    name=name,
                    subject=subject,
                    teacher=teacher,
                    classes=members,
                    room=room,
                    size=min(size, room.capacity) if size and room else size,
                )
            _demo_rosters(admin, block)
            # 网上选课 open for two weeks from the seeding (the 名单 above is its starting point)
            now = timezone.now()
            services.elective_window_set(
                actor=admin,
                block=block,
                choose_from=now - dt.timedelta(days=1),
                choose_until=now + dt.timedelta(days=14),
            )
    except ValidationError as exc:  # the demo goes on without it; the 教务 can add it on the 走班 page
        if out:
            out(f"  走班未建立：{exc}")


def _demo_rosters(admin, block) -> None:
    """The 选课 result of the demo 走班: the grade's students go to the groups in turn (class by class, by 学号), as
    many as each group's room holds; whoever is left over stays unassigned, as after a real 选课 round."""
    from core.models import Student
    from core.models.people import StudentStatus

    from . import services

    groups = list(block.groups.select_related("room").order_by("pk"))
    room_for = {g.pk: (g.room.capacity if g.room_id else None) for g in groups}
    chosen: dict[int, list] = {g.pk: [] for g in groups}
    students = Student.objects.filter(
        klass__in=groups[0].classes.all(), status=StudentStatus.ENROLLED, archived_at__isnull=True
    ).order_by("klass__number", "class_no", "pk")
    for i, st in enumerate(students):
        for k in range(len(groups)):
            g = groups[(i + k) % len(groups)]
            if room_for[g.pk] is None or len(chosen[g.pk]) < room_for[g.pk]:
                chosen[g.pk].append(st)
                break
    for g in groups:
        services.teaching_group_students_set(actor=admin, group=g, students=chosen[g.pk])


def greedy_fill(tt) -> int:
    """Place every lesson in the first free slot (class and teacher free, not blocked) — the fallback when the
    engine is unavailable. Returns how many lessons could not be placed."""
    from .checks import placement_problems
    from .models import TimetableEntry, TimetableStatus
    from .problem import entries_from_placements, problem_build, week_setup_for

    built = problem_build(timetable=tt)
    setup = week_setup_for(tt.school)
    from timetable.engine.model import Placement

    busy_t, busy_c = set(), set()
    placements, missing = [], 0
    for lesson in sorted(built.problem.lessons, key=lambda x: (-x.duration, -x.count)):
        info = built.lessons[lesson.id]
        used_days: set[int] = set()
        for i in range(lesson.count):
            placed = False
            for day in sorted(range(setup.days), key=lambda d: (d in used_days, d)):
                for period in range(setup.periods - lesson.duration + 1):
                    cells = [(day, period + k) for k in range(lesson.duration)]
                    probe = TimetableEntry(
                        timetable=tt,
                        klass_id=info.klass_id,
                        teacher_id=info.teacher_id,
                        day=day,
                        period=period,
                        length=lesson.duration,
                    )
                    if placement_problems(setup, probe, rules={}, class_rules={}, rooms={}):
                        continue
                    if any((info.teacher_id, *c) in busy_t or (info.klass_id, *c) in busy_c for c in cells):
                        continue
                    for c in cells:
                        busy_t.add((info.teacher_id, *c))
                        busy_c.add((info.klass_id, *c))
                    placements.append(Placement(lesson.id, i, day, period, None))
                    used_days.add(day)
                    placed = True
                    break
                if placed:
                    break
            missing += 0 if placed else 1
    tt.entries.filter(locked=False).delete()
    TimetableEntry.objects.bulk_create(entries_from_placements(tt, built, placements))
    type(tt).objects.filter(pk=tt.pk).update(
        status=TimetableStatus.SOLVED, message="按顺序放置（引擎不可用时的备用方案）"
    )
    return missing
