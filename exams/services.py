"""Exam services: create an exam (单校 or 联考) with its subjects and candidates, set the 小题 structure, enter
scores, publish (scores lock), correct after publishing (audited, with a reason), and the district's ranking
policy. Every write is permission-checked against the actor's scope and audited.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from core.audit import audit_record
from core.models import School, Stage, Student, StudentStatus, Subject, TeachingAssignment, Term
from core.scope import can, grants_for, roles_for
from core.services import _require, _save

from .models import (
    DEFAULT_THRESHOLDS,
    POLICY_ROLES,
    RANK_KINDS,
    Exam,
    ExamItem,
    ExamReport,
    ExamSchool,
    ExamScope,
    ExamStatus,
    ExamStudent,
    ExamSubject,
    ItemKind,
    RankingPolicy,
    ReportStatus,
    Score,
    ScoreCorrection,
    ScoreStatus,
    default_policy,
)

ONE_DECIMAL = Decimal("0.1")


# --- probes (objects built only to ask the scope layer) ----------------------------------------------------


def _exam_probe(district_id: int, school: School | None) -> object:
    """What creating/publishing an exam needs: a district exam → the district; a school exam → that school."""
    if school is None:
        return Exam(district_id=district_id)
    return ExamSchool(exam=Exam(district_id=district_id), school=school)


def exam_owner_probe(exam: Exam):
    return _exam_probe(exam.district_id, exam.school if exam.scope == ExamScope.SCHOOL else None)


def may_manage(actor, exam: Exam, action: str = "change") -> bool:
    """The exam's owner: the district's exam roles for a 联考, the school's admin (or the district) for a 单校考试."""
    return can(actor, action, exam_owner_probe(exam))


# --- validation helpers -------------------------------------------------------------------------------------


def _decimal(value, field: str, what: str) -> Decimal:
    try:
        d = Decimal(str(value)).quantize(ONE_DECIMAL)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: f"{what}「{value}」不是数字"}) from None
    if not d.is_finite():
        raise ValidationError({field: f"{what}「{value}」不是数字"})
    return d


def _thresholds(raw: dict | None) -> dict:
    t = dict(DEFAULT_THRESHOLDS)
    for key, value in (raw or {}).items():
        if key not in t:
            raise ValidationError({"thresholds": f"未知的分数线「{key}」（可用 excellent、good、pass、low）"})
        try:
            t[key] = float(value)
        except (TypeError, ValueError):
            raise ValidationError({"thresholds": f"分数线「{key}」的值「{value}」不是数字"}) from None
    if not all(0 < t[k] <= 1 for k in t):
        raise ValidationError({"thresholds": "分数线应为满分的比例（0–1 之间，如 0.85）"})
    if not t["excellent"] >= t["good"] >= t["pass"] > t["low"]:
        raise ValidationError({"thresholds": "分数线应满足 优秀 ≥ 良好 ≥ 及格 > 低分"})
    return t


def _mark_report_stale(exam_id: int) -> None:
    ExamReport.objects.filter(exam_id=exam_id).exclude(status=ReportStatus.PENDING).update(
        status=ReportStatus.PENDING, progress=0
    )


# --- create -------------------------------------------------------------------------------------------------


