"""成绩报告单: one candidate's scores with class / school / district means, the rankings the district's policy
lets the viewer see, the trend over the student's exams and the weakest knowledge points.

Who sees it: anyone who may view the candidate (ExamStudent.visible_to: the student, their guardians, the class's
teachers, the school, the district). Students and parents only once the exam is published. Means are over the
scores that count (缺考、免考 and 作弊 are left out, as in the exam report).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Avg, Count, Q
from django.http import Http404

from core.scope import roles_for

from .models import RANK_KINDS, Exam, ExamItem, ExamStatus, ExamStudent, ExamSubject, Score, ScoreStatus, StudentResult
from .services import visible_rank_kinds

FAMILY_ROLES = {"guardian", "student"}
WEAK_RATE = 0.6  # a knowledge point below 60 % of its marks is weak
WEAK_GAP = 0.1  # …or 10 points below the class


def candidate_for(user, pk: int, exam: Exam | None = None) -> ExamStudent:
    """The candidate if ``user`` may see its report (404 otherwise; unpublished exams: staff only)."""
    qs = ExamStudent.objects.visible_to(user).select_related(
        "exam__term", "student__person", "school", "klass__grade", "klass__head_teacher"
    )
    if exam is not None:
        qs = qs.filter(exam=exam)
    cand = qs.filter(pk=pk).first()
    if cand is None or not may_see_report(user, cand):
        raise Http404("未找到该成绩报告")
    return cand


def may_see_report(user, cand: ExamStudent) -> bool:
    roles = roles_for(user, "view", cand)
    if not roles:
        return False
    if cand.exam.status == ExamStatus.PUBLISHED:
        return True
    return bool(roles - FAMILY_ROLES)  # before publishing: teachers and administrators only


def family_reports(user):
    """Published exams of the children (or the student's own), newest first: for 我的成绩 / 孩子的成绩."""
    return (
        ExamStudent.objects.visible_to(user)
        .filter(exam__status=ExamStatus.PUBLISHED)
        .filter(Q(student__person_id=user.person_id) | Q(student__guardianships__guardian_id=user.person_id))
        .select_related("exam", "student__person", "school", "klass__grade")
        .distinct()
        .order_by("student__person__name", "-exam__exam_date", "-exam_id")
    )


def _means(exam: Exam, cand: ExamStudent) -> dict[str, dict[int, float]]:
    counted = Score.objects.filter(exam_subject__exam=exam, status=ScoreStatus.NORMAL)
    out = {}
    for level, cond in (
        ("class", Q(candidate__klass_id=cand.klass_id)),
        ("school", Q(candidate__school_id=cand.school_id)),
        ("district", Q()),
    ):
        rows = counted.filter(cond).values("exam_subject_id").annotate(avg=Avg("value"), n=Count("id"))
        out[level] = {r["exam_subject_id"]: float(r["avg"]) for r in rows if r["avg"] is not None}
    return out


def _kp_rates(items: list[ExamItem], scores: list[list | None]) -> dict[str, tuple[float, float]]:
    """knowledge point → (marks earned, marks possible) over the given item-score lists."""
    got: dict[str, float] = defaultdict(float)
    full: dict[str, float] = defaultdict(float)
    for row in scores:
        if not row or len(row) != len(items):
            continue
        for item, value in zip(items, row, strict=True):
            if value is None:
                continue
            for kp in item.knowledge_points:
                got[kp] += float(value)
                full[kp] += float(item.full_mark)
    return {kp: (got[kp], full[kp]) for kp in full}


def _weak_points(exam: Exam, cand: ExamStudent, subjects: list[ExamSubject], mine: dict[int, Score]) -> list[dict]:
    out = []
    for es in subjects:
        items = list(es.items.all())
        score = mine.get(es.pk)
        if not items or score is None or not score.items or not any(i.knowledge_points for i in items):
            continue
        own = _kp_rates(items, [score.items])
        class_rows = Score.objects.filter(
            exam_subject=es, candidate__klass_id=cand.klass_id, status=ScoreStatus.NORMAL, items__isnull=False
        ).values_list("items", flat=True)
        klass = _kp_rates(items, list(class_rows))
        for kp, (got, full) in own.items():
            rate = got / full if full else None
            c_got, c_full = klass.get(kp, (0.0, 0.0))
            class_rate = c_got / c_full if c_full else None
            if rate is None:
                continue
            if rate < WEAK_RATE or (class_rate is not None and rate < class_rate - WEAK_GAP):
                out.append({"subject": es.subject.name, "kp": kp, "rate": rate, "class_rate": class_rate, "full": full})
    out.sort(key=lambda r: (r["rate"], r["subject"], r["kp"]))
    return out[:8]


def _trend(user, cand: ExamStudent) -> list[dict]:
    """The student's exams that the viewer may see, oldest first, with the total's 得分率 and the class mean's."""
    family_only = not (roles_for(user, "view", cand) - FAMILY_ROLES)
    others = ExamStudent.objects.visible_to(user).filter(student_id=cand.student_id).select_related("exam")
    if family_only:
        others = others.filter(exam__status=ExamStatus.PUBLISHED)
    rows = []
    for other in others.order_by("exam__exam_date", "exam_id"):
        full = {es.pk: float(es.full_mark) for es in other.exam.subjects.all()}
        scores = list(Score.objects.filter(candidate=other).values_list("exam_subject_id", "value", "status"))
        sat = [(sid, float(v)) for sid, v, st in scores if st == ScoreStatus.NORMAL and v is not None]
        possible = sum(full[sid] for sid, _v in sat)
        rate = sum(v for _s, v in sat) / possible if possible else None
        class_totals = (
            Score.objects.filter(candidate__exam=other.exam, candidate__klass_id=other.klass_id, status="normal")
            .values("exam_subject_id")
            .annotate(avg=Avg("value"))
        )
        class_possible = sum(full[r["exam_subject_id"]] for r in class_totals if r["avg"] is not None)
        class_rate = (
            sum(float(r["avg"]) for r in class_totals if r["avg"] is not None) / class_possible
            if class_possible
            else None
        )
        rows.append(
            {
                "exam": other.exam,
                "candidate_id": other.pk,
                "rate": rate,
                "class_rate": class_rate,
                "current": other.pk == cand.pk,
            }
        )
    return rows


def student_report(user, cand: ExamStudent) -> dict:
    """Everything the 成绩报告单 page and PDF show."""
    exam = cand.exam
    subjects = list(exam.subjects.select_related("subject").prefetch_related("items"))
    mine = {s.exam_subject_id: s for s in Score.objects.filter(candidate=cand)}
    means = _means(exam, cand)
    kinds = [k for k in RANK_KINDS if k in visible_rank_kinds(user, cand)]  # 班级, 校内, 区
    from .report.refresh import ensure_report

    ensure_report(exam)  # ranks come from the computed report (recomputed here if scores changed)
    result = StudentResult.objects.filter(candidate=cand).first()
    rows = []
    total = total_full = 0.0
    for es in subjects:
        score = mine.get(es.pk)
        counted = score is not None and score.status == ScoreStatus.NORMAL and score.value is not None
        if counted:
            total += float(score.value)
            total_full += float(es.full_mark)
        sub_result = (result.subjects.get(str(es.pk)) if result else None) or {}
        rows.append(
            {
                "subject": es.subject.name,
                "full_mark": float(es.full_mark),
                "value": float(score.value) if counted else None,
                "status": score.get_status_display() if score is not None and not counted else "",
                "entered": score is not None,
                "class_mean": means["class"].get(es.pk),
                "school_mean": means["school"].get(es.pk),
                "district_mean": means["district"].get(es.pk),
                "ranks": {k: sub_result.get(k) for k in kinds},
            }
        )
    ranks = {k: getattr(result, k) for k in kinds} if result else {}
    trend = _trend(user, cand)
    return {
        "candidate": cand,
        "exam": exam,
        "student": cand.student.person.name,
        "klass": cand.klass,
        "school": cand.school,
        "rows": rows,
        "total": total,
        "total_full": total_full,
        "rate": total / total_full if total_full else None,
        "ranks": ranks,
        "rank_kinds": kinds,
        "computed": result is not None,
        "trend": trend,
        "weak_points": _weak_points(exam, cand, subjects, mine),
        "is_district": exam.scope == "district",
    }
