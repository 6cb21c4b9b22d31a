"""考试 API under /api/v1/exams/ (mounted in ExamsConfig.ready).

* ``GET /exams`` — the exams the user may see (district roles: the district's; school staff: their school's;
  students and parents: the published exams they sat), newest first;
* ``GET /exams/{id}`` — an exam with its subjects, schools, report status and what the user may open;
* ``GET /exams/{id}/report/district`` · ``/report/schools/{school}`` · ``/report/classes/{class}`` ·
  ``/report/students/{candidate}`` — the cached report at each level, filtered by scope
  (``exams.report.selectors.exam_report_for``);
* ``GET /exams/my-results`` — the results of one's own children (parents) or one's own (students) in published
  exams, rankings as the district's policy allows;
* ``GET /exams/value-added?before=&after=`` — 增值评价 between two exams (class / school / teacher), staff only.

Out of scope → 404; in scope but not allowed (a parent asking for the district report, a teacher before the
exam is published) → 403.
"""

import datetime as dt
import json
from typing import Any, Literal

from django.http import HttpResponse
from ninja import Router, Schema
from ninja.pagination import paginate

from core.api.common import actor
from core.api.org import READ_ERRORS
from core.api.pagination import Pagination

from .models import ExamReport, ExamScope, ExamStatus, ExamStudent
from .report import selectors as sel

router = Router(tags=["考试"])


# --- schemas --------------------------------------------------------------------------------------------


class NamedRef(Schema):
    id: int
    name: str


class ExamFields(Schema):
    id: int
    code: str
    name: str
    scope: str
    scope_label: str
    status: str
    status_label: str
    stage: str
    entry_year: int
    exam_date: dt.date
    school: NamedRef | None = None
    term: NamedRef
    published_at: dt.datetime | None = None


class ExamOut(ExamFields):
    @staticmethod
    def resolve_scope_label(obj) -> str:
        return str(obj.get_scope_display())

    @staticmethod
    def resolve_status_label(obj) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_school(obj):
        return None if obj.school_id is None else {"id": obj.school_id, "name": obj.school.name}

    @staticmethod
    def resolve_term(obj):
        return {"id": obj.term_id, "name": str(obj.term)}


class ExamSubjectOut(Schema):
    id: int
    subject_id: int
    name: str
    full_mark: float
    elective: bool
    items: int


class ReportInfoOut(Schema):
    status: str
    progress: int
    computed_at: dt.datetime | None = None
    seconds: float | None = None


class AccessOut(Schema):
    results: bool
    district: bool
    schools: list[int]
    classes: list[int]
    candidates: list[int]


class ExamDetailOut(ExamFields):
    thresholds: dict[str, float]
    borderline_band: float
    subjects: list[ExamSubjectOut]
    schools: list[NamedRef]
    candidates: int
    report: ReportInfoOut | None = None
    access: AccessOut


# --- exams ----------------------------------------------------------------------------------------------


@router.get("", response=list[ExamOut], summary="考试列表")
@paginate(Pagination)
def exam_list(
    request,
    status: ExamStatus | None = None,
    scope: ExamScope | None = None,
    school: int | None = None,
    entry_year: int | None = None,
):
    """Exams the user may see, newest first; ``school`` = exams that school takes part in."""
    qs = sel.exams_visible_to(actor(request)).select_related("school", "term__academic_year")
    if status:
        qs = qs.filter(status=status)
    if scope:
        qs = qs.filter(scope=scope)
    if school is not None:
        qs = qs.filter(participants__school_id=school)
    if entry_year is not None:
        qs = qs.filter(entry_year=entry_year)
    return qs.order_by("-exam_date", "-id")


