"""代课统计: per teacher, 代课 taught (times and periods) and asked for, 调课 and pending requests, for a term or
one of its months; the page, its Chinese errors, the Excel export and who may see them."""

import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from core.models import AuditLog
from core.testing import client_for
from timetable import selectors as sel
from timetable.models import Substitution, TimetableEntry
from timetable.testing import tt_world

pytestmark = pytest.mark.django_db


def _sub(w, entry, date, original, substitute, *, kind="substitute", status="approved", school=None):
    return Substitution.objects.create(
        school=school or w.school_a,
        entry=entry,
        klass=entry.klass,
        kind=kind,
        date=date,
        original_teacher=original,
        substitute=substitute,
        reason="区教研活动",
        status=status,
        requested_by=w.teacher_a,
    )


@pytest.fixture
def w(world):
    """In the first month of the term 王班主任 takes one 数学 of 陈老师; in the second a 连堂 (2 periods), and swaps
    a lesson with 赵班主任; 陈老师 has one request pending and one rejected. School B has its own 代课."""
    w = tt_world(world)
    Substitution.objects.filter(pk=w.sub_a.pk).update(status="cancelled")  # the fixture's request is withdrawn
    w.month_a = w.term.start_date.replace(day=1)
    w.month_b = (w.month_a + dt.timedelta(days=32)).replace(day=1)
    double = TimetableEntry.objects.create(
        timetable=w.tt_a,
        lesson_key="double",
        klass=w.class_a1,
        subject=w.math,
        teacher=w.math_a,
        day=2,
        period=2,
        length=2,
    )
    _sub(w, w.entry_a1_math, w.term.start_date + dt.timedelta(days=3), w.math_a, w.head_a1)
    _sub(w, double, w.month_b + dt.timedelta(days=5), w.math_a, w.head_a1)
    _sub(w, w.entry_a1_chinese, w.month_b + dt.timedelta(days=6), w.head_a1, w.head_a2, kind="swap")
    _sub(w, w.entry_a1_math, w.month_b + dt.timedelta(days=8), w.math_a, w.principal_a, status="pending")
    _sub(w, w.entry_a1_math, w.month_b + dt.timedelta(days=9), w.math_a, w.principal_a, status="rejected")
    _sub(w, w.entry_b1_math, w.month_b + dt.timedelta(days=5), w.math_b, w.principal_b, school=w.school_b)
    return w


def _rows(stats):
    return {r["teacher"]: {k: v for k, v in r.items() if k not in ("teacher", "teacher_id")} for r in stats["rows"]}


def test_term_statistics_per_teacher(w):
    stats = sel.substitution_teacher_stats(
        user=w.school_admin_a, school_id=w.school_a.pk, start=w.term.start_date, end=w.term.end_date
    )
    rows = _rows(stats)
    assert rows[w.head_a1.name] == {"taught": 2, "taught_periods": 3, "requested": 0, "swaps": 1, "pending": 0}
    assert rows[w.math_a.name] == {"taught": 0, "taught_periods": 0, "requested": 2, "swaps": 0, "pending": 1}
    assert rows[w.head_a2.name]["swaps"] == 1
    assert w.principal_a.name not in rows  # only a pending and a rejected request name him
    assert w.math_b.name not in rows and w.principal_b.name not in rows
    assert stats["rows"][0]["teacher"] == w.head_a1.name  # the busiest substitute first
    assert stats["total"] == {"taught": 2, "taught_periods": 3, "requested": 2, "swaps": 1, "pending": 1}


def test_month_statistics(w):
    end = (w.month_a + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    stats = sel.substitution_teacher_stats(
        user=w.school_admin_a, school_id=w.school_a.pk, start=w.term.start_date, end=end
    )
    rows = _rows(stats)
    assert set(rows) == {w.head_a1.name, w.math_a.name}
    assert rows[w.head_a1.name]["taught_periods"] == 1 and rows[w.math_a.name]["requested"] == 1


def test_statistics_start_from_the_user_scope(w):
    stats = sel.substitution_teacher_stats(
        user=w.school_admin_b, school_id=w.school_a.pk, start=w.term.start_date, end=w.term.end_date
    )
    assert stats["rows"] == []


def test_stats_page_for_term_and_month(w):
    c = client_for(w.school_admin_a)
    url = reverse("timetable:substitution_stats", args=[w.school_a.pk])
    body = c.get(url).content.decode()
    assert body.count('data-testid="stats-row"') == 3
    total = body.split('data-testid="stats-total"')[1].split("</tr>")[0]
    assert [x.split("<")[0] for x in total.split('class="text-end">')[1:]] == ["2", "3", "2", "1", "1"]
    body = c.get(url, {"term": w.term.pk, "month": f"{w.month_a:%Y-%m}"}).content.decode()
    assert body.count('data-testid="stats-row"') == 2
    assert f"{w.month_a.year}年{w.month_a.month}月" in body
    # the page is reached from the 排课管理 tabs and from the 调课代课 list
    assert url in c.get(reverse("timetable:rooms", args=[w.school_a.pk])).content.decode()
    assert url in c.get(reverse("timetable:substitutions")).content.decode()


def test_stats_page_bad_month_or_term_names_the_field(w):
    c = client_for(w.school_admin_a)
    url = reverse("timetable:substitution_stats", args=[w.school_a.pk])
    body = c.get(url, {"month": "2026-13"}).content.decode()
    assert "月份：“2026-13”格式不正确" in body and body.count('data-testid="stats-row"') == 3
    body = c.get(url, {"month": "2031-01"}).content.decode()
    assert "月份：2031-01 不在" in body
    body = c.get(url, {"term": "999999"}).content.decode()
    assert "学期：所选学期不存在" in body


def test_stats_excel_has_the_rows_and_the_total_and_is_audited(w):
    before = AuditLog.objects.filter(action="substitution.stats_export").count()
    response = client_for(w.school_admin_a).get(
        reverse("timetable:substitution_stats_export", args=[w.school_a.pk]),
        {"term": w.term.pk, "month": f"{w.month_b:%Y-%m}"},
    )
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True))
    assert rows[0] == ("教师", "代课（次）", "代课（节）", "请人代课（次）", "调课（次）", "待审批申请")
    by_name = {r[0]: r[1:] for r in rows[1:]}
    assert by_name[w.head_a1.name] == (1, 2, 0, 1, 0)
    assert by_name[w.math_a.name] == (0, 0, 1, 0, 1)
    assert by_name["合计"] == (1, 2, 1, 1, 1)
    assert AuditLog.objects.filter(action="substitution.stats_export").count() == before + 1


def test_stats_scope(w):
    page = reverse("timetable:substitution_stats", args=[w.school_a.pk])
    export = reverse("timetable:substitution_stats_export", args=[w.school_a.pk])
    for url in (page, export):
        assert Client().get(url).status_code == 302
        assert client_for(w.school_admin_b).get(url).status_code == 404
        assert client_for(w.teacher_a).get(url).status_code == 404
    body = client_for(w.district_admin).get(page).content.decode()
    assert w.head_a1.name in body and w.math_b.name not in body
