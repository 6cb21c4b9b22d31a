"""Score import (成绩导入) from a wide Excel/CSV file, all or nothing:

    result = import_scores(exam=exam, school=school, data=..., filename="七年级期中.xlsx", actor=user)

Two layouts, one row per student:

- per subject: one column per exam subject (语文、数学 …), the cell is the subject score;
- per item (``subject=`` one ExamSubject with 小题): one column per 小题 (1、2、第3题 …), plus an optional total
  column (the subject's name, 总分 or 合计) that must equal the sum of the items. An objective item's cell may
  hold the chosen option(s) (A、BD) instead of points: it scores the item's full mark when it equals the key.

Students are identified by 考号, 学籍号 or 身份证件号 (blind indexes, as the roster import matches them), with
an optional 姓名 column checked against the student. A cell holds a number, a mark (缺考/缺/缺席 → absent,
作弊 → cheat, 免考/免 → exempt; see cells.MARK_WORDS) or nothing (not entered — never 0).

Pipeline: ``sheet.open_table`` (unusable files raise ImportFileError) → every cell validated in memory with
the rules of ``services.clean_score`` (cells.py) → students matched in a few queries → on any error nothing
is written and ``result.report()`` is the upload with the bad cells highlighted (the roster's report) →
otherwise one transaction: changed scores are deleted and re-inserted with the new ones in bulk (COPY on
PostgreSQL, core.bulk) and one audit row summarises the import.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import connections, router, transaction

from core.audit import audit_record
from core.bulk import bulk_insert_rows
from core.crypto import blind_index
from core.models import IdType, Student
from core.scope import can, grants_for
from roster.importer.validate import RowError

from ..models import Exam, ExamStatus, ExamStudent, ExamSubject, ItemKind, Score, ScoreCorrection, ScoreStatus
from .cells import CellError, cell_text, is_blank, mark_of, number_text, parse_number, parse_option, parse_score
from .sheet import ID_HEADERS, ImportFileError, Table, col_letter, open_table

ONE_DECIMAL = Decimal("0.1")
IMPORT_ROLES = {"district_admin", "researcher", "school_admin"}
TOTAL_HEADERS = ("总分", "合计", "小计", "得分")
# Columns a score file often carries that the import does not need (no warning for these).
KNOWN_EXTRA = {
    "序号",
    "班级",
    "班号",
    "班级名称",
    "学校",
    "学校名称",
    "性别",
    "学号",
    "座号",
    "班内学号",
    "排名",
    "名次",
    "备注",
}
SUBJECT_ALIASES = {
    "生物学": ["生物"],
    "道德与法治": ["道法", "政治", "思品"],
    "思想政治": ["政治"],
    "信息科技": ["信息"],
    "信息技术": ["信息"],
    "体育与健康": ["体育"],
}
_SUFFIX = re.compile(r"(成绩|分数|得分)$")
_PAREN = re.compile(r"[(（][^)）]*[)）]$")
_ITEM = re.compile(r"^(?:第|T|Q|题)?(.+?)(?:题|小题)?$", re.I)
CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit
MAX_ERRORS = 20_000
PROGRESS_EVERY = 2_000  # rows between progress reports


class ImportRefused(ImportFileError):
    """The import cannot run at all (published exam, school not taking part, no 小题 …); nothing was read."""


@dataclass
class ScoreImportResult:
    status: str  # done / previewed / invalid
    mode: str  # subjects / items
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    subjects: list[str] = field(default_factory=list)  # the score columns read (subject names or 小题 numbers)
    seconds: float = 0.0
    table: Table | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def report(self) -> bytes | None:
        """The upload with each bad cell filled red and commented (None when there are no errors)."""
        if not self.errors or self.table is None:
            return None
        from roster.importer.report import build_report

        return build_report(self.table, self.errors)

    def summary(self) -> dict:
        return {
            "status": self.status,
            "mode": self.mode,
            "rows": self.rows,
            "error_count": len(self.errors),
            "error_rows": len({e.row for e in self.errors}),
            "warnings": self.warnings,
            "subjects": self.subjects,
            "seconds": round(self.seconds, 3),
            **self.counts,
        }


# --- permissions ---------------------------------------------------------------------------------------------


def may_import(actor, exam: Exam, school=None) -> bool:
    """Importing is for the school's admin (its own school) and the district's exam roles (any participant, or
    the whole exam when ``school`` is None). None is the system (CLI)."""
    if actor is None:
        return True
    if not {g.role for g in grants_for(actor)} & IMPORT_ROLES:
        return False
    if school is None:
        return can(actor, "change", exam) and can(actor, "change", Score(candidate=ExamStudent(exam=exam)))
    probe = Score(candidate=ExamStudent(exam=exam, school=school))
    try:
        return can(actor, "change", probe)
    except ObjectDoesNotExist:  # a grant below the school level: the probe has no class
        return False


# --- columns -------------------------------------------------------------------------------------------------


def _subject_keys(subjects: list[ExamSubject]) -> dict[str, ExamSubject]:
    keys: dict[str, ExamSubject] = {}
    alias_count: dict[str, int] = defaultdict(int)
    for es in subjects:
        for a in SUBJECT_ALIASES.get(es.subject.name, []):
            alias_count[a] += 1
    for es in subjects:
        keys[es.subject.name] = es
        for a in SUBJECT_ALIASES.get(es.subject.name, []):
            if alias_count[a] == 1 and a not in {s.subject.name for s in subjects}:
                keys.setdefault(a, es)
    return keys


def _subject_header(h: str) -> str:
    return _SUFFIX.sub("", _PAREN.sub("", h))


def _item_header(h: str) -> str:
    m = _ITEM.match(h)
    return m.group(1) if m else h


@dataclass
class _Col:
    pos: int
    header: str  # as shown in errors (the normalised header)
    es: ExamSubject | None = None
    item: int | None = None  # index of the 小题 in item mode


def _columns(table: Table, mode: str, score_keys: dict, item_keys: dict, total_keys: set[str]):
    ids: dict[str, int] = {}
    name = None
    scores: list[_Col] = []
    total = None
    seen: dict[str, int] = {}
    duplicates, unknown = [], []
    for pos, h in enumerate(table.headers):
        if not h:
            continue
        target = None
        if h in ID_HEADERS:
            target = ("id", h)
        elif h == "姓名":
            target = ("name", h)
        elif mode == "subjects":
            es = score_keys.get(h) or score_keys.get(_subject_header(h))
            if es is not None:
                target = ("score", es.subject.name)
        else:
            idx = item_keys.get(h)
            if idx is None:
                idx = item_keys.get(_item_header(h))
            if idx is not None:
                target = ("item", idx)
            elif h in total_keys or _subject_header(h) in total_keys:
                target = ("total", "总分")
        if target is None:
            if h not in KNOWN_EXTRA and not (mode == "subjects" and h in TOTAL_HEADERS):
                unknown.append(h)
            continue
        key = f"{target[0]}:{target[1]}"
        if key in seen:
            a, b = col_letter(seen[key] + table.col_offset), col_letter(pos + table.col_offset)
            duplicates.append(f"「{h}」（{a} 列与 {b} 列）")
            continue
        seen[key] = pos
        table.columns[h] = pos
        kind = target[0]
        if kind == "id":
            ids[h] = pos
        elif kind == "name":
            name = pos
        elif kind == "score":
            scores.append(_Col(pos, h, es=score_keys.get(h) or score_keys.get(_subject_header(h))))
        elif kind == "item":
            scores.append(_Col(pos, h, item=target[1]))
        else:
            total = _Col(pos, h)
    if duplicates:
        raise ImportFileError("表头中有重复的列：" + "、".join(duplicates) + "。请删除多余的列后重新上传。")
    return ids, name, scores, total, unknown


# --- candidates ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Cand:
    pk: int
    exam_no: str
    school_id: int
    klass_id: int
    combination: str
    name: str


class _Candidates:
    """The candidates the file may name (one school, or the whole exam), indexed by each identifier."""

    def __init__(self, exam: Exam, school):
        qs = ExamStudent.objects.filter(exam=exam)
        if school is not None:
            qs = qs.filter(school=school)
        self.by_no: dict[str, _Cand] = {}
        self.by_no_digits: dict[str, _Cand] = {}
        self.by_sno: dict[str, _Cand] = {}
        self.by_id: dict[str, _Cand] = {}
        self.all: dict[int, _Cand] = {}
        for pk, exam_no, school_id, klass_id, combo, sno_index, id_index, name in qs.values_list(
            "pk",
            "exam_no",
            "school_id",
            "klass_id",
            "combination",
            "student__student_no_index",
            "student__person__id_number_index",
            "student__person__name",
        ):
            c = _Cand(pk, exam_no, school_id, klass_id, combo, name)
            self.all[pk] = c
            if exam_no:
                self.by_no[exam_no] = c
                if exam_no.isdigit():
                    self.by_no_digits[exam_no.lstrip("0")] = c
            if sno_index:
                self.by_sno[sno_index] = c
            if id_index:
                self.by_id[id_index] = c

    def lookup(self, header: str, key: str) -> _Cand | None:
        if header == "考号":
            c = self.by_no.get(key)
            if c is None and key.isdigit():  # Excel turned 0101001 into the number 101001
                c = self.by_no_digits.get(key.lstrip("0"))
            return c
        if header == "学籍号":
            return self.by_sno.get(key)
        return self.by_id.get(key)


def _id_key(header: str, raw) -> tuple[str | None, str | None]:
    """(lookup key, error) of an identifier cell: the 考号 text, or the blind index of 学籍号 / 身份证件号."""
    if header == "身份证件号" and isinstance(raw, float) and raw >= 1e15:
        return None, "证件号被 Excel 存成了数字，末几位可能已丢失；请把该列设为文本格式后重新填写"
    s = cell_text(raw).upper()
    if header == "考号":
        return s, None
    if header == "学籍号":
        return Student.student_no_lookup(s), None
    return blind_index(f"{IdType.RESIDENT}:{s}", "id"), None


def _other_id_types(raw) -> list[str]:
    s = cell_text(raw).upper()
    return [blind_index(f"{t}:{s}", "id") for t in IdType.values if t != IdType.RESIDENT]


# --- the import ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    row: int
    id_header: str | None
    id_raw: object
    cand: _Cand | None
    name: str
    others: list  # (header, raw) of the other identifier cells given
    cells: list  # (col, status, value, items, options)
    id_error: bool = False  # the identifier itself is unusable (empty, or an ID number Excel rounded)


def import_scores(
    *,
    exam: Exam,
    data: bytes,
    filename: str,
    school=None,
    subject: ExamSubject | None = None,
    actor=None,
    dry_run: bool = False,
    source: str = "web",
    progress: Callable[[int], None] | None = None,
) -> ScoreImportResult:
    """Validate a score file and, unless ``dry_run`` or any cell is wrong, write its scores (all or nothing).

    ``school``: the participating school the file belongs to (None: any candidate of the exam — district or
    CLI). ``subject``: import 小题 scores of this subject instead of one column per subject. Raises
    ImportFileError for an unusable file or a refused import (published exam, school not taking part) and
    PermissionDenied when ``actor`` may not import for ``school``. Counts are scores (candidate × subject).
    ``progress(percent)`` is called as the work advances (reading 0–10, checking rows 10–70, writing 70–100)."""
    started = time.perf_counter()
    report_progress = progress or (lambda pct: None)
    if not may_import(actor, exam, school):
        raise PermissionDenied("无权导入该校的成绩")
    if exam.status != ExamStatus.DRAFT:
        raise ImportRefused(
            f"考试「{exam.name}」{exam.get_status_display()}，成绩已锁定，不能导入；更正成绩请在录入页面逐条填写更正原因。"
        )
    if school is not None and not exam.participants.filter(school=school).exists():
        raise ImportRefused(f"「{school.name}」没有参加考试「{exam.name}」。")
    subjects = list(exam.subjects.select_related("subject"))
    mode = "items" if subject is not None else "subjects"
    item_defs: list = []
    score_keys: dict = {}
    item_keys: dict = {}
    total_keys: set[str] = set()
    if subject is not None:
        if subject.exam_id != exam.pk:
            raise ImportRefused("该科目不属于本次考试。")
        subject = next(s for s in subjects if s.pk == subject.pk)
        item_defs = list(subject.items.all())
        if not item_defs:
            raise ImportRefused(
                f"{subject.subject.name}没有设置小题，不能按小题导入：请先在「小题设置」中录入小题结构，或按科目导入总分。"
            )
        for i, it in enumerate(item_defs):
            item_keys.setdefault(it.number, i)
        for i, it in enumerate(item_defs):
            item_keys.setdefault(_item_header(it.number), i)
        total_keys = {subject.subject.name, *TOTAL_HEADERS}
        what = f"{subject.subject.name}的小题列（题号：{'、'.join(it.number for it in item_defs[:5])}…）"
    else:
        score_keys = _subject_keys(subjects)
        what = f"考试科目列（{'、'.join(s.subject.name for s in subjects)}）"

    def is_header(headers: list[str]) -> bool:
        if not any(h in ID_HEADERS for h in headers):
            return False
        if mode == "subjects":
            return any(h in score_keys or _subject_header(h) in score_keys for h in headers)
        return any(h in item_keys or _item_header(h) in item_keys for h in headers)

    table = open_table(data, filename, is_header=is_header, what=what)
    report_progress(10)
    height = max(table.height, 1)
    ids, name_pos, score_cols, total_col, unknown = _columns(table, mode, score_keys, item_keys, total_keys)
    if unknown:
        table.warnings.append("以下列不是本次导入的列，已忽略：" + "、".join(f"「{h}」" for h in unknown))
    if mode == "items":
        got = {c.item for c in score_cols}
        missing = [it.number for i, it in enumerate(item_defs) if i not in got]
        if missing:
            raise ImportFileError(
                f"缺少{subject.subject.name}的小题列："
                + "、".join(f"「{n}」" for n in missing)
                + "。每个小题都要有一列。"
            )
        score_cols.sort(key=lambda c: c.item)
    result = ScoreImportResult(
        status="invalid",
        mode=mode,
        warnings=table.warnings,
        table=table,
        subjects=[c.header for c in score_cols],
    )

    errors = result.errors

    def err(row: int, header: str, message: str) -> None:
        errors.append(RowError(row, table.columns.get(header, -1), header, message))

    cands = _Candidates(exam, school)
    id_order = [h for h in ID_HEADERS if h in ids]
    error_cells = table.error_cells
    col_offset = table.col_offset
    rows: list[_Row] = []
    blank_cells = 0
    for row_no, raw in table.data_rows():
        width = len(raw)
        # identify: the first identifier given (考号, then 学籍号, then 身份证件号)
        given = [(h, raw[ids[h]]) for h in id_order if ids[h] < width and not is_blank(raw[ids[h]])]
        r = _Row(row_no, None, None, None, "", [], [])
        if not given:
            err(row_no, id_order[0], "考号、学籍号、身份证件号都为空，无法确定是哪位学生")
            r.id_error = True
        else:
            r.id_header, r.id_raw = given[0]
            r.others = given[1:]
            key, problem = _id_key(r.id_header, r.id_raw)
            if problem:
                err(row_no, r.id_header, problem)
                r.id_error = True
            else:
                r.cand = cands.lookup(r.id_header, key)
                if r.cand is None and r.id_header == "身份证件号":
                    r.cand = next((c for k in _other_id_types(r.id_raw) if (c := cands.by_id.get(k)) is not None), None)
        if name_pos is not None and name_pos < width and not is_blank(raw[name_pos]):
            r.name = cell_text(raw[name_pos])
        # the score cells
        if mode == "subjects":
            for col in score_cols:
                v = raw[col.pos] if col.pos < width else None
                if is_blank(v):
                    if error_cells and (row_no, col.pos + col_offset) in error_cells:
                        err(row_no, col.header, f"公式错误值（{error_cells[(row_no, col.pos + col_offset)]}）")
                    else:
                        blank_cells += 1
                    continue
                try:
                    status, value = parse_score(v, col.es.full_mark)
                except CellError as exc:
                    err(row_no, col.header, str(exc))
                    continue
                r.cells.append((col, status, value, None, None))
        else:
            cell = _item_row(
                row_no, raw, width, score_cols, total_col, item_defs, subject, err, error_cells, col_offset
            )
            if cell is None:
                blank_cells += 1
            elif cell is not False:  # False: a wrong cell, already recorded
                r.cells.append(cell)
        rows.append(r)
        if len(errors) > MAX_ERRORS:
            break
        if not len(rows) % PROGRESS_EVERY:
            report_progress(10 + min(60, 60 * len(rows) // height))
    result.rows = len(rows)
    if not rows:
        raise ImportFileError("表头下面没有数据行。")

    report_progress(70)
    _resolve_unmatched(exam, school, cands, rows, err)

    # one row per candidate; the other identifiers and the name must be the same student
    by_cand: dict[int, list[_Row]] = defaultdict(list)
    for r in rows:
        c = r.cand
        if c is None:
            continue
        for h, raw in r.others:
            key, problem = _id_key(h, raw)
            other = None if problem else cands.lookup(h, key)
            if other is None and h == "身份证件号" and not problem:
                other = next((x for k in _other_id_types(raw) if (x := cands.by_id.get(k)) is not None), None)
            if other is not c:
                err(r.row, h, f"与「{r.id_header}」对应的不是同一名学生，请核对")
        if r.name and r.name != cell_text(c.name):
            err(r.row, "姓名", f"姓名「{r.name}」与{r.id_header}对应的学生「{c.name}」不一致")
        if exam.combinations and c.combination:
            for col, *_rest in r.cells:
                es = col.es or subject
                if es.elective and es.subject.name not in c.combination:
                    err(r.row, col.header, f"该考生的选科组合「{c.combination}」不含{es.subject.name}")
        by_cand[c.pk].append(r)
    for same in by_cand.values():
        if len(same) > 1:
            for r in same:
                others = "、".join(str(o.row) for o in same if o is not r)
                err(r.row, r.id_header, f"与第 {others} 行是同一名考生")

    if errors:
        errors.sort()
        result.counts = {"created": 0, "updated": 0, "unchanged": 0, "blank": blank_cells}
        result.seconds = time.perf_counter() - started
        return result

    es_ids = [subject.pk] if subject is not None else [c.es.pk for c in score_cols]
    stored = Score.objects.filter(exam_subject_id__in=es_ids, candidate__exam_id=exam.pk)
    if school is not None:
        stored = stored.filter(candidate__school_id=school.pk)
    creates, replaces, unchanged = _plan(rows, mode, subject, stored)
    if dry_run:
        result.status = "previewed"
        result.counts = {"to_create": len(creates), "to_update": len(replaces), "unchanged": unchanged}
        result.counts["blank"] = blank_cells
        result.seconds = time.perf_counter() - started
        return result
    result.counts = {"created": len(creates), "updated": len(replaces), "unchanged": unchanged}
    report_progress(75)
    _write(
        exam=exam,
        school=school,
        actor=actor,
        creates=creates,
        replaces=replaces,
        audit={
            "file": [None, filename[:200]],
            "school": [None, school.name if school is not None else "全部参考学校"],
            "mode": [None, mode if subject is None else f"items:{subject.subject.name}"],
            "columns": [None, result.subjects[:100]],
            "rows": [None, result.rows],
            **{k: [None, v] for k, v in result.counts.items()},
            "source": [None, source],
        },
    )
    result.counts["blank"] = blank_cells
    result.status = "done"
    result.seconds = time.perf_counter() - started
    return result


def _item_row(row_no, raw, width, cols, total_col, defs, es, err, error_cells, col_offset):
    """One row of a 小题 file → (col, status, value, items, options); None when the row is empty for this
    subject; False when a cell is wrong (errors recorded)."""
    values = []
    marks = set()
    blanks = []
    bad = False
    for col in cols:
        v = raw[col.pos] if col.pos < width else None
        if is_blank(v):
            if error_cells and (row_no, col.pos + col_offset) in error_cells:
                err(row_no, col.header, f"公式错误值（{error_cells[(row_no, col.pos + col_offset)]}）")
                bad = True
            blanks.append(col)
            values.append(None)
            continue
        m = mark_of(v)
        if m is not None:
            marks.add(m)
            values.append(None)
            continue
        d = defs[col.item]
        if d.kind == ItemKind.OBJECTIVE:
            chosen = parse_option(v)
            if chosen is not None:
                values.append((d.full_mark if chosen == d.answer else Decimal(0), chosen))
                continue
        try:
            values.append((parse_number(v, d.full_mark, what=f"第 {d.number} 题得分"), ""))
        except CellError as exc:
            msg = str(exc)
            if "超出满分" in msg:
                msg = f"第 {d.number} 题得分 {msg}"
            err(row_no, col.header, msg)
            bad = True
            values.append(None)
    total_raw = None
    if total_col is not None and total_col.pos < width and not is_blank(raw[total_col.pos]):
        total_raw = raw[total_col.pos]
        m = mark_of(total_raw)
        if m is not None:
            marks.add(m)
            total_raw = None
    if marks:
        if len(marks) > 1:
            err(row_no, (total_col or cols[0]).header, "同一行中有不同的标记（缺考/作弊/免考）")
            return False
        filled = [c for c, v in zip(cols, values, strict=True) if v is not None]
        if filled or total_raw is not None:
            label = ScoreStatus(next(iter(marks))).label
            err(row_no, (filled[0] if filled else total_col).header, f"已标记为{label}的考生不应再填写小题分")
            return False
        return (cols[0], next(iter(marks)), None, None, None) if not bad else False
    if bad:
        return False
    if len(blanks) == len(cols):
        if total_raw is not None:
            err(row_no, total_col.header, "只填了总分，没有小题分（按小题导入时每个小题都要填写）")
            return False
        return None
    if blanks:
        numbers = "、".join(defs[c.item].number for c in blanks[:10])
        err(row_no, blanks[0].header, f"小题分不完整：第 {numbers} 题未填写")
        return False
    total = sum((v[0] for v in values), Decimal(0)).quantize(ONE_DECIMAL)
    if total_raw is not None:
        try:
            given = parse_number(total_raw, es.full_mark, what="总分")
        except CellError as exc:
            err(row_no, total_col.header, str(exc))
            return False
        if given != total:
            err(row_no, total_col.header, f"总分 {number_text(given)} 与小题分合计 {number_text(total)} 不一致")
            return False
    items = [float(v[0]) for v in values]
    options = None
    if any(d.kind == ItemKind.OBJECTIVE for d in defs):
        options = [v[1] for v in values]
    return (cols[0], ScoreStatus.NORMAL, total, items, options)


def _resolve_unmatched(exam, school, cands, rows, err) -> None:
    """Explain each row whose student is not a candidate of this file's school: another school's candidate,
    a student who is not a candidate, or no such student (a few queries for all such rows)."""
    pending = [r for r in rows if r.cand is None and r.id_header and not r.id_error]
    if not pending:
        return
    keys: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for r in pending:
        key, _problem = _id_key(r.id_header, r.id_raw)
        keys[r.id_header][key].append(r)
    found: dict[tuple[str, str], tuple[str, str]] = {}  # (header, key) → (kind, school name)
    others = ExamStudent.objects.filter(exam=exam)
    if school is not None:
        others = others.exclude(school=school)
    if "考号" in keys:
        # the 考号 as written, and zero-padded to the exam's width (Excel drops leading zeros of numbers)
        width = max((len(c.exam_no) for c in cands.all.values()), default=0)
        if not width:
            width = len(ExamStudent.objects.filter(exam=exam).values_list("exam_no", flat=True).first() or "")
        variants: dict[str, str] = {}
        for k in keys["考号"]:
            variants[k] = k
            if k.isdigit() and width:
                variants.setdefault(k.zfill(width), k)
        listed = list(variants)
        for start in range(0, len(listed), CHUNK):
            for exam_no, school_name in others.filter(exam_no__in=listed[start : start + CHUNK]).values_list(
                "exam_no", "school__name"
            ):
                found[("考号", variants[exam_no])] = ("other_school", school_name)
    for header, path in (("学籍号", "student_no_index"), ("身份证件号", "person__id_number_index")):
        if header not in keys:
            continue
        wanted = list(keys[header])
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            for key, school_name in others.filter(**{f"student__{path}__in": chunk}).values_list(
                f"student__{path}", "school__name"
            ):
                found[(header, key)] = ("other_school", school_name)
            rest = [k for k in chunk if (header, k) not in found]
            for key in Student.objects.filter(**{f"{path}__in": rest}).values_list(path, flat=True):
                found[(header, key)] = ("not_candidate", "")
    mine = school.name if school is not None else ""
    for header, by_key in keys.items():
        for key, rs in by_key.items():
            kind, where = found.get((header, key), ("unknown", ""))
            for r in rs:
                shown = f"考号「{cell_text(r.id_raw)}」" if header == "考号" else f"该{header}"
                if kind == "other_school":
                    msg = f"{shown}是「{where}」的考生，不属于「{mine}」；请确认导入时选择的学校"
                elif kind == "not_candidate":
                    msg = "该学生不是本次考试的考生（不在本届参考学生中，或已离校）"
                elif header == "考号":
                    msg = f"{shown}不存在：本次考试没有这个考号"
                else:
                    msg = f"未找到{shown}对应的学生"
                err(r.row, header, msg)


def _plan(rows: list[_Row], mode: str, subject, stored) -> tuple[list[dict], list[tuple[int, dict]], int]:
    """Compare with the scores already ``stored`` (of this file's school and subjects): rows to create, (old pk,
    row) to replace, unchanged count."""
    if not any(r.cells for r in rows):
        return [], [], 0
    existing: dict[tuple[int, int], tuple] = {}
    if mode == "items":
        for pk, cand, es, value, status, items, options in stored.values_list(
            "pk", "candidate_id", "exam_subject_id", "value", "status", "items", "options"
        ):
            existing[(cand, es)] = (pk, value, status, items, options)
    else:  # a subject score: the 小题 columns are not compared (nor loaded)
        for pk, cand, es, value, status in stored.values_list(
            "pk", "candidate_id", "exam_subject_id", "value", "status"
        ):
            existing[(cand, es)] = (pk, value, status, None, None)
    creates, replaces, unchanged = [], [], 0
    items_mode = mode == "items"
    for r in rows:
        cand = r.cand.pk
        for col, status, value, items, options in r.cells:
            es = col.es.pk if col.es is not None else subject.pk
            row = {
                "candidate_id": cand,
                "exam_subject_id": es,
                "value": value,
                "status": status,
                "items": items,
                "options": options,
            }
            old = existing.get((cand, es)) if existing else None
            if old is None:
                creates.append(row)
            elif old[1] == value and old[2] == status and (not items_mode or (old[3] == items and old[4] == options)):
                unchanged += 1
            else:
                replaces.append((old[0], row))
    return creates, replaces, unchanged


@transaction.atomic
def _write(*, exam, school, actor, creates, replaces, audit: dict) -> None:
    """One transaction: changed scores are deleted and inserted again with the new values (faster than
    per-row UPDATEs; nothing references a draft exam's score rows), new scores are inserted in bulk, and one
    audit row summarises the import."""
    locked = Exam.objects.select_for_update().get(pk=exam.pk)
    if locked.status != ExamStatus.DRAFT:
        raise ImportRefused("考试已发布，成绩已锁定，不能导入。")
    _delete_scores([pk for pk, _row in replaces])
    entered_by = actor.pk if getattr(actor, "is_authenticated", False) else None
    rows = [*creates, *(row for _pk, row in replaces)]
    for row in rows:
        row["entered_by_id"] = entered_by
    bulk_insert_rows(Score, rows)
    from ..services import _mark_report_stale

    _mark_report_stale(exam.pk)
    audit_record(
        actor=actor,
        action="score.import",
        obj=exam,
        changes=audit,
        district_id=exam.district_id,
        school_id=school.pk if school is not None else None,
    )


def _delete_scores(pks: list[int]) -> None:
    """Delete score rows (and any corrections of them, defensively: a draft exam has none) without loading
    them: one statement with an array parameter on PostgreSQL, chunked raw deletes elsewhere."""
    if not pks:
        return
    connection = connections[router.db_for_write(Score)]
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {quote(ScoreCorrection._meta.db_table)} WHERE score_id = ANY(%s)",  # noqa: S608 (table names from the models)
                [pks],
            )
            cursor.execute(f"DELETE FROM {quote(Score._meta.db_table)} WHERE id = ANY(%s)", [pks])  # noqa: S608
        return
    for start in range(0, len(pks), CHUNK):
        chunk = pks[start : start + CHUNK]
        ScoreCorrection.objects.filter(score_id__in=chunk).delete()
        Score.objects.filter(pk__in=chunk)._raw_delete(connection.alias)


def template_rows(exam: Exam, school=None, subject: ExamSubject | None = None) -> tuple[list[str], list[list]]:
    """Headers and rows of a blank score file for ``school`` (every candidate with 考号, 姓名, 班级; a column
    per subject, or per 小题 of ``subject``) — what the import reads back."""
    if subject is not None:
        score_headers = [it.number for it in subject.items.all()] + ["总分"]
    else:
        score_headers = [s.subject.name for s in exam.subjects.select_related("subject")]
    qs = ExamStudent.objects.filter(exam=exam).select_related("student__person", "klass__grade")
    if school is not None:
        qs = qs.filter(school=school)
    rows = [
        [c.exam_no, c.student.person.name, c.klass.name] + [None] * len(score_headers) for c in qs.order_by("exam_no")
    ]
    return ["考号", "姓名", "班级", *score_headers], rows


__all__ = ["ImportFileError", "ImportRefused", "ScoreImportResult", "import_scores", "may_import", "template_rows"]
