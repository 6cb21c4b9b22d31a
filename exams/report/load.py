"""Load an exam from the database into numpy arrays (no model instance per row).

One query for the candidates, one per subject for its scores (``values_list``; 小题 scores and options only for
subjects with a 小题 structure), one for the 小题 definitions and one for the 任课教师 of the exam's term.
Candidates are in ``id`` order; every per-student array has one entry per candidate in that order.

Score statuses become ``NaN`` (not counted): 缺考 (absent), 免考 (exempt) and — by default — 作弊 (cheat);
``cheat_as_zero=True`` counts a 作弊 score as 0 instead (some districts' rule). A score row that is missing
for a subject the candidate takes is not counted either (``STATUS_MISSING``); an elective the candidate does
not take is ``STATUS_NOT_TAKEN`` and never counts against the candidate's total.
"""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.db import connection

from core.models import Class, School, TeachingAssignment

from ..models import Exam, ExamItem, ExamSubject, ItemKind, Score, ScoreStatus

STATUS_NORMAL, STATUS_ABSENT, STATUS_CHEAT, STATUS_EXEMPT, STATUS_MISSING, STATUS_NOT_TAKEN = range(6)
PARALLEL_QUERIES = 3
STATUS_CODES = {
    ScoreStatus.NORMAL: STATUS_NORMAL,
    ScoreStatus.ABSENT: STATUS_ABSENT,
    ScoreStatus.CHEAT: STATUS_CHEAT,
    ScoreStatus.EXEMPT: STATUS_EXEMPT,
}


@dataclass
class ItemDef:
    id: int
    number: str
    full_mark: float
    objective: bool
    answer: str
    knowledge_points: list[str]


@dataclass
class SubjectData:
    id: int  # ExamSubject pk
    subject_id: int
    name: str
    full_mark: float
    elective: bool
    scores: np.ndarray  # (n,) float64, NaN = not counted
    status: np.ndarray  # (n,) int8 STATUS_* codes
    items: list[ItemDef] = field(default_factory=list)
    item_matrix: np.ndarray | None = None  # (n, n_items) float64, NaN = not counted / not entered
    options: np.ndarray | None = None  # (n, n_objective) str ("" = blank); valid only where options_present
    options_present: np.ndarray | None = None  # (n,) bool

    @property
    def key(self) -> str:
        return str(self.id)

    @property
    def takes(self) -> np.ndarray:
        return self.status != STATUS_NOT_TAKEN

    @property
    def objective_positions(self) -> list[int]:
        return [j for j, item in enumerate(self.items) if item.objective]


@dataclass
class ExamData:
    exam: Exam
    candidate_ids: np.ndarray  # (n,) int64, ascending
    student_ids: np.ndarray
    school_ids: np.ndarray
    klass_ids: np.ndarray
    subjects: list[SubjectData]
    school_names: dict[int, str]
    class_info: dict[int, dict]  # class id → {name, school_id, grade_id, number, head_teacher_id, head_teacher}
    teachers: dict[tuple[int, int], tuple[int, str]]  # (class id, subject id) → (teacher person id, name)

    @property
    def n(self) -> int:
        return int(self.candidate_ids.size)

    def rows_of(self, candidate_ids) -> tuple[np.ndarray, np.ndarray]:
        """Row index of each candidate id, and a mask of the ids that are candidates of this exam."""
        ids = np.asarray(candidate_ids, dtype=np.int64)
        if self.n == 0:
            return np.zeros(ids.size, dtype=np.int64), np.zeros(ids.size, dtype=bool)
        pos = np.searchsorted(self.candidate_ids, ids)
        pos = np.minimum(pos, self.n - 1)
        return pos, self.candidate_ids[pos] == ids


def _columns(rows: list[tuple], n_cols: int) -> list[np.ndarray]:
    if not rows:
        return [np.zeros(0, dtype=np.int64) for _ in range(n_cols)]
    return [np.asarray(col) for col in zip(*rows, strict=True)]


