"""成绩报告单 (page and PDF), the family's list and the ranking policy page: what each role sees."""

import datetime as dt
import shutil
import subprocess

import pytest
from django.test import Client

from core.models import AuditLog
from core.testing import login
from exams import services
from exams.models import RankingPolicy, StudentResult
from exams.report_card import student_report

pytestmark = [pytest.mark.django_db]


def client_for(user):
    c = Client()
    login(c, user)
    return c


def published_exam(w, *, publish=True, code="mid"):
    exam = services.exam_create(
        actor=w.district_admin,
        district_id=w.district.pk,
        code=code,
        name="七年级期中联考" if code == "mid" else "七年级月考",
        term=w.term,
        stage="junior",
        entry_year=w.grade_a.entry_year,
        exam_date=dt.date(2026, 11, 10) if code == "mid" else dt.date(2026, 10, 8),
        subjects=[(w.chinese, 120), (w.math, 100)],
    )
    chinese, math = exam.subjects.get(subject=w.chinese), exam.subjects.get(subject=w.math)
    values = {w.student_a1: (96, 88), w.student_a1b: (90, 70), w.student_a2: (102, None)}
    for student, (c, m) in values.items():
        cand = exam.candidates.get(student=student)
        services.score_set(actor=w.district_admin, candidate=cand, exam_subject=chinese, value=c)
        if m is None:
            services.score_set(actor=w.district_admin, candidate=cand, exam_subject=math, status="absent")
        else:
            services.score_set(actor=w.district_admin, candidate=cand, exam_subject=math, value=m)
    if publish:
        services.exam_publish(actor=w.district_admin, exam=exam)
    return exam


def url(exam, cand, suffix=""):
    return f"/exams/{exam.pk}/students/{cand.pk}/{suffix}"


def test_report_numbers(world):
    w = world
    exam = published_exam(w)
    cand = exam.candidates.get(student=w.student_a1)
    r = student_report(w.head_teacher_a1, cand)
    rows = {row["subject"]: row for row in r["rows"]}
    assert (r["total"], r["total_full"]) == (184.0, 220.0)
    assert rows["语文"]["class_mean"] == pytest.approx(93.0)  # class a1: 96, 90
    assert rows["语文"]["district_mean"] == pytest.approx(96.0)  # 96, 90, 102
    assert rows["数学"]["district_mean"] == pytest.approx(79.0)  # 88, 70; 郑小刚 缺考 is not counted
    a2 = student_report(w.head_teacher_a2, exam.candidates.get(student=w.student_a2))
    a2_math = next(row for row in a2["rows"] if row["subject"] == "数学")
    assert a2_math["value"] is None and a2_math["status"] == "缺考"
    assert a2["total"] == 102.0 and a2["total_full"] == 120.0


def test_parent_sees_only_their_child_and_no_ranks_by_default(world):
    w = world
    exam = published_exam(w)
    a1 = exam.candidates.get(student=w.student_a1)
    StudentResult.objects.create(candidate=a1, total=184, class_rank=1, school_rank=1, district_rank=1)
    parent = client_for(w.parent1)
    page = parent.get("/exams/my/").content.decode()
    assert "七年级期中联考" in page and "周小明" in page and "郑小刚" not in page
    r = parent.get(url(exam, a1))
    assert r.status_code == 200
    html = r.content.decode()
    assert "184" in html and "按区县规定，本页不显示排名" in html and 'data-testid="card-class_rank"' not in html
    a2 = exam.candidates.get(student=w.student_a2)
    assert parent.get(url(exam, a2)).status_code == 404  # another family's child
    assert client_for(w.teacher_b).get(url(exam, a1)).status_code == 404  # another school's teacher
    assert Client().get(url(exam, a1)).status_code == 302  # anonymous → login

    # the district allows parents to see the class ranking
    admin = client_for(w.district_admin)
    assert admin.post("/exams/policy/", {"guardian.class_rank": "on"}).status_code == 302
    assert RankingPolicy.objects.get().rules["guardian"]["class_rank"] is True
    html = parent.get(url(exam, a1)).content.decode()
    assert 'data-testid="card-class_rank">1<' in html and "card-district_rank" not in html


def test_unpublished_exam_is_for_staff_only(world):
    w = world
    exam = published_exam(w, publish=False)
    a1 = exam.candidates.get(student=w.student_a1)
    assert client_for(w.parent1).get(url(exam, a1)).status_code == 404
    assert client_for(w.student_user_a1).get(url(exam, a1)).status_code == 404
    assert "七年级期中联考" not in client_for(w.parent1).get("/exams/my/").content.decode()
    r = client_for(w.head_teacher_a1).get(url(exam, a1))
    assert r.status_code == 200 and "未发布" in r.content.decode()


def test_trend_and_pdf(world):
    w = world
    published_exam(w, code="oct")
    exam = published_exam(w)
    a1 = exam.candidates.get(student=w.student_a1)
    r = student_report(w.parent1, a1)
    assert [t["exam"].name for t in r["trend"]] == ["七年级月考", "七年级期中联考"]
    assert r["trend"][1]["rate"] == pytest.approx(184 / 220)

    response = client_for(w.parent1).get(url(exam, a1, "report.pdf"))
    assert response.status_code == 200 and response.content[:4] == b"%PDF"
    assert AuditLog.objects.filter(action="exam.print_report_card", actor=w.parent1).count() == 1
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=response.content, capture_output=True, check=True
        ).stdout.decode()
        assert "成绩报告单" in text and "周小明" in text and "184" in text
    assert client_for(w.parent2).get(url(exam, a1, "report.pdf")).status_code == 404


def test_policy_page_is_for_the_district(world):
    w = world
    for who in ("school_admin_a", "teacher_a", "parent1"):
        assert client_for(getattr(w, who)).get("/exams/policy/").status_code == 403
    page = client_for(w.district_admin).get("/exams/policy/").content.decode()
    assert 'name="guardian.class_rank"' in page and 'name="head_teacher.district_rank" id' in page
