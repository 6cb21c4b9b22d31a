"""What a user may see of an exam's report.

``exams_visible_to(user)``: the exams a user may list — the district's exam roles (and the auditor) every exam
of their district; school staff the exams their school takes part in (``ExamSchool.visible_to``); students and
parents the *published* exams they (their children) sat.

``exam_report_for(user, exam, level, id)`` returns the slice of the cached report for ``level`` =
``district`` / ``school`` / ``class`` / ``student``, filtered by scope:

* district exam roles (区县管理员、教研员) see everything;
* a school admin sees their school, its classes and students (and the district aggregates to compare with);
* a grade leader the classes of their grade, a teacher the classes they teach (班主任 or 任课, the class as it
  was at exam time, as ``ExamStudent.visible_to``) — and the district / school aggregates, with every table
  of classes, teachers and 临界生 reduced to what they may see;
* a parent only their children's student-level results, a student only their own.

Rankings in student-level data are removed according to ``services.visible_rank_kinds`` (the district's
RankingPolicy). An unpublished exam's results are for the exam staff only (the owner roles and the school
admins): a teacher is refused (403), students and parents do not see the exam at all (404).

Out of scope → ``NotFound`` (404); in scope but not allowed → ``PermissionDenied`` (403). The slices are read
from ``ExamReport.data`` by JSON path (only the parts needed, one detoast on PostgreSQL), after
``ensure_report`` has recomputed a stale report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q

from core.api.errors import not_found
from core.scope import grants_for, role_allows

from ..models import RANK_KINDS, Exam, ExamReport, ExamSchool, ExamStatus, ExamStudent, Score, StudentResult
from ..services import ranking_policy
from .compute import STAT_FIELDS, TOTAL
from .refresh import ensure_report

DISTRICT_ROLES = {"district_admin", "researcher"}
TEACHER_ROLES = {"head_teacher", "subject_teacher"}
FAMILY_ROLES = {"guardian", "student"}
LEVELS = ("district", "school", "class", "student")
RELEASED = (ExamStatus.PUBLISHED, ExamStatus.ARCHIVED)


# --- which exams ---------------------------------------------------------------------------------------


def exams_visible_to(user):
    grants = grants_for(user)
    district_ids = {
        g.district_id for g in grants if g.level == "district" and role_allows(g.role, "exams.exam", "view")
    }
    q = Q(district_id__in=district_ids) | Q(pk__in=ExamSchool.objects.visible_to(user).values("exam_id"))
    q |= Q(pk__in=ExamStudent.objects.visible_to(user).filter(exam__status=ExamStatus.PUBLISHED).values("exam_id"))
    return Exam.objects.filter(q)


def exam_for(user, exam_id: int) -> Exam:
    exam = exams_visible_to(user).select_related("school", "term__academic_year").filter(pk=exam_id).first()
    if exam is None:
        raise not_found("考试")
    return exam


# --- access of one user to one exam ---------------------------------------------------------------------


@dataclass
class Access:
    exam: Exam
    district: bool = False  # the district's exam roles
    schools: set[int] = field(default_factory=set)  # school admin of these participating schools
    grades: set[int] = field(default_factory=set)  # grade leader
    classes: set[int] = field(default_factory=set)  # 班主任 / 任课 of these classes
    family: set[int] = field(default_factory=set)  # candidate ids: own children / oneself

    @property
    def staff(self) -> bool:
        return bool(self.district or self.schools or self.grades or self.classes)

    @property
    def released(self) -> bool:
        return self.exam.status in RELEASED

    @property
    def exam_staff(self) -> bool:
        """Owner roles and the participating schools' admins: they see results before publishing."""
        return self.district or bool(self.schools)

    def results_allowed(self) -> None:
        if not self.released and not self.exam_staff:
            raise PermissionDenied("成绩尚未发布")

    def sees_school(self, school_id: int) -> bool:
        return self.district or school_id in self.schools

    def sees_class(self, klass: dict | None, class_id: int) -> bool:
        if self.district or class_id in self.classes:
            return True
        if klass is None:
            return False
        return klass.get("school_id") in self.schools or klass.get("grade_id") in self.grades


