"""Compute an exam's report: load the scores (``load.load_exam``), run the statistics engine
(``exams.analysis``) over whole columns, store the aggregates in ``ExamReport.data`` and the per-student numbers
in ``StudentResult`` (delete + bulk insert). See ``exams.report`` for the shape of ``data``.

Rules (recorded in ``data["meta"]["rules"]``):

* 缺考、免考 and 作弊 scores are not counted (NaN): they are left out of every mean, rate and rank of that
  subject (``cheat_as_zero=True`` counts 作弊 as 0 instead).
* The 总分 of a candidate counts (statistics, ranks, lines) only when every subject the candidate takes has a
  counted score; otherwise ``StudentResult.total`` holds the sum of the counted subjects and the total's
  ranks are empty. Electives a candidate does not take (新高考 combinations) do not count against them.
* Ranks are competition ranks ("1224") at class, school and district level; Z and T scores are over the
  exam's counted scores; the 标准分 total is the T score of the z-sum (``exams.analysis.standard_total``).
* 上线: by default three lines by rank (the top 10 %, 30 %, 60 % of the counted totals); ``config["lines"]``
  (kept in ``data["config"]``) may list other lines by rank or by score. 有效分 by both methods (ratio and
  mean of the students on the line); 单上线/双上线 use the ratio method, rounded to 0.1.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.bulk import bulk_insert_rows

from .. import analysis as A
from ..models import Exam, ExamReport, ReportStatus, StudentResult
from .jsonable import RATE_DP, SCORE_DP, col, ints, num, row_lists
from .load import STATUS_NORMAL, STATUS_NOT_TAKEN, ExamData, SubjectData, load_exam

DATA_VERSION = 1
TOTAL = "total"
STAT_FIELDS = (
    "n",
    "absent",
    "mean",
    "std",
    "max",
    "min",
    "median",
    "score_rate",
    "excellent_count",
    "excellent_rate",
    "good_count",
    "good_rate",
    "pass_count",
    "pass_rate",
    "low_count",
    "low_rate",
    "over_mean",
    "over_mean_school",
    "t_mean",
)
_RATE_FIELDS = {"score_rate", "excellent_rate", "good_rate", "pass_rate", "low_rate", "over_mean", "over_mean_school"}
DEFAULT_LINES = [
    {"key": "A", "label": "A线（前10%）", "kind": "rank", "value": 0.10},
    {"key": "B", "label": "B线（前30%）", "kind": "rank", "value": 0.30},
    {"key": "C", "label": "C线（前60%）", "kind": "rank", "value": 0.60},
]
SEGMENT_STEP = 1.0
CHOICES = "ABCD"

Progress = Callable[[int, str], None]


def _thresholds(exam: Exam) -> tuple[float, float, float, float]:
    d = dict(zip(("excellent", "good", "pass", "low"), A.DEFAULT_THRESHOLDS, strict=True))
    d.update({k: float(v) for k, v in (exam.thresholds or {}).items() if k in d})
    return d["excellent"], d["good"], d["pass"], d["low"]


def _codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique ids, code of every row)."""
    if ids.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    uniq, inv = np.unique(ids, return_inverse=True)
    return uniq, inv.astype(np.int64).ravel()


def _row(d: dict, i: int | None = None) -> list:
    """One stats row in STAT_FIELDS order from a describe() dict (i=None) or describe_groups() arrays."""
    out = []
    for f in STAT_FIELDS:
        v = d.get(f)
        if v is not None and i is not None:
            v = v[i]
        out.append(num(v, RATE_DP if f in _RATE_FIELDS else SCORE_DP))
    return out


def _group_rows(g: dict) -> list[list]:
    """describe_groups()-style arrays (plus extra columns) → one row per group, in STAT_FIELDS order."""
    size = len(g["n"])
    cols = []
    for f in STAT_FIELDS:
        if f in g:
            cols.append(col(g[f], RATE_DP if f in _RATE_FIELDS else SCORE_DP))
        else:
            cols.append([None] * size)
    return [list(r) for r in zip(*cols, strict=True)] if size else []


def _over_mean(means: np.ndarray, reference: float | None) -> np.ndarray:
    out = A.over_mean_rate(means, reference)
    return np.full(len(means), np.nan) if out is None else out