@router.get("/{int:exam_id}", response={200: ExamDetailOut, **READ_ERRORS}, summary="考试详情")
def exam_detail(request, exam_id: int):
    user = actor(request)
    exam = sel.exam_for(user, exam_id)
    access = sel.access_for(user, exam)
    subjects = [
        {
            "id": es.pk,
            "subject_id": es.subject_id,
            "name": es.subject.name,
            "full_mark": float(es.full_mark),
            "elective": es.elective,
            "items": len(es.items.all()),
        }
        for es in exam.subjects.select_related("subject").prefetch_related("items")
    ]
    schools = [{"id": p.school_id, "name": p.school.name} for p in exam.participants.select_related("school")]
    report = ExamReport.objects.filter(exam=exam).defer("data").first()
    candidates = ExamStudent.objects.visible_to(user).filter(exam=exam)
    staff_results = access.staff and (access.released or access.exam_staff)
    family_results = bool(access.family) and exam.status == ExamStatus.PUBLISHED
    return {
        **{f: getattr(exam, f) for f in ("id", "code", "name", "scope", "status", "stage", "entry_year")},
        "exam_date": exam.exam_date,
        "published_at": exam.published_at,
        "scope_label": str(exam.get_scope_display()),
        "status_label": str(exam.get_status_display()),
        "school": None if exam.school_id is None else {"id": exam.school_id, "name": exam.school.name},
        "term": {"id": exam.term_id, "name": str(exam.term)},
        "thresholds": exam.thresholds,
        "borderline_band": float(exam.borderline_band),
        "subjects": subjects,
        "schools": schools,
        "candidates": candidates.count(),
        "report": None
        if report is None
        else {
            "status": report.status,
            "progress": report.progress,
            "computed_at": report.computed_at,
            "seconds": report.seconds,
        },
        "access": {
            "results": staff_results or family_results,
            "district": staff_results,
            "schools": [s["id"] for s in schools] if access.district else sorted(access.schools),
            "classes": sorted(access.classes),
            "candidates": sorted(access.family) if family_results else [],
        },
    }


# --- report ---------------------------------------------------------------------------------------------

REPORT = {200: dict[str, Any], **READ_ERRORS}


def _json(data: dict) -> HttpResponse:
    """The report slices are plain JSON already (built from ExamReport.data): serialized directly, without a
    response model walking every number of a large table. Top-level ``RawJSON`` parts (text straight from the
    database) are spliced in unparsed, in place of a marker the encoder cannot produce from real data."""
    raws = {key: value for key, value in data.items() if isinstance(value, sel.RawJSON)}
    plain = {key: ({"\u0000raw": key} if key in raws else value) for key, value in data.items()}
    body = json.dumps(plain, ensure_ascii=False, separators=(",", ":"), default=str)
    for key, text in raws.items():
        body = body.replace(json.dumps({"\u0000raw": key}, ensure_ascii=False, separators=(",", ":")), text, 1)
    return HttpResponse(body.encode(), content_type="application/json; charset=utf-8")


@router.get("/{int:exam_id}/report/district", response=REPORT, summary="考试分析：区（全体）")
def report_district(request, exam_id: int):
    """District level (for a 单校考试: the whole exam): statistics, 一分一段, 上线, 小题, schools, class comparison
    and teachers — tables reduced to the schools and classes the user sees."""
    user = actor(request)
    return _json(sel.exam_report_for(user, sel.exam_for(user, exam_id), "district", raw=True))


@router.get("/{int:exam_id}/report/schools/{int:school_id}", response=REPORT, summary="考试分析：学校")
def report_school(request, exam_id: int, school_id: int):
    user = actor(request)
    return _json(sel.exam_report_for(user, sel.exam_for(user, exam_id), "school", school_id))


@router.get("/{int:exam_id}/report/classes/{int:class_id}", response=REPORT, summary="考试分析：班级")
def report_class(request, exam_id: int, class_id: int):
    """The class (as it was at exam time): statistics against school and district, 上线, 小题, 临界生 and the
    students with their ranks (as the ranking policy allows)."""
    user = actor(request)
    return _json(sel.exam_report_for(user, sel.exam_for(user, exam_id), "class", class_id))


@router.get("/{int:exam_id}/report/students/{int:candidate_id}", response=REPORT, summary="考试分析：考生")
def report_student(request, exam_id: int, candidate_id: int):
    """One candidate (``candidate_id`` = 考生 id): scores with class / school / district means, ranks as the
    district's policy allows, 上线, 小题 and knowledge points."""
    user = actor(request)
    return _json(sel.exam_report_for(user, sel.exam_for(user, exam_id), "student", candidate_id))


@router.get("/my-results", response=list[dict[str, Any]], summary="我的（孩子的）成绩")
@paginate(Pagination)
def my_results(request, exam: int | None = None, student: int | None = None):
    """Students: their own results; parents: their children's — published exams only, newest first, rankings
    as the district's policy allows."""
    user = actor(request)
    qs = sel.family_results(user).select_related("exam", "student__person", "school", "klass__grade")
    if exam is not None:
        qs = qs.filter(exam_id=exam)
    if student is not None:
        qs = qs.filter(student_id=student)
    return _LazyResults(user, qs.order_by("-exam__exam_date", "-exam_id", "student_id"))


