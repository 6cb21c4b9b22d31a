"""Scope-matrix cases for the exam management, score entry and score import pages (exams/urls_manage.py); see
core/scope_matrix.py. The exam is a draft 联考 of the junior cohort (school A's classes a1 and a2; school B, a
九年一贯制 school, takes part without candidates), made on first use."""

from core.scope_matrix import Case, register_case

EXAM_NAME = "管理矩阵联考"


def _exam(w):
    import datetime as dt

    from exams import services
    from exams.models import Exam

    exam = Exam.objects.filter(district=w.district, code="manage-matrix").first()
    if exam is None:
        exam = services.exam_create(
            actor=w.district_admin,
            district_id=w.district.pk,
            code="manage-matrix",
            name=EXAM_NAME,
            term=w.term,
            stage="junior",
            entry_year=w.grade_a.entry_year,
            exam_date=dt.date(2026, 11, 12),
            subjects=[(w.chinese, 120), (w.math, 120)],
        )
    return exam


def _math(w):
    return _exam(w).subjects.get(subject=w.math)


def _grid(w):
    return [_exam(w).pk, w.class_a1.pk, _math(w).pk]


def _cell(w):
    exam = _exam(w)
    return [exam.pk, w.class_a1.pk, _math(w).pk, exam.candidates.get(student=w.student_a1).pk]


def _import_token(w):
    """An import result (with its error report) of school_admin_a: a file with a score over the full mark."""
    import io

    from openpyxl import Workbook

    from exams.importer import import_scores
    from exams.views.imports import result_save

    exam = _exam(w)
    wb = Workbook()
    wb.active.append(["考号", "数学"])
    wb.active.append([exam.candidates.get(student=w.student_a1).exam_no, 999])
    buf = io.BytesIO()
    wb.save(buf)
    result = import_scores(
        exam=exam, school=w.school_a, actor=w.school_admin_a, data=buf.getvalue(), filename="矩阵成绩.xlsx"
    )
    summary = {**result.summary(), "filename": "矩阵成绩.xlsx", "school": w.school_a.name, "subject": ""}
    summary["errors"] = [e.as_dict() for e in result.errors]
    summary["dry_run"] = False
    return [exam.pk, result_save(user=w.school_admin_a, exam=exam, summary=summary, report=result.report())]


def _made(w):
    _exam(w)
    return []


exam_pk = lambda w: [_exam(w).pk]  # noqa: E731

# the list: a teacher sees the exam of their class, a teacher of another school does not
register_case(Case("exams:exam_list", _made, "teacher_a", "teacher_b", kind="list", marker=lambda w: EXAM_NAME))
register_case(
    Case(
        "exams:exam_create", in_scope="district_admin", out_of_scope="teacher_a", marker=lambda w: "四率分数线与临界生"
    )
)
register_case(
    Case(
        "exams:exam_create",
        in_scope="school_admin_a",
        out_of_scope="teacher_a",
        method="post",
        data=lambda w: {
            "scope": "school",
            "name": "七年级第一次月考",
            "code": "a-g7-m1",
            "term": w.term.pk,
            "cohort": f"junior:{w.grade_a.entry_year}",
            "exam_date": "2026-10-08",
            "school": w.school_a.pk,
            f"subj_{w.math.pk}": "on",
            f"full_{w.math.pk}": "120",
            "t_excellent": "85",
            "t_good": "70",
            "t_pass": "60",
            "t_low": "40",
            "borderline_band": "10",
        },
    )
)
register_case(Case("exams:exam_detail", exam_pk, "teacher_a", "teacher_b", marker=lambda w: EXAM_NAME))
# publishing a 联考 is the district's: school A's admin sees the exam but is refused
register_case(Case("exams:exam_publish", exam_pk, "district_admin", "school_admin_a", method="post"))
register_case(
    Case(
        "exams:items", lambda w: [_exam(w).pk, _math(w).pk], "district_admin", "teacher_b", marker=lambda w: "小题设置"
    )
)
# the grid: the class's 数学 teacher; class a2's head teacher sees the exam but may not enter class a1's scores
register_case(
    Case("exams:entry_grid", _grid, "teacher_a", "head_teacher_a2", marker=lambda w: w.student_a1.person.name)
)
register_case(
    Case(
        "exams:entry_cell",
        _cell,
        "teacher_a",
        "head_teacher_a2",
        method="post",
        data=lambda w: {"value": "88"},
        marker=lambda w: "已保存",
    )
)
register_case(Case("exams:import", exam_pk, "school_admin_a", "teacher_a", marker=lambda w: "下载成绩模板"))
register_case(Case("exams:import_template", exam_pk, "school_admin_a", "teacher_a", kind="download"))
# a stored import result is its uploader's only
register_case(
    Case("exams:import_result", _import_token, "school_admin_a", "school_admin_b", marker=lambda w: "矩阵成绩.xlsx")
)
register_case(Case("exams:import_report", _import_token, "school_admin_a", "school_admin_b", kind="download"))


def _combination_exam(w):
    """A 单校考试 of school A with one 选考 subject and its combination (made on first use)."""
    import datetime as dt

    from core.models import Subject
    from exams import services
    from exams.models import Exam

    exam = Exam.objects.filter(district=w.district, code="scope-combos").first()
    if exam is None:
        physics = Subject.objects.get(district=w.district, name="物理")
        exam = services.exam_create(
            actor=w.school_admin_a,
            district_id=w.district.pk,
            code="scope-combos",
            name="选科权限矩阵",
            term=w.term,
            stage="junior",
            entry_year=w.grade_a.entry_year,
            exam_date=dt.date(2026, 11, 12),
            subjects=[(w.math, 100), (physics, 100, True)],
            school=w.school_a,
            combinations=["物理"],
        )
    return [exam.pk]


register_case(
    Case(
        "exams:combinations",
        _combination_exam,
        "school_admin_a",
        "school_admin_b",
        marker=lambda w: w.student_a1.person.name,
    )
)
