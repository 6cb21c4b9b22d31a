"""Demo data of the exams module: a seed_demo hook (registered in ExamsConfig.ready).

Adds to the demo district:

* a published 区域联考 for the oldest junior cohort (九年级) across every school that runs 初中, in the nine
  junior exam subjects the district's Subject table has (语文 数学 英语 物理 化学 道德与法治 历史 地理 生物学),
  with a 小题 structure (answer keys, knowledge points) for 数学 and 英语 whose item scores and chosen options
  add up to the subject scores;
* an earlier 联考 of the same cohort (语数英物化, for 增值评价);
* a published 单校考试 (语数英) for the youngest junior cohort of the demo school (the 九年一贯制 school, whose
  七年级 has the demo student, parent, 班主任 and 任课教师 logins);

then computes the three reports. Scores are realistic: a general ability with school and class effects,
subjects correlated through it, about 1 % 缺考 per subject; 小题 follow a two-parameter logistic model.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import numpy as np

DEMO_SUBJECTS = [
    ("语文", 120),
    ("数学", 120),
    ("英语", 120),
    ("物理", 100),
    ("化学", 100),
    ("道德与法治", 100),
    ("历史", 100),
    ("地理", 100),
    ("生物学", 100),
]
EARLIER_SUBJECTS = ["语文", "数学", "英语", "物理", "化学"]
SCHOOL_SUBJECTS = ["语文", "数学", "英语"]
ABSENT_RATE = 0.01
LETTERS = "ABCD"

MATH_KPS = ["一元二次方程", "二次函数", "旋转", "圆", "概率初步", "反比例函数", "相似", "锐角三角函数"]
ENGLISH_KPS = {"listening": "听力理解", "reading": "阅读理解", "cloze": "完形填空", "grammar": "语法填空"}


def math_items(rng: np.random.Generator) -> list[dict]:
    """数学 (120): 12 选择题 × 4 and 6 解答题 (8, 10, 12, 12, 14, 16)."""
    items = []
    for i in range(12):
        items.append(
            {
                "number": str(i + 1),
                "full_mark": 4,
                "kind": "objective",
                "answer": LETTERS[int(rng.integers(4))],
                "knowledge_points": [MATH_KPS[i % len(MATH_KPS)]],
            }
        )
    for i, mark in enumerate((8, 10, 12, 12, 14, 16)):
        kps = [MATH_KPS[(i * 3) % len(MATH_KPS)], MATH_KPS[(i * 3 + 1) % len(MATH_KPS)]]
        items.append({"number": str(13 + i), "full_mark": mark, "knowledge_points": sorted(set(kps))})
    return items


def english_items(rng: np.random.Generator) -> list[dict]:
    """英语 (120): 听力 10 × 1.5, 完形 10 × 1, 阅读 15 × 2 (选择题), 语法填空 10, 任务型阅读 15, 书面表达 40
    (two parts, 15 + 25)."""
    items = []
    n = 0

    def objective(count, mark, kp):
        nonlocal n
        for _ in range(count):
            n += 1
            items.append(
                {
                    "number": str(n),
                    "full_mark": mark,
                    "kind": "objective",
                    "answer": LETTERS[int(rng.integers(4))],
                    "knowledge_points": [kp],
                }
            )

    objective(10, 1.5, ENGLISH_KPS["listening"])
    objective(10, 1, ENGLISH_KPS["cloze"])
    objective(15, 2, ENGLISH_KPS["reading"])
    for mark, kp in ((10, ENGLISH_KPS["grammar"]), (15, "任务型阅读"), (15, "书面表达"), (25, "书面表达")):
        n += 1
        items.append({"number": str(n), "full_mark": mark, "knowledge_points": [kp]})
    return items


def _stable_normal(seed: int, ids: np.ndarray, sd: float) -> np.ndarray:
    """One N(0, sd) draw per id, the same for the same id in every exam (school, class, student effects)."""
    if ids.size == 0:
        return np.zeros(0)
    return np.random.default_rng(seed).normal(0.0, sd, int(ids.max()) + 1)[ids]


def _ability(rng: np.random.Generator, ability_seed: int, school, klass, student) -> np.ndarray:
    """A general ability per candidate: stable school, class and student effects (the same in every exam of
    the demo, so that two exams correlate, as 增值评价 needs) plus this exam's own noise."""
    general = (
        _stable_normal(ability_seed + 1, school, 0.35)
        + _stable_normal(ability_seed + 2, klass, 0.25)
        + _stable_normal(ability_seed + 3, student, 0.95)
        + rng.normal(0.0, 0.35, student.size)
    )
    return (general - general.mean()) / (general.std() or 1.0)