def _score_rows(exam_subject_id: int, with_items: bool) -> list[tuple]:
    """(candidate id, value (−1 = none), STATUS_* code[, items JSON text, options JSON text]) of one subject —
    a plain cursor, no per-row conversion by the ORM (PostgreSQL returns jsonb as text to Django's
    connections; SQLite stores JSON as text)."""
    cols = (
        "candidate_id, COALESCE(CAST(value AS DOUBLE PRECISION), -1.0), "
        "CASE status WHEN %s THEN 0 WHEN %s THEN 1 WHEN %s THEN 2 WHEN %s THEN 3 ELSE 1 END"
    )
    if with_items:
        cols += ", items, options"
    table = connection.ops.quote_name(Score._meta.db_table)
    params = [ScoreStatus.NORMAL, ScoreStatus.ABSENT, ScoreStatus.CHEAT, ScoreStatus.EXEMPT, exam_subject_id]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {cols} FROM {table} WHERE exam_subject_id = %s", params)  # noqa: S608
        return cursor.fetchall()


def _score_rows_all(subjects: list[tuple[int, bool]]):
    """``_score_rows`` of every subject, in order. On PostgreSQL outside a transaction the queries run on a few
    connections in parallel (the database converts the JSON while Python parses the previous subject)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or len(subjects) < 2:
        for es_id, with_items in subjects:
            yield _score_rows(es_id, with_items)
        return

    def fetch(args):
        try:
            return _score_rows(*args)
        finally:
            connection.close()  # the worker thread's own connection

    with ThreadPoolExecutor(max_workers=PARALLEL_QUERIES) as pool:
        yield from pool.map(fetch, subjects)


def _json_column(texts) -> list:
    return json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]")


def _csv_block(lines: list[str], dtype) -> np.ndarray | None:
    """JSON arrays without their brackets ("4.0, 5.5" / '"A", ""'), one per line, read as CSV by pandas' C
    parser (10× faster than json.loads per row); None when the rows are ragged or do not parse."""
    if not lines:
        return None
    try:
        frame = pd.read_csv(
            io.StringIO("\n".join(lines)),
            header=None,
            dtype=dtype,
            skipinitialspace=True,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (ValueError, pd.errors.ParserError):
        return None
    block = frame.to_numpy()
    return block if block.shape[0] == len(lines) else None


def _rows_with(texts, normal: np.ndarray) -> list[int]:
    present = np.not_equal(np.asarray(texts, dtype=object), None)
    return np.flatnonzero(present & normal).tolist()


def _item_block(texts, normal: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The 小题 scores of the counted rows that have them: (row positions, len × m float array); rows of
    another length are skipped."""
    where = _rows_with(texts, normal)
    block = _csv_block([texts[i].strip()[1:-1] for i in where], np.float64)
    if block is not None and block.shape[1] == m:
        return np.asarray(where, dtype=np.int64), block
    parsed = _json_column([texts[i] for i in where])  # uneven rows: one by one
    keep = [k for k, r in enumerate(parsed) if isinstance(r, list) and len(r) == m]
    block = np.asarray([parsed[k] for k in keep], dtype=np.float64).reshape(len(keep), m)
    return np.asarray([where[k] for k in keep], dtype=np.int64), block


