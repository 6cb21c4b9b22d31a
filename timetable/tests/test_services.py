"""Timetable services on the test world: setup validation, problem building, solving (with the Chinese
explanation when impossible), moving/locking/publishing, 调课/代课 with suggestions and notifications, ICS."""

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.models import AuditLog, TeachingAssignment
from timetable import selectors as sel
from timetable import services
from timetable.checks import entry_conflicts
from timetable.ics import timetable_events, timetable_ics
from timetable.models import (
    CoursePlan,
    Substitution,
    TeacherRule,
    Timetable,
    TimetableEntry,
    TimetableStatus,
    WeekSetup,
)
from timetable.problem import problem_build
from timetable.testing import tt_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    return tt_world(world)


def _solve(w, **kw):
    tt = services.timetable_create(actor=w.school_admin_a, school=w.school_a, time_limit=kw.pop("time_limit", 10))
    services.timetable_solve(actor=w.school_admin_a, timetable=tt)  # inline in tests (ZX_JOBS_IN_THREAD=0)
    tt.refresh_from_db()
    return tt


# --- setup ------------------------------------------------------------------------------------------------


def test_week_setup_rejects_more_morning_periods_than_periods_and_writes_nothing(w):
    with pytest.raises(ValidationError) as exc:
        services.week_setup_save(actor=w.school_admin_a, school=w.school_a, days=5, periods=6, morning=7)
    assert "上午节数不能超过每天节数" in str(exc.value)
    assert WeekSetup.objects.get(school=w.school_a).morning == 4


def test_week_setup_is_audited_and_blocked_slot_toggles(w):
    before = AuditLog.objects.filter(action="weeksetup.save").count()
    assert services.week_slot_toggle(actor=w.school_admin_a, school=w.school_a, day=2, period=5) is True
    assert WeekSetup.objects.get(school=w.school_a).blocked == [[2, 5]]
    assert services.week_slot_toggle(actor=w.school_admin_a, school=w.school_a, day=2, period=5) is False
    assert WeekSetup.objects.get(school=w.school_a).blocked == []
    assert AuditLog.objects.filter(action="weeksetup.save").count() == before + 2


def test_other_school_admin_cannot_change_the_week(w):
    with pytest.raises(PermissionDenied):
        services.week_setup_save(actor=w.school_admin_b, school=w.school_a, days=5, periods=8, morning=4)


def test_course_plan_with_too_many_doubles_is_refused(w):
    with pytest.raises(ValidationError) as exc:
        services.course_plan_set(actor=w.school_admin_a, grade=w.grade_a, subject=w.math, periods_per_week=3, doubles=2)
    assert "连堂 2 次需要 4 课时" in str(exc.value)
    assert CoursePlan.objects.get(grade=w.grade_a, subject=w.math).periods_per_week == 5


def test_course_plan_zero_periods_removes_the_line(w):
    services.course_plan_set(actor=w.school_admin_a, grade=w.grade_a, subject=w.chinese, periods_per_week=0)
    assert not CoursePlan.objects.filter(grade=w.grade_a, subject=w.chinese).exists()


def test_teacher_rule_slots_outside_the_week_name_the_field(w):
    with pytest.raises(ValidationError) as exc:
        services.teacher_rule_set(actor=w.school_admin_a, school=w.school_a, teacher=w.math_a, unavailable=[[5, 0]])
    assert "不可排课时段" in str(exc.value)


# --- problem and solving --------------------------------------------------------------------------------


def test_problem_has_one_lesson_per_class_subject_and_reports_missing_teacher(w):
    tt = services.timetable_create(actor=w.school_admin_a, school=w.school_a)
    built = problem_build(timetable=tt)
    counts = {(lesson.groups[0], lesson.subject): lesson.count for lesson in built.problem.lessons}
    assert counts == {
        (f"c{w.class_a1.pk}", "数学"): 5,
        (f"c{w.class_a1.pk}", "语文"): 5,
        (f"c{w.class_a2.pk}", "语文"): 5,
    }
    # 2 班 数学 is in the plan but nobody teaches it
    assert [i.message for i in built.issues] == [f"{w.class_a2.name} 的数学没有任课教师（课时计划每周 5 节）"]
    assert built.problem.week.periods == 6 and built.problem.week.morning == 4