def _item_scores(rng, theta, items) -> tuple[np.ndarray, np.ndarray]:
    """(students × items scores, students × items chosen options ("" for subjective items))."""
    n = theta.size
    scores = np.zeros((n, len(items)))
    options = np.full((n, len(items)), "", dtype=object)
    for j, it in enumerate(items):
        full = float(it["full_mark"])
        b = rng.uniform(-2.0, 1.2)
        a = rng.uniform(0.6, 1.8)
        p = 1.0 / (1.0 + np.exp(-1.7 * a * (theta - b)))
        if it.get("kind") == "objective":
            correct = rng.random(n) < p
            scores[:, j] = np.where(correct, full, 0.0)
            key = LETTERS.index(it["answer"])
            distractors = [i for i in range(4) if i != key]
            wrong = np.asarray(distractors)[rng.choice(3, size=n, p=rng.dirichlet(np.full(3, 2.0)))]
            choice = np.where(correct, key, wrong)
            letters = np.asarray(list(LETTERS), dtype=object)[choice]
            letters[~correct & (rng.random(n) < 0.02)] = ""
            options[:, j] = letters
        else:
            steps = round(full * 2)
            scores[:, j] = rng.binomial(steps, p) / 2.0
    return scores, options


def generate_scores(
    exam,
    *,
    seed: int = 0,
    ability_seed: int = 0,
    absent_rate: float = ABSENT_RATE,
    items: dict | None = None,
) -> int:
    """Write realistic scores for every candidate × subject of ``exam`` (bulk; replaces nothing — the exam must
    have no scores yet). Exams generated with the same ``ability_seed`` share the students' abilities (their
    scores correlate); ``seed`` drives everything else. ``items``: {ExamSubject id: item dicts as for
    ``services.items_set``} for subjects with a 小题 structure (their scores are the sum of the item scores).
    Returns the number of score rows."""
    from core.bulk import bulk_insert_rows

    from .models import Score, ScoreStatus

    rng = np.random.default_rng(seed)
    cands = list(exam.candidates.order_by("id").values_list("id", "school_id", "klass_id", "student_id"))
    if not cands:
        return 0
    cid = np.asarray([c[0] for c in cands])
    school, klass, student = (np.asarray([c[i] for c in cands], dtype=np.int64) for i in (1, 2, 3))
    general = _ability(rng, ability_seed, school, klass, student)
    rows = []
    for es in exam.subjects.order_by("sort_order", "id"):
        full = float(es.full_mark)
        theta = 0.8 * general + 0.6 * rng.normal(0.0, 1.0, cid.size)
        absent = rng.random(cid.size) < absent_rate
        defs = (items or {}).get(es.pk)
        if defs:
            item_scores, options = _item_scores(rng, theta, defs)
            values = item_scores.sum(axis=1)
        else:
            rate = 1.0 / (1.0 + np.exp(-(1.1 * theta + 0.75)))
            values = np.clip(np.round((rate * full + rng.normal(0.0, 0.03 * full, cid.size)) * 2) / 2, 0, full)
        for i, candidate_id in enumerate(cid.tolist()):
            row = {"candidate_id": candidate_id, "exam_subject_id": es.pk}
            if absent[i]:
                row.update(value=None, status=ScoreStatus.ABSENT)
            else:
                row.update(value=Decimal(str(round(float(values[i]), 1))), status=ScoreStatus.NORMAL)
                if defs:
                    row["items"] = [float(v) for v in item_scores[i]]
                    row["options"] = [str(o) for o in options[i]]
            rows.append(row)
    bulk_insert_rows(Score, rows)
    return len(rows)


def _dates(term, today: dt.date) -> tuple[dt.date, dt.date]:
    later = min(today - dt.timedelta(days=7), term.end_date)
    later = max(later, term.start_date + dt.timedelta(days=42))
    return later - dt.timedelta(days=35), later


