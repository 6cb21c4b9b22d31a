"""Exam services: create (联考 and 单校), 小题 structure, score entry with permissions and marks, publishing
and locked corrections, the ranking policy."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditLog
from core.testing import junior_class_b
from exams import services
from exams.models import Exam, ExamItem, ExamStatus, ExamStudent, Score, ScoreCorrection, ScoreStatus

pytestmark = [pytest.mark.django_db]


def make_exam(w, actor=None, *, school=None, code="2026-g7-mid", subjects=None):
    return services.exam_create(
        actor=actor or w.district_admin,
        district_id=w.district.pk,
        code=code,
        name="七年级期中联考",
        term=w.term,
        stage="junior",
        entry_year=w.grade_a.entry_year,
        exam_date=dt.date(2026, 11, 10),
        subjects=subjects or [(w.chinese, 120), (w.math, 120)],
        school=school,
    )


def counts():
    return (Exam.objects.count(), ExamStudent.objects.count(), Score.objects.count())


def test_district_exam_takes_every_school_of_the_stage_and_the_cohort(world):
    w = world
    junior_class_b(w)  # school B (九年一贯制) runs 初中 too, with no students in that cohort yet
    exam = make_exam(w)
    assert exam.scope == "district" and exam.school is None
    assert sorted(exam.participants.values_list("school__name", flat=True)) == sorted(
        [w.school_a.name, w.school_b.name]
    )
    cands = {c.student_id: c for c in exam.candidates.all()}
    assert set(cands) == {w.student_a1.pk, w.student_a1b.pk, w.student_a2.pk}  # not school B's 小学 pupil
    assert cands[w.student_a2.pk].klass_id == w.class_a2.pk
    # 考号: school order (A before B by code) + class number + sequence in class
    assert {cands[s.pk].exam_no for s in (w.student_a1, w.student_a1b, w.student_a2)} == {
        "0101001",
        "0101002",
        "0102001",
    }
    assert [s.full_mark for s in exam.subjects.all()] == [Decimal("120.0"), Decimal("120.0")]
    log = AuditLog.objects.get(action="exam.create")
    assert log.changes["candidates"] == [None, 3]


def test_who_may_create(world):
    w = world
    before = counts()
    for who in ("school_admin_a", "teacher_a", "parent1", "auditor"):
        with pytest.raises(PermissionDenied):
            make_exam(w, getattr(w, who))
    with pytest.raises(PermissionDenied):  # a school exam of another school
        make_exam(w, w.school_admin_a, school=w.school_b)
    assert counts() == before
    exam = make_exam(w, w.school_admin_a, school=w.school_a, code="a-mid")
    assert exam.scope == "school" and list(exam.participants.values_list("school_id", flat=True)) == [w.school_a.pk]


def test_bad_definitions_write_nothing(world):
    w = world
    make_exam(w)
    before = counts()
    with pytest.raises(ValidationError) as e:
        make_exam(w)
    assert "已被使用" in e.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as e:
        make_exam(w, code="x1", subjects=[(w.math, 100), (w.math, 120)])
    assert "重复" in e.value.message_dict["subjects"][0]
    with pytest.raises(ValidationError) as e:
        make_exam(w, code="x2", subjects=[(w.math, "一百")])
    assert "不是数字" in e.value.message_dict["subjects"][0]
    with pytest.raises(ValidationError) as e:
        services.exam_create(
            actor=w.district_admin,
            district_id=w.district.pk,
            code="x3",
            name="x",
            term=w.term,
            stage="junior",
            entry_year=2026,
            exam_date=dt.date(2026, 1, 1),
            subjects=[(w.math, 100)],
            thresholds={"excellent": 0.6, "pass": 0.7},
        )
    assert "优秀 ≥ 良好 ≥ 及格" in e.value.message_dict["thresholds"][0]
    with pytest.raises(ValidationError) as e:
        services.exam_create(
            actor=w.district_admin,
            district_id=w.district.pk,
            code="x4",
            name="x",
            term=w.term,
            stage="senior",
            entry_year=2026,
            exam_date=dt.date(2026, 1, 1),
            subjects=[(w.math, 100)],
            schools=[w.school_a],
        )
    assert "不设高中" in e.value.message_dict["schools"][0]
    assert counts() == before


def test_items_must_add_up_and_objective_items_need_a_key(world):
    w = world
    exam = make_exam(w, subjects=[(w.math, 10)])
    es = exam.subjects.get()
    with pytest.raises(ValidationError) as e:
        services.items_set(actor=w.district_admin, exam_subject=es, items=[{"number": "1", "full_mark": 4}])
    assert "小题满分合计 4.0 分，与数学满分 10.0 分不一致" in e.value.message_dict["items"][0]
    with pytest.raises(ValidationError) as e:
        services.items_set(
            actor=w.district_admin,
            exam_subject=es,
            items=[{"number": "1", "full_mark": 4, "kind": "objective"}, {"number": "2", "full_mark": 6}],
        )
    assert "请填写标准答案" in e.value.message_dict["items"][0]
    with pytest.raises(PermissionDenied):
        services.items_set(actor=w.school_admin_a, exam_subject=es, items=[])
    items = services.items_set(
        actor=w.district_admin,
        exam_subject=es,
        items=[
            {"number": "1", "full_mark": 4, "kind": "objective", "answer": "ba", "knowledge_points": ["有理数"]},
            {"number": "2", "full_mark": 6, "knowledge_points": ["一元一次方程", " "]},
        ],
    )
    assert [(i.number, i.answer, i.knowledge_points) for i in items] == [
        ("1", "AB", ["有理数"]),
        ("2", "", ["一元一次方程"]),
    ]
    assert ExamItem.objects.filter(exam_subject=es).count() == 2


def test_score_entry_permissions_and_values(world):
    w = world
    exam = make_exam(w)
    math = exam.subjects.get(subject=w.math)
    chinese = exam.subjects.get(subject=w.chinese)
    a1 = exam.candidates.get(student=w.student_a1)
    a2 = exam.candidates.get(student=w.student_a2)

    # teacher_a teaches 数学 in class a1 only
    s = services.score_set(actor=w.teacher_a, candidate=a1, exam_subject=math, value="98.5")
    assert s.value == Decimal("98.5") and s.entered_by == w.teacher_a
    for cand, subj in ((a1, chinese), (a2, math)):
        with pytest.raises(PermissionDenied):
            services.score_set(actor=w.teacher_a, candidate=cand, exam_subject=subj, value=80)
    for who in ("school_admin_b", "parent1", "student_user_a1", "head_teacher_a2"):
        with pytest.raises(PermissionDenied):
            services.score_set(actor=getattr(w, who), candidate=a1, exam_subject=chinese, value=80)

    with pytest.raises(ValidationError) as e:
        services.score_set(actor=w.school_admin_a, candidate=a2, exam_subject=math, value=121)
    assert e.value.message_dict["value"] == ["数学成绩 121.0 超出范围（0–120.0）"]
    with pytest.raises(ValidationError):
        services.score_set(actor=w.school_admin_a, candidate=a2, exam_subject=math, value="")
    absent = services.score_set(actor=w.school_admin_a, candidate=a2, exam_subject=math, status=ScoreStatus.ABSENT)
    assert absent.value is None and absent.status == "absent"
    zero = services.score_set(actor=w.school_admin_a, candidate=a2, exam_subject=chinese, value=0)
    assert zero.value == Decimal("0.0") and zero.status == "normal"  # 0 is a score, not 缺考
    assert AuditLog.objects.filter(action="score.set").count() == 3


def test_item_scores_add_up(world):
    w = world
    exam = make_exam(w, subjects=[(w.math, 10)])
    es = exam.subjects.get()
    services.items_set(
        actor=w.district_admin,
        exam_subject=es,
        items=[{"number": "1", "full_mark": 4, "kind": "objective", "answer": "A"}, {"number": "2", "full_mark": 6}],
    )
    cand = exam.candidates.get(student=w.student_a1)
    s = services.score_set(actor=w.school_admin_a, candidate=cand, exam_subject=es, items=[4, 5.5], options=["a", ""])
    assert s.value == Decimal("9.5") and s.items == [4.0, 5.5] and s.options == ["A", ""]
    with pytest.raises(ValidationError) as e:
        services.score_set(actor=w.school_admin_a, candidate=cand, exam_subject=es, items=[5, 1])
    assert "第 1 题得分 5.0 超出范围" in e.value.message_dict["items"][0]
    with pytest.raises(ValidationError) as e:
        services.score_set(actor=w.school_admin_a, candidate=cand, exam_subject=es, value=9, items=[4, 4])
    assert "与小题分合计 8.0 不一致" in e.value.message_dict["value"][0]


def _fill(w, exam, value=80):
    for cand in exam.candidates.all():
        for es in exam.subjects.all():
            services.score_set(actor=w.district_admin, candidate=cand, exam_subject=es, value=value)


def test_publish_needs_every_score_then_locks(world):
    w = world
    exam = make_exam(w)
    math = exam.subjects.get(subject=w.math)
    a1 = exam.candidates.get(student=w.student_a1)
    services.score_set(actor=w.school_admin_a, candidate=a1, exam_subject=math, value=70)
    with pytest.raises(ValidationError) as e:
        services.exam_publish(actor=w.district_admin, exam=exam)
    assert "镇海区蛟川中学语文缺 3 人" in e.value.message_dict["scores"][0]
    assert "镇海区蛟川中学数学缺 2 人" in e.value.message_dict["scores"][0]
    _fill(w, exam)
    with pytest.raises(PermissionDenied):
        services.exam_publish(actor=w.school_admin_a, exam=exam)  # a 联考 is published by the district
    services.exam_publish(actor=w.district_admin, exam=exam)
    exam.refresh_from_db()
    assert exam.status == ExamStatus.PUBLISHED and exam.published_by == w.district_admin

    a1 = ExamStudent.objects.get(pk=a1.pk)
    with pytest.raises(PermissionDenied):  # the teacher's entry is locked now
        services.score_set(actor=w.teacher_a, candidate=a1, exam_subject=math, value=90)
    with pytest.raises(ValidationError) as e:
        services.score_set(actor=w.school_admin_a, candidate=a1, exam_subject=math, value=90)
    assert "更正须填写原因" in e.value.message_dict["reason"][0]
    services.score_set(actor=w.school_admin_a, candidate=a1, exam_subject=math, value=90, reason="漏加第 20 题 10 分")
    fix = ScoreCorrection.objects.get()
    assert (fix.old_value, fix.new_value, fix.reason) == (Decimal("80.0"), Decimal("90.0"), "漏加第 20 题 10 分")
    log = AuditLog.objects.get(action="score.correct")
    assert log.changes["value"] == ["80.0", "90.0"] and log.actor == w.school_admin_a


def test_ranking_policy(world):
    w = world
    exam = make_exam(w)
    a1 = exam.candidates.get(student=w.student_a1)
    assert services.visible_rank_kinds(w.parent1, a1) == set()  # default: hidden from parents and students
    assert services.visible_rank_kinds(w.student_user_a1, a1) == set()
    assert services.visible_rank_kinds(w.head_teacher_a1, a1) == {"class_rank", "school_rank", "district_rank"}
    assert services.visible_rank_kinds(w.parent2, a1) == set()  # not their child
    assert services.visible_rank_kinds(w.district_admin, a1) == {"class_rank", "school_rank", "district_rank"}
    with pytest.raises(PermissionDenied):
        services.ranking_policy_set(actor=w.school_admin_a, district_id=w.district.pk, rules={})
    with pytest.raises(ValidationError):
        services.ranking_policy_set(actor=w.district_admin, district_id=w.district.pk, rules={"janitor": {}})
    services.ranking_policy_set(
        actor=w.district_admin,
        district_id=w.district.pk,
        rules={"guardian": {"class_rank": True}, "head_teacher": {"district_rank": False}},
    )
    assert services.visible_rank_kinds(w.parent1, a1) == {"class_rank"}
    assert services.visible_rank_kinds(w.head_teacher_a1, a1) == {"class_rank", "school_rank"}
    assert services.visible_rank_kinds(w.student_user_a1, a1) == set()