class _LazyResults:
    """A sliceable sequence for the paginator: builds the result of only the candidates on the page."""

    def __init__(self, user, qs):
        self.user, self.qs = user, qs
        self.policies: dict[int, dict] = {}

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item):
        from .services import ranking_policy

        out = []
        for cand in self.qs[item]:
            policy = self.policies.setdefault(cand.exam.district_id, ranking_policy(cand.exam.district_id))
            out.append(sel.student_result(self.user, cand.exam, cand, policy=policy))
        return out


# --- value added ----------------------------------------------------------------------------------------


@router.get("/value-added", response=REPORT, summary="增值评价")
def value_added(
    request,
    before: int,
    after: int,
    subject: int | None = None,
    level: Literal["class", "school", "teacher"] | None = None,
    klass: int | None = None,
):
    """增值评价 from exam ``before`` to exam ``after`` (students matched; the 总分, or ``subject`` = a Subject id):
    the regression, and per class / school / teacher the mean residual with its 95 % interval, reduced to the
    groups the user sees; ``klass`` adds that class's students. Staff only."""
    from .report.value_added import value_added_for

    data = value_added_for(actor(request), before, after, subject=subject, level=level, klass=klass)
    return _json(data)


# --- scope matrix ---------------------------------------------------------------------------------------


def _scope_exams(w):
    """The published 联考 of the report-card scope cases (student_a1 … in school A) and an earlier one for
    增值评价, made on first use."""
    from exams import services
    from exams.models import Exam
    from exams.scope_cases_report import _candidate

    later = _candidate(w).exam
    earlier = Exam.objects.filter(district=w.district, code="scope-matrix-before").first()
    if earlier is None:
        earlier = services.exam_create(
            actor=w.district_admin,
            district_id=w.district.pk,
            code="scope-matrix-before",
            name="权限矩阵月考",
            term=w.term,
            stage="junior",
            entry_year=w.grade_a.entry_year,
            exam_date=dt.date(2026, 10, 10),
            subjects=[(w.math, 100)],
        )
        es = earlier.subjects.get()
        for i, cand in enumerate(earlier.candidates.order_by("id")):
            services.score_set(actor=w.district_admin, candidate=cand, exam_subject=es, value=60 + 10 * i)
        services.exam_publish(actor=w.district_admin, exam=earlier)
    return earlier, later


def exams_api_scope_cases(w):
    """Scoped GET endpoints of this router with sample objects from ``core.testing.build_world()`` (same shape
    as ``core.api.api_scope_cases``). ``/exams`` and ``/exams/my-results`` are lists (filtered: ``count == 0``
    out of scope); everything else is "detail" (404 out of scope)."""
    from core.api import ScopeCase

    class ExamScopeCase(ScopeCase):
        __slots__ = ()

        @property
        def kind(self) -> str:
            path = self.url.split("?", 1)[0].rstrip("/")
            return "list" if path.endswith(("/exams", "/my-results")) else "detail"

    earlier, later = _scope_exams(w)
    cand = later.candidates.get(student=w.student_a1)
    p = "/api/v1/exams"
    e = later.pk
    cases = [
        (f"{p}?school={w.school_a.pk}", "teacher_a", "student_user_b1"),
        (f"{p}?school={w.school_a.pk}&status=published", "parent1", "student_user_b1"),
        (f"{p}/{e}", "parent1", "student_user_b1"),
        (f"{p}/{e}", "school_admin_a", "student_user_b1"),
        (f"{p}/{e}/report/district", "district_admin", "student_user_b1"),
        (f"{p}/{e}/report/schools/{w.school_a.pk}", "school_admin_a", "school_admin_b"),
        (f"{p}/{e}/report/classes/{w.class_a1.pk}", "head_teacher_a1", "head_teacher_a2"),
        (f"{p}/{e}/report/classes/{w.class_a1.pk}", "teacher_a", "teacher_b"),
        (f"{p}/{e}/report/students/{cand.pk}", "parent1", "parent2"),
        (f"{p}/{e}/report/students/{cand.pk}", "student_user_a1", "student_user_a2"),
        (f"{p}/my-results?student={w.student_a1.pk}", "parent1", "parent2"),
        (f"{p}/value-added?before={earlier.pk}&after={e}", "district_admin", "student_user_b1"),
    ]
    return [ExamScopeCase(*c) for c in cases]


__all__ = ["exams_api_scope_cases", "router"]