def access_for(user, exam: Exam) -> Access:
    a = Access(exam)
    participants = None
    students = set()
    for g in grants_for(user):
        if g.district_id != exam.district_id:
            continue
        if g.role in DISTRICT_ROLES and g.level == "district" and role_allows(g.role, "exams.examreport", "view"):
            a.district = True
        elif g.role == "school_admin" and g.school_id:
            if participants is None:
                participants = set(exam.participants.values_list("school_id", flat=True))
            if g.school_id in participants:
                a.schools.add(g.school_id)
        elif g.role == "grade_leader" and g.grade_id:
            a.grades.add(g.grade_id)
        elif g.role in TEACHER_ROLES and g.klass_id:
            a.classes.add(g.klass_id)
        elif g.role in FAMILY_ROLES and g.student_id:
            students.add(g.student_id)
    if students:
        a.family = set(exam.candidates.filter(student_id__in=students).values_list("id", flat=True))
    return a


# --- reading parts of ExamReport.data -------------------------------------------------------------------


SQLITE_EXTRACT_PATHS = 10  # SQLite: up to this many paths json_extract each, more parse the whole document


class RawJSON(str):
    """JSON text passed through unparsed (``raw=True``): the API splices it into the response as it is."""


def report_parts(exam: Exam, paths: dict[str, tuple[str, ...]], raw: frozenset[str] | set[str] = frozenset()) -> dict:
    """The JSON values at ``paths`` ({alias: (key, key, …)}) of the exam's ``ExamReport.data`` (``None`` where a
    path is missing). On PostgreSQL one query extracts just those parts (the rest of the document is never sent
    or parsed); aliases in ``raw`` then come back as ``RawJSON`` text instead of parsed. On SQLite (development)
    the document is parsed once and the parts picked from it."""
    if not paths:
        return {}
    if connection.vendor == "postgresql":
        return _parts_postgres(exam.pk, paths, raw)
    if len(paths) <= SQLITE_EXTRACT_PATHS:
        return _parts_sqlite(exam.pk, paths)
    return _parts_python(exam.pk, paths)


def _parts_postgres(exam_id: int, paths: dict[str, tuple[str, ...]], raw) -> dict:
    aliases = list(paths)
    # detoast the (large) document once — an array element is stored detoasted, and OFFSET 0 keeps the subquery
    # from being flattened — then extract every path from that in-memory copy
    select = ", ".join("(j #> %s)::text" for _ in aliases)
    table = connection.ops.quote_name(ExamReport._meta.db_table)
    sql = f"SELECT {select} FROM (SELECT (ARRAY[data])[1] AS j FROM {table} WHERE exam_id = %s OFFSET 0) r"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(paths[a]) for a in aliases] + [exam_id])
        row = cursor.fetchone()
    if row is None:
        return dict.fromkeys(aliases)
    out = {}
    for alias, value in zip(aliases, row, strict=True):
        if value is None:
            out[alias] = None
        else:
            out[alias] = RawJSON(value) if alias in raw else json.loads(value)
    return out


def _parts_sqlite(exam_id: int, paths: dict[str, tuple[str, ...]]) -> dict:
    """A few paths: json_extract each (keys quoted, so that "123" is an object key, not an array index)."""
    aliases = list(paths)
    select = ", ".join("json_extract(data, %s)" for _ in aliases)
    table = connection.ops.quote_name(ExamReport._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {select} FROM {table} WHERE exam_id = %s",  # noqa: S608
            ['$."' + '"."'.join(paths[a]) + '"' for a in aliases] + [exam_id],
        )
        row = cursor.fetchone()
    if row is None:
        return dict.fromkeys(aliases)
    # objects and arrays come back as JSON text; the report's parts are never bare strings
    return {a: json.loads(v) if isinstance(v, str) else v for a, v in zip(aliases, row, strict=True)}