def exams_demo_seed(*, district, seed: int, out, batch_size: int = 2000) -> None:
    from django.utils import timezone

    from core.models import Grade, RoleGrant, School, SchoolType, Stage, Subject
    from core.services import current_term

    from . import services
    from .models import ExamSubject
    from .report.compute import compute_report

    started = time.monotonic()
    grant = RoleGrant.objects.filter(district=district, role="district_admin").select_related("user").first()
    term = current_term(district_id=district.pk)
    schools = [  # a 培智学校 does not sit the district's 联考
        s
        for s in School.objects.filter(district=district, archived_at__isnull=True).order_by("code")
        if Stage.JUNIOR in s.stages and s.school_type != SchoolType.SPECIAL
    ]
    if grant is None or term is None or not schools:
        out("考试演示数据：没有设初中的学校，跳过")
        return
    admin = grant.user
    subjects = {s.name: s for s in Subject.objects.filter(district=district, is_active=True) if "junior" in s.stages}
    cohorts = sorted(
        set(
            Grade.objects.filter(school__in=schools, stage=Stage.JUNIOR, classes__students__isnull=False).values_list(
                "entry_year", flat=True
            )
        )
    )
    if not cohorts:
        out("考试演示数据：初中没有学生，跳过")
        return
    oldest, youngest = cohorts[0], cohorts[-1]
    start_year = term.academic_year.start_year
    grade_name = Grade(stage=Stage.JUNIOR, entry_year=oldest).label(start_year)
    earlier_date, later_date = _dates(term, timezone.localdate())
    rng = np.random.default_rng(seed * 104729 + 11)
    made = []

    def create(code, name, date, names, school=None, with_items=False, score_seed=0):
        pairs = [(subjects[n], full) for n, full in DEMO_SUBJECTS if n in subjects and n in names]
        owner = admin
        if school is not None:  # a 单校考试 is the school's own: its admin sets it up and publishes it
            head = RoleGrant.objects.filter(role="school_admin", school=school).select_related("user").first()
            owner = head.user if head is not None else admin
        exam = services.exam_create(
            actor=owner,
            district_id=district.pk,
            code=code,
            name=name,
            term=term,
            stage=Stage.JUNIOR,
            entry_year=oldest if school is None else youngest,
            exam_date=date,
            subjects=pairs,
            school=school,
            schools=None if school is not None else schools,
        )
        structures = {}
        if with_items:
            for es in ExamSubject.objects.filter(exam=exam).select_related("subject"):
                maker = {"数学": math_items, "英语": english_items}.get(es.subject.name)
                if maker is not None:
                    structures[es.pk] = maker(rng)
                    services.items_set(actor=admin, exam_subject=es, items=structures[es.pk])
        rows = generate_scores(exam, seed=seed * 31 + score_seed, ability_seed=seed * 7, items=structures)
        services.exam_publish(actor=owner, exam=exam)
        made.append((exam, rows))
        return exam

    create(
        f"{start_year}-j{oldest}-m1",
        f"{grade_name}第一次月考（联考）",
        earlier_date,
        EARLIER_SUBJECTS,
        score_seed=1,
    )
    create(
        f"{start_year}-j{oldest}-mid",
        f"{grade_name}期中联考",
        later_date,
        [n for n, _ in DEMO_SUBJECTS],
        with_items=True,
        score_seed=2,
    )
    demo_school = next(
        (s for s in sorted(schools, key=lambda s: s.code) if s.school_type == SchoolType.NINE_YEAR), None
    )
    demo_school = demo_school or sorted(schools, key=lambda s: s.code)[0]
    if Grade.objects.filter(school=demo_school, stage=Stage.JUNIOR, entry_year=youngest).exists():
        young_name = Grade(stage=Stage.JUNIOR, entry_year=youngest).label(start_year)
        create(
            f"{start_year}-j{youngest}-s{demo_school.pk}",
            f"{demo_school.short_name or demo_school.name}{young_name}期中考试",
            later_date - dt.timedelta(days=3),
            SCHOOL_SUBJECTS,
            school=demo_school,
            score_seed=3,
        )
    computed = []
    for exam, _rows in made:
        report = compute_report(exam)
        computed.append(f"{exam.name}（{report.data['meta']['n_candidates']} 人，{report.seconds:.2f} 秒）")
    rows = sum(r for _e, r in made)
    out(
        f"考试 {len(made)} 场，成绩 {rows:,} 条，分析报告：{'；'.join(computed)}；"
        f"用时 {time.monotonic() - started:.1f} 秒"
    )
