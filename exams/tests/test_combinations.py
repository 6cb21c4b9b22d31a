"""新高考 选科: electives ticked when the exam is created, the combinations checked, and each candidate's
combination recorded per student, per class or pasted from Excel — with the checks that keep scores consistent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from core.models import AuditLog, Class, Grade, RoleGrant, School, Student, Subject
from core.testing import make_person
from exams import services
from exams.models import Exam, Score
from exams.tests.test_manage_pages import client_for

ELECTIVES = ("物理", "化学", "生物学", "历史", "思想政治", "地理")


@pytest.fixture
def senior(world):
    """A 高中 in the test district with one 高一 class of four students and its admin."""
    w = world
    school = School.objects.create(district=w.district, code="3133000009", name="镇海中学", school_type="senior")
    grade = Grade.objects.create(school=school, stage="senior", entry_year=w.grade_a.entry_year)
    klass = Class.objects.create(school=school, grade=grade, number=1)
    for no, name in enumerate(["林一", "林二", "林三", "林四"], start=1):
        p = make_person(name, born=dt.date(2010, 3, no))
        Student.objects.create(
            person=p, district=w.district, school=school, klass=klass, student_no=f"G{p.id_number}", class_no=no
        )
    admin_person = make_person("高中管理员", born=dt.date(1980, 1, 1))
    from core.testing import make_user

    admin = make_user(admin_person, "sadmin_senior")
    RoleGrant.objects.create(user=admin, role="school_admin", district=w.district, school=school)
    return school, grade, klass, admin


def subjects(w):
    return {s.name: s for s in Subject.objects.filter(district=w.district)}


def senior_exam(w, grade, school, *, combos=("物理+化学+生物学", "历史+思想政治+地理")):
    subj = subjects(w)
    rows = [(subj["语文"], 150), (subj["数学"], 150)] + [(subj[n], 100, True) for n in ELECTIVES]
    return services.exam_create(
        actor=w.district_admin,
        district_id=w.district.pk,
        code="2026-s1-final",
        name="高一期末联考",
        term=w.term,
        stage="senior",
        entry_year=grade.entry_year,
        exam_date=dt.date(2027, 1, 15),
        subjects=rows,
        schools=[school],
        combinations=list(combos),
    )


def test_combinations_are_checked_against_the_electives(world, senior):
    w = world
    school, grade, _k, _a = senior
    exam = senior_exam(w, grade, school, combos=("物理＋化学、生物学", "历史+思想政治+地理"))
    assert exam.combinations == ["物理+化学+生物学", "历史+思想政治+地理"]
    assert {es.subject.name for es in exam.subjects.filter(elective=True)} == set(ELECTIVES)
    Exam.objects.filter(pk=exam.pk).delete()
    with pytest.raises(ValidationError, match="「英语」不是本次考试的选考科目"):
        senior_exam(w, grade, school, combos=("物理+化学+英语",))
    with pytest.raises(ValidationError, match="有重复的科目"):
        senior_exam(w, grade, school, combos=("物理+物理+生物学",))
    with pytest.raises(ValidationError, match="请填写选科组合"):
        senior_exam(w, grade, school, combos=())


def test_candidate_combinations_set(world, senior):
    w = world
    school, grade, _klass, admin = senior
    exam = senior_exam(w, grade, school)
    c1, c2, c3, _c4 = exam.candidates.order_by("id")
    n = services.candidate_combinations_set(
        actor=admin, exam=exam, changes={c1.pk: "物理+化学+生物学", c2.pk: "历史＋思想政治＋地理", c3.pk: ""}
    )
    c1.refresh_from_db()
    c2.refresh_from_db()
    assert n == 2 and c1.combination == "物理+化学+生物学" and c2.combination == "历史+思想政治+地理"
    assert AuditLog.objects.filter(action="exam.combinations", actor=admin).count() == 1
    with pytest.raises(ValidationError, match="不是本次考试的选科组合"):
        services.candidate_combinations_set(actor=admin, exam=exam, changes={c3.pk: "物理+历史+地理"})
    # a score in 物理 stays consistent: c1 cannot move to a combination without 物理
    physics = exam.subjects.get(subject__name="物理")
    services.score_set(actor=admin, candidate=c1, exam_subject=physics, value=88)
    with pytest.raises(ValidationError, match="已录入物理成绩"):
        services.candidate_combinations_set(actor=admin, exam=exam, changes={c1.pk: "历史+思想政治+地理"})
    # another school's admin may not change them
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.candidate_combinations_set(actor=w.school_admin_a, exam=exam, changes={c3.pk: "物理+化学+生物学"})
    # and an elective score is refused for a candidate whose combination leaves it out
    history = exam.subjects.get(subject__name="历史")
    with pytest.raises(ValidationError, match="不含历史"):
        services.score_set(actor=admin, candidate=c1, exam_subject=history, value=70)


def test_create_form_offers_electives_for_a_senior_grade(world, senior):
    w = world
    school, grade, _k, _a = senior
    subj = subjects(w)
    c = client_for(w.district_admin)
    cohort = f"senior:{grade.entry_year}"
    html = c.get("/exams/new/", {"cohort": cohort}).content.decode()
    assert f'name="elec_{subj["物理"].pk}"' in html and "选科组合" in html
    data = {
        "scope": "district",
        "name": "高一期末联考",
        "code": "2026-s1-final",
        "term": w.term.pk,
        "cohort": cohort,
        "exam_date": "2027-01-15",
        "schools": [school.pk],
        "t_excellent": "85",
        "t_good": "70",
        "t_pass": "60",
        "t_low": "40",
        "borderline_band": "10",
        f"subj_{subj['语文'].pk}": "on",
        f"full_{subj['语文'].pk}": "150",
        f"subj_{subj['物理'].pk}": "on",
        f"full_{subj['物理'].pk}": "100",
        f"elec_{subj['物理'].pk}": "on",
        f"subj_{subj['历史'].pk}": "on",
        f"full_{subj['历史'].pk}": "100",
        f"elec_{subj['历史'].pk}": "on",
        "combinations": "物理+化学",
    }
    html = c.post("/exams/new/", data).content.decode()
    assert "「化学」不是本次考试的选考科目" in html and not Exam.objects.filter(code="2026-s1-final").exists()
    data["combinations"] = "物理\r\n历史"
    r = c.post("/exams/new/", data)
    exam = Exam.objects.get(code="2026-s1-final")
    assert r.status_code == 302 and exam.combinations == ["物理", "历史"]
    assert {es.subject.name for es in exam.subjects.filter(elective=True)} == {"物理", "历史"}
    assert "选科组合" in c.get(f"/exams/{exam.pk}/").content.decode()


def test_combinations_page(world, senior):
    w = world
    school, grade, klass, admin = senior
    exam = senior_exam(w, grade, school)
    cands = list(exam.candidates.order_by("id"))
    c = client_for(admin)
    url = f"/exams/{exam.pk}/combinations/"
    html = c.get(url).content.decode()
    assert "林一" in html and "未设置 · 4" in html
    # the whole class, then one student, then a paste from Excel
    c.post(url, {"class_id": klass.pk, "class_combination": "物理+化学+生物学"})
    assert set(exam.candidates.values_list("combination", flat=True)) == {"物理+化学+生物学"}
    c.post(url, {f"c_{cands[0].pk}": "历史+思想政治+地理"})
    paste = f"考号\t组合\n{cands[1].exam_no}\t历史+思想政治+地理\n{cands[2].exam_no}\t历史、思想政治、地理"
    html = c.post(url, {"paste": paste}, follow=True).content.decode()
    assert "已更新 2 名考生的选科组合" in html and "历史+思想政治+地理 · 3" in html
    html = c.post(url, {"paste": "9999999\t物理+化学+生物\nxx"}, follow=True).content.decode()
    assert "第 1 行：考号「9999999」不是本页可设置的考生" in html and "第 2 行" in html
    # other users: another school's admin is refused, a teacher too
    assert client_for(w.school_admin_a).get(url).status_code == 404  # not a participating school
    assert client_for(w.teacher_a).get(url).status_code in (403, 404)
    # scores entered only for the candidates taking the subject; after publishing the page is read-only
    physics = exam.subjects.get(subject__name="物理")
    for cand in exam.candidates.all():
        for es in exam.subjects.all():
            if not es.elective or es.subject.name in cand.combination:
                services.score_set(actor=admin, candidate=cand, exam_subject=es, value=80)
    services.exam_publish(actor=w.district_admin, exam=exam)
    assert Score.objects.filter(exam_subject=physics).count() == 1
    html = c.get(url).content.decode()
    assert "选科组合已锁定" in html and "<select" not in html.split('data-testid="combo-table"')[1]
    assert c.post(url, {f"c_{cands[0].pk}": ""}).status_code == 403
