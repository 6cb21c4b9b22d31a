"""Timetable pages driven as real users: setup forms with Chinese errors, solve → grid, drag (move) with the
clash shown, publish, 我的课表, exports (Excel cells, PDF), the ICS feed by token, 代课 request → approval."""

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import TeachingAssignment
from core.testing import client_for
from timetable import services
from timetable.models import CalendarFeed, CoursePlan, Room, Substitution, Timetable, TimetableStatus, WeekSetup
from timetable.testing import tt_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    return tt_world(world)


def test_week_form_error_names_the_line_and_saves_nothing(w):
    c = client_for(w.school_admin_a)
    data = {"days": 5, "periods": 6, "morning": 4, "breaks_after": "2", "period_times": "08:00-08:45\n9点-10点"}
    data.update(
        {
            f"w_{k}": 5
            for k in (
                "spread",
                "twice_a_day",
                "main_morning",
                "teacher_gaps",
                "teacher_consecutive",
                "daily_balance",
                "preferences",
            )
        }
    )
    response = c.post(reverse("timetable:week", args=[w.school_a.pk]), data)
    assert response.status_code == 200
    assert "第 2 行“9点-10点”格式不对" in response.content.decode()
    assert WeekSetup.objects.get(school=w.school_a).breaks_after == []
    data["period_times"] = "08:00-08:45\n08:55-09:40"
    response = c.post(reverse("timetable:week", args=[w.school_a.pk]), data)
    assert response.status_code == 302
    setup = WeekSetup.objects.get(school=w.school_a)
    assert setup.breaks_after == [2] and setup.period_times[1] == ["08:55", "09:40"] and len(setup.period_times) == 6


