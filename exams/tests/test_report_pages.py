"""考试分析 pages (district / school / class) and their Excel export, per role."""

from io import BytesIO

import pytest
from django.test import Client
from openpyxl import load_workbook

from core.testing import login
from exams.report.refresh import report_refresh
from exams.tests.test_report_card import published_exam

pytestmark = [pytest.mark.django_db]


def client_for(user):
    c = Client()
    login(c, user)
    return c


@pytest.fixture
def exam(world):
    exam = published_exam(world)
    report_refresh(exam, force=True)
    return exam


def test_district_page(world, exam):
    w = world
    r = client_for(w.district_admin).get(f"/exams/{exam.pk}/report/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-key="total"' in html and "172" in html  # 总分 mean of the two complete totals (184, 160)
    assert w.school_a.name in html and "七年级（1）班" in html and "上线分析" in html
    assert (
        "陈老师"
        in client_for(w.district_admin)
        .get(f"/exams/{exam.pk}/report/?subject={exam.subjects.get(subject=w.math).pk}")
        .content.decode()
    )


def test_each_role_lands_on_its_level(world, exam):
    w = world
    r = client_for(w.school_admin_a).get(f"/exams/{exam.pk}/report/")
    assert r.status_code == 302 and r["Location"] == f"/exams/{exam.pk}/report/schools/{w.school_a.pk}/"
    r = client_for(w.head_teacher_a1).get(f"/exams/{exam.pk}/report/")
    assert r.status_code == 302 and r["Location"] == f"/exams/{exam.pk}/report/classes/{w.class_a1.pk}/"
    page = client_for(w.head_teacher_a1).get(r["Location"]).content.decode()
    assert "周小明" in page and "吴小红" in page and "郑小刚" not in page
    assert client_for(w.head_teacher_a1).get(f"/exams/{exam.pk}/report/classes/{w.class_a2.pk}/").status_code in (
        403,
        404,
    )
    assert client_for(w.school_admin_b).get(f"/exams/{exam.pk}/report/schools/{w.school_a.pk}/").status_code in (
        403,
        404,
    )
    r = client_for(w.parent1).get(f"/exams/{exam.pk}/report/")  # parents go to their children's report cards
    assert r.status_code == 302 and r["Location"] == "/exams/my/"
    assert client_for(w.parent1).get(f"/exams/{exam.pk}/report/classes/{w.class_a1.pk}/").status_code in (403, 404)
    assert Client().get(f"/exams/{exam.pk}/report/").status_code == 302


def test_export(world, exam):
    w = world
    r = client_for(w.head_teacher_a1).get(f"/exams/{exam.pk}/report/export.xlsx?level=class&id={w.class_a1.pk}")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    wb = load_workbook(BytesIO(r.content))
    assert wb.sheetnames[0] == "成绩统计"
    students = wb["学生成绩"]
    names = {row[1] for row in students.iter_rows(min_row=2, values_only=True)}
    assert names == {"周小明", "吴小红"}
    header = [c.value for c in students[1]]
    t = {row[1]: row[header.index("标准分（T）")] for row in students.iter_rows(min_row=2, values_only=True)}
    assert float(t["周小明"]) > 50 > float(t["吴小红"])  # 184 vs 160: above and below the mean
    bad = client_for(w.head_teacher_a1).get(f"/exams/{exam.pk}/report/export.xlsx?level=class&id={w.class_a2.pk}")
    assert bad.status_code in (403, 404)


def test_value_added_page(world):
    w = world
    published_exam(w, code="oct")
    exam = published_exam(w)
    c = client_for(w.district_admin)
    page = c.get(f"/exams/{exam.pk}/value-added/").content.decode()
    assert "七年级月考" in page and 'data-testid="va-model"' in page and "匹配学生 2 人" in page
    assert 'data-testid="va-class"' in page and "七年级（1）班" in page
    math = str(w.math.pk)
    page = c.get(f"/exams/{exam.pk}/value-added/?subject={math}").content.decode()
    assert "匹配学生 2 人" in page  # 郑小刚 was absent in 数学 both times
    assert client_for(w.parent1).get(f"/exams/{exam.pk}/value-added/").status_code == 403
    assert client_for(w.teacher_b).get(f"/exams/{exam.pk}/value-added/").status_code == 404
    # the earliest exam has nothing to compare with
    first = exam.__class__.objects.get(code="oct")
    assert "没有更早的考试" in c.get(f"/exams/{first.pk}/value-added/").content.decode()