def test_solve_refuses_with_a_chinese_reason_then_solves_once_fixed(w):
    tt = _solve(w)
    assert tt.status == TimetableStatus.FAILED
    assert any("没有任课教师" in c["message"] and c["fix"] == "assignments" for c in tt.conflicts)
    assert not tt.entries.exists()

    TeachingAssignment.objects.create(
        teacher=w.math_a, klass=w.class_a2, subject=w.math, term=w.term, periods_per_week=5
    )
    services.timetable_solve(actor=w.school_admin_a, timetable=tt)
    tt.refresh_from_db()
    assert tt.status == TimetableStatus.SOLVED, tt.message
    assert tt.entries.count() == 20
    assert entry_conflicts(tt) == {}
    # 陈老师 teaches both classes: never two lessons at once
    slots = list(tt.entries.filter(teacher=w.math_a).values_list("day", "period"))
    assert len(slots) == 10 == len(set(slots))


def test_impossible_teacher_availability_is_explained(w):
    TeachingAssignment.objects.create(
        teacher=w.math_a, klass=w.class_a2, subject=w.math, term=w.term, periods_per_week=5
    )
    # 陈老师 (10 periods a week) may only teach on Monday (6 periods)
    services.teacher_rule_set(
        actor=w.school_admin_a,
        school=w.school_a,
        teacher=w.math_a,
        unavailable=[[d, p] for d in range(1, 5) for p in range(6)],
    )
    tt = _solve(w)
    assert tt.status == TimetableStatus.FAILED
    text = "；".join(c["message"] for c in tt.conflicts)
    assert w.math_a.name in text, text


def test_locked_lesson_stays_when_solving_again(w):
    TeachingAssignment.objects.create(
        teacher=w.math_a, klass=w.class_a2, subject=w.math, term=w.term, periods_per_week=5
    )
    tt = _solve(w)
    entry = tt.entries.filter(klass=w.class_a1, subject=w.math).first()
    target = next(
        (d, p)
        for d in range(5)
        for p in range(6)
        if not tt.entries.filter(teacher=w.math_a, day=d, period=p).exists()
        and not tt.entries.filter(klass=w.class_a1, day=d, period=p).exists()
    )
    services.entry_move(actor=w.school_admin_a, entry=entry, day=target[0], period=target[1])
    services.entry_lock(actor=w.school_admin_a, entry=entry, locked=True)
    services.timetable_solve(actor=w.school_admin_a, timetable=tt)
    tt.refresh_from_db()
    assert tt.status == TimetableStatus.SOLVED
    assert tt.entries.filter(pk=entry.pk, day=target[0], period=target[1], locked=True).exists()
    assert tt.entries.count() == 20


def test_moving_onto_a_busy_teacher_shows_the_clash_and_blocks_publishing(w):
    tt = w.tt_a_draft
    entry = w.draft_entry  # 1 班 数学, 陈老师, 周二第 1 节
    other = TimetableEntry.objects.create(
        timetable=tt, lesson_key="x", klass=w.class_a2, subject=w.math, teacher=w.math_a, day=3, period=2
    )
    services.entry_move(actor=w.school_admin_a, entry=entry, day=3, period=2)
    problems = entry_conflicts(tt)
    assert set(problems) == {entry.pk, other.pk}
    assert f"{w.math_a.name} 在周四第3节同时要上 {w.class_a2.name} 的课" in problems[entry.pk]
    with pytest.raises(ValidationError) as exc:
        services.timetable_publish(actor=w.school_admin_a, timetable=tt, effective_from=timezone.localdate())
    assert "2 节课存在冲突" in str(exc.value)


def test_move_outside_the_week_is_refused(w):
    with pytest.raises(ValidationError):
        services.entry_move(actor=w.school_admin_a, entry=w.draft_entry, day=0, period=6)
    w.draft_entry.refresh_from_db()
    assert (w.draft_entry.day, w.draft_entry.period) == (1, 0)