def test_plan_form_error_names_the_subject_and_writes_nothing(w):
    c = client_for(w.school_admin_a)
    url = reverse("timetable:plans", args=[w.school_a.pk]) + f"?grade={w.grade_a.pk}"
    response = c.post(url, {f"n_{w.math.pk}": "3", f"d_{w.math.pk}": "2", f"n_{w.chinese.pk}": "六"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "数学：连堂 2 次需要 4 课时，超过了周课时" in body
    assert "语文：周课时和连堂次数须为整数" in body
    assert CoursePlan.objects.get(grade=w.grade_a, subject=w.math).periods_per_week == 5


def test_plan_page_shows_missing_teacher(w):
    body = client_for(w.school_admin_a).get(reverse("timetable:plans", args=[w.school_a.pk])).content.decode()
    assert "未安排" in body and w.head_a1.name in body


def test_room_is_added(w):
    c = client_for(w.school_admin_a)
    response = c.post(
        reverse("timetable:rooms", args=[w.school_a.pk]),
        {"name": "计算机教室", "room_type": "计算机教室", "capacity": 50, "is_active": "on"},
    )
    assert response.status_code == 302
    assert Room.objects.filter(school=w.school_a, name="计算机教室", capacity=50).exists()
    response = c.post(
        reverse("timetable:rooms", args=[w.school_a.pk]),
        {"name": "计算机教室", "room_type": "计算机教室", "capacity": 50},
    )
    assert response.status_code == 200 and Room.objects.filter(name="计算机教室").count() == 1


def test_teacher_grid_click_marks_unavailable(w):
    c = client_for(w.school_admin_a)
    response = c.post(
        reverse("timetable:teacher_slot", args=[w.school_a.pk, w.math_a.pk]),
        {"day": 4, "period": 5},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'data-testid="slot-4-5" data-on="1"' in response.content.decode()


def test_create_solve_move_and_publish_through_the_pages(w):
    TeachingAssignment.objects.create(
        teacher=w.math_a, klass=w.class_a2, subject=w.math, term=w.term, periods_per_week=5
    )
    c = client_for(w.school_admin_a)
    response = c.post(
        reverse("timetable:version_create", args=[w.school_a.pk]), {"name": "测试版", "time_limit": 10, "solve": "1"}
    )
    tt = Timetable.objects.get(name="测试版")
    assert response.status_code == 302 and response["Location"] == reverse("timetable:version", args=[tt.pk])
    assert tt.status == TimetableStatus.SOLVED
    page = c.get(reverse("timetable:version", args=[tt.pk]) + f"?view=class&id={w.class_a1.pk}").content.decode()
    assert page.count('data-testid="item"') == 10 and "已排好 20 节课" in page
    # drop 1 班's first 数学 onto a slot where 陈老师 teaches 2 班
    mine = tt.entries.filter(klass=w.class_a1, subject=w.math).first()
    busy = tt.entries.filter(klass=w.class_a2, teacher=w.math_a).exclude(day=mine.day, period=mine.period).first()
    response = c.post(
        reverse("timetable:entry_move", args=[mine.pk]),
        {"day": busy.day, "period": busy.period, "view": "teacher", "id": w.math_a.pk},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "tt-conflict" in body and f"{w.math_a.name} 在" in body and "同时要上" in body
    response = c.post(reverse("timetable:version_publish", args=[tt.pk]), {"effective_from": "2026-12-07"}, follow=True)
    assert "存在冲突" in response.content.decode()
    tt.refresh_from_db()
    assert tt.status == TimetableStatus.SOLVED
    # move it back, publish
    c.post(reverse("timetable:entry_move", args=[mine.pk]), {"day": mine.day, "period": mine.period})
    response = c.post(reverse("timetable:version_publish", args=[tt.pk]), {"effective_from": "2026-12-07"}, follow=True)
    assert "课表已发布，自 2026-12-07 起生效" in response.content.decode()
    tt.refresh_from_db()
    assert tt.status == TimetableStatus.PUBLISHED
    # the student sees this version from that week on, the one before until then
    student = client_for(w.student_user_a1)
    body = student.get(reverse("timetable:my") + "?week=2026-12-07").content.decode()
    assert "测试版" in body and body.count('data-testid="item"') == 10
    body = student.get(reverse("timetable:my") + "?week=2026-11-30").content.decode()
    assert "测试版" not in body and "矩阵课表" in body


def test_progress_poll_reloads_when_done(w):
    c = client_for(w.school_admin_a)
    running = c.get(reverse("timetable:version_progress", args=[w.tt_a_running.pk])).content.decode()
    assert "找到 2 个方案" in running and "当前罚分 40" in running
    done = c.get(reverse("timetable:version_progress", args=[w.tt_a_draft.pk]))
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def test_teacher_cannot_move_lessons(w):
    response = client_for(w.teacher_a).post(
        reverse("timetable:entry_move", args=[w.draft_entry.pk]), {"day": 2, "period": 2}
    )
    assert response.status_code == 403


def test_my_timetable_for_teacher_student_parent(w):
    teacher = client_for(w.teacher_a).get(reverse("timetable:my")).content.decode()
    assert w.class_a1.name in teacher and "数学" in teacher
    parent = client_for(w.parent1).get(reverse("timetable:my")).content.decode()
    # 周建国 has a child in each school: two tabs
    assert w.class_a1.name in parent and w.class_b1.name in parent
    student_b = client_for(w.student_user_b1).get(reverse("timetable:my")).content.decode()
    assert w.math_b.name in student_b and w.math_a.name not in student_b


def test_excel_export_has_the_grid(w):
    response = client_for(w.student_user_a1).get(reverse("timetable:class_export", args=[w.class_a1.pk, "xlsx"]))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("节次", "时间", "周一")
    assert rows[1][0] == "第1节" and rows[1][2] == f"数学 {w.math_a.name}"
    assert rows[2][2] == f"语文 {w.head_a1.name}"


def test_pdf_export(w):
    response = client_for(w.teacher_a).get(
        reverse("timetable:teacher_export", args=[w.school_a.pk, w.math_a.pk, "pdf"])
    )
    assert response.status_code == 200 and response.content[:4] == b"%PDF"


def test_ics_feed_by_token_and_regenerate(w):
    c = client_for(w.student_user_a1)
    c.post(reverse("timetable:ics_regenerate"))
    token = CalendarFeed.objects.get(user=w.student_user_a1).token
    feed = Client().get(reverse("timetable:ics_feed", args=[token]))
    body = feed.content.decode()
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    assert "SUMMARY:数学（" in body and "TZID=Asia/Shanghai" in body
    c.post(reverse("timetable:ics_regenerate"))
    assert Client().get(reverse("timetable:ics_feed", args=[token])).status_code == 404
    assert Client().get(reverse("timetable:ics_feed", args=["guess"])).status_code == 404


def test_substitution_request_and_approval_through_the_pages(w):
    today = timezone.localdate()
    date = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=14)
    teacher = client_for(w.teacher_a)
    url = reverse("timetable:substitution_new", args=[w.entry_a1_math.pk]) + f"?date={date.isoformat()}"
    page = teacher.get(url).content.decode()
    assert w.principal_a.name in page and w.head_a2.name not in page.split('data-testid="candidates"')[1]
    response = teacher.post(url, {"kind": "substitute", "date": date.isoformat(), "substitute": "", "reason": "病假"})
    assert "请选择代课教师" in response.content.decode()
    response = teacher.post(
        url, {"kind": "substitute", "date": date.isoformat(), "substitute": w.head_a1.pk, "reason": "病假"}
    )
    sub = Substitution.objects.get(reason="病假")
    assert response.status_code == 302 and sub.status == "pending"
    admin = client_for(w.school_admin_a)
    response = admin.post(reverse("timetable:substitution_decide", args=[sub.pk]), {"decision": "approve"}, follow=True)
    assert "已批准" in response.content.decode()
    week = client_for(w.student_user_a1).get(reverse("timetable:my") + f"?week={date.isoformat()}").content.decode()
    assert "由" not in week and "代" in week and f"{w.math_a.name}→{w.head_a1.name}" in week
    stats = admin.get(reverse("timetable:substitutions")).content.decode()
    assert "本学期调课代课统计" in stats and w.head_a1.name in stats


def test_version_solve_with_engine_failure_shows_message(w):
    tt = services.timetable_create(actor=w.school_admin_a, school=w.school_a, time_limit=5)
    client_for(w.school_admin_a).post(reverse("timetable:version_solve", args=[tt.pk]))
    page = client_for(w.school_admin_a).get(reverse("timetable:version", args=[tt.pk])).content.decode()
    assert (
        "为什么排不出来" in page and "没有任课教师" in page and reverse("timetable:plans", args=[w.school_a.pk]) in page
    )


def test_swap_request_through_the_page(w):
    today = timezone.localdate()
    date = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=14)
    teacher = client_for(w.teacher_a)
    url = reverse("timetable:substitution_new", args=[w.entry_a1_math.pk]) + f"?date={date.isoformat()}"
    page = teacher.get(url).content.decode()
    value = f"{w.entry_a1_chinese.pk}|{date.isoformat()}"
    assert value in page and "第2节 语文" in page  # the other lessons of 1 班 that week
    response = teacher.post(url, {"kind": "swap", "date": date.isoformat(), "swap": value, "reason": "公开课"})
    sub = Substitution.objects.get(reason="公开课")
    assert response.status_code == 302
    assert sub.kind == "swap" and sub.swap_entry == w.entry_a1_chinese and sub.substitute == w.head_a1


def test_overview_excel_has_one_row_per_class(w):
    response = client_for(w.school_admin_a).get(reverse("timetable:version_export", args=[w.tt_a.pk]))
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("班级", "周一1", "周一2")
    by_class = {r[0]: r[1:3] for r in rows[1:]}
    assert by_class[w.class_a1.name] == (f"数学 {w.math_a.name}", f"语文 {w.head_a1.name}")
    assert by_class[w.class_a2.name][0] == f"语文 {w.head_a2.name}"
    assert client_for(w.teacher_a).get(reverse("timetable:version_export", args=[w.tt_a.pk])).status_code == 404