class _Timer:
    def __init__(self):
        self.t = time.perf_counter()
        self.marks: dict[str, float] = {}

    def mark(self, name: str) -> None:
        now = time.perf_counter()
        self.marks[name] = round(self.marks.get(name, 0.0) + now - self.t, 3)
        self.t = now


def compute_report(
    exam: Exam,
    progress: Progress | None = None,
    *,
    cheat_as_zero: bool = False,
    config: dict | None = None,
) -> ExamReport:
    """Compute and store the report of ``exam`` (see the module docstring); returns the ExamReport.

    ``progress(percent, phase)`` is called as the work advances. While it runs the report's status is
    ``running``; at the end it is ``done`` — unless a score changed meanwhile (status set back to
    ``pending`` by the services), in which case the new data is stored but the status stays ``pending``.
    """
    started = time.perf_counter()
    row = ExamReport.objects.filter(exam=exam).values_list("pk", "data__config").first()
    if row is None:
        row = (ExamReport.objects.get_or_create(exam=exam)[0].pk, None)
    pk, prev_config = row
    ExamReport.objects.filter(pk=pk).update(status=ReportStatus.RUNNING, progress=0, error="")
    given = config or {}
    config = {**(prev_config if isinstance(prev_config, dict) else {}), **given}
    # the lines the organiser set on the exam (services.exam_lines_set) win over an earlier run's; lines passed
    # to this call win over both
    if "lines" not in given:
        if exam.lines:
            config["lines"], config["lines_source"] = exam.lines, "exam"
        elif config.get("lines_source") == "exam":  # the organiser went back to the default lines
            config.pop("lines", None)
            config.pop("lines_source", None)

    def step(pct: int, phase: str) -> None:
        if progress is not None:
            progress(pct, phase)

    try:
        timer = _Timer()
        step(0, "load")
        data = load_exam(exam, cheat_as_zero=cheat_as_zero)
        timer.mark("load")
        step(30, "compute")
        payload, rows = build_report(data, config=config, cheat_as_zero=cheat_as_zero, progress=step, timer=timer)
        step(85, "write")
        with transaction.atomic():
            StudentResult.objects.filter(candidate__exam=exam).delete()
            bulk_insert_rows(StudentResult, rows)
            timer.mark("write_results")
            payload["meta"]["timings"] = timer.marks
            payload["meta"]["seconds"] = round(time.perf_counter() - started, 3)
            _fast_toast_compression()
            current = ExamReport.objects.select_for_update().filter(pk=pk).values_list("status", flat=True).get()
            status = ReportStatus.DONE if current == ReportStatus.RUNNING else current
            now = timezone.now()
            payload["meta"]["computed_at"] = now.isoformat()
            ExamReport.objects.filter(pk=pk).update(
                status=status, progress=100, data=payload, computed_at=now, error="", updated_at=now
            )
            ExamReport.objects.filter(pk=pk).update(seconds=time.perf_counter() - started)  # the whole run
        step(100, "done")
    except Exception as exc:
        ExamReport.objects.filter(pk=pk).update(
            status=ReportStatus.FAILED, progress=0, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return ExamReport.objects.defer("data").get(pk=pk)  # ``data`` is loaded when first used


def _fast_toast_compression() -> None:
    """PostgreSQL ≥ 14 built with lz4: store the (large) report document lz4-compressed — reading it back
    (every page view) is several times faster than with the default pglz. A no-op elsewhere."""
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL default_toast_compression = 'lz4'")
    except DatabaseError:  # built without lz4
        pass


# --- the computation (no database) ---------------------------------------------------------------------


def _totals(data: ExamData) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(subject matrix n × K, total where complete else NaN, sum of the counted subjects (NaN if none), total
    full mark)."""
    n, k = data.n, len(data.subjects)
    m = np.full((n, k), np.nan)
    takes = np.ones((n, k), dtype=bool)
    for j, s in enumerate(data.subjects):
        m[:, j] = s.scores
        takes[:, j] = s.status != STATUS_NOT_TAKEN
    counted = ~np.isnan(m)
    partial = np.where(counted.any(axis=1), np.where(counted, m, 0.0).sum(axis=1), np.nan) if k else np.full(n, np.nan)
    complete = (counted | ~takes).all(axis=1) & counted.any(axis=1) if k else np.zeros(n, dtype=bool)
    total = np.where(complete, partial, np.nan)
    fulls = np.asarray([s.full_mark for s in data.subjects])
    per_student_full = (takes * fulls[None, :]).sum(axis=1) if k else np.zeros(n)
    if n:
        values, counts = np.unique(per_student_full, return_counts=True)
        total_full = float(values[np.argmax(counts)])
    else:
        total_full = float(fulls.sum()) if k else 0.0
    return m, total, partial, total_full or 1.0


def _line_defs(config: dict) -> list[dict]:
    lines = config.get("lines") or DEFAULT_LINES
    out = []
    for i, line in enumerate(lines):
        kind = line.get("kind", "rank")
        value = float(line["value"])
        key = str(line.get("key") or chr(ord("A") + i))
        label = line.get("label") or (f"前{value * 100:g}%" if kind == "rank" else f"{value:g} 分线")
        out.append({"key": key, "label": label, "kind": kind, "value": value})
    return out


def build_report(
    data: ExamData,
    *,
    config: dict | None = None,
    cheat_as_zero: bool = False,
    progress: Progress | None = None,
    timer: _Timer | None = None,
) -> tuple[dict, list[dict]]:
    """The ``ExamReport.data`` payload and the ``StudentResult`` rows (dicts for bulk_insert_rows)."""
    config = config or {}
    timer = timer or _Timer()
    exam = data.exam
    th = _thresholds(exam)
    n = data.n
    subjects = data.subjects
    m, total, partial, total_full = _totals(data)
    columns: list[tuple[str, np.ndarray, float, SubjectData | None]] = [(TOTAL, total, total_full, None)]
    columns += [(s.key, s.scores, s.full_mark, s) for s in subjects]

    school_uniq, school_code = _codes(data.school_ids)
    class_uniq, class_code = _codes(data.klass_ids)
    n_schools, n_classes = school_uniq.size, class_uniq.size
    class_school = np.zeros(n_classes, dtype=np.int64)  # school code of each class
    if n:
        class_school[class_code] = school_code

    std_total = A.standard_total(m) if subjects else np.full(n, np.nan)

    # --- statistics per level ------------------------------------------------------------------------
    district: dict = {"stats": {}, "segments": {}}
    schools = {
        str(sid): {
            "name": data.school_names.get(int(sid), ""),
            "class_ids": [int(c) for c in class_uniq[class_school == i]],
            "stats": {},
            "segments": {},
        }
        for i, sid in enumerate(school_uniq)
    }
    # participating schools without candidates still appear (empty)
    for sid, name in data.school_names.items():
        schools.setdefault(str(sid), {"name": name, "class_ids": [], "stats": {}, "segments": {}})
    classes = {}
    for i, cid in enumerate(class_uniq):
        info = data.class_info.get(int(cid), {})
        classes[str(cid)] = {
            "name": info.get("name", ""),
            "school_id": int(school_uniq[class_school[i]]) if n_schools else None,
            "grade_id": info.get("grade_id"),
            "number": info.get("number"),
            "head_teacher": info.get("head_teacher", ""),
            "teachers": {},
            "teacher_ids": {TOTAL: info.get("head_teacher_id")},
            "ranks": {},
            "stats": {},
        }
    class_compare: dict = {
        "class_id": class_uniq.tolist(),
        "name": [classes[str(c)]["name"] for c in class_uniq.tolist()],
        "school_id": [classes[str(c)]["school_id"] for c in class_uniq.tolist()],
        "subjects": {},
    }
    result_cols: dict[str, dict] = {}

    for key, x, full, subj in columns:
        d = A.describe(x, full, th)
        d["over_mean"] = None
        if key == TOTAL:
            d["t_mean"] = float(np.nanmean(std_total[~np.isnan(x)])) if d["n"] else None
        district["stats"][key] = _row(d)
        gs = A.describe_groups(x, school_code, n_schools, full, th)
        gs["over_mean"] = _over_mean(gs["mean"], d["mean"])
        gc = A.describe_groups(x, class_code, n_classes, full, th)
        gc["over_mean"] = _over_mean(gc["mean"], d["mean"])
        school_mean_of_class = gs["mean"][class_school] if n_classes else np.zeros(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            gc["over_mean_school"] = np.where(
                school_mean_of_class > 0, (gc["mean"] - school_mean_of_class) / school_mean_of_class, np.nan
            )
        if key == TOTAL:
            ok = ~np.isnan(x)
            for g, codes, size in ((gs, school_code, n_schools), (gc, class_code, n_classes)):
                sums = np.bincount(codes[ok], weights=std_total[ok], minlength=size)
                cnt = np.bincount(codes[ok], minlength=size)
                g["t_mean"] = np.divide(sums, cnt, out=np.full(size, np.nan), where=cnt > 0)
        for sid, row in zip(school_uniq, _group_rows(gs), strict=True):
            schools[str(sid)]["stats"][key] = row
        for cid, row in zip(class_uniq, _group_rows(gc), strict=True):
            classes[str(cid)]["stats"][key] = row

        # 一分一段: district (all columns) and per school (counts)
        # (bands from the highest to the lowest occupied one; the school tables use the same bands)
        seg = A.score_segments(x, SEGMENT_STEP, full)
        occupied = np.flatnonzero(seg["count"])
        cut = slice(int(occupied[0]), int(occupied[-1]) + 1) if occupied.size else slice(0, 0)
        district["segments"][key] = {
            "lower": col(seg["lower"][cut], 1),
            "count": col(seg["count"][cut]),
            "cum_count": col(seg["cum_count"][cut]),
            "cum_rate": col(seg["cum_rate"][cut], RATE_DP),
            "rank_from": col(seg["rank_from"][cut]),
        }
        if n_schools:
            sg = A.score_segments_groups(x, school_code, n_schools, SEGMENT_STEP, full)
            for i, sid in enumerate(school_uniq):
                schools[str(sid)]["segments"][key] = {
                    "count": sg["count"][i][cut].tolist(),
                    "cum_count": sg["cum_count"][i][cut].tolist(),
                }

        # class comparison with teacher attribution
        teacher_ids, teacher_names = [], []
        for cid in class_uniq:
            if subj is None:
                info = data.class_info.get(int(cid), {})
                teacher_ids.append(info.get("head_teacher_id"))
                teacher_names.append(info.get("head_teacher", ""))
            else:
                tid, name = data.teachers.get((int(cid), subj.subject_id), (None, ""))
                teacher_ids.append(tid)
                teacher_names.append(name)
                classes[str(cid)]["teachers"][key] = name
                classes[str(cid)]["teacher_ids"][key] = tid
        class_means = gc["mean"]
        class_rank = A.rank(class_means) if n_classes else np.zeros(0, dtype=np.int64)
        for cid, r in zip(class_uniq.tolist(), ints(class_rank), strict=True):
            classes[str(cid)]["ranks"][key] = r
        class_compare["subjects"][key] = {
            "n": col(gc["n"]),
            "mean": col(class_means),
            "score_rate": col(gc["score_rate"], RATE_DP),
            "excellent_rate": col(gc["excellent_rate"], RATE_DP),
            "pass_rate": col(gc["pass_rate"], RATE_DP),
            "over_mean": col(gc["over_mean"], RATE_DP),
            "gap": col(class_means - d["mean"]) if d["mean"] is not None else [None] * n_classes,
            "rank": ints(class_rank),
            "teacher_id": teacher_ids,
            "teacher": teacher_names,
        }

        # ranks, Z and T per student
        result_cols[key] = {
            "class_rank": A.rank_within(x, class_code, n_classes),
            "school_rank": A.rank_within(x, school_code, n_schools),
            "district_rank": A.rank(x),
            "z": A.zscores(x),
        }
    timer.mark("statistics")
    if progress:
        progress(50, "compute")

    teachers = _teacher_tables(data, class_uniq, class_code, th, district)
    lines, line_rows = _lines(data, m, total, class_uniq, class_code, school_uniq, school_code, config)
    district["lines"] = line_rows["district"]
    for sid, rows in line_rows["schools"].items():
        schools[sid]["lines"] = rows
    for cid, rows in line_rows["classes"].items():
        classes[cid]["lines"] = rows
    for sid, rows in line_rows["school_borderline"].items():
        schools[sid]["borderline"] = rows
    for cid, rows in line_rows["class_borderline"].items():
        classes[cid]["borderline"] = rows
    timer.mark("lines")
    if progress:
        progress(60, "items")

    items = {}
    for s in subjects:
        if not s.items or s.item_matrix is None:
            continue
        items[s.key], per_school, per_class = _items(s, school_code, n_schools, class_code, n_classes)
        for i, sid in enumerate(school_uniq):
            schools[str(sid)].setdefault("items", {})[s.key] = per_school[i]
        for i, cid in enumerate(class_uniq):
            classes[str(cid)].setdefault("items", {})[s.key] = per_class[i]
    timer.mark("items")
    if progress:
        progress(75, "results")

    payload = {
        "version": DATA_VERSION,
        "meta": {
            "exam_id": exam.pk,
            "name": exam.name,
            "scope": exam.scope,
            "n_candidates": n,
            "n_counted_total": int(np.count_nonzero(~np.isnan(total))),
            "total_full": total_full,
            "thresholds": dict(zip(("excellent", "good", "pass", "low"), th, strict=True)),
            "borderline_band": float(exam.borderline_band),
            "segment_step": SEGMENT_STEP,
            "stat_fields": list(STAT_FIELDS),
            "rules": {
                "absent": "not_counted",
                "exempt": "not_counted",
                "cheat": "zero" if cheat_as_zero else "not_counted",
                "total": "complete_only",
                "rank": "competition",
                "std": "population",
            },
        },
        "config": config,
        "subjects": [{"key": TOTAL, "name": "总分", "full_mark": total_full}]
        + [
            {
                "key": s.key,
                "id": s.id,
                "subject_id": s.subject_id,
                "name": s.name,
                "full_mark": s.full_mark,
                "elective": s.elective,
                "items": bool(s.items),
            }
            for s in subjects
        ],
        "district": district,
        "schools": schools,
        "classes": classes,
        "lines": lines,
        "items": items,
        "class_compare": class_compare,
        "teachers": teachers,
    }
    rows = _student_rows(data, result_cols, partial, std_total)
    timer.mark("results")
    return payload, rows


def _teacher_tables(data: ExamData, class_uniq, class_code, th, district) -> dict:
    """Per subject: one row per 任课教师 (their classes together), with the gap to the district mean."""
    out = {}
    for s in data.subjects:
        by_class = [data.teachers.get((int(c), s.subject_id), (None, "")) for c in class_uniq]
        keys = sorted({t[0] or 0 for t in by_class})
        pos = {k: i for i, k in enumerate(keys)}
        class_teacher = np.asarray([pos[t[0] or 0] for t in by_class], dtype=np.int64)
        codes = class_teacher[class_code] if class_code.size else np.zeros(0, dtype=np.int64)
        g = A.describe_groups(s.scores, codes, len(keys), s.full_mark, th)
        dmean = district["stats"][s.key][STAT_FIELDS.index("mean")]
        names = {t[0] or 0: t[1] for t in by_class}
        classes_of: dict[int, list[int]] = {}
        for c, t in zip(class_uniq.tolist(), class_teacher.tolist(), strict=True):
            classes_of.setdefault(t, []).append(c)
        rows = []
        for i, k in enumerate(keys):
            mean = num(g["mean"][i])
            rows.append(
                {
                    "teacher_id": k or None,
                    "name": names.get(k) or "未安排",
                    "class_ids": classes_of.get(i, []),
                    "n": int(g["n"][i]),
                    "mean": mean,
                    "score_rate": num(g["score_rate"][i], RATE_DP),
                    "excellent_rate": num(g["excellent_rate"][i], RATE_DP),
                    "pass_rate": num(g["pass_rate"][i], RATE_DP),
                    "over_mean": num(A.over_mean_rate(g["mean"][i], dmean), RATE_DP) if dmean else None,
                    "gap": num(mean - dmean) if mean is not None and dmean is not None else None,
                }
            )
        out[s.key] = rows
    return out


def _line_counts(la: dict, i: int | None, keys: list[str], below: int, above: int) -> dict:
    def pick(v):
        return v if i is None else v[i]

    return {
        "n": int(pick(la["n"])),
        "total_on": int(pick(la["total_on"])),
        "single": dict(zip(keys, np.asarray(pick(la["single"])).tolist(), strict=True)),
        "double": dict(zip(keys, np.asarray(pick(la["double"])).tolist(), strict=True)),
        "borderline_below": below,
        "borderline_above": above,
    }


def _lines(data: ExamData, m, total, class_uniq, class_code, school_uniq, school_code, config) -> tuple[list, dict]:
    keys = [s.key for s in data.subjects]
    n_counted = int(np.count_nonzero(~np.isnan(total)))
    band = float(data.exam.borderline_band)
    n_s, n_c = school_uniq.size, class_uniq.size
    out = {"district": [], "schools": {}, "classes": {}, "school_borderline": {}, "class_borderline": {}}
    defs = []
    for line in _line_defs(config):
        if line["kind"] == "rank":
            score = A.line_by_rank(total, max(1, math.ceil(line["value"] * n_counted - 1e-9))) if n_counted else None
        else:
            score = A.line_by_score(line["value"])
        if score is None:
            continue
        ratio = A.effective_scores(m, total, score, "ratio") if keys else np.zeros(0)
        qualified = A.effective_scores(m, total, score, "qualified_mean") if keys else np.zeros(0)
        eff = np.round(ratio, 1)
        eff_use = np.where(np.isnan(eff), np.inf, eff)  # undefined 有效分: nobody reaches it
        defs.append(
            {
                **line,
                "score": num(score),
                "method": "ratio",
                "effective": dict(zip(keys, col(eff, 1), strict=True)),
                "effective_qualified_mean": dict(zip(keys, col(qualified, 1), strict=True)),
            }
        )
        bl = A.borderline(total, score, band)
        below_c = np.bincount(class_code[bl["below"]], minlength=n_c)
        above_c = np.bincount(class_code[bl["above"]], minlength=n_c)
        below_s = np.bincount(school_code[bl["below"]], minlength=n_s)
        above_s = np.bincount(school_code[bl["above"]], minlength=n_s)
        la = A.line_analysis(m, total, score, eff_use)
        out["district"].append(_line_counts(la, None, keys, int(bl["below"].size), int(bl["above"].size)))
        if n_s:
            las = A.line_analysis(m, total, score, eff_use, school_code, n_s)
            for i, sid in enumerate(school_uniq):
                out["schools"].setdefault(str(sid), []).append(
                    _line_counts(las, i, keys, int(below_s[i]), int(above_s[i]))
                )
        if n_c:
            lac = A.line_analysis(m, total, score, eff_use, class_code, n_c)
            for i, cid in enumerate(class_uniq):
                out["classes"].setdefault(str(cid), []).append(
                    _line_counts(lac, i, keys, int(below_c[i]), int(above_c[i]))
                )
        # 临界生 lists: candidate ids and totals, closest to the line first
        cand, klass = data.candidate_ids, data.klass_ids
        per_school: dict[str, dict] = {str(s): {"below": [], "above": []} for s in school_uniq}
        per_class: dict[str, dict] = {str(c): {"below": [], "above": []} for c in class_uniq}
        for side in ("below", "above"):
            idx = bl[side]
            for c_id, k_id, s_code, t in zip(
                cand[idx].tolist(), klass[idx].tolist(), school_code[idx].tolist(), total[idx].tolist(), strict=True
            ):
                t = round(t, 1)
                per_school[str(school_uniq[s_code])][side].append([c_id, k_id, t])
                per_class[str(k_id)][side].append([c_id, t])
        for sid, lists in per_school.items():
            out["school_borderline"].setdefault(sid, []).append(lists)
        for cid, lists in per_class.items():
            out["class_borderline"].setdefault(cid, []).append(lists)
    return defs, out


def _items(s: SubjectData, school_code, n_schools, class_code, n_classes) -> tuple[dict, list, list]:
    x = s.item_matrix
    full = np.asarray([it.full_mark for it in s.items])
    kps = [it.knowledge_points for it in s.items]
    ia = A.item_analysis(x, full, s.scores)
    option_rows: list[dict | None] = [None] * len(s.items)
    obj = s.objective_positions
    if obj and s.options is not None:
        present = s.options_present & ~np.isnan(s.scores)
        sub_total = s.scores[present]
        groups = A.extreme_groups(sub_total)
        for c, j in enumerate(obj):
            item = s.items[j]
            oa = A.option_analysis(s.options[present, c], item.answer, sub_total, choices=CHOICES, groups=groups)
            option_rows[j] = [
                {
                    "option": str(o),
                    "count": int(cnt),
                    "rate": num(r, RATE_DP),
                    "high_rate": num(h, RATE_DP),
                    "low_rate": num(lo, RATE_DP),
                    "mean_total": num(mt),
                    "is_key": bool(k),
                }
                for o, cnt, r, h, lo, mt, k in zip(
                    oa["option"],
                    oa["count"],
                    oa["rate"],
                    oa["high_rate"],
                    oa["low_rate"],
                    oa["mean_total"],
                    oa["is_key"],
                    strict=True,
                )
            ]
    cols = {
        k: col(
            ia[k],
            RATE_DP
            if k in ("difficulty", "discrimination", "r", "r_corrected", "full_rate", "zero_rate")
            else SCORE_DP,
        )
        for k in ia
    }
    item_rows = []
    for j, it in enumerate(s.items):
        item_rows.append(
            {
                "id": it.id,
                "number": it.number,
                "kind": "objective" if it.objective else "subjective",
                "full_mark": it.full_mark,
                "answer": it.answer,
                "knowledge_points": it.knowledge_points,
                **{k: cols[k][j] for k in cols},
                "options": option_rows[j],
            }
        )
    has_kp = any(kps)
    kp = A.knowledge_point_rates(x, full, kps) if has_kp else {"kp": [], "score": [], "full": [], "rate": []}
    overall = {
        "items": item_rows,
        "kp": [
            {"kp": name, "score": num(sc), "full": num(fu), "rate": num(r, RATE_DP)}
            for name, sc, fu, r in zip(kp["kp"], kp["score"], kp["full"], kp["rate"], strict=True)
        ],
    }
    per_school, per_class = [], []
    for codes, size, target in ((school_code, n_schools, per_school), (class_code, n_classes, per_class)):
        if not size:
            continue
        rates = row_lists(A.item_group_rates(x, full, codes, size), RATE_DP)
        kp_rates = A.knowledge_point_rates(x, full, kps, codes, size)["rate"] if has_kp else np.zeros((size, 0))
        target.extend({"rates": r, "kp": k} for r, k in zip(rates, row_lists(kp_rates, RATE_DP), strict=True))
    return overall, per_school, per_class


def _student_rows(data: ExamData, result_cols: dict, partial: np.ndarray, std_total: np.ndarray) -> list[dict]:
    n = data.n
    if not n:
        return []
    tot = result_cols[TOTAL]
    per_subject = []
    for s in data.subjects:
        r = result_cols[s.key]
        z = r["z"]
        per_subject.append(
            (
                s.key,
                col(s.scores, 1),
                ints(r["class_rank"]),
                ints(r["school_rank"]),
                ints(r["district_rank"]),
                col(z, 3),
                col(50 + 10 * z, 2),
                s.status.tolist(),
            )
        )
    status_names = {1: "absent", 2: "cheat", 3: "exempt", 4: "missing"}
    cand = data.candidate_ids.tolist()
    totals = col(partial, 1)
    t_cr, t_sr, t_dr = ints(tot["class_rank"]), ints(tot["school_rank"]), ints(tot["district_rank"])
    std = col(std_total, 2)
    rows = []
    for i in range(n):
        subjects = {}
        for key, sc, cr, sr, dr, z, t, st in per_subject:
            code = st[i]
            if code == STATUS_NOT_TAKEN:
                continue
            entry = {"score": sc[i], "class_rank": cr[i], "school_rank": sr[i], "district_rank": dr[i]}
            entry["z"], entry["t"] = z[i], t[i]
            if code != STATUS_NORMAL:
                entry["status"] = status_names.get(code, "absent")
            subjects[key] = entry
        rows.append(
            {
                "candidate_id": cand[i],
                "total": totals[i],
                "class_rank": t_cr[i],
                "school_rank": t_sr[i],
                "district_rank": t_dr[i],
                "standard_total": std[i],
                "subjects": subjects,
            }
        )
    return rows