@transaction.atomic
def exam_create(
    *,
    actor,
    district_id: int,
    code: str,
    name: str,
    term: Term,
    stage: str,
    entry_year: int,
    exam_date: dt.date,
    subjects: list[tuple[Subject, object]],
    school: School | None = None,
    schools: list[School] | None = None,
    thresholds: dict | None = None,
    borderline_band=None,
    combinations: list[str] | None = None,
) -> Exam:
    """A 单校考试 (``school``) or a 联考 (``schools``, default every school of the district that runs ``stage``),
    for the cohort ``stage`` + ``entry_year``, with ``subjects`` as (Subject, full mark). The candidates are the
    cohort's 在读 students of the participating schools, with their class at this moment."""
    scope = ExamScope.SCHOOL if school is not None else ExamScope.DISTRICT
    _require(actor, "add", _exam_probe(district_id, school))
    if term.district_id != district_id:
        raise ValidationError({"term": "学期不属于本区县"})
    if stage not in Stage.values:
        raise ValidationError({"stage": f"未知的学段「{stage}」"})
    if not subjects:
        raise ValidationError({"subjects": "请至少设置一个考试科目"})
    if school is not None:
        if school.district_id != district_id:
            raise ValidationError({"school": "学校不属于本区县"})
        participants = [school]
    else:
        if schools is None:
            schools = [
                s
                for s in School.objects.filter(district_id=district_id, archived_at__isnull=True).order_by("code")
                if stage in s.stages
            ]
        participants = list(schools)
        if not participants:
            raise ValidationError({"schools": "请选择参加联考的学校"})
        outside = [s.name for s in participants if s.district_id != district_id]
        if outside:
            raise ValidationError({"schools": f"以下学校不属于本区县：{'、'.join(outside)}"})
    wrong_stage = [s.name for s in participants if stage not in s.stages]
    if wrong_stage:
        raise ValidationError({"schools": f"以下学校不设{Stage(stage).label}：{'、'.join(wrong_stage)}"})
    seen, subject_rows, electives = set(), [], set()
    for i, (subject, full, *rest) in enumerate(subjects):
        if rest and rest[0]:
            electives.add(subject.pk)
        if subject.district_id != district_id:
            raise ValidationError({"subjects": f"学科「{subject.name}」不属于本区县"})
        if subject.pk in seen:
            raise ValidationError({"subjects": f"学科「{subject.name}」重复"})
        seen.add(subject.pk)
        mark = _decimal(full, "subjects", f"{subject.name}满分")
        if mark <= 0 or mark > 1000:
            raise ValidationError({"subjects": f"{subject.name}满分应在 1–1000 之间"})
        subject_rows.append((subject, mark, i))
    if Exam.objects.filter(district_id=district_id, code=code).exists():
        raise ValidationError({"code": f"考试代码「{code}」已被使用"})
    combos = combinations_check(
        combinations or [], elective_names=[s.name for s, _m, _i in subject_rows if s.pk in electives]
    )
    band = _decimal(borderline_band if borderline_band is not None else 10, "borderline_band", "临界生分差")
    if band < 0:
        raise ValidationError({"borderline_band": "临界生分差不能为负"})
    exam = Exam(
        district_id=district_id,
        school=school,
        scope=scope,
        code=code,
        name=(name or "").strip(),
        term=term,
        stage=stage,
        entry_year=entry_year,
        exam_date=exam_date,
        thresholds=_thresholds(thresholds),
        borderline_band=band,
        combinations=combos,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _save(exam)
    for s in participants:
        _save(ExamSchool(exam=exam, school=s))
    for subject, mark, i in subject_rows:
        _save(ExamSubject(exam=exam, subject=subject, full_mark=mark, sort_order=i, elective=subject.pk in electives))
    added = candidates_sync(exam)
    audit_record(
        actor=actor,
        action="exam.create",
        obj=exam,
        changes={
            "code": [None, exam.code],
            "scope": [None, scope],
            "schools": [None, [s.name for s in participants]],
            "subjects": [None, [f"{s.name}:{m}{'（选考）' if s.pk in electives else ''}" for s, m, _i in subject_rows]],
            "candidates": [None, added],
        },
        district_id=district_id,
        school_id=school.pk if school else None,
    )
    return exam


def exam_total_full(exam: Exam) -> float:
    """The highest 总分 a candidate can have: every common subject plus, with 选科, the richest combination."""
    subjects = list(exam.subjects.select_related("subject"))
    if not exam.combinations:
        return sum(float(es.full_mark) for es in subjects)
    common = sum(float(es.full_mark) for es in subjects if not es.elective)
    marks = {es.subject.name: float(es.full_mark) for es in subjects if es.elective}
    return common + max(sum(marks.get(n, 0) for n in combination_subjects(c)) for c in exam.combinations)


LINE_KINDS = ("rank", "score")
MAX_LINES = 5


@transaction.atomic
def exam_lines_set(*, actor, exam: Exam, lines: list[dict], borderline_band=None) -> Exam:
    """上线分析 settings of the exam: up to five lines, each by rank (``{"kind": "rank", "value": 10}`` = the top
    10 % of the counted totals) or by score (``{"kind": "score", "value": 520}`` = a 总分), with a label; an
    empty list restores the default lines (top 10 %/30 %/60 %). ``borderline_band``: the 临界生 distance below a
    line. Allowed after publishing too (no score changes); the report is recomputed."""
    if not may_manage(actor, exam):
        raise PermissionDenied("只有考试组织者可以设置上线分数线")
    total_full = exam_total_full(exam)
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": f"最多设置 {MAX_LINES} 条分数线"})
    out, labels = [], set()
    for n, line in enumerate(lines, start=1):
        kind = line.get("kind")
        if kind not in LINE_KINDS:
            raise ValidationError({"lines": f"第 {n} 条线：类型应为按名次或按分数"})
        value = float(_decimal(line.get("value"), "lines", f"第 {n} 条线的数值"))
        if kind == "rank" and not 0 < value < 100:
            raise ValidationError({"lines": f"第 {n} 条线：名次比例应在 0–100% 之间（不含 0 和 100）"})
        if kind == "score" and not 0 < value <= total_full:
            raise ValidationError({"lines": f"第 {n} 条线：分数应在 0–{total_full:g} 分之间"})
        label = (line.get("label") or "").strip()[:20] or (f"前{value:g}%" if kind == "rank" else f"{value:g}分线")
        if label in labels:
            raise ValidationError({"lines": f"第 {n} 条线：名称「{label}」重复"})
        labels.add(label)
        out.append(
            {
                "key": chr(ord("A") + n - 1),
                "label": label,
                "kind": kind,
                "value": value / 100 if kind == "rank" else value,
            }
        )
    before = {"lines": exam.lines, "borderline_band": str(exam.borderline_band)}
    exam.lines = out
    if borderline_band is not None:
        band = _decimal(borderline_band, "borderline_band", "临界生分差")
        if band < 0 or band > Decimal(str(total_full)):
            raise ValidationError({"borderline_band": "临界生分差应不小于 0 且不超过总分"})
        exam.borderline_band = band
    exam.save(update_fields=["lines", "borderline_band", "updated_at"])
    _mark_report_stale(exam.pk)
    audit_record(
        actor=actor,
        action="exam.lines",
        obj=exam,
        changes={
            "lines": [before["lines"], out],
            "borderline_band": [before["borderline_band"], str(exam.borderline_band)],
        },
        district_id=exam.district_id,
        school_id=exam.school_id,
    )
    return exam


_COMBO_SPLIT = re.compile(r"[+＋、/／,，\s]+")


def combination_subjects(combination: str) -> list[str]:
    """ "物理+化学+生物" → ["物理", "化学", "生物"]."""
    return [p for p in _COMBO_SPLIT.split(combination or "") if p]


def combinations_check(combinations: list[str], *, elective_names: list[str]) -> list[str]:
    """The exam's 选科组合, normalised ("物理＋化学、生物" → "物理+化学+生物"). Each must name only the exam's
    elective subjects, each once; with electives there must be combinations, and without them none."""
    out: list[str] = []
    for n, raw in enumerate(c for c in combinations if c.strip()):
        parts = combination_subjects(raw)
        unknown = [p for p in parts if p not in elective_names]
        if unknown:
            raise ValidationError(
                {
                    "combinations": f"第 {n + 1} 个选科组合「{raw.strip()}」中的「{'、'.join(unknown)}」不是本次考试的选考科目"
                }
            )
        if len(set(parts)) != len(parts):
            raise ValidationError({"combinations": f"第 {n + 1} 个选科组合「{raw.strip()}」有重复的科目"})
        combo = "+".join(parts)
        if combo in out:
            raise ValidationError({"combinations": f"选科组合「{combo}」重复"})
        out.append(combo)
    if elective_names and not out:
        raise ValidationError({"combinations": "设置了选考科目，请填写选科组合（每行一个，如 物理+化学+生物）"})
    if out and not elective_names:
        raise ValidationError({"combinations": "填写了选科组合，请在科目表中勾选哪些科目是选考科目"})
    return out


@transaction.atomic
def candidate_combinations_set(*, actor, exam: Exam, changes: dict[int, str]) -> int:
    """Record the 选科组合 of candidates ({candidate id: combination, "" to clear}) while the exam is a draft.
    The combination must be one of the exam's; a candidate who already has a score in an elective the new
    combination leaves out is refused (delete that score first). Returns how many candidates changed."""
    if exam.status != ExamStatus.DRAFT:
        raise ValidationError({"combination": f"考试「{exam.name}」{exam.get_status_display()}，选科组合已锁定"})
    if not exam.combinations:
        raise ValidationError({"combination": "本次考试没有设置选科组合"})
    allowed = set(exam.combinations)
    cands = {c.pk: c for c in exam.candidates.filter(pk__in=list(changes)).select_related("student__person")}
    missing = set(changes) - set(cands)
    if missing:
        raise ValidationError({"combination": f"{len(missing)} 名考生不属于本次考试"})
    electives = {es.pk: es.subject.name for es in exam.subjects.select_related("subject") if es.elective}
    scored: dict[int, set[str]] = {}
    for cand_id, es_id in Score.objects.filter(
        candidate_id__in=list(cands), exam_subject_id__in=list(electives)
    ).values_list("candidate_id", "exam_subject_id"):
        scored.setdefault(cand_id, set()).add(electives[es_id])
    changed = []
    for pk, combo in changes.items():
        cand = cands[pk]
        combo = "+".join(combination_subjects(combo))
        if combo == cand.combination:
            continue
        if combo and combo not in allowed:
            raise ValidationError({"combination": f"{cand.student.person.name}：「{combo}」不是本次考试的选科组合"})
        _require(actor, "change", cand)
        dropped = sorted(n for n in scored.get(pk, set()) if n not in combination_subjects(combo))
        if combo and dropped:
            raise ValidationError(
                {
                    "combination": f"{cand.student.person.name}已录入{'、'.join(dropped)}成绩，新的组合「{combo}」不含该科；请先删除该成绩"
                }
            )
        changed.append((cand, cand.combination, combo))
    for cand, _old, combo in changed:
        cand.combination = combo
    ExamStudent.objects.bulk_update([c for c, _o, _n in changed], ["combination"])
    if changed:
        _mark_report_stale(exam.pk)
        audit_record(
            actor=actor,
            action="exam.combinations",
            obj=exam,
            changes={
                "candidates": [None, {c.pk: [old, new] for c, old, new in changed[:500]}],
                "count": [None, len(changed)],
            },
            district_id=exam.district_id,
        )
    return len(changed)


def candidates_sync(exam: Exam) -> int:
    """Add the cohort's 在读 students of the participating schools who are not candidates yet (class as of
    now; 考号 = 2-digit school order + 2-digit class number + 3-digit sequence). Returns how many were added."""
    schools = list(exam.participants.select_related("school").order_by("school__code"))
    have = set(exam.candidates.values_list("student_id", flat=True))
    rows = []
    for idx, entry in enumerate(schools, start=1):
        students = (
            Student.objects.filter(
                school=entry.school,
                status=StudentStatus.ENROLLED,
                archived_at__isnull=True,
                klass__grade__stage=exam.stage,
                klass__grade__entry_year=exam.entry_year,
            )
            .select_related("klass")
            .order_by("klass__number", "class_no", "id")
        )
        seq: dict[int, int] = {}
        for st in students:
            n = seq[st.klass_id] = seq.get(st.klass_id, 0) + 1
            if st.pk in have:
                continue
            rows.append(
                ExamStudent(
                    exam=exam,
                    student=st,
                    school_id=entry.school_id,
                    klass_id=st.klass_id,
                    exam_no=f"{idx:02d}{st.klass.number:02d}{n:03d}",
                )
            )
    ExamStudent.objects.bulk_create(rows, batch_size=2000)
    if rows:
        _mark_report_stale(exam.pk)
    return len(rows)


# --- 小题 ---------------------------------------------------------------------------------------------------


@transaction.atomic
def items_set(*, actor, exam_subject: ExamSubject, items: list[dict]) -> list[ExamItem]:
    """Replace the 小题 structure of a subject: ``items`` as dicts with number, full_mark, kind (objective /
    subjective), answer (objective), knowledge_points (list of names). The item full marks must add up to the
    subject's full mark. Not after publishing, nor once item scores were entered."""
    exam = exam_subject.exam
    if not may_manage(actor, exam):
        raise PermissionDenied("只有考试的组织者可以设置小题")
    if exam.is_published:
        raise ValidationError({"items": "考试已发布，不能修改小题结构"})
    if exam_subject.scores.filter(items__isnull=False).exists():
        raise ValidationError({"items": "已录入小题分，不能修改小题结构"})
    rows, numbers, total = [], set(), Decimal(0)
    for i, raw in enumerate(items, start=1):
        number = str(raw.get("number", "")).strip()
        if not number:
            raise ValidationError({"items": f"第 {i} 题缺少题号"})
        if number in numbers:
            raise ValidationError({"items": f"题号「{number}」重复"})
        numbers.add(number)
        mark = _decimal(raw.get("full_mark"), "items", f"第 {number} 题满分")
        if mark <= 0:
            raise ValidationError({"items": f"第 {number} 题满分应大于 0"})
        kind = raw.get("kind") or ItemKind.SUBJECTIVE
        if kind not in ItemKind.values:
            raise ValidationError({"items": f"第 {number} 题题型「{kind}」无效（objective 或 subjective）"})
        answer = "".join(sorted(str(raw.get("answer") or "").strip().upper())) if kind == ItemKind.OBJECTIVE else ""
        if kind == ItemKind.OBJECTIVE and not answer:
            raise ValidationError({"items": f"第 {number} 题是客观题，请填写标准答案"})
        kps = [str(k).strip() for k in raw.get("knowledge_points") or [] if str(k).strip()]
        total += mark
        rows.append(
            ExamItem(
                exam_subject=exam_subject,
                number=number,
                sort_order=i,
                full_mark=mark,
                kind=kind,
                answer=answer,
                knowledge_points=kps,
            )
        )
    if rows and total != exam_subject.full_mark:
        raise ValidationError(
            {"items": f"小题满分合计 {total} 分，与{exam_subject.subject.name}满分 {exam_subject.full_mark} 分不一致"}
        )
    exam_subject.items.all().delete()
    ExamItem.objects.bulk_create(rows)
    _mark_report_stale(exam.pk)
    audit_record(
        actor=actor,
        action="exam.items_set",
        obj=exam_subject,
        changes={"items": [None, len(rows)], "numbers": [None, [r.number for r in rows][:200]]},
        district_id=exam.district_id,
    )
    return rows


# --- scores -------------------------------------------------------------------------------------------------


def teaches(actor, klass_id: int, subject_id: int, term_id: int) -> bool:
    person_id = getattr(actor, "person_id", None)
    return (
        bool(person_id)
        and TeachingAssignment.objects.filter(
            teacher_id=person_id, klass_id=klass_id, subject_id=subject_id, term_id=term_id
        ).exists()
    )


def may_enter(actor, candidate: ExamStudent, exam_subject: ExamSubject) -> bool:
    """Score entry: the candidate's school admin (or the district's exam roles), or the class's teacher of
    that subject."""
    probe = Score(candidate=candidate, exam_subject=exam_subject)
    if not can(actor, "change", probe):
        return False
    levels = {g.level for g in grants_for(actor) if g.role in ("district_admin", "researcher", "school_admin")}
    if levels:
        return True
    return teaches(actor, candidate.klass_id, exam_subject.subject_id, candidate.exam.term_id)


def clean_score(
    exam_subject: ExamSubject, value, status: str, items: list | None, item_defs: list[ExamItem] | None = None
) -> tuple[Decimal | None, list | None]:
    """(value, items) checked against the subject: 0 ≤ value ≤ full mark, one decimal; a mark (缺考/作弊/免考)
    has no value; item scores within each item's full mark and adding up to the value."""
    if status not in ScoreStatus.values:
        raise ValidationError({"status": f"未知的标记「{status}」"})
    if status != ScoreStatus.NORMAL:
        return None, None
    name = exam_subject.subject.name
    item_values = None
    if items is not None:
        defs = item_defs if item_defs is not None else list(exam_subject.items.all())
        if len(items) != len(defs):
            raise ValidationError({"items": f"{name}应有 {len(defs)} 个小题分，收到 {len(items)} 个"})
        item_values = []
        for d, raw in zip(defs, items, strict=True):
            v = _decimal(raw, "items", f"第 {d.number} 题得分")
            if v < 0 or v > d.full_mark:
                raise ValidationError({"items": f"第 {d.number} 题得分 {v} 超出范围（0–{d.full_mark}）"})
            item_values.append(float(v))
        total = sum((Decimal(str(v)) for v in item_values), Decimal(0)).quantize(ONE_DECIMAL)
        if value in (None, ""):
            value = total
        elif _decimal(value, "value", f"{name}成绩") != total:
            raise ValidationError({"value": f"{name}成绩 {value} 与小题分合计 {total} 不一致"})
    if value in (None, ""):
        raise ValidationError({"value": f"请填写{name}成绩，或标记为缺考/作弊/免考"})
    v = _decimal(value, "value", f"{name}成绩")
    if v < 0 or v > exam_subject.full_mark:
        raise ValidationError({"value": f"{name}成绩 {v} 超出范围（0–{exam_subject.full_mark}）"})
    return v, item_values


@transaction.atomic
def score_set(
    *,
    actor,
    candidate: ExamStudent,
    exam_subject: ExamSubject,
    value=None,
    status: str = ScoreStatus.NORMAL,
    items: list | None = None,
    options: list | None = None,
    reason: str = "",
) -> Score:
    """Enter (or change) one score. After the exam is published the score is locked: only the exam's owner
    may correct it, with a reason; the correction is kept (ScoreCorrection) and audited."""
    exam = candidate.exam
    if exam_subject.exam_id != exam.pk:
        raise ValidationError({"exam_subject": "科目不属于该考试"})
    if not may_enter(actor, candidate, exam_subject):
        raise PermissionDenied("无权录入该考生的该科成绩")
    if (
        exam_subject.elective
        and exam.combinations
        and candidate.combination
        and exam_subject.subject.name not in candidate.combination
    ):
        raise ValidationError(
            {"exam_subject": f"该考生的选科组合「{candidate.combination}」不含{exam_subject.subject.name}"}
        )
    v, item_values = clean_score(exam_subject, value, status, items)
    score = Score.objects.select_for_update().filter(candidate=candidate, exam_subject=exam_subject).first()
    before = (score.value, score.status) if score else (None, None)
    if exam.status == ExamStatus.ARCHIVED:
        raise ValidationError({"exam": "考试已归档，不能修改成绩"})
    if exam.is_published:
        if not may_manage(actor, exam, "publish") and not can(actor, "publish", Score(candidate=candidate)):
            raise PermissionDenied("成绩已发布并锁定，只有考试组织者或学校管理员可以更正")
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": "成绩已发布，更正须填写原因"})
    if score is None:
        score = Score(candidate=candidate, exam_subject=exam_subject)
    elif before == (v, status) and (items is None or score.items == item_values):
        return score  # unchanged
    stale_items = items is None and score.items is not None and v != score.value
    score.value, score.status = v, status
    if items is not None or status != ScoreStatus.NORMAL or stale_items:
        score.items = item_values  # a new total without its 小题 drops the old 小题 (they no longer add up)
        if options is None and (stale_items or status != ScoreStatus.NORMAL):
            score.options = None
    if options is not None:
        score.options = [str(o or "").strip().upper() for o in options]
    score.entered_by = actor
    _save(score)
    if exam.is_published:
        ScoreCorrection.objects.create(
            score=score,
            old_value=before[0],
            new_value=v,
            old_status=before[1] or "",
            new_status=status,
            reason=reason[:200],
            corrected_by=actor,
        )
    audit_record(
        actor=actor,
        action="score.correct" if exam.is_published else "score.set",
        obj=score,
        changes={
            "value": [str(before[0]) if before[0] is not None else None, str(v) if v is not None else None],
            "status": [before[1], status],
            **({"reason": [None, reason]} if exam.is_published else {}),
        },
        district_id=exam.district_id,
        school_id=candidate.school_id,
    )
    _mark_report_stale(exam.pk)
    return score


# --- progress, publish --------------------------------------------------------------------------------------


def expected_scores(exam: Exam) -> int:
    """Score rows a complete exam has: each candidate × each subject they take (electives by combination)."""
    subjects = list(exam.subjects.select_related("subject"))
    n = 0
    combos = dict(exam.candidates.values_list("combination").annotate(c=Count("id")))
    total = sum(combos.values())
    for s in subjects:
        if s.elective and exam.combinations:
            n += sum(c for combo, c in combos.items() if combo and s.subject.name in combo)
        else:
            n += total
    return n


def entry_progress(exam: Exam) -> list[dict]:
    """Per school × subject: candidates, scores entered (marks included), missing."""
    subjects = list(exam.subjects.select_related("subject"))
    per_school = dict(exam.candidates.values_list("school_id").annotate(n=Count("id")))
    entered = {
        (r["candidate__school_id"], r["exam_subject_id"]): r["n"]
        for r in Score.objects.filter(candidate__exam=exam)
        .values("candidate__school_id", "exam_subject_id")
        .annotate(n=Count("id"))
    }
    out = []
    for entry in exam.participants.select_related("school").order_by("school__code"):
        for s in subjects:
            cands = per_school.get(entry.school_id, 0)
            if s.elective and exam.combinations:
                cands = exam.candidates.filter(school_id=entry.school_id, combination__contains=s.subject.name).count()
            done = entered.get((entry.school_id, s.pk), 0)
            out.append(
                {
                    "school": entry.school,
                    "subject": s,
                    "candidates": cands,
                    "entered": done,
                    "missing": max(cands - done, 0),
                }
            )
    return out


@transaction.atomic
def exam_publish(*, actor, exam: Exam) -> Exam:
    """Publish: scores lock and results become visible to teachers, students and parents (rankings as the
    policy allows). Refused while any score is missing (a missing score must be entered or marked 缺考)."""
    if not may_manage(actor, exam, "publish"):
        raise PermissionDenied("只有考试组织者可以发布成绩")
    exam = Exam.objects.select_for_update().get(pk=exam.pk)
    if exam.status != ExamStatus.DRAFT:
        raise ValidationError({"status": f"考试当前状态为「{exam.get_status_display()}」，不能发布"})
    missing = [p for p in entry_progress(exam) if p["missing"]]
    if missing:
        parts = [f"{p['school'].name}{p['subject'].subject.name}缺 {p['missing']} 人" for p in missing[:10]]
        raise ValidationError({"scores": "成绩尚未录完：" + "；".join(parts)})
    exam.status = ExamStatus.PUBLISHED
    exam.published_at = timezone.now()
    exam.published_by = actor
    _save(exam)
    audit_record(actor=actor, action="exam.publish", obj=exam, changes={"status": [ExamStatus.DRAFT, exam.status]})
    return exam


# --- ranking policy -----------------------------------------------------------------------------------------


def ranking_policy(district_id: int) -> dict:
    policy = RankingPolicy.objects.filter(district_id=district_id).first()
    rules = default_policy()
    if policy:
        for role, kinds in policy.rules.items():
            rules.setdefault(role, {}).update(kinds)
    return rules


@transaction.atomic
def ranking_policy_set(*, actor, district_id: int, rules: dict) -> RankingPolicy:
    """The district decides which role sees which ranking (班级/年级(校)/区 排名)."""
    probe = RankingPolicy(district_id=district_id)
    _require(actor, "change", probe)
    clean = default_policy()
    for role, kinds in rules.items():
        if role not in POLICY_ROLES:
            raise ValidationError({"rules": f"未知的角色「{role}」"})
        for kind, allowed in kinds.items():
            if kind not in RANK_KINDS:
                raise ValidationError({"rules": f"未知的排名「{kind}」"})
            clean[role][kind] = bool(allowed)
    policy, _ = RankingPolicy.objects.select_for_update().get_or_create(district_id=district_id)
    before = policy.rules
    policy.rules = clean
    _save(policy)
    audit_record(actor=actor, action="exam.ranking_policy", obj=policy, changes={"rules": [before, clean]})
    return policy


def visible_rank_kinds(user, candidate: ExamStudent) -> set[str]:
    """Which rankings ``user`` may see for ``candidate``: by the policy, for the roles through which the user
    sees this candidate (a teacher who is also a parent sees their own child as a parent). District exam roles
    see every ranking."""
    roles = roles_for(user, "view", candidate)
    if roles & {"district_admin", "researcher"}:
        return set(RANK_KINDS)
    rules = ranking_policy(candidate.exam.district_id)
    kinds: set[str] = set()
    for role in roles & set(POLICY_ROLES):
        kinds |= {k for k, ok in rules.get(role, {}).items() if ok}
    return kinds


__all__ = [
    "candidates_sync",
    "clean_score",
    "entry_progress",
    "exam_create",
    "exam_publish",
    "expected_scores",
    "items_set",
    "may_enter",
    "may_manage",
    "ranking_policy",
    "ranking_policy_set",
    "score_set",
    "visible_rank_kinds",
]