def test_publish_replaces_the_published_version_and_keeps_it(w):
    services.timetable_publish(actor=w.school_admin_a, timetable=w.tt_a_draft, effective_from=dt.date(2026, 12, 1))
    w.tt_a.refresh_from_db()
    w.tt_a_draft.refresh_from_db()
    assert w.tt_a.status == TimetableStatus.ARCHIVED
    assert w.tt_a_draft.status == TimetableStatus.PUBLISHED
    assert (
        sel.published_timetable(user=w.student_user_a1, school_id=w.school_a.pk, on=dt.date(2026, 12, 1))
        == w.tt_a_draft
    )
    assert sel.published_timetable(user=w.student_user_a1, school_id=w.school_a.pk, on=dt.date(2026, 11, 30)) == w.tt_a
    with pytest.raises(ValidationError):
        services.entry_move(actor=w.school_admin_a, entry=w.draft_entry, day=2, period=2)


def test_students_see_only_the_published_version_of_their_class(w):
    grid = sel.class_grid(user=w.student_user_a1, timetable=w.tt_a, klass=w.class_a1)
    subjects = [it["subject"] for row in grid["rows"] for c in row["cells"] for it in c["items"]]
    assert sorted(subjects) == ["数学", "语文"]
    # another class's lessons are not visible through the scope
    other = sel.class_grid(user=w.student_user_a1, timetable=w.tt_a, klass=w.class_a2)
    assert not [it for row in other["rows"] for c in row["cells"] for it in c["items"]]


# --- 调课 / 代课 ------------------------------------------------------------------------------------------


def _next_monday():
    today = timezone.localdate()
    return today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)


def test_candidates_are_free_and_fair(w):
    cands = sel.substitution_candidates(entry=w.entry_a1_math, date=_next_monday() + dt.timedelta(days=7))
    names = [c["person"].name for c in cands]
    # 赵班主任 teaches 2 班 at the same time (周一第 1 节) and 陈老师 is the teacher himself
    assert w.head_a2.name not in names and w.math_a.name not in names
    assert w.head_a1.name in names and w.principal_a.name in names


def test_teacher_requests_substitute_and_admin_approves(w):
    date = _next_monday() + dt.timedelta(days=7)
    with mock.patch("timetable.services.notify") as notify:
        sub = services.substitution_request(
            actor=w.teacher_a, entry=w.entry_a1_math, date=date, reason="参加市教研活动", substitute=w.head_a1
        )
        assert notify.call_args.kwargs["kind"] == "timetable.substitution"
        assert [u.username for u in notify.call_args.kwargs["users"]] == ["sadmin_a"]
        services.substitution_decide(actor=w.school_admin_a, substitution=sub, approve=True)
        users = {u.username for u in notify.call_args.kwargs["users"]}
    assert users == {"teacher_a", "head_a1"}  # 陈老师, the substitute 王班主任 (also 1 班's head teacher)
    sub.refresh_from_db()
    assert sub.status == "approved" and sub.decided_by == w.school_admin_a

    monday = sel.monday_of(date)
    grid = sel.class_grid(user=w.student_user_a1, timetable=w.tt_a, klass=w.class_a1, monday=monday)
    item = next(it for row in grid["rows"] for c in row["cells"] for it in c["items"] if it["subject"] == "数学")
    assert item["badge"] == "代" and item["teacher"] == w.head_a1.name
    # the week before is unchanged
    grid = sel.class_grid(
        user=w.student_user_a1, timetable=w.tt_a, klass=w.class_a1, monday=monday - dt.timedelta(days=7)
    )
    item = next(it for row in grid["rows"] for c in row["cells"] for it in c["items"] if it["subject"] == "数学")
    assert item["badge"] == "" and item["teacher"] == w.math_a.name
    # the substitute's own week shows the lesson taken over
    tgrid = sel.teacher_grid(user=w.teacher_a, timetable=w.tt_a, teacher=w.head_a1, monday=monday)
    taken = [it for row in tgrid["rows"] for c in row["cells"] for it in c["items"] if it["badge"] == "代"]
    assert [t["subject"] for t in taken] == ["数学"]
    stats = sel.substitution_stats(user=w.school_admin_a, school_id=w.school_a.pk, term=w.term)
    assert {"teacher": w.head_a1.name, "taken": 1, "given": 0} in stats
    assert {"teacher": w.math_a.name, "taken": 0, "given": 1} in stats


def test_substitute_busy_at_that_time_is_refused(w):
    with pytest.raises(ValidationError) as exc:
        services.substitution_request(
            actor=w.teacher_a,
            entry=w.entry_a1_math,
            date=_next_monday() + dt.timedelta(days=7),
            reason="病假",
            substitute=w.head_a2,
        )
    assert f"{w.head_a2.name} 在这节课的时间已有课" in str(exc.value)