def _options_block(texts, normal: np.ndarray, m: int, obj_pos: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The chosen options of the counted rows that have them: (row positions, len × n_objective str array). A
    row lists one answer per item (subjective items blank) or one per objective item."""
    k = len(obj_pos)
    where = _rows_with(texts, normal)
    fast = None
    if not any("\\" in texts[i] for i in where):  # no JSON escapes: CSV quoting reads them alike
        fast = _csv_block([texts[i].strip()[1:-1] for i in where], str)
    if fast is not None and fast.shape[1] in (m, k):
        block = fast[:, obj_pos] if fast.shape[1] == m and m != k else fast
        return np.asarray(where, dtype=np.int64), block.astype(str)
    parsed = _json_column([texts[i] for i in where])
    keep, out = [], []
    for j, r in enumerate(parsed):
        if isinstance(r, list) and len(r) == m:
            keep.append(where[j])
            out.append([str(r[p] or "") for p in obj_pos])
        elif isinstance(r, list) and len(r) == k:
            keep.append(where[j])
            out.append([str(v or "") for v in r])
    return np.asarray(keep, dtype=np.int64), np.asarray(out, dtype=str).reshape(len(keep), k)


def load_exam(exam: Exam, *, with_items: bool = True, cheat_as_zero: bool = False) -> ExamData:
    cands = list(exam.candidates.order_by("id").values_list("id", "student_id", "school_id", "klass_id", "combination"))
    n = len(cands)
    cid, sid, school, klass = (
        np.asarray([c[i] for c in cands], dtype=np.int64) if n else np.zeros(0, dtype=np.int64) for i in range(4)
    )
    combos = [c[4] for c in cands]
    ex_subjects = list(ExamSubject.objects.filter(exam=exam).select_related("subject").order_by("sort_order", "id"))
    items_by_subject: dict[int, list[ItemDef]] = {}
    if with_items:
        for it in ExamItem.objects.filter(exam_subject__exam=exam).order_by("sort_order", "id"):
            items_by_subject.setdefault(it.exam_subject_id, []).append(
                ItemDef(
                    it.pk,
                    it.number,
                    float(it.full_mark),
                    it.kind == ItemKind.OBJECTIVE,
                    it.answer,
                    list(it.knowledge_points or []),
                )
            )
    data = ExamData(
        exam=exam,
        candidate_ids=cid,
        student_ids=sid,
        school_ids=school,
        klass_ids=klass,
        subjects=[],
        school_names={},
        class_info={},
        teachers={},
    )
    use_combinations = bool(exam.combinations)
    fetched = _score_rows_all([(es.pk, bool(items_by_subject.get(es.pk))) for es in ex_subjects])
    for es, rows in zip(ex_subjects, fetched, strict=True):
        items = items_by_subject.get(es.pk, [])
        status = np.full(n, STATUS_MISSING, dtype=np.int8)
        if es.elective and use_combinations:
            name = es.subject.name
            takes = np.asarray([not c or name in c for c in combos], dtype=bool)
            status[~takes] = STATUS_NOT_TAKEN
        scores = np.full(n, np.nan)
        subject = SubjectData(
            es.pk, es.subject_id, es.subject.name, float(es.full_mark), es.elective, scores, status, items
        )
        if rows:
            cols = list(zip(*rows, strict=True))
            del rows
            pos, ok = data.rows_of(np.asarray(cols[0], dtype=np.int64))
            values = np.asarray(cols[1], dtype=np.float64)
            values[values < 0] = np.nan  # no value (a mark)
            codes = np.asarray(cols[2], dtype=np.int8)
            counted = ok & (codes == STATUS_NORMAL)
            if cheat_as_zero:
                values = np.where(codes == STATUS_CHEAT, 0.0, values)
                counted |= ok & (codes == STATUS_CHEAT)
            status[pos[ok]] = codes[ok]
            scores[pos[counted]] = values[counted]
            if items:
                m = len(items)
                normal = ok & (codes == STATUS_NORMAL)
                matrix = np.full((n, m), np.nan)
                where, block = _item_block(cols[3], normal, m)
                if where.size:
                    matrix[pos[where]] = block
                subject.item_matrix = matrix
                obj_pos = subject.objective_positions
                if obj_pos:
                    where, block = _options_block(cols[4], normal, m, obj_pos)
                    options = np.zeros((n, len(obj_pos)), dtype=block.dtype)  # "" everywhere
                    options_present = np.zeros(n, dtype=bool)
                    options[pos[where]] = block
                    options_present[pos[where]] = True
                    subject.options, subject.options_present = options, options_present
        elif items:
            subject.item_matrix = np.full((n, len(items)), np.nan)
        data.subjects.append(subject)

    class_ids = sorted(set(klass.tolist()))
    school_ids = sorted(set(school.tolist()) | set(exam.participants.values_list("school_id", flat=True)))
    data.school_names = dict(School.objects.filter(pk__in=school_ids).values_list("id", "name"))
    for k in Class.objects.filter(pk__in=class_ids).select_related("grade", "head_teacher"):
        data.class_info[k.pk] = {
            "name": k.name,
            "school_id": k.school_id,
            "grade_id": k.grade_id,
            "number": k.number,
            "head_teacher_id": k.head_teacher_id,
            "head_teacher": k.head_teacher.name if k.head_teacher_id else "",
        }
    subject_ids = [s.subject_id for s in data.subjects]
    for klass_id, subject_id, teacher_id, name in TeachingAssignment.objects.filter(
        term_id=exam.term_id, klass_id__in=class_ids, subject_id__in=subject_ids
    ).values_list("klass_id", "subject_id", "teacher_id", "teacher__name"):
        data.teachers[(klass_id, subject_id)] = (teacher_id, name)
    return data
