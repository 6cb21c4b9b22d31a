"""增值评价 between two exams of the same students (not stored: computed on request).

Students are matched by ``student_id`` and must be counted in both exams (the 总分 as in the report: every
subject taken counted; or one subject, matched by the district Subject). Per student: Z in each exam over the
matched students, the change ``dz`` and the residual of z_after ~ a + b·z_before (``exams.analysis.value_added``).
Rolled up — with the mean residual's Student-t confidence interval — to the class, the school and the teacher
of the *later* exam (the candidate's class at that exam; for the total the class's 班主任, for a subject its
任课教师 in the later exam's term).
"""

from __future__ import annotations

import numpy as np

from .. import analysis as A
from ..models import Exam
from .compute import _codes, _totals
from .jsonable import RATE_DP, col, num
from .load import load_exam

VA_DP = 3


def _column(data, subject_id: int | None) -> np.ndarray | None:
    if subject_id is None:
        return _totals(data)[1]
    for s in data.subjects:
        if s.subject_id == subject_id:
            return s.scores
    return None


def value_added_report(
    exam_before: Exam, exam_after: Exam, *, subject_id: int | None = None, confidence: float = 0.95
) -> dict:
    """Value added from ``exam_before`` to ``exam_after``: ``model`` (n matched, intercept, slope, r²),
    ``groups`` (``class`` / ``school`` / ``teacher``: rows with n, mean Δz, mean residual, SD, SE and the
    confidence interval; groups with no matched student are left out) and ``students`` (columns, one entry per
    matched candidate of the later exam)."""
    before = load_exam(exam_before, with_items=False)
    after = load_exam(exam_after, with_items=False)
    x_after = _column(after, subject_id)
    x_before_src = _column(before, subject_id)
    if x_after is None or x_before_src is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"subject": "两次考试都须包含该学科"})
    # the earlier exam's scores in the later exam's candidate order, matched by student
    x_before = np.full(after.n, np.nan)
    if before.n and after.n:
        order = np.argsort(before.student_ids, kind="stable")
        sorted_ids = before.student_ids[order]
        pos = np.minimum(np.searchsorted(sorted_ids, after.student_ids), before.n - 1)
        hit = sorted_ids[pos] == after.student_ids
        x_before[hit] = x_before_src[order[pos[hit]]]

    school_uniq, school_code = _codes(after.school_ids)
    class_uniq, class_code = _codes(after.klass_ids)
    if subject_id is None:
        teacher_of_class = {
            cid: (info.get("head_teacher_id"), info.get("head_teacher", "")) for cid, info in after.class_info.items()
        }
    else:
        teacher_of_class = {cid: after.teachers.get((cid, subject_id), (None, "")) for cid in after.class_info}
    class_teacher = np.asarray([teacher_of_class.get(int(c), (None, ""))[0] or 0 for c in class_uniq], dtype=np.int64)
    teacher_uniq, teacher_of_class_code = _codes(class_teacher)
    teacher_code = teacher_of_class_code[class_code] if after.n else np.zeros(0, dtype=np.int64)
    teacher_names = {t[0] or 0: t[1] for t in teacher_of_class.values()}

    out: dict = {
        "before": {"id": exam_before.pk, "name": exam_before.name, "exam_date": exam_before.exam_date.isoformat()},
        "after": {"id": exam_after.pk, "name": exam_after.name, "exam_date": exam_after.exam_date.isoformat()},
        "subject_id": subject_id,
        "confidence": confidence,
        "groups": {},
    }
    base = None
    for level, codes, uniq in (
        ("class", class_code, class_uniq),
        ("school", school_code, school_uniq),
        ("teacher", teacher_code, teacher_uniq),
    ):
        va = A.value_added(x_before, x_after, codes, uniq.size, confidence)
        base = base or va
        g = va["groups"]
        rows = []
        for i, gid in enumerate(uniq.tolist()):
            if not g["n"][i]:
                continue  # nobody matched in this group
            row = {
                "id": gid or None,
                "n": int(g["n"][i]),
                "mean_dz": num(g["mean_dz"][i], VA_DP),
                "mean_residual": num(g["mean_residual"][i], VA_DP),
                "sd_residual": num(g["sd_residual"][i], VA_DP),
                "se": num(g["se"][i], VA_DP),
                "ci_low": num(g["ci_low"][i], VA_DP),
                "ci_high": num(g["ci_high"][i], VA_DP),
            }
            if level == "class":
                info = after.class_info.get(gid, {})
                row.update(name=info.get("name", ""), school_id=info.get("school_id"))
                row["teacher"] = teacher_of_class.get(gid, (None, ""))[1]
            elif level == "school":
                row["name"] = after.school_names.get(gid, "")
            else:
                row["name"] = teacher_names.get(gid, "") or "未安排"
                row["class_ids"] = [int(c) for c, t in zip(class_uniq, class_teacher, strict=True) if t == gid]
            rows.append(row)
        out["groups"][level] = rows
    out["model"] = {
        "n": base["n"],
        "intercept": num(base["intercept"], 4),
        "slope": num(base["slope"], 4),
        "r2": num(base["r2"], RATE_DP),
    }
    matched = base["matched"]
    idx = np.flatnonzero(matched)
    out["students"] = {
        "candidate_id": after.candidate_ids[idx].tolist(),
        "student_id": after.student_ids[idx].tolist(),
        "class_id": after.klass_ids[idx].tolist(),
        "school_id": after.school_ids[idx].tolist(),
        "before": col(x_before[idx], 1),
        "after": col(x_after[idx], 1),
        "z_before": col(base["z1"][idx], VA_DP),
        "z_after": col(base["z2"][idx], VA_DP),
        "dz": col(base["dz"][idx], VA_DP),
        "residual": col(base["residual"][idx], VA_DP),
    }
    return out


def value_added_for(user, before: int, after: int, *, subject=None, level=None, klass=None) -> dict:
    """``value_added_report`` for ``user``: staff only, both exams released to them, groups reduced to the
    classes / schools / teachers they see; ``klass`` adds that class's students (names included)."""
    from django.core.exceptions import PermissionDenied

    from core.api.errors import not_found

    from . import selectors as sel

    exam_after = sel.exam_for(user, after)
    exam_before = sel.exam_for(user, before)
    access = sel.access_for(user, exam_after)
    if not access.staff:
        raise PermissionDenied("增值评价仅供教师和管理人员查看")
    access.results_allowed()
    sel.access_for(user, exam_before).results_allowed()
    classes = sel._exam_classes(exam_after)
    if klass is not None and (klass not in classes or not access.sees_class(classes[klass], klass)):
        raise not_found("班级")
    data = value_added_report(exam_before, exam_after, subject_id=subject)
    visible = {cid for cid, info in classes.items() if access.sees_class(info, cid)}
    groups = data["groups"]
    groups["class"] = [r for r in groups["class"] if r["id"] in visible]
    groups["school"] = [r for r in groups["school"] if access.sees_school(r["id"])]
    groups["teacher"] = [r for r in groups["teacher"] if any(c in visible for c in r["class_ids"])]
    if level:
        data["groups"] = {level: groups[level]}
    students = data.pop("students")
    if klass is not None:
        rows = [i for i, c in enumerate(students["class_id"]) if c == klass]
        names = sel._names([students["candidate_id"][i] for i in rows])
        data["students"] = [
            {
                **{k: students[k][i] for k in students},
                "name": names.get(students["candidate_id"][i], ("", "", None))[0],
            }
            for i in rows
        ]
    data["id"] = exam_after.pk
    return data
