"""Scope-matrix cases for the report pages (exams/urls_report.py); see core/scope_matrix.py."""

from core.scope_matrix import Case, register_case


def _candidate(w):
    """student_a1's candidate row in a published 联考 (made on first use)."""
    import datetime as dt

    from exams import services
    from exams.models import Exam

    exam = Exam.objects.filter(district=w.district, code="scope-matrix").first()
    if exam is None:
        exam = services.exam_create(
            actor=w.district_admin,
            district_id=w.district.pk,
            code="scope-matrix",
            name="权限矩阵联考",
            term=w.term,
            stage="junior",
            entry_year=w.grade_a.entry_year,
            exam_date=dt.date(2026, 11, 10),
            subjects=[(w.math, 100)],
        )
        es = exam.subjects.get()
        for cand in exam.candidates.all():
            services.score_set(actor=w.district_admin, candidate=cand, exam_subject=es, value=80)
        services.exam_publish(actor=w.district_admin, exam=exam)
    return exam.candidates.get(student=w.student_a1)


def _no_args_after_exam(w):
    _candidate(w)
    return []


def _args(w):
    cand = _candidate(w)
    return [cand.exam_id, cand.pk]


# the family list: parent1 sees their child's exam, parent2 (another family) never does
register_case(
    Case(
        "exams:my_reports",
        kind="list",
        args=_no_args_after_exam,  # the exam exists before the page is opened
        in_scope="parent1",
        out_of_scope="parent2",
        marker=lambda w: w.student_a1.person.name,
    )
)
register_case(
    Case(
        "exams:report_card",
        args=_args,
        in_scope="parent1",
        out_of_scope="parent2",
        marker=lambda w: w.student_a1.person.name,
    )
)
register_case(
    Case("exams:report_card_pdf", kind="download", args=_args, in_scope="head_teacher_a1", out_of_scope="teacher_b")
)
# the district's policy page: a school admin is refused
register_case(
    Case(
        "exams:ranking_policy",
        in_scope="district_admin",
        out_of_scope="school_admin_a",
        marker=lambda w: "排名公开规则",
    )
)


def _exam_id(w):
    return [_candidate(w).exam_id]


# 考试分析 pages: the district page, a school's page, a class's page and the export
register_case(
    Case(
        "exams:report", args=_exam_id, in_scope="district_admin", out_of_scope="teacher_b", marker=lambda w: "全区分析"
    )
)
register_case(
    Case(
        "exams:report_school",
        args=lambda w: [*_exam_id(w), w.school_a.pk],
        in_scope="school_admin_a",
        out_of_scope="school_admin_b",
        marker=lambda w: w.school_a.name,
    )
)
register_case(
    Case(
        "exams:report_class",
        args=lambda w: [*_exam_id(w), w.class_a1.pk],
        in_scope="head_teacher_a1",
        out_of_scope="head_teacher_a2",
        marker=lambda w: w.student_a1.person.name,
    )
)
register_case(
    Case(
        "exams:report_export",
        kind="download",
        args=_exam_id,
        query=lambda w: {"level": "class", "id": w.class_a1.pk},
        in_scope="head_teacher_a1",
        out_of_scope="head_teacher_a2",
    )
)
register_case(
    Case(
        "exams:value_added",
        args=_exam_id,
        in_scope="head_teacher_a1",
        out_of_scope="teacher_b",
        marker=lambda w: "增值评价",
    )
)


# the "report is being computed" banner the report pages poll
def _running_report(w):
    from exams.models import ExamReport, ReportStatus

    exam_id = _exam_id(w)
    ExamReport.objects.update_or_create(exam_id=exam_id[0], defaults={"status": ReportStatus.RUNNING, "progress": 30})
    return exam_id


register_case(
    Case(
        "exams:report_status",
        args=_running_report,
        in_scope="school_admin_a",
        out_of_scope="teacher_b",
        marker=lambda w: "正在重新计算",
    )
)
register_case(
    Case(
        "exams:report_lines",
        args=_exam_id,
        in_scope="district_admin",
        out_of_scope="school_admin_b",
        marker=lambda w: "临界生分差",
    )
)
