"""考试管理 pages as users meet them: the list by scope, creating a 联考 and a 单校考试 (with the services'
Chinese errors on the form), the exam page with progress and publishing, the 小题 editor and the import pages."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from core.models import AuditLog
from core.testing import login
from exams import services
from exams.models import Exam, ExamItem, Score

pytestmark = pytest.mark.django_db


def client_for(user):
    c = Client()
    login(c, user)
    return c


def make_exam(w, *, code="2026-g7-mid", name="七年级期中联考", school=None):
    return services.exam_create(
        actor=w.district_admin,
        district_id=w.district.pk,
        code=code,
        name=name,
        term=w.term,
        stage="junior",
        entry_year=w.grade_a.entry_year,
        exam_date=dt.date(2026, 11, 10),
        subjects=[(w.chinese, 120), (w.math, 120)],
        school=school,
    )


def page(user, url, **params) -> tuple[int, str]:
    r = client_for(user).get(url, params)
    return r.status_code, r.content.decode()


# --- list ---------------------------------------------------------------------------------------------------------


def test_list_shows_each_user_the_exams_of_their_scope(world):
    w = world
    joint = make_exam(w)
    own_b = services.exam_create(
        actor=w.school_admin_b,
        district_id=w.district.pk,
        code="b-p3",
        name="三年级单元测验",
        term=w.term,
        stage="primary",
        entry_year=w.grade_b.entry_year,
        exam_date=dt.date(2026, 10, 1),
        subjects=[(w.math, 100)],
        school=w.school_b,
    )
    seen = {}
    for who in ("district_admin", "auditor", "school_admin_a", "school_admin_b", "teacher_a", "teacher_b"):
        status, html = page(getattr(w, who), "/exams/")
        assert status == 200, who
        seen[who] = {e.name for e in (joint, own_b) if e.name in html}
    assert seen == {
        "district_admin": {"七年级期中联考", "三年级单元测验"},
        "auditor": {"七年级期中联考", "三年级单元测验"},
        "school_admin_a": {"七年级期中联考"},
        "school_admin_b": {"七年级期中联考", "三年级单元测验"},  # school B takes part in the 联考 too
        "teacher_a": {"七年级期中联考"},  # candidates in class a1
        "teacher_b": {"三年级单元测验"},  # class b1 sits the school exam
    }
    assert page(w.parent1, "/exams/")[0] == 403
    _status, html = page(w.district_admin, "/exams/")
    assert "新建考试" in html and "0%（0/6）" in html
    assert "新建考试" in page(w.school_admin_a, "/exams/")[1]
    assert "新建考试" not in page(w.teacher_a, "/exams/")[1]
    # a teacher's progress is that of their classes: a1's two candidates × two subjects
    cand = joint.candidates.get(student=w.student_a1)
    services.score_set(actor=w.teacher_a, candidate=cand, exam_subject=joint.subjects.get(subject=w.math), value=90)
    assert "25%（1/4）" in page(w.teacher_a, "/exams/")[1]


def test_list_queries_do_not_grow_with_the_exams(world, django_assert_max_num_queries):
    w = world
    make_exam(w, code="e1", name="考试一")
    c = client_for(w.school_admin_a)
    with CaptureQueriesContext(connection) as one:
        assert c.get("/exams/").status_code == 200
    for i in range(2, 6):
        make_exam(w, code=f"e{i}", name=f"考试{i}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = c.get("/exams/").content.decode()
    assert all(f"考试{i}" in html for i in range(2, 6))


def test_menu_entry(world):
    assert "考试管理" in page(world.teacher_a, "/")[1]
    assert "考试管理" not in page(world.parent1, "/")[1]


# --- create -------------------------------------------------------------------------------------------------------


def create_data(w, **over):
    data = {
        "scope": "district",
        "name": "七年级期末联考",
        "code": "2026-g7-final",
        "term": w.term.pk,
        "cohort": f"junior:{w.grade_a.entry_year}",
        "exam_date": "2027-01-15",
        "schools": [w.school_a.pk, w.school_b.pk],
        f"subj_{w.chinese.pk}": "on",
        f"full_{w.chinese.pk}": "120",
        f"subj_{w.math.pk}": "on",
        f"full_{w.math.pk}": "120",
        "t_excellent": "85",
        "t_good": "70",
        "t_pass": "60",
        "t_low": "40",
        "borderline_band": "10",
        "combinations": "",
    }
    data.update(over)
    return data


def test_district_admin_creates_a_joint_exam(world):
    w = world
    c = client_for(w.district_admin)
    assert "选择年级后显示" in c.get("/exams/new/").content.decode()
    html = c.get("/exams/new/", {"cohort": f"junior:{w.grade_a.entry_year}"}).content.decode()
    # defaults for the cohort: every school of the stage ticked, 语数英 ticked with 120 (初中)
    assert "区域联考" in html and w.school_a.name in html and w.school_b.name in html
    assert re.search(rf'name="full_{w.math.pk}"[^>]*value="120"', html)
    assert "物理" in subject_table(html) and "科学" not in subject_table(html)  # 科学 is a 小学 subject
    r = c.post("/exams/new/", create_data(w, t_excellent="90", combinations="物理+化学+生物\r\n\r\n历史+政治+地理"))
    exam = Exam.objects.get(code="2026-g7-final")
    assert r.status_code == 302 and r["Location"] == f"/exams/{exam.pk}/"
    assert exam.scope == "district" and exam.candidates.count() == 3
    # 选科组合 belong to 新高考 grades: for a 初中 grade the (hidden) field is ignored
    assert exam.thresholds["excellent"] == 0.9 and exam.combinations == []
    assert [s.subject.name for s in exam.subjects.all()] == ["语文", "数学"]
    detail = c.get(r["Location"]).content.decode()
    assert "已创建考试「七年级期末联考」：3 名考生。" in detail


def subject_table(html: str) -> str:
    return html.split('data-testid="subject-table"')[1].split("</table>")[0]


def test_the_stage_decides_subjects_and_schools(world):
    w = world
    html = client_for(w.district_admin).get("/exams/new/", {"cohort": f"primary:{w.grade_b.entry_year}"}).content
    html = html.decode()
    assert "科学" in subject_table(html) and "物理" not in subject_table(html)
    assert w.school_b.name in html and w.school_a.name not in html  # school A has no 小学


def test_service_errors_are_shown_on_the_form(world):
    w = world
    make_exam(w, code="taken")
    c = client_for(w.district_admin)
    html = c.post("/exams/new/", create_data(w, code="taken")).content.decode()
    assert "考试代码「taken」已被使用" in html
    html = c.post("/exams/new/", create_data(w, t_good="90")).content.decode()
    assert "分数线应满足 优秀 ≥ 良好 ≥ 及格 &gt; 低分" in html
    html = c.post(
        "/exams/new/", create_data(w, **{f"subj_{w.chinese.pk}": "", f"subj_{w.math.pk}": ""})
    ).content.decode()
    assert "请至少选择一个考试科目" in html
    html = c.post("/exams/new/", create_data(w, **{f"full_{w.math.pk}": "2000"})).content.decode()
    assert "数学满分应在 1–1000 之间" in html
    assert Exam.objects.count() == 1


def test_school_admin_creates_a_school_exam_for_their_school_only(world):
    w = world
    c = client_for(w.school_admin_a)
    html = c.get("/exams/new/", {"cohort": f"junior:{w.grade_a.entry_year}"}).content.decode()
    assert "单校考试" in html and "区域联考" not in html
    assert w.school_b.name not in html
    r = c.post("/exams/new/", create_data(w, scope="school", school=w.school_a.pk, code="a-m1"))
    exam = Exam.objects.get(code="a-m1")
    assert r.status_code == 302 and exam.scope == "school" and exam.school == w.school_a
    html = c.post("/exams/new/", create_data(w, scope="school", school=w.school_b.pk, code="b-m1")).content.decode()
    assert not Exam.objects.filter(code="b-m1").exists() and "field-error" in html
    assert c.post("/exams/new/", create_data(w, code="joint-by-school")).status_code == 200  # no 联考 choice
    assert not Exam.objects.filter(code="joint-by-school").exists()
    assert client_for(w.teacher_a).get("/exams/new/").status_code == 403


# --- detail and publish -------------------------------------------------------------------------------------------


def test_exam_page_by_role(world):
    w = world
    exam = make_exam(w)
    url = f"/exams/{exam.pk}/"
    math = exam.subjects.get(subject=w.math)
    _s, html = page(w.district_admin, url)
    assert "发布成绩" in html and "导入成绩" in html and "录入进度" in html and "小题设置" in html
    assert f"/exams/{exam.pk}/entry/{w.class_a1.pk}/{math.pk}/" in html
    _s, html = page(w.school_admin_a, url)
    assert "发布成绩" not in html and "导入成绩" in html and "查看小题" in html
    assert w.class_a2.name in html  # every class of the school
    _s, html = page(w.teacher_a, url)
    assert "我的录入任务" in html and "导入成绩" not in html and "录入进度" not in html
    assert f"/exams/{exam.pk}/entry/{w.class_a1.pk}/{math.pk}/" in html
    assert f"/entry/{w.class_a1.pk}/{exam.subjects.get(subject=w.chinese).pk}/" not in html  # not their subject
    assert w.class_a2.name not in html
    assert page(w.teacher_b, url)[0] == 404
    assert page(w.parent1, url)[0] == 404


def test_publish_shows_the_missing_scores_then_locks(world):
    w = world
    exam = make_exam(w)
    c = client_for(w.district_admin)
    assert client_for(w.school_admin_a).post(f"/exams/{exam.pk}/publish/").status_code == 403
    r = c.post(f"/exams/{exam.pk}/publish/", follow=True)
    html = r.content.decode()
    assert "未能发布：成绩尚未录完：镇海区蛟川中学语文缺 3 人" in html
    exam.refresh_from_db()
    assert exam.status == "draft"
    for cand in exam.candidates.all():
        for es in exam.subjects.all():
            services.score_set(actor=w.district_admin, candidate=cand, exam_subject=es, value=80)
    html = c.post(f"/exams/{exam.pk}/publish/", follow=True).content.decode()
    exam.refresh_from_db()
    assert exam.status == "published" and "已发布「七年级期中联考」的成绩，成绩已锁定。" in html
    assert "发布成绩</button>" not in html and "成绩已于" in html


# --- 小题 ----------------------------------------------------------------------------------------------------------


def test_items_editor_rows_paste_and_errors(world):
    w = world
    exam = make_exam(w)
    math = exam.subjects.get(subject=w.math)
    url = f"/exams/{exam.pk}/subjects/{math.pk}/items/"
    c = client_for(w.district_admin)
    html = c.get(url).content.decode()
    assert "小题设置" in html and html.count('name="number"') == 5
    rows = {
        "number": ["1", "2", ""],
        "full_mark": ["100", "20", ""],
        "kind": ["subjective", "objective", "subjective"],
        "answer": ["", "ab", ""],
        "kps": ["有理数、整式", "方程", ""],
        "save": "1",
    }
    r = c.post(url, rows)
    assert r.status_code == 302
    assert list(ExamItem.objects.filter(exam_subject=math).values_list("number", "answer", "knowledge_points")) == [
        ("1", "", ["有理数", "整式"]),
        ("2", "AB", ["方程"]),
    ]
    html = c.post(url, {**rows, "full_mark": ["90", "20", ""]}).content.decode()
    assert "小题满分合计 110.0 分，与数学满分 120.0 分不一致" in html
    assert ExamItem.objects.filter(exam_subject=math).count() == 2  # unchanged
    html = c.post(url, {**rows, "add": "1"}).content.decode()
    assert html.count('name="number"') == 3  # the two rows kept, one empty row added
    paste = "题号\t满分\t题型\t答案\t知识点\n1\t4\t单选\tC\t有理数\n2\t116\t解答题\t\t方程，函数\n"
    assert c.post(url, {**rows, "paste": paste, "save": "paste"}).status_code == 302
    assert list(ExamItem.objects.filter(exam_subject=math).values_list("number", "kind", "knowledge_points")) == [
        ("1", "objective", ["有理数"]),
        ("2", "subjective", ["方程", "函数"]),
    ]
    html = c.post(url, {**rows, "paste": "1\t4\t选做\tC", "save": "paste"}).content.decode()
    assert "第 1 行：题型「选做」无效，应为 客观题 或 主观题" in html
    # a school admin of a participating school sees the structure but may not change it
    status, html = page(w.school_admin_a, url)
    assert status == 200 and "方程、函数" in html and 'name="number"' not in html
    assert client_for(w.school_admin_a).post(url, rows).status_code == 403
    assert page(w.teacher_b, url)[0] == 404


# --- import pages -------------------------------------------------------------------------------------------------


def xlsx(rows) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(c, exam, data: bytes, name="成绩.xlsx", **fields):
    f = io.BytesIO(data)
    f.name = name
    return c.post(f"/exams/{exam.pk}/import/", {"layout": "subjects", "file": f, **fields}, follow=True)


def test_import_pages(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w = world
    exam = make_exam(w)
    c = client_for(w.school_admin_a)
    html = c.get(f"/exams/{exam.pk}/import/").content.decode()
    assert w.school_a.name in html and w.school_b.name not in html and "全部参考学校" not in html

    tpl = c.get(f"/exams/{exam.pk}/import/template.xlsx", {"school": w.school_a.pk})
    rows = [
        list(r) for r in load_workbook(io.BytesIO(b"".join(tpl.streaming_content))).active.iter_rows(values_only=True)
    ]
    assert rows[0] == ["考号", "姓名", "班级", "语文", "数学"] and {r[1] for r in rows[1:]} == {
        "周小明",
        "吴小红",
        "郑小刚",
    }
    assert AuditLog.objects.filter(action="export", actor=w.school_admin_a).exists()

    bad = [[*rows[0][:2], "语文", "数学"], [rows[1][0], rows[1][1], 130, 90]]
    r = upload(c, exam, xlsx(bad), school=w.school_a.pk)
    html = r.content.decode()
    assert 'data-status="invalid"' in html and "130 超出满分 120" in html and Score.objects.count() == 0
    report_url = re.search(r'href="(/exams/\d+/import/[^/"]+/report\.xlsx)"', html).group(1)
    report = load_workbook(io.BytesIO(c.get(report_url).content)).active
    assert "130 超出满分 120" in report["C2"].comment.text
    # the result belongs to its uploader
    result_url = r.redirect_chain[-1][0]
    assert client_for(w.school_admin_b).get(result_url).status_code == 404
    assert client_for(w.district_admin).get(report_url).status_code == 404

    good = [rows[0]] + [[*r[:3], 100, "缺考"] for r in rows[1:]]
    html = upload(c, exam, xlsx(good), school=w.school_a.pk, dry_run="on").content.decode()
    assert "预览：将新增 6 个成绩" in html and Score.objects.count() == 0
    html = upload(c, exam, xlsx(good), school=w.school_a.pk).content.decode()
    assert "导入完成：新增 6 个成绩，更新 0 个，未变化 0 个" in html and Score.objects.count() == 6

    html = upload(c, exam, b"junk", name="junk.xlsx", school=w.school_a.pk).content.decode()
    assert "内容不是 Excel 文件" in html
    assert upload(c, exam, xlsx(good), school=w.school_b.pk).status_code == 200  # not a choice: form error
    assert Score.objects.count() == 6

    # the district may import for any school, or for all at once
    html = client_for(w.district_admin).get(f"/exams/{exam.pk}/import/").content.decode()
    assert w.school_b.name in html and "全部参考学校" in html
    assert client_for(w.teacher_a).get(f"/exams/{exam.pk}/import/").status_code == 403
    assert client_for(w.teacher_b).get(f"/exams/{exam.pk}/import/").status_code == 404


def test_import_by_items_through_the_page(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w = world
    exam = make_exam(w)
    math = exam.subjects.get(subject=w.math)
    services.items_set(
        actor=w.district_admin,
        exam_subject=math,
        items=[{"number": "1", "full_mark": 20, "kind": "objective", "answer": "A"}, {"number": "2", "full_mark": 100}],
    )
    c = client_for(w.school_admin_a)
    html = c.get(f"/exams/{exam.pk}/import/").content.decode()
    assert "数学：每个小题一列" in html
    cand = exam.candidates.get(student=w.student_a1)
    html = upload(
        c, exam, xlsx([["考号", "1", "2", "总分"], [cand.exam_no, "A", 75, 95]]), school=w.school_a.pk, layout=math.pk
    ).content.decode()
    assert "导入完成：新增 1 个成绩" in html
    score = Score.objects.get()
    assert (score.value, score.items, score.options) == (95, [20.0, 75.0], ["A", ""])


def test_published_exam_cannot_be_imported(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w = world
    exam = make_exam(w)
    Exam.objects.filter(pk=exam.pk).update(status="published")
    html = client_for(w.school_admin_a).get(f"/exams/{exam.pk}/import/").content.decode()
    assert "成绩已锁定，不能再导入" in html and 'data-testid="import-form"' not in html