def _parts_python(exam_id: int, paths: dict[str, tuple[str, ...]]) -> dict:
    table = connection.ops.quote_name(ExamReport._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT data FROM {table} WHERE exam_id = %s", [exam_id])  # noqa: S608
        row = cursor.fetchone()
    doc = json.loads(row[0]) if row and row[0] else None
    out = {}
    for alias, path in paths.items():
        value = doc
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        out[alias] = value
    return out


# --- shaping -------------------------------------------------------------------------------------------


def stat_dict(row: list | None) -> dict | None:
    if row is None:
        return None
    return dict(zip(STAT_FIELDS, row, strict=False))


def stats_by_key(stats: dict | None, *, drop: tuple[str, ...] = ()) -> dict:
    out = {}
    for key, row in (stats or {}).items():
        d = stat_dict(row)
        for f in drop:
            d.pop(f, None)
        out[key] = d
    return out


def _rate(a, b):
    return None if not b else round(a / b, 4)


def line_rows(defs: list[dict], counts: list[dict] | None) -> list[dict]:
    """The line definitions joined with one level's counts, with the derived rates."""
    out = []
    for d, c in zip(defs or [], counts or [], strict=False):
        single, double = c.get("single", {}), c.get("double", {})
        subjects = {
            k: {
                "effective": d.get("effective", {}).get(k),
                "effective_qualified_mean": d.get("effective_qualified_mean", {}).get(k),
                "single": single[k],
                "double": double.get(k, 0),
                "hit_rate": _rate(double.get(k, 0), single[k]),
                "contribution_rate": _rate(double.get(k, 0), c["total_on"]),
                "single_only": single[k] - double.get(k, 0),
                "total_only": c["total_on"] - double.get(k, 0),
            }
            for k in single
        }
        out.append(
            {
                "key": d["key"],
                "label": d["label"],
                "kind": d["kind"],
                "value": d["value"],
                "score": d["score"],
                "n": c["n"],
                "total_on": c["total_on"],
                "total_on_rate": _rate(c["total_on"], c["n"]),
                "borderline_below": c.get("borderline_below", 0),
                "borderline_above": c.get("borderline_above", 0),
                "subjects": subjects,
            }
        )
    return out


def exam_summary(exam: Exam) -> dict:
    return {
        "id": exam.pk,
        "code": exam.code,
        "name": exam.name,
        "scope": exam.scope,
        "status": exam.status,
        "stage": exam.stage,
        "entry_year": exam.entry_year,
        "exam_date": exam.exam_date.isoformat(),
        "school_id": exam.school_id,
    }


def _report_info(report) -> dict:
    return {
        "status": report.status,
        "progress": report.progress,
        "computed_at": report.computed_at.isoformat() if report.computed_at else None,
        "seconds": round(report.seconds, 3) if report.seconds is not None else None,
        "error": report.error or "",
    }


def _names(candidate_ids) -> dict[int, tuple[str, str, int]]:
    """candidate id → (name, 考号, class id)."""
    ids = list(candidate_ids)
    if not ids:
        return {}
    return {
        cid: (name, no, klass)
        for cid, name, no, klass in ExamStudent.objects.filter(pk__in=ids).values_list(
            "id", "student__person__name", "exam_no", "klass_id"
        )
    }


def _borderline(defs, lists, keep, with_class: bool) -> list[dict]:
    """临界生 lists of one school (entries [candidate, class, total]) or class ([candidate, total]), reduced to
    the classes the user sees, with names."""
    out, ids = [], set()
    for d, sides in zip(defs or [], lists or [], strict=False):
        entry = {"key": d["key"], "label": d["label"], "score": d["score"]}
        for side in ("below", "above"):
            rows = sides.get(side, [])
            if with_class:
                rows = [r for r in rows if keep(r[1])]
            entry[side] = rows
            ids.update(r[0] for r in rows)
        out.append(entry)
    names = _names(ids)
    for entry in out:
        for side in ("below", "above"):
            entry[side] = [
                {
                    "candidate_id": r[0],
                    "name": names.get(r[0], ("", "", None))[0],
                    "exam_no": names.get(r[0], ("", "", None))[1],
                    "class_id": r[1] if with_class else names.get(r[0], ("", "", None))[2],
                    "total": r[-1],
                }
                for r in entry[side]
            ]
    return out


def _kinds_for(user, candidate: ExamStudent, policy: dict | None = None) -> set[str]:
    """services.visible_rank_kinds with the policy read once per request."""
    from core.scope import roles_for

    roles = roles_for(user, "view", candidate)
    if roles & DISTRICT_ROLES:
        return set(RANK_KINDS)
    rules = policy if policy is not None else ranking_policy(candidate.exam.district_id)
    kinds: set[str] = set()
    for role in roles:
        kinds |= {k for k, ok in rules.get(role, {}).items() if ok}
    return kinds


def _ranked(entry: dict, kinds: set[str]) -> dict:
    return {k: v for k, v in entry.items() if k not in RANK_KINDS or k in kinds}


# --- the slices ----------------------------------------------------------------------------------------


def exam_report_for(user, exam: Exam, level: str, id: int | None = None, *, raw: bool = False) -> dict:
    """The slice of the report (see the module docstring). ``raw=True`` (the JSON API): large parts that need no
    filtering for this user come back as ``RawJSON`` text, spliced into the response unparsed."""
    if level not in LEVELS:
        raise not_found("报告层级")
    access = access_for(user, exam)
    if level == "student":
        return _student_slice(user, exam, access, int(id or 0))
    if not access.staff:
        if level == "district" and access.family:
            raise PermissionDenied("家长和学生只能查看本人（孩子）的成绩")
        raise not_found("班级" if level == "class" else "学校" if level == "school" else "考试报告")
    if level == "district":
        return _district_slice(exam, access, raw=raw)
    if level == "school":
        return _school_slice(exam, access, int(id or 0))
    return _class_slice(user, exam, access, int(id or 0))


def _base(exam: Exam, report, parts: dict, level: str, id: int) -> dict:
    return {
        "id": id,
        "level": level,
        "exam": exam_summary(exam),
        "report": _report_info(report),
        "meta": {k: v for k, v in (parts.get("meta") or {}).items() if k != "stat_fields"},
        "subjects": parts.get("subjects") or [],
    }


def _filter_compare(compare: dict | None, keep) -> dict:
    """``class_compare`` reduced to the classes ``keep(class id)`` accepts."""
    compare = compare or {}
    rows = [i for i, cid in enumerate(compare.get("class_id", [])) if keep(cid)]
    out = {col: [compare[col][i] for i in rows] for col in ("class_id", "name", "school_id") if col in compare}
    out["subjects"] = {
        key: {col: [values[i] for i in rows] for col, values in table.items()}
        for key, table in (compare.get("subjects") or {}).items()
    }
    return out


def _district_slice(exam: Exam, access: Access, *, raw: bool = False) -> dict:
    access.results_allowed()
    if access.district:
        visible_classes, class_schools = None, set()  # every class
    else:
        visible = {cid: c for cid, c in _exam_classes(exam).items() if access.sees_class(c, cid)}
        visible_classes, class_schools = set(visible), {c["school_id"] for c in visible.values()}
    report = ensure_report(exam)
    passthrough = set()
    if raw:
        passthrough = {"items"} | ({"class_compare", "teachers"} if visible_classes is None else set())
    parts = report_parts(
        exam,
        {
            "meta": ("meta",),
            "subjects": ("subjects",),
            "district": ("district",),
            "lines": ("lines",),
            "items": ("items",),
            "class_compare": ("class_compare",),
            "teachers": ("teachers",),
            **{f"school:{sid}": ("schools", str(sid)) for sid in _school_ids(exam, access, class_schools)},
        },
        raw=passthrough,
    )
    out = _base(exam, report, parts, "district", exam.district_id)
    district = parts.get("district") or {}
    out["stats"] = stats_by_key(district.get("stats"), drop=("over_mean", "over_mean_school"))
    out["segments"] = district.get("segments") or {}
    out["lines"] = line_rows(parts.get("lines"), district.get("lines"))
    out["items"] = parts.get("items") or {}
    out["schools"] = [
        {
            "id": int(alias.split(":", 1)[1]),
            "name": s.get("name", ""),
            "stats": stats_by_key(s.get("stats"), drop=("over_mean_school",)),
            "lines": line_rows(parts.get("lines"), s.get("lines")),
        }
        for alias, s in parts.items()
        if alias.startswith("school:") and s
    ]

    if visible_classes is None:  # everything (parsed, or passed through as text)
        out["class_compare"] = parts.get("class_compare") or {}
        out["teachers"] = parts.get("teachers") or {}
        return out
    out["class_compare"] = _filter_compare(parts.get("class_compare"), lambda cid: cid in visible_classes)
    out["teachers"] = {
        key: [r for r in rows if any(c in visible_classes for c in r["class_ids"])]
        for key, rows in (parts.get("teachers") or {}).items()
    }
    return out


def _class_table(classes: dict, class_ids: list[int], district_stats: dict | None) -> dict:
    """``class_compare`` of some classes, from their own entries (a school's classes: no need to read the
    district-wide table)."""
    i_n, i_mean = STAT_FIELDS.index("n"), STAT_FIELDS.index("mean")
    picks = {f: STAT_FIELDS.index(f) for f in ("score_rate", "excellent_rate", "pass_rate", "over_mean")}
    entries = [classes.get(str(cid)) or {} for cid in class_ids]
    out: dict = {
        "class_id": list(class_ids),
        "name": [c.get("name", "") for c in entries],
        "school_id": [c.get("school_id") for c in entries],
        "subjects": {},
    }
    for key, drow in (district_stats or {}).items():
        dmean = drow[i_mean]
        table: dict[str, list] = {c: [] for c in ("n", "mean", *picks, "gap", "rank", "teacher_id", "teacher")}
        for c in entries:
            row = (c.get("stats") or {}).get(key) or [None] * len(STAT_FIELDS)
            mean = row[i_mean]
            table["n"].append(row[i_n])
            table["mean"].append(mean)
            for f, i in picks.items():
                table[f].append(row[i])
            table["gap"].append(None if mean is None or dmean is None else round(mean - dmean, 2))
            table["rank"].append((c.get("ranks") or {}).get(key))
            table["teacher_id"].append((c.get("teacher_ids") or {}).get(key))
            teacher = c.get("head_teacher", "") if key == TOTAL else (c.get("teachers") or {}).get(key, "")
            table["teacher"].append(teacher)
        out["subjects"][key] = table
    return out


def _school_ids(exam: Exam, access: Access, also: set[int]) -> list[int]:
    """The participating schools whose aggregates the user sees: their own (school admin), every school
    (district roles), the schools of the classes they teach (``also``)."""
    ids = sorted(exam.participants.values_list("school_id", flat=True))
    return [sid for sid in ids if access.sees_school(sid) or sid in also]


def _exam_classes(exam: Exam, **filters) -> dict[int, dict]:
    """class id → {school_id, grade_id} of the exam's candidates (the class at exam time)."""
    return {
        cid: {"school_id": sid, "grade_id": gid}
        for cid, sid, gid in exam.candidates.filter(**filters)
        .values_list("klass_id", "school_id", "klass__grade_id")
        .distinct()
    }


def _school_slice(exam: Exam, access: Access, school_id: int) -> dict:
    if not exam.participants.filter(school_id=school_id).exists():
        raise not_found("学校")
    report_school = access.sees_school(school_id)
    mine = {cid for cid, c in _exam_classes(exam, school_id=school_id).items() if access.sees_class(c, cid)}
    if not report_school and not mine:
        raise not_found("学校")
    access.results_allowed()
    report = ensure_report(exam)
    parts = report_parts(
        exam,
        {
            "meta": ("meta",),
            "subjects": ("subjects",),
            "district": ("district", "stats"),
            "district_segments": ("district", "segments"),
            "lines": ("lines",),
            "items": ("items",),
            "school": ("schools", str(school_id)),
            "teachers": ("teachers",),
            **{f"class:{cid}": ("classes", str(cid)) for cid in mine},
        },
    )
    school = parts.get("school") or {}
    classes = {alias.split(":", 1)[1]: c for alias, c in parts.items() if alias.startswith("class:") and c}
    out = _base(exam, report, parts, "school", school_id)
    out["name"] = school.get("name", "")
    out["stats"] = stats_by_key(school.get("stats"), drop=("over_mean_school",))
    out["district_stats"] = stats_by_key(parts.get("district"), drop=("over_mean", "over_mean_school"))
    dseg = parts.get("district_segments") or {}
    out["segments"] = {
        key: {"lower": dseg.get(key, {}).get("lower", []), **seg} for key, seg in (school.get("segments") or {}).items()
    }
    out["lines"] = line_rows(parts.get("lines"), school.get("lines"))
    items = parts.get("items") or {}
    out["items"] = {
        key: {
            "items": [
                {
                    "number": it["number"],
                    "full_mark": it["full_mark"],
                    "knowledge_points": it["knowledge_points"],
                    "district_rate": it["difficulty"],
                    "rate": rate,
                }
                for it, rate in zip(items.get(key, {}).get("items", []), mine_items.get("rates", []), strict=False)
            ],
            "kp": [
                {"kp": kp["kp"], "district_rate": kp["rate"], "rate": rate}
                for kp, rate in zip(items.get(key, {}).get("kp", []), mine_items.get("kp", []), strict=False)
            ],
        }
        for key, mine_items in (school.get("items") or {}).items()
    }
    out["classes"] = [
        {
            "id": cid,
            "name": classes.get(str(cid), {}).get("name", ""),
            "head_teacher": classes.get(str(cid), {}).get("head_teacher", ""),
            "teachers": classes.get(str(cid), {}).get("teachers", {}),
            "stats": stats_by_key(classes.get(str(cid), {}).get("stats")),
        }
        for cid in sorted(mine, key=lambda c: (classes.get(str(c), {}).get("number") or 0, c))
    ]
    out["class_compare"] = _class_table(classes, sorted(mine), parts.get("district"))
    out["teachers"] = {
        key: [r for r in rows if any(c in mine for c in r["class_ids"])]
        for key, rows in (parts.get("teachers") or {}).items()
    }
    out["borderline"] = _borderline(parts.get("lines"), school.get("borderline"), lambda cid: cid in mine, True)
    return out


def _class_slice(user, exam: Exam, access: Access, class_id: int) -> dict:
    info = _exam_classes(exam, klass_id=class_id).get(class_id)
    if info is None or not access.sees_class(info, class_id):
        raise not_found("班级")
    access.results_allowed()
    report = ensure_report(exam)
    parts = report_parts(
        exam,
        {
            "meta": ("meta",),
            "subjects": ("subjects",),
            "klass": ("classes", str(class_id)),
            "school": ("schools", str(info["school_id"]), "stats"),
            "district": ("district", "stats"),
            "lines": ("lines",),
            "items": ("items",),
        },
    )
    klass = parts.get("klass") or {}
    school_id = info["school_id"]
    school_stats = parts.get("school")
    out = _base(exam, report, parts, "class", class_id)
    out.update(
        name=klass.get("name", ""),
        school_id=school_id,
        head_teacher=klass.get("head_teacher", ""),
        teachers=klass.get("teachers", {}),
    )
    out["stats"] = stats_by_key(klass.get("stats"))
    out["school_stats"] = stats_by_key(school_stats, drop=("over_mean_school",))
    out["district_stats"] = stats_by_key(parts.get("district"), drop=("over_mean", "over_mean_school"))
    out["lines"] = line_rows(parts.get("lines"), klass.get("lines"))
    items = parts.get("items") or {}
    out["items"] = {
        key: {
            "items": [
                {
                    "number": it["number"],
                    "full_mark": it["full_mark"],
                    "knowledge_points": it["knowledge_points"],
                    "district_rate": it["difficulty"],
                    "rate": rate,
                }
                for it, rate in zip(items.get(key, {}).get("items", []), mine.get("rates", []), strict=False)
            ],
            "kp": [
                {"kp": kp["kp"], "district_rate": kp["rate"], "rate": rate}
                for kp, rate in zip(items.get(key, {}).get("kp", []), mine.get("kp", []), strict=False)
            ],
        }
        for key, mine in (klass.get("items") or {}).items()
    }
    out["borderline"] = _borderline(parts.get("lines"), klass.get("borderline"), None, False)
    # the students, with the rankings the policy lets this user see
    rows = list(
        StudentResult.objects.filter(candidate__exam=exam, candidate__klass_id=class_id).values_list(
            "candidate_id",
            "candidate__student_id",
            "candidate__student__person__name",
            "candidate__exam_no",
            "total",
            "class_rank",
            "school_rank",
            "district_rank",
            "standard_total",
            "subjects",
        )
    )
    kinds: set[str] = set()
    first = exam.candidates.filter(klass_id=class_id).select_related("exam").first()
    if first is not None:
        kinds = _kinds_for(user, first)
    students = []
    for cid, student_id, name, exam_no, total, cr, sr, dr, std, subjects in rows:
        entry = {
            "candidate_id": cid,
            "student_id": student_id,
            "name": name,
            "exam_no": exam_no,
            "total": total,
            "class_rank": cr,
            "school_rank": sr,
            "district_rank": dr,
            "standard_total": std,
            "subjects": {k: _ranked(v, kinds) for k, v in (subjects or {}).items()},
        }
        students.append(_ranked(entry, kinds))
    students.sort(
        key=lambda r: (r.get("class_rank") is None, r.get("class_rank") or 0, r["exam_no"], r["candidate_id"])
    )
    out["rank_kinds"] = sorted(kinds)
    out["students"] = students
    return out


def _student_slice(user, exam: Exam, access: Access, candidate_id: int) -> dict:
    cand = (
        ExamStudent.objects.visible_to(user)
        .filter(exam=exam, pk=candidate_id)
        .select_related("exam", "student__person", "school", "klass__grade")
        .first()
    )
    if cand is None:
        raise not_found("考生")
    family_only = not access.staff and candidate_id in access.family
    if family_only and exam.status != ExamStatus.PUBLISHED:
        raise not_found("考生")
    if not family_only:
        access.results_allowed()
    return student_result(user, exam, cand)


def student_result(user, exam: Exam, cand: ExamStudent, *, policy: dict | None = None) -> dict:
    """One candidate's results (the caller has checked that ``user`` may see them)."""
    report = ensure_report(exam)
    parts = report_parts(
        exam,
        {
            "meta": ("meta",),
            "subjects": ("subjects",),
            "district": ("district", "stats"),
            "school": ("schools", str(cand.school_id), "stats"),
            "klass": ("classes", str(cand.klass_id), "stats"),
            "class_items": ("classes", str(cand.klass_id), "items"),
            "lines": ("lines",),
            "items": ("items",),
        },
    )
    kinds = _kinds_for(user, cand, policy)
    result = StudentResult.objects.filter(candidate=cand).first()
    subjects = parts.get("subjects") or []
    mean = STAT_FIELDS.index("mean")

    def means(key):
        return {
            level: (parts.get(level) or {}).get(key, [None] * len(STAT_FIELDS))[mean]
            for level in ("klass", "school", "district")
        }

    own = {s.exam_subject_id: s for s in Score.objects.filter(candidate=cand)}
    sub_results = (result.subjects if result else {}) or {}
    scores = []
    for s in subjects:
        key = s["key"]
        m = means(key)
        if key == TOTAL:
            continue
        entry = dict(sub_results.get(key) or {})
        score = own.get(s["id"])
        entry.setdefault("score", None)
        entry["status"] = score.status if score is not None else "missing"
        scores.append(
            {
                "key": key,
                "name": s["name"],
                "full_mark": s["full_mark"],
                **_ranked(entry, kinds),
                "class_mean": m["klass"],
                "school_mean": m["school"],
                "district_mean": m["district"],
            }
        )
    total_means = means(TOTAL)
    total = {
        "score": result.total if result else None,
        "full_mark": (parts.get("meta") or {}).get("total_full"),
        "class_rank": result.class_rank if result else None,
        "school_rank": result.school_rank if result else None,
        "district_rank": result.district_rank if result else None,
        "standard_total": result.standard_total if result else None,
        "complete": bool(result and result.district_rank),
        "class_mean": total_means["klass"],
        "school_mean": total_means["school"],
        "district_mean": total_means["district"],
    }
    lines = [
        {
            "key": d["key"],
            "label": d["label"],
            "score": d["score"],
            "on": bool(total["complete"] and total["score"] is not None and total["score"] >= d["score"]),
        }
        for d in parts.get("lines") or []
    ]
    items_out = {}
    class_items = parts.get("class_items") or {}
    for s in subjects:
        key = s["key"]
        dist = (parts.get("items") or {}).get(key)
        score = own.get(s.get("id"))
        if not dist or score is None or not score.items:
            continue
        rates = (class_items.get(key) or {}).get("rates", [])
        kp_rates = (class_items.get(key) or {}).get("kp", [])
        item_rows = []
        got: dict[str, float] = {}
        possible: dict[str, float] = {}
        for j, it in enumerate(dist.get("items", [])):
            value = score.items[j] if j < len(score.items) else None
            item_rows.append(
                {
                    "number": it["number"],
                    "full_mark": it["full_mark"],
                    "score": value,
                    "class_rate": rates[j] if j < len(rates) else None,
                    "district_rate": it["difficulty"],
                }
            )
            if value is not None:
                for kp in set(it["knowledge_points"]):
                    got[kp] = got.get(kp, 0.0) + float(value)
                    possible[kp] = possible.get(kp, 0.0) + float(it["full_mark"])
        kp_rows = []
        for i, kp in enumerate(dist.get("kp", [])):
            name = kp["kp"]
            kp_rows.append(
                {
                    "kp": name,
                    "rate": round(got[name] / possible[name], 4) if possible.get(name) else None,
                    "class_rate": kp_rates[i] if i < len(kp_rates) else None,
                    "district_rate": kp["rate"],
                }
            )
        items_out[key] = {"items": item_rows, "kp": kp_rows}
    total = _ranked(total, kinds)
    return {
        "id": cand.pk,
        "level": "student",
        "exam": exam_summary(exam),
        "report": _report_info(report),
        "candidate": {
            "id": cand.pk,
            "student_id": cand.student_id,
            "name": cand.student.person.name,
            "exam_no": cand.exam_no,
            "school": {"id": cand.school_id, "name": cand.school.name},
            "klass": {"id": cand.klass_id, "name": cand.klass.name},
        },
        "rank_kinds": sorted(kinds),
        "total": total,
        "subjects": scores,
        "lines": lines,
        "items": items_out,
    }


def family_results(user):
    """The candidates of the user's own children (guardian) or of the user (student) in published exams."""
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return ExamStudent.objects.none()
    return (
        ExamStudent.objects.visible_to(user)
        .filter(exam__status=ExamStatus.PUBLISHED)
        .filter(Q(student__person_id=person_id) | Q(student__guardianships__guardian_id=person_id))
        .distinct()
    )


__all__ = [
    "Access",
    "access_for",
    "exam_for",
    "exam_report_for",
    "exams_visible_to",
    "family_results",
    "report_parts",
    "student_result",
]
