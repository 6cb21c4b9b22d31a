"""The computed exam report: a small hand-made 联考 against hand-computed numbers (statistics, 四率, ranks with
ties, 缺考, an empty class, lines, 小题), staleness and recomputation, and an independent pandas cross-check
on a generated exam."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone

from core.models import Person, Student
from core.testing import junior_class_b
from exams import services
from exams.models import ExamReport, ReportStatus, Score, ScoreStatus, StudentResult
from exams.report.compute import STAT_FIELDS, compute_report
from exams.report.refresh import ensure_report, report_refresh

pytestmark = [pytest.mark.django_db]


def add_student(w, klass, name, no):
    p = Person.objects.create(name=name, gender="1")
    return Student.objects.create(
        person=p, district=w.district, school=klass.school, klass=klass, student_no=f"T{p.pk:08d}", class_no=no
    )


# 语文 (100) and 数学 (100: item 1 objective 40 points, key A; item 2 subjective 60). None = 缺考.
#                 语文   数学 items (item 1, item 2, option of item 1)
HAND = {
    "a1": (80, (40, 50, "A")),  # class a1
    "a1b": (70, (40, 50, "A")),  # class a1
    "x1": (80, (0, 60, "B")),  # class a1
    "x2": (None, (0, 50, "C")),  # class a1: 缺考 in 语文 → no total
    "a2": (90, (40, 55, "A")),  # class a2
    "y1": (60, (0, 40, "B")),  # class a2
    "z1": (None, None),  # school B's junior class: absent from everything (an empty class)
}


def hand_exam(w, *, publish=True, code="hand", name="七年级期中联考"):
    """The hand-made 联考 (see HAND); returns (exam, {label: candidate}, 语文, 数学)."""
    if not hasattr(w, "hand_students"):
        w.hand_students = {
            "a1": w.student_a1,
            "a1b": w.student_a1b,
            "a2": w.student_a2,
            "x1": add_student(w, w.class_a1, "钱一", 3),
            "x2": add_student(w, w.class_a1, "钱二", 4),
            "y1": add_student(w, w.class_a2, "孙一", 2),
            "z1": add_student(w, junior_class_b(w), "李一", 1),
        }
    exam = services.exam_create(
        actor=w.district_admin,
        district_id=w.district.pk,
        code=code,
        name=name,
        term=w.term,
        stage="junior",
        entry_year=w.grade_a.entry_year,
        exam_date=dt.date(2026, 11, 10),
        subjects=[(w.chinese, 100), (w.math, 100)],
    )
    chinese, math_ = exam.subjects.get(subject=w.chinese), exam.subjects.get(subject=w.math)
    services.items_set(
        actor=w.district_admin,
        exam_subject=math_,
        items=[
            {"number": "1", "full_mark": 40, "kind": "objective", "answer": "A", "knowledge_points": ["函数"]},
            {"number": "2", "full_mark": 60, "knowledge_points": ["几何", "函数"]},
        ],
    )
    cands = {label: exam.candidates.get(student=st) for label, st in w.hand_students.items()}
    for label, (c, m) in HAND.items():
        cand = cands[label]
        if c is None:
            services.score_set(actor=w.district_admin, candidate=cand, exam_subject=chinese, status="absent")
        else:
            services.score_set(actor=w.district_admin, candidate=cand, exam_subject=chinese, value=c)
        if m is None:
            services.score_set(actor=w.district_admin, candidate=cand, exam_subject=math_, status="absent")
        else:
            services.score_set(
                actor=w.district_admin, candidate=cand, exam_subject=math_, items=[m[0], m[1]], options=[m[2], ""]
            )
    if publish:
        services.exam_publish(actor=w.district_admin, exam=exam)
    return exam, cands, chinese, math_


def stat(row, field):
    return row[STAT_FIELDS.index(field)]


@pytest.fixture
def hand(world):
    exam, cands, chinese, math_ = hand_exam(world)
    report = compute_report(exam)
    return world, exam, cands, chinese, math_, report


def test_district_statistics_and_four_rates(hand):
    _w, _exam, _cands, chinese, math_, report = hand
    assert report.status == ReportStatus.DONE and report.progress == 100 and report.computed_at
    d = report.data["district"]["stats"]
    c = d[str(chinese.pk)]
    # 语文: 80, 70, 80, 90, 60 (two 缺考 not counted)
    assert (stat(c, "n"), stat(c, "absent")) == (5, 2)
    assert stat(c, "mean") == 76.0
    assert stat(c, "std") == pytest.approx(math.sqrt(520 / 5), abs=0.01)  # population SD
    assert (stat(c, "max"), stat(c, "min"), stat(c, "median")) == (90.0, 60.0, 80.0)
    assert stat(c, "score_rate") == 0.76
    # 四率 (85/70/60/40 % of 100): ≥85: 90 · ≥70: 90 80 80 70 · ≥60: all five · <40: none
    assert [stat(c, f"{k}_count") for k in ("excellent", "good", "pass", "low")] == [1, 4, 5, 0]
    assert [stat(c, f"{k}_rate") for k in ("excellent", "good", "pass", "low")] == [0.2, 0.8, 1.0, 0.0]
    m = d[str(math_.pk)]
    # 数学: 90 90 60 50 95 40 (z1 缺考)
    assert (stat(m, "n"), stat(m, "absent"), stat(m, "mean")) == (6, 1, round(425 / 6, 2))
    assert [stat(m, f"{k}_count") for k in ("excellent", "good", "pass", "low")] == [3, 3, 4, 0]  # 40 is not < 40
    t = d["total"]
    # totals only for candidates with every subject counted: 170 160 140 185 100
    assert (stat(t, "n"), stat(t, "absent"), stat(t, "mean")) == (5, 2, 151.0)
    assert report.data["meta"]["total_full"] == 200.0
    assert [stat(t, f"{k}_count") for k in ("excellent", "good", "pass", "low")] == [2, 4, 4, 0]
    assert report.data["meta"]["rules"]["cheat"] == "not_counted"


def test_school_and_class_levels_with_an_empty_class(hand):
    w, _exam, _cands, chinese, math_, report = hand
    data = report.data
    a1 = data["classes"][str(w.class_a1.pk)]["stats"]
    assert (stat(a1[str(chinese.pk)], "n"), stat(a1[str(chinese.pk)], "absent")) == (3, 1)
    assert stat(a1[str(chinese.pk)], "mean") == round(230 / 3, 2)
    assert stat(a1[str(chinese.pk)], "over_mean") == round((230 / 3 - 76) / 76, 4)  # 超均率 vs district
    assert stat(a1[str(chinese.pk)], "over_mean_school") == round((230 / 3 - 76) / 76, 4)  # school A = district
    assert stat(a1["total"], "mean") == round((170 + 160 + 140) / 3, 2)
    # the class of school B: its only candidate was absent from everything
    b2 = data["classes"][str(w.class_b2.pk)]["stats"]
    for key in ("total", str(chinese.pk), str(math_.pk)):
        assert (stat(b2[key], "n"), stat(b2[key], "absent"), stat(b2[key], "mean")) == (0, 1, None)
        assert stat(b2[key], "excellent_rate") is None
    school_b = data["schools"][str(w.school_b.pk)]
    assert stat(school_b["stats"]["total"], "n") == 0
    school_a = data["schools"][str(w.school_a.pk)]
    assert sorted(school_a["class_ids"]) == sorted([w.class_a1.pk, w.class_a2.pk])
    assert stat(school_a["stats"][str(math_.pk)], "mean") == round(425 / 6, 2)
    assert stat(school_a["stats"]["total"], "over_mean") == 0.0


def test_student_results_ranks_with_ties(hand):
    _w, _exam, cands, chinese, math_, _report = hand
    r = {label: StudentResult.objects.get(candidate=c) for label, c in cands.items()}
    m = str(math_.pk)
    # 数学 district: 95 → 1, 90 and 90 → 2 (tie), 60 → 4, 50 → 5, 40 → 6
    assert [r[k].subjects[m]["district_rank"] for k in ("a2", "a1", "a1b", "x1", "x2", "y1")] == [1, 2, 2, 4, 5, 6]
    # … in class a1: 90, 90 → 1, 60 → 3, 50 → 4
    assert [r[k].subjects[m]["class_rank"] for k in ("a1", "a1b", "x1", "x2")] == [1, 1, 3, 4]
    c = str(chinese.pk)
    assert [r[k].subjects[c]["district_rank"] for k in ("a2", "a1", "x1", "a1b", "y1")] == [1, 2, 2, 4, 5]
    assert r["x2"].subjects[c] == {
        "score": None,
        "class_rank": None,
        "school_rank": None,
        "district_rank": None,
        "z": None,
        "t": None,
        "status": "absent",
    }
    # totals: 185 170 160 140 100; x2 (缺考 语文) keeps the sum of what it sat but is not ranked
    assert (r["a2"].total, r["a2"].district_rank, r["a2"].school_rank, r["a2"].class_rank) == (185.0, 1, 1, 1)
    assert (r["a1"].total, r["a1"].district_rank, r["a1"].school_rank, r["a1"].class_rank) == (170.0, 2, 2, 1)
    assert (r["y1"].district_rank, r["y1"].class_rank) == (5, 2)
    assert (r["x2"].total, r["x2"].class_rank, r["x2"].district_rank) == (50.0, None, None)
    assert (r["z1"].total, r["z1"].district_rank, r["z1"].standard_total) == (None, None, None)
    # Z / T of 数学: mean 425/6, population SD
    scores = np.array([90, 90, 60, 50, 95, 40], dtype=float)
    z = (90 - scores.mean()) / scores.std()
    assert r["a1"].subjects[m]["z"] == round(z, 3)
    assert r["a1"].subjects[m]["t"] == round(50 + 10 * z, 2)
    assert r["a2"].standard_total > 50 > r["y1"].standard_total


def test_lines_effective_scores_and_borderline(hand):
    w, _exam, cands, chinese, math_, report = hand
    lines = report.data["lines"]
    # by rank over the 5 counted totals: top 10 % → 1 student (185), 30 % → 2 (170), 60 % → 3 (160)
    assert [(ln["key"], ln["score"]) for ln in lines] == [("A", 185.0), ("B", 170.0), ("C", 160.0)]
    # 有效分 (ratio): line × subject mean / total mean over the students with a total (语文 76, 数学 75, 151)
    assert lines[0]["effective"][str(chinese.pk)] == round(185 * 76 / 151, 1)
    assert lines[0]["effective"][str(math_.pk)] == round(185 * 75 / 151, 1)
    # … and as the mean of the students on the line (line C: 185, 170, 160 → 语文 80 90 70, 数学 90 95 90)
    assert lines[2]["effective_qualified_mean"][str(chinese.pk)] == 80.0
    assert lines[2]["effective_qualified_mean"][str(math_.pk)] == round(275 / 3, 1)
    district_c = report.data["district"]["lines"][2]
    assert (district_c["n"], district_c["total_on"]) == (5, 3)
    # line B (170), band 10: 临界生 160 ≤ t < 170 below, 170 ≤ t ≤ 180 above — both in class a1
    a1 = report.data["classes"][str(w.class_a1.pk)]
    assert a1["borderline"][1] == {
        "below": [[cands["a1b"].pk, 160.0]],
        "above": [[cands["a1"].pk, 170.0]],
    }
    school_a = report.data["schools"][str(w.school_a.pk)]
    assert school_a["borderline"][1]["below"] == [[cands["a1b"].pk, w.class_a1.pk, 160.0]]
    assert a1["lines"][1]["borderline_below"] == 1


def test_item_analysis_options_and_knowledge_points(hand):
    w, _exam, _cands, _chinese, math_, report = hand
    items = report.data["items"][str(math_.pk)]
    first, second = items["items"]
    assert first["difficulty"] == 0.5  # 40 40 0 0 40 0 of 40
    assert second["difficulty"] == round(305 / 6 / 60, 4)
    assert first["discrimination"] == 1.0  # high group (2 of 6): 40, 40; low group: 0, 0
    options = {o["option"]: (o["count"], o["is_key"]) for o in first["options"]}
    assert options == {"A": (3, True), "B": (2, False), "C": (1, False), "D": (0, False)}
    assert second["options"] is None
    kp = {k["kp"]: k["rate"] for k in items["kp"]}
    assert kp == {"函数": round(425 / 600, 4), "几何": round(305 / 360, 4)}
    a2 = report.data["classes"][str(w.class_a2.pk)]["items"][str(math_.pk)]
    assert a2["rates"] == [0.5, round(95 / 120, 4)]  # class a2: item 1 40, 0 · item 2 55, 40
    assert report.data["items"].keys() == {str(math_.pk)}  # 语文 has no 小题


def test_one_point_segments(hand):
    w, _exam, _cands, _chinese, _math, report = hand
    seg = report.data["district"]["segments"]["total"]
    # bands from the best total (185) down to the lowest (100)
    assert seg["lower"][0] == 185.0 and seg["lower"][-1] == 100.0
    by_band = dict(zip(seg["lower"], seg["cum_count"], strict=True))
    assert by_band[170.0] == 2 and by_band[160.0] == 3 and by_band[100.0] == 5
    assert seg["rank_from"][seg["lower"].index(160.0)] == 3
    school_seg = report.data["schools"][str(w.school_a.pk)]["segments"]["total"]
    assert len(school_seg["count"]) == len(seg["lower"]) and sum(school_seg["count"]) == 5


def test_class_comparison_and_teachers(hand):
    w, _exam, _cands, _chinese, math_, report = hand
    cmp_ = report.data["class_compare"]["subjects"][str(math_.pk)]
    row = {cid: i for i, cid in enumerate(report.data["class_compare"]["class_id"])}
    a1, a2 = row[w.class_a1.pk], row[w.class_a2.pk]
    assert cmp_["teacher"][a1] == "陈老师" and cmp_["teacher"][a2] == ""
    assert cmp_["mean"][a1] == 72.5  # 90 90 60 50
    assert cmp_["gap"][a1] == round(72.5 - 425 / 6, 2)
    assert cmp_["mean"][a2] == 67.5  # 95 40
    assert (cmp_["rank"][a1], cmp_["rank"][a2]) == (1, 2)
    total_cmp = report.data["class_compare"]["subjects"]["total"]
    assert total_cmp["teacher"][row[w.class_a1.pk]] == "王班主任"  # the total is attributed to the 班主任
    teachers = {t["name"]: t for t in report.data["teachers"][str(math_.pk)]}
    assert teachers["陈老师"]["class_ids"] == [w.class_a1.pk] and teachers["陈老师"]["mean"] == 72.5
    assert set(teachers["未安排"]["class_ids"]) == {w.class_a2.pk, w.class_b2.pk}
    assert report.data["classes"][str(w.class_a1.pk)]["teachers"][str(math_.pk)] == "陈老师"


def test_loader_reads_answer_lists_of_either_length_and_odd_answers(world):
    """Options may list one answer per item or per objective item; quotes, commas and backslashes in an answer
    and uneven item lists fall back to the slow parser with the same result."""
    from exams.report.load import load_exam

    w = world
    exam, cands, _chinese, math_ = hand_exam(w, publish=False)
    Score.objects.filter(exam_subject=math_, candidate=cands["a1"]).update(options=["A"])  # objective items only
    Score.objects.filter(exam_subject=math_, candidate=cands["x1"]).update(options=['B"C\\', ""])
    Score.objects.filter(exam_subject=math_, candidate=cands["y1"]).update(options=["A,B", ""], items=[0, 20, 20])
    data = load_exam(exam)
    s = next(s for s in data.subjects if s.id == math_.pk)
    rows, _ok = data.rows_of([cands[k].pk for k in ("a1", "a1b", "x1", "x2", "y1", "z1")])
    assert s.options[rows, 0].tolist() == ["A", "A", 'B"C\\', "C", "A,B", ""]
    assert s.options_present[rows].tolist() == [True, True, True, True, True, False]
    assert np.isnan(s.item_matrix[rows[4]]).all()  # three item scores for two items: not used
    np.testing.assert_array_equal(s.item_matrix[rows[0]], [40, 50])
    assert s.scores[rows[4]] == 40.0  # the subject score itself still counts


def test_cheat_is_not_counted_by_default_or_zero_when_asked(world):
    w = world
    exam, cands, chinese, _math = hand_exam(w, publish=False)
    services.score_set(actor=w.district_admin, candidate=cands["y1"], exam_subject=chinese, status=ScoreStatus.CHEAT)
    report = compute_report(exam)
    c = report.data["district"]["stats"][str(chinese.pk)]
    assert (stat(c, "n"), stat(c, "absent"), stat(c, "mean")) == (4, 3, 80.0)
    assert StudentResult.objects.get(candidate=cands["y1"]).subjects[str(chinese.pk)]["status"] == "cheat"
    report = compute_report(exam, cheat_as_zero=True)
    c = report.data["district"]["stats"][str(chinese.pk)]
    assert (stat(c, "n"), stat(c, "mean")) == (5, 64.0)
    assert report.data["meta"]["rules"]["cheat"] == "zero"


def test_lines_by_score_from_the_config_are_kept(world):
    w = world
    exam, *_ = hand_exam(w)
    report = compute_report(exam, config={"lines": [{"key": "P", "label": "150 分线", "kind": "score", "value": 150}]})
    assert [(ln["key"], ln["score"]) for ln in report.data["lines"]] == [("P", 150.0)]
    assert report.data["district"]["lines"][0]["total_on"] == 3  # 185 170 160
    report = compute_report(exam)  # recomputation keeps the configuration
    assert [ln["key"] for ln in report.data["lines"]] == ["P"]


def test_stale_report_is_recomputed_when_read(world):
    w = world
    exam, cands, chinese, _math = hand_exam(w)
    report = ensure_report(exam)  # first read computes
    assert report.status == ReportStatus.DONE
    first = ExamReport.objects.get(pk=report.pk).computed_at
    assert ensure_report(exam).computed_at == first  # cached: not recomputed
    services.score_set(
        actor=w.district_admin, candidate=cands["y1"], exam_subject=chinese, value=100, reason="登分错误"
    )
    assert ExamReport.objects.get(pk=report.pk).status == ReportStatus.PENDING
    assert StudentResult.objects.get(candidate=cands["y1"]).total == 100.0  # still the old numbers
    report = ensure_report(exam)
    assert report.status == ReportStatus.DONE and report.computed_at > first
    assert StudentResult.objects.get(candidate=cands["y1"]).total == 140.0
    assert StudentResult.objects.filter(candidate__exam=exam).count() == len(cands)
    data = ExamReport.objects.get(pk=report.pk).data
    assert stat(data["district"]["stats"][str(chinese.pk)], "mean") == 84.0  # 80 70 80 90 100


def test_refresh_records_progress_and_failures(world, monkeypatch):
    w = world
    exam, *_ = hand_exam(w)
    seen = []
    compute_report(exam, progress=lambda pct, phase: seen.append((pct, phase)))
    assert seen[0] == (0, "load") and seen[-1] == (100, "done")
    assert [p for p, _ in seen] == sorted(p for p, _ in seen)

    from exams.report import compute

    def boom(*args, **kwargs):
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(compute, "build_report", boom)
    report = report_refresh(exam)  # the task records the failure instead of raising
    assert report.status == ReportStatus.FAILED and "磁盘已满" in report.error
    assert StudentResult.objects.filter(candidate__exam=exam).count() == 7  # the previous results stay


def test_a_running_computation_is_not_started_twice(world):
    w = world
    exam, *_ = hand_exam(w)
    report = compute_report(exam)
    ExamReport.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, updated_at=timezone.now())
    again = report_refresh(exam)  # another request (or worker) is computing it
    assert again.status == ReportStatus.RUNNING and again.computed_at == report.computed_at
    assert ensure_report(exam).computed_at == report.computed_at
    stuck = timezone.now() - dt.timedelta(hours=1)
    ExamReport.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, updated_at=stuck)
    again = ensure_report(exam)  # a run that stopped reporting is started again
    assert again.status == ReportStatus.DONE and again.computed_at > report.computed_at


def test_exam_without_scores_or_candidates(world):
    w = world
    exam = services.exam_create(
        actor=w.district_admin,
        district_id=w.district.pk,
        code="empty",
        name="未录分",
        term=w.term,
        stage="junior",
        entry_year=w.grade_a.entry_year,
        exam_date=dt.date(2026, 11, 10),
        subjects=[(w.math, 100)],
    )
    report = compute_report(exam)  # candidates, no score entered yet
    assert report.status == ReportStatus.DONE
    assert stat(report.data["district"]["stats"]["total"], "n") == 0
    assert stat(report.data["district"]["stats"]["total"], "absent") == 3
    assert report.data["lines"] == [] and report.data["district"]["segments"]["total"]["count"] == []
    assert set(StudentResult.objects.filter(candidate__exam=exam).values_list("total", flat=True)) == {None}
    exam.candidates.all().delete()
    report = compute_report(exam)  # nobody at all
    assert report.data["meta"]["n_candidates"] == 0 and report.data["classes"] == {}


def test_single_school_exam(world):
    w = world
    exam = services.exam_create(
        actor=w.school_admin_a,
        district_id=w.district.pk,
        code="a-only",
        name="蛟川七年级月考",
        term=w.term,
        stage="junior",
        entry_year=w.grade_a.entry_year,
        exam_date=dt.date(2026, 10, 1),
        subjects=[(w.math, 100)],
        school=w.school_a,
    )
    es = exam.subjects.get()
    for cand, v in zip(exam.candidates.order_by("id"), (88, 88, 70), strict=True):
        services.score_set(actor=w.school_admin_a, candidate=cand, exam_subject=es, value=v)
    report = compute_report(exam)
    assert report.data["meta"]["scope"] == "school"
    assert list(report.data["schools"]) == [str(w.school_a.pk)]
    ranks = sorted(StudentResult.objects.filter(candidate__exam=exam).values_list("district_rank", flat=True))
    assert ranks == [1, 1, 3]


# --- independent cross-check ----------------------------------------------------------------------------


def test_generated_exam_against_pandas(world):
    """A demo-like exam (exams.demo.generate_scores: school and class effects, 缺考, 小题 for 数学) of 150
    students in 5 classes of two schools, checked against a plain pandas groupby over the Score rows."""
    from exams.demo import generate_scores, math_items

    w = world
    classes = [w.class_a1, w.class_a2, junior_class_b(w)]
    from core.models import Class

    classes.append(Class.objects.create(school=w.school_a, grade=w.grade_a, number=3))
    classes.append(Class.objects.create(school=w.school_b, grade=w.class_b2.grade, number=2))
    for k, klass in enumerate(classes):
        for i in range(30):
            add_student(w, klass, f"学生{k}-{i}", i + 5)
    exam = services.exam_create(
        actor=w.district_admin,
        district_id=w.district.pk,
        code="gen",
        name="生成联考",
        term=w.term,
        stage="junior",
        entry_year=w.grade_a.entry_year,
        exam_date=dt.date(2026, 11, 10),
        subjects=[(w.chinese, 120), (w.math, 120)],
    )
    math_ = exam.subjects.get(subject=w.math)
    structure = math_items(np.random.default_rng(5))
    services.items_set(actor=w.district_admin, exam_subject=math_, items=structure)
    generate_scores(exam, seed=9, absent_rate=0.05, items={math_.pk: structure})
    report = compute_report(exam)

    rows = Score.objects.filter(candidate__exam=exam).values(
        "candidate_id", "candidate__klass_id", "exam_subject_id", "value", "status", "items"
    )
    df = pd.DataFrame.from_records(list(rows))
    assert (df["status"] == "absent").sum() > 0
    math_rows = df[(df["exam_subject_id"] == math_.pk) & (df["status"] == "normal")]
    for value, items in zip(math_rows["value"], math_rows["items"], strict=True):
        assert float(value) == pytest.approx(sum(items))  # item scores add up to the subject score
    df["score"] = df["value"].astype(float)  # 缺考 → NaN
    wide = df.pivot(index="candidate_id", columns="exam_subject_id", values="score")
    klass = df.groupby("candidate_id")["candidate__klass_id"].first()
    wide["total"] = wide.sum(axis=1, skipna=False)  # a 缺考 in any subject: no total
    wide["klass"] = klass
    for key, column in [("total", "total")] + [(str(es.pk), es.pk) for es in exam.subjects.all()]:
        expected = wide.groupby("klass")[column].mean()
        table = report.data["class_compare"]["subjects"][key]
        mine = dict(zip(report.data["class_compare"]["class_id"], table["mean"], strict=True))
        assert set(mine) == set(expected.index)
        for cid, mean in expected.items():
            assert mine[cid] == pytest.approx(mean, abs=0.006), (key, cid)
        # district ranks: competition ranking ("min") on descending scores
        ranks = wide[column].rank(method="min", ascending=False)
        results = dict(
            StudentResult.objects.filter(candidate__exam=exam).values_list(
                "candidate_id", "district_rank" if key == "total" else "subjects"
            )
        )
        for cid, expected_rank in ranks.items():
            got = results[cid] if key == "total" else results[cid][key]["district_rank"]
            assert got == (None if np.isnan(expected_rank) else int(expected_rank)), (key, cid)