def test_a_teacher_cannot_request_for_someone_elses_lesson(w):
    with pytest.raises((PermissionDenied, ValidationError)):
        services.substitution_request(
            actor=w.teacher_a, entry=w.entry_a1_chinese, date=_next_monday(), reason="x", substitute=w.principal_a
        )
    assert Substitution.objects.count() == 1


def test_request_on_the_wrong_weekday_names_the_date(w):
    date = _next_monday() + dt.timedelta(days=8)  # a Tuesday; the lesson is on Monday
    with pytest.raises(ValidationError) as exc:
        services.substitution_request(
            actor=w.teacher_a, entry=w.entry_a1_math, date=date, reason="x", substitute=w.principal_a
        )
    assert f"{date.isoformat()} 不是这节课所在的周一" in str(exc.value)


def test_swap_moves_both_lessons_for_that_week(w):
    date = _next_monday() + dt.timedelta(days=7)
    sub = services.substitution_request(
        actor=w.teacher_a,
        entry=w.entry_a1_math,
        date=date,
        reason="调课",
        kind="swap",
        swap_entry=w.entry_a1_chinese,
        swap_date=date,
    )
    services.substitution_decide(actor=w.school_admin_a, substitution=sub, approve=True)
    grid = sel.class_grid(user=w.student_user_a1, timetable=w.tt_a, klass=w.class_a1, monday=sel.monday_of(date))
    by_period = {it["period"]: it["subject"] for row in grid["rows"] for c in row["cells"] for it in c["items"]}
    assert by_period == {0: "语文", 1: "数学"}


# --- iCalendar ----------------------------------------------------------------------------------------------


def test_ics_has_one_event_per_lesson_per_week_in_shanghai_time(w):
    events = timetable_events(w.student_user_a1, today=timezone.localdate(), weeks=2)
    weeks_left = 2 if (timezone.localdate() + dt.timedelta(days=7)) <= w.term.end_date else 1
    assert len(events) == 2 * weeks_left
    assert {e["summary"] for e in events} == {f"数学（{w.math_a.name}）", f"语文（{w.head_a1.name}）"}
    body = timetable_ics(w.student_user_a1, today=timezone.localdate())
    assert "DTSTART;TZID=Asia/Shanghai:" in body and "T080000" in body
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.rstrip().endswith("END:VCALENDAR")


def test_regenerated_token_replaces_the_old_one(w):
    old = services.calendar_token(user=w.parent1)
    new = services.calendar_token_regenerate(actor=w.parent1)
    assert old != new and len(new) >= 40
    assert services.calendar_token(user=w.parent1) == new


def test_teacher_rule_exists_after_toggle(w):
    assert services.teacher_slot_toggle(actor=w.school_admin_a, school=w.school_a, teacher=w.math_a, day=0, period=5)
    assert TeacherRule.objects.get(school=w.school_a, teacher=w.math_a).unavailable == [[0, 5]]
    assert Timetable.objects.filter(school=w.school_a).count() == 3


def test_a_version_published_for_a_later_date_takes_over_from_that_week(w):
    today = timezone.localdate()
    start = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=14)
    services.timetable_publish(actor=w.school_admin_a, timetable=w.tt_a_draft, effective_from=start)
    assert sel.published_timetable(user=w.student_user_a1, school_id=w.school_a.pk) == w.tt_a
    assert sel.published_timetable(user=w.student_user_a1, school_id=w.school_a.pk, on=start) == w.tt_a_draft
    # 代课 for next week still concerns the version in force then (the fixture's request for it is withdrawn)
    services.substitution_cancel(actor=w.teacher_a, substitution=w.sub_a)
    sub = services.substitution_request(
        actor=w.teacher_a,
        entry=w.entry_a1_math,
        date=start - dt.timedelta(days=7),
        reason="培训",
        substitute=w.head_a1,
    )
    assert sub.pk
    with pytest.raises(ValidationError) as exc:
        services.substitution_request(
            actor=w.teacher_a, entry=w.entry_a1_math, date=start, reason="培训", substitute=w.principal_a
        )
    assert "执行的是另一版课表" in str(exc.value)
