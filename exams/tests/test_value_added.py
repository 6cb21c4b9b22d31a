"""增值评价 between two small exams: students matched across exams (a new student and one with a 缺考 are left
out), groups of the later exam (a student who changed class counts for the new class), teachers and the API."""

import datetime as dt

import numpy as np
import pytest

from exams import services
from exams.analysis import value_added
from exams.report.value_added import value_added_report
from exams.tests.test_report import add_student
from exams.tests.test_report_api import P, get

pytestmark = [pytest.mark.django_db]

#            语文 数学 (first exam)   语文 数学 (second exam)
SCORES = {
    "a1": ((80, 70), (85, 80)),  # class a1
    "a1b": ((60, 65), (70, 60)),  # class a1
    "a2": ((90, 95), (88, 90)),  # class a2
    "x1": ((70, 60), (75, 70)),  # class a1, then moved to class a2
    "y1": ((50, None), (55, 50)),  # class a2; 缺考 数学 in the first exam
    "n1": (None, (99, 99)),  # joins class a2 after the first exam
}


def _exam(w, code, date, which):
    exam = services.exam_create(
        actor=w.district_admin,
        district_id=w.district.pk,
        code=code,
        name=code,
        term=w.term,
        stage="junior",
        entry_year=w.grade_a.entry_year,
        exam_date=date,
        subjects=[(w.chinese, 100), (w.math, 100)],
    )
    subjects = [exam.subjects.get(subject=w.chinese), exam.subjects.get(subject=w.math)]
    for cand in exam.candidates.select_related("student"):
        label = w.labels[cand.student_id]
        values = SCORES[label][which]
        for es, v in zip(subjects, values, strict=True):
            if v is None:
                services.score_set(actor=w.district_admin, candidate=cand, exam_subject=es, status="absent")
            else:
                services.score_set(actor=w.district_admin, candidate=cand, exam_subject=es, value=v)
    services.exam_publish(actor=w.district_admin, exam=exam)
    return exam


@pytest.fixture
def two_exams(world):
    w = world
    x1 = add_student(w, w.class_a1, "钱一", 3)
    y1 = add_student(w, w.class_a2, "孙一", 2)
    w.labels = {w.student_a1.pk: "a1", w.student_a1b.pk: "a1b", w.student_a2.pk: "a2", x1.pk: "x1", y1.pk: "y1"}
    first = _exam(w, "m1", dt.date(2026, 10, 8), 0)
    x1.klass = w.class_a2  # changes class between the exams
    x1.save()
    n1 = add_student(w, w.class_a2, "新一", 5)
    w.labels[n1.pk] = "n1"
    second = _exam(w, "mid", dt.date(2026, 11, 10), 1)
    w.x1, w.n1 = x1, n1
    return w, first, second


def test_total_value_added_matches_students_and_uses_the_later_class(two_exams):
    w, first, second = two_exams
    r = value_added_report(first, second)
    # matched: complete totals in both exams — a1 a1b a2 x1 (y1 缺考 数学 first; n1 new)
    before = np.array([150, 125, 185, 130], dtype=float)
    after = np.array([165, 130, 178, 145], dtype=float)
    klass = np.array([0, 0, 1, 1])  # a1, a1 | a2, x1 (now in class a2)
    expected = value_added(before, after, klass, 2)
    assert r["model"]["n"] == 4
    assert r["model"]["slope"] == pytest.approx(expected["slope"], abs=1e-4)
    assert r["model"]["r2"] == pytest.approx(expected["r2"], abs=1e-4)
    classes = {g["id"]: g for g in r["groups"]["class"]}
    assert set(classes) == {w.class_a1.pk, w.class_a2.pk}
    for code, cid in enumerate((w.class_a1.pk, w.class_a2.pk)):
        g = classes[cid]
        assert g["n"] == 2
        assert g["mean_residual"] == pytest.approx(expected["groups"]["mean_residual"][code], abs=1e-3)
        assert g["mean_dz"] == pytest.approx(expected["groups"]["mean_dz"][code], abs=1e-3)
        assert g["ci_low"] == pytest.approx(expected["groups"]["ci_low"][code], abs=1e-3)
        assert g["ci_high"] == pytest.approx(expected["groups"]["ci_high"][code], abs=1e-3)
        assert g["ci_low"] <= g["mean_residual"] <= g["ci_high"]
    assert classes[w.class_a1.pk]["teacher"] == "王班主任"
    assert [g["id"] for g in r["groups"]["school"]] == [w.school_a.pk]
    assert r["groups"]["school"][0]["mean_residual"] == pytest.approx(0.0, abs=1e-3)  # the whole population
    students = r["students"]
    x1 = students["student_id"].index(w.x1.pk)
    assert students["class_id"][x1] == w.class_a2.pk and (students["before"][x1], students["after"][x1]) == (130, 145)
    assert w.n1.pk not in students["student_id"]
    assert sum(students["residual"]) == pytest.approx(0.0, abs=1e-2)  # OLS residuals sum to 0


def test_subject_value_added_and_teachers(two_exams):
    w, first, second = two_exams
    chinese = value_added_report(first, second, subject_id=w.chinese.pk)
    assert chinese["model"]["n"] == 5  # y1 sat 语文 both times
    maths = value_added_report(first, second, subject_id=w.math.pk)
    assert maths["model"]["n"] == 4
    expected = value_added([70, 65, 95, 60], [80, 60, 90, 70], [0, 0, 1, 1], 2)
    assert maths["model"]["slope"] == pytest.approx(expected["slope"], abs=1e-4)
    teachers = {g["name"]: g for g in maths["groups"]["teacher"]}
    assert teachers["陈老师"]["class_ids"] == [w.class_a1.pk] and teachers["陈老师"]["n"] == 2
    assert teachers["未安排"]["class_ids"] == [w.class_a2.pk]
    assert teachers["陈老师"]["mean_residual"] == pytest.approx(expected["groups"]["mean_residual"][0], abs=1e-3)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        value_added_report(first, second, subject_id=w.chinese.pk + 999)


def test_value_added_api(two_exams):
    w, first, second = two_exams
    url = f"{P}/value-added?before={first.pk}&after={second.pk}"
    body = get(w.school_admin_a, url).json()
    assert body["model"]["n"] == 4 and body["before"]["id"] == first.pk and body["id"] == second.pk
    assert "students" not in body  # per-student rows only for one class
    body = get(w.head_teacher_a2, url, klass=w.class_a2.pk).json()
    assert [g["id"] for g in body["groups"]["class"]] == [w.class_a2.pk]
    assert sorted(s["name"] for s in body["students"]) == ["郑小刚", "钱一"]
    assert get(w.head_teacher_a2, url, klass=w.class_a1.pk).status_code == 404
    other = get(w.school_admin_b, url).json()  # school B takes part but has no candidates in this cohort
    assert other["groups"] == {"class": [], "school": [], "teacher": []}
    assert get(w.parent2, url).status_code == 403
    r = get(w.district_admin, url, subject=w.math.pk + 999)
    assert r.status_code == 422 and "两次考试都须包含该学科" in r.json()["detail"]
