"""The score entry grid: who sees it, autosave of a cell (Score written / Chinese error and nothing written),
marks, and the lock after publishing (read-only for teachers; corrections with a reason for the school admin)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from core.models import AuditLog
from core.testing import login
from exams import services
from exams.models import Score, ScoreCorrection

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    login(c, user)
    return c


@pytest.fixture
def exam(world):
    w = world
    return services.exam_create(
        actor=w.district_admin,
        district_id=w.district.pk,
        code="2026-g7-mid",
        name="七年级期中联考",
        term=w.term,
        stage="junior",
        entry_year=w.grade_a.entry_year,
        exam_date=dt.date(2026, 11, 10),
        subjects=[(w.chinese, 120), (w.math, 120)],
    )


def grid_url(exam, klass, subject):
    return f"/exams/{exam.pk}/entry/{klass.pk}/{exam.subjects.get(subject=subject).pk}/"


def cell_url(exam, klass, subject, student):
    return grid_url(exam, klass, subject) + f"{exam.candidates.get(student=student).pk}/"


def post_cell(user, exam, student, value="", *, subject=None, klass=None, htmx_trigger="value", **extra):
    w_subject = subject
    url = cell_url(exam, klass, w_subject, student)
    return client_for(user).post(
        url, {"value": value, **extra}, HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME=htmx_trigger
    )


def score_of(exam, student, subject):
    return Score.objects.filter(candidate__exam=exam, candidate__student=student, exam_subject__subject=subject).first()


def test_grid_shows_the_class_to_its_subject_teacher_only(world, exam):
    w = world
    r = client_for(w.teacher_a).get(grid_url(exam, w.class_a1, w.math))
    html = r.content.decode()
    assert r.status_code == 200
    assert "周小明" in html and "吴小红" in html and "郑小刚" not in html
    assert html.count('data-testid="entry-row"') == 2 and "data-zx-grid" in html and "data-zx-cell" in html
    assert "满分 120" in html and "已录 0/2" in html
    assert client_for(w.teacher_a).get(grid_url(exam, w.class_a2, w.math)).status_code == 403  # not their class
    assert client_for(w.teacher_a).get(grid_url(exam, w.class_a1, w.chinese)).status_code == 403  # nor subject
    assert client_for(w.head_teacher_a1).get(grid_url(exam, w.class_a1, w.math)).status_code == 403
    assert client_for(w.teacher_b).get(grid_url(exam, w.class_a1, w.math)).status_code == 404
    assert client_for(w.parent1).get(grid_url(exam, w.class_a1, w.math)).status_code == 404
    assert client_for(w.school_admin_b).get(grid_url(exam, w.class_a1, w.math)).status_code == 403
    for who in ("school_admin_a", "district_admin"):
        assert client_for(getattr(w, who)).get(grid_url(exam, w.class_a2, w.chinese)).status_code == 200
    assert client_for(w.teacher_a).get(grid_url(exam, w.class_b1, w.math)).status_code == 404  # no candidates


def test_typing_a_value_saves_it(world, exam):
    w = world
    r = post_cell(w.teacher_a, exam, w.student_a1, "98.5", subject=w.math, klass=w.class_a1)
    html = r.content.decode()
    assert r.status_code == 200 and html.startswith("<td") and 'data-state="saved"' in html
    assert 'value="98.5"' in html and "已保存" in html
    s = score_of(exam, w.student_a1, w.math)
    assert (s.value, s.status, s.entered_by) == (Decimal("98.5"), "normal", w.teacher_a)
    assert AuditLog.objects.filter(action="score.set", actor=w.teacher_a).count() == 1
    # full-width digits typed with a Chinese IME
    post_cell(w.teacher_a, exam, w.student_a1b, "１００", subject=w.math, klass=w.class_a1)
    assert score_of(exam, w.student_a1b, w.math).value == Decimal("100.0")
    html = client_for(w.teacher_a).get(grid_url(exam, w.class_a1, w.math)).content.decode()
    assert 'value="98.5"' in html and 'value="100"' in html and "已录 2/2" in html


def test_bad_values_show_a_chinese_error_and_write_nothing(world, exam):
    w = world
    for value, message in (
        ("156", "156 超出满分 120"),
        ("-3", "-3 不能为负数"),
        ("九十", "「九十」不是有效的成绩"),
        ("", "请填写成绩，或标记为缺考/作弊/免考"),
    ):
        html = post_cell(w.teacher_a, exam, w.student_a1, value, subject=w.math, klass=w.class_a1).content.decode()
        assert 'data-state="error"' in html and message in html and "is-invalid" in html, value
        assert f'value="{value}"' in html  # what was typed stays in the cell to be fixed
    assert not Score.objects.exists() and not AuditLog.objects.filter(action="score.set").exists()
    post_cell(w.teacher_a, exam, w.student_a1, "88", subject=w.math, klass=w.class_a1)
    html = post_cell(w.teacher_a, exam, w.student_a1, "", subject=w.math, klass=w.class_a1).content.decode()
    assert "（原成绩 88 未改动）" in html and score_of(exam, w.student_a1, w.math).value == Decimal("88.0")


def test_marks_by_keyword_or_select(world, exam):
    w = world
    html = post_cell(w.teacher_a, exam, w.student_a1, "缺考", subject=w.math, klass=w.class_a1).content.decode()
    assert 'value="缺考"' in html and '<option value="absent" selected>' in html
    assert score_of(exam, w.student_a1, w.math).status == "absent"
    post_cell(w.teacher_a, exam, w.student_a1b, "zb", subject=w.math, klass=w.class_a1)
    assert score_of(exam, w.student_a1b, w.math).status == "cheat"
    post_cell(
        w.teacher_a, exam, w.student_a1b, "", subject=w.math, klass=w.class_a1, status="exempt", htmx_trigger="status"
    )
    s = score_of(exam, w.student_a1b, w.math)
    assert (s.value, s.status) == (None, "exempt")
    # back to 正常 with the select: the cell then needs a number
    html = post_cell(
        w.teacher_a,
        exam,
        w.student_a1b,
        "免考",
        subject=w.math,
        klass=w.class_a1,
        status="normal",
        htmx_trigger="status",
    ).content.decode()
    assert "请填写成绩" in html and score_of(exam, w.student_a1b, w.math).status == "exempt"
    post_cell(w.teacher_a, exam, w.student_a1b, "0", subject=w.math, klass=w.class_a1)
    s = score_of(exam, w.student_a1b, w.math)
    assert (s.value, s.status) == (Decimal("0.0"), "normal")  # 0 is a score


def test_cell_endpoint_refuses_others(world, exam):
    w = world
    assert post_cell(w.teacher_a, exam, w.student_a2, "90", subject=w.math, klass=w.class_a2).status_code == 403
    assert post_cell(w.teacher_a, exam, w.student_a1, "90", subject=w.chinese, klass=w.class_a1).status_code == 403
    assert post_cell(w.teacher_b, exam, w.student_a1, "90", subject=w.math, klass=w.class_a1).status_code == 404
    # a candidate of another class through this class's URL
    url = grid_url(exam, w.class_a1, w.math) + f"{exam.candidates.get(student=w.student_a2).pk}/"
    assert client_for(w.school_admin_a).post(url, {"value": "90"}).status_code == 404
    assert client_for(w.teacher_a).get(cell_url(exam, w.class_a1, w.math, w.student_a1)).status_code == 405
    assert not Score.objects.exists()


def test_published_grid_is_locked_for_teachers_and_corrected_with_a_reason(world, exam):
    w = world
    for cand in exam.candidates.all():
        for es in exam.subjects.all():
            services.score_set(actor=w.district_admin, candidate=cand, exam_subject=es, value=80)
    services.exam_publish(actor=w.district_admin, exam=exam)

    html = client_for(w.teacher_a).get(grid_url(exam, w.class_a1, w.math)).content.decode()
    assert "成绩已发布并锁定，只能查看" in html and "data-zx-cell" not in html and "readonly" in html
    html = post_cell(w.teacher_a, exam, w.student_a1, "90", subject=w.math, klass=w.class_a1).content.decode()
    assert "成绩已发布并锁定" in html and score_of(exam, w.student_a1, w.math).value == Decimal("80.0")

    html = client_for(w.school_admin_a).get(grid_url(exam, w.class_a1, w.math)).content.decode()
    assert "更正成绩须填写原因" in html and 'id="correction-reason"' in html and "data-zx-cell" in html
    html = post_cell(w.school_admin_a, exam, w.student_a1, "90", subject=w.math, klass=w.class_a1).content.decode()
    assert "成绩已发布，更正须填写原因" in html and score_of(exam, w.student_a1, w.math).value == Decimal("80.0")
    html = post_cell(
        w.school_admin_a, exam, w.student_a1, "90", subject=w.math, klass=w.class_a1, reason="漏加第 20 题 10 分"
    ).content.decode()
    assert 'data-state="saved"' in html and score_of(exam, w.student_a1, w.math).value == Decimal("90.0")
    fix = ScoreCorrection.objects.get()
    assert (fix.old_value, fix.new_value, fix.reason, fix.corrected_by) == (
        Decimal("80.0"),
        Decimal("90.0"),
        "漏加第 20 题 10 分",
        w.school_admin_a,
    )
    assert AuditLog.objects.filter(action="score.correct").count() == 1


def test_a_new_total_drops_stale_item_scores(world, exam):
    """services.score_set fix: changing the total without 小题 clears the old 小题 (they no longer add up)."""
    w = world
    es = exam.subjects.get(subject=w.math)
    services.items_set(
        actor=w.district_admin,
        exam_subject=es,
        items=[{"number": "1", "full_mark": 20, "kind": "objective", "answer": "A"}, {"number": "2", "full_mark": 100}],
    )
    cand = exam.candidates.get(student=w.student_a1)
    s = services.score_set(actor=w.school_admin_a, candidate=cand, exam_subject=es, items=[20, 60], options=["A", ""])
    assert (s.value, s.items, s.options) == (Decimal("80.0"), [20.0, 60.0], ["A", ""])
    post_cell(w.teacher_a, exam, w.student_a1, "80", subject=w.math, klass=w.class_a1)  # unchanged: kept
    s.refresh_from_db()
    assert s.items == [20.0, 60.0]
    post_cell(w.teacher_a, exam, w.student_a1, "85", subject=w.math, klass=w.class_a1)
    s.refresh_from_db()
    assert (s.value, s.items, s.options) == (Decimal("85.0"), None, None)
