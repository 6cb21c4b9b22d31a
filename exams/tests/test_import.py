"""Score import: wide files per subject and per 小题, marks, every kind of bad cell with its Chinese message and
the highlighted report, all-or-nothing, idempotent re-imports, permissions, the CLI's exit codes, and the
agreement of the import's cell rules with services.clean_score."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from core.models import AuditLog, Student
from core.testing import junior_class_b, make_person
from exams import services
from exams.importer import ImportFileError, import_scores, template_rows
from exams.importer.cells import CellError, parse_score
from exams.models import Exam, Score

pytestmark = pytest.mark.django_db


# --- helpers ---------------------------------------------------------------------------------------------------


def xlsx(rows: list[list], *, title_rows: int = 0) -> bytes:
    wb = Workbook()
    ws = wb.active
    for _ in range(title_rows):
        ws.append(["七年级期中考试成绩表"])
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_exam(w, *, subjects=None, code="2026-g7-mid", school=None):
    return services.exam_create(
        actor=w.district_admin,
        district_id=w.district.pk,
        code=code,
        name="七年级期中联考",
        term=w.term,
        stage="junior",
        entry_year=w.grade_a.entry_year,
        exam_date=dt.date(2026, 11, 10),
        subjects=subjects or [(w.chinese, 120), (w.math, 120)],
        school=school,
    )


def add_b_student(w, name="钱小军"):
    """A student of school B's 初中 class of the same cohort (a candidate of school B in a 联考)."""
    klass = junior_class_b(w)
    p = make_person(name, born=dt.date(w.grade_a.entry_year - 12, 3, 3))
    return Student.objects.create(
        person=p, district=w.district, school=w.school_b, klass=klass, student_no=f"G{p.id_number}", class_no=1
    )


def no(exam, student) -> str:
    return exam.candidates.get(student=student).exam_no


def scores(exam) -> dict:
    return {
        (s.candidate.student.person.name, s.exam_subject.subject.name): (s.value, s.status)
        for s in Score.objects.filter(exam_subject__exam=exam).select_related(
            "candidate__student__person", "exam_subject__subject"
        )
    }


def run(w, exam, rows, **kw):
    kw.setdefault("school", w.school_a)
    kw.setdefault("actor", w.school_admin_a)
    return import_scores(exam=exam, data=xlsx(rows), filename="成绩.xlsx", **kw)


# --- valid files ---------------------------------------------------------------------------------------------


def test_wide_file_per_subject_with_marks_and_blanks(world):
    w = world
    exam = make_exam(w)
    rows = [
        ["考号", "姓名", "班级", "语文", "数学(120分)"],
        [no(exam, w.student_a1), "周小明", "七年级（1）班", 98.5, 110],
        [no(exam, w.student_a1b), "吴小红", "七年级（1）班", "缺考", 0],
        [no(exam, w.student_a2), "郑小刚", "七年级（2）班", "作弊", None],  # 数学 not entered yet
    ]
    result = run(w, exam, rows)
    assert result.ok and result.status == "done", [str(e) for e in result.errors]
    assert result.counts == {"created": 5, "updated": 0, "unchanged": 0, "blank": 1}
    assert scores(exam) == {
        ("周小明", "语文"): (Decimal("98.5"), "normal"),
        ("周小明", "数学"): (Decimal("110.0"), "normal"),
        ("吴小红", "语文"): (None, "absent"),
        ("吴小红", "数学"): (Decimal("0.0"), "normal"),  # 0 is a score, not 缺考
        ("郑小刚", "语文"): (None, "cheat"),
    }
    assert all(s.entered_by == w.school_admin_a for s in Score.objects.all())
    log = AuditLog.objects.get(action="score.import")
    assert log.changes["created"] == [None, 5] and log.changes["school"] == [None, w.school_a.name]
    assert log.actor == w.school_admin_a


def test_students_found_by_student_no_or_id_number_and_title_rows_skipped(world):
    w = world
    exam = make_exam(w)
    rows = [
        ["学籍号", "身份证号", "学生姓名", "语文成绩"],
        [w.student_a1.student_no, "", "周小明", 90],
        ["", w.student_a1b.person.id_number, "吴 小红", "免考"],
        [w.student_a2.student_no.lower(), w.student_a2.person.id_number, "", "缺"],
    ]
    result = import_scores(
        exam=exam, school=w.school_a, actor=w.district_admin, data=xlsx(rows, title_rows=2), filename="a.xlsx"
    )
    assert result.ok, [str(e) for e in result.errors]
    assert result.counts["created"] == 3
    assert scores(exam) == {
        ("周小明", "语文"): (Decimal("90.0"), "normal"),
        ("吴小红", "语文"): (None, "exempt"),
        ("郑小刚", "语文"): (None, "absent"),
    }


def test_exam_no_that_excel_turned_into_a_number_still_matches(world):
    w = world
    exam = make_exam(w)
    number = int(no(exam, w.student_a1))  # 0101001 → 101001
    result = run(w, exam, [["考号", "数学"], [number, 100]])
    assert result.ok and scores(exam) == {("周小明", "数学"): (Decimal("100.0"), "normal")}


def _items(w, exam):
    es = exam.subjects.get(subject=w.math)
    services.items_set(
        actor=w.district_admin,
        exam_subject=es,
        items=[
            {"number": "1", "full_mark": 4, "kind": "objective", "answer": "A"},
            {"number": "2", "full_mark": 6, "kind": "objective", "answer": "BD"},
            {"number": "3", "full_mark": 10},
        ],
    )
    return es


def test_item_file_for_one_subject(world):
    w = world
    exam = make_exam(w, subjects=[(w.chinese, 100), (w.math, 20)])
    es = _items(w, exam)
    rows = [
        ["考号", "姓名", "第1题", "第2题", "第3题", "总分"],
        [no(exam, w.student_a1), "周小明", "a", "B,D", 7.5, 17.5],  # options scored against the key
        [no(exam, w.student_a1b), "吴小红", 4, "B", 10, None],  # a wrong option scores 0
        [no(exam, w.student_a2), "郑小刚", None, None, None, "缺考"],
    ]
    result = run(w, exam, rows, subject=es)
    assert result.ok, [str(e) for e in result.errors]
    assert result.mode == "items" and result.subjects == ["第1题", "第2题", "第3题"]
    got = {
        s.candidate.student_id: (s.value, s.status, s.items, s.options)
        for s in Score.objects.filter(exam_subject=es).select_related("candidate")
    }
    assert got == {
        w.student_a1.pk: (Decimal("17.5"), "normal", [4.0, 6.0, 7.5], ["A", "BD", ""]),
        w.student_a1b.pk: (Decimal("14.0"), "normal", [4.0, 0.0, 10.0], ["", "B", ""]),
        w.student_a2.pk: (None, "absent", None, None),
    }
    # the same scores through the service: item scores add up the same way
    cand = exam.candidates.get(student=w.student_a1)
    again = services.score_set(actor=w.district_admin, candidate=cand, exam_subject=es, items=[4, 6, 7.5])
    assert again.value == Decimal("17.5")


def test_item_file_errors(world):
    w = world
    exam = make_exam(w, subjects=[(w.math, 20)])
    es = _items(w, exam)
    rows = [
        ["考号", "1", "2", "3", "数学"],
        [no(exam, w.student_a1), 4, 6, 7, 18],  # total ≠ sum
        [no(exam, w.student_a1b), 5, 6, 7, None],  # item over its full mark
        [no(exam, w.student_a2), 4, None, 7, None],  # incomplete
    ]
    result = run(w, exam, rows, subject=es)
    assert [str(e) for e in result.errors] == [
        "行 2, 列「数学」: 总分 18 与小题分合计 17 不一致",
        "行 3, 列「1」: 第 1 题得分 5 超出满分 4",
        "行 4, 列「2」: 小题分不完整：第 2 题未填写",
    ]
    assert Score.objects.count() == 0
    with pytest.raises(ImportFileError, match="缺少数学的小题列：「3」"):
        run(w, exam, [["考号", "1", "2"], [no(exam, w.student_a1), 4, 6]], subject=es)
    plain = exam.subjects.get()
    plain.items.all().delete()
    with pytest.raises(ImportFileError, match="没有设置小题"):
        run(w, exam, rows, subject=plain)


# --- bad files -------------------------------------------------------------------------------------------------


def test_every_kind_of_bad_cell_is_named_and_nothing_is_written(world):
    w = world
    b = add_b_student(w)
    exam = make_exam(w)
    a1, a1b, a2 = (no(exam, s) for s in (w.student_a1, w.student_a1b, w.student_a2))
    rows = [
        ["考号", "学籍号", "姓名", "语文", "数学"],
        [a1, "", "周小明", 156, 100],  # row 2: over the full mark
        [a1b, "", "吴小红", -5, "九十"],  # row 3: negative, text
        ["0999999", "", "无名", 80, 999],  # row 4: unknown 考号 (and a bad cell: both are named)
        [a2, "", "郑小刚", 80, 80],  # row 5 and row 6: the same candidate twice
        [a2, "", "郑小刚", 81, 81],
        ["", w.student_b1.student_no, "孙小丽", 80, 80],  # row 7: a student who is not a candidate
        [no(exam, b), "", "钱小军", 80, 80],  # row 8: school B's candidate in school A's file
        [a1, w.student_a2.student_no, "周小明", 80, 80],  # row 9: 学籍号 of another student (and a duplicate)
        [a1b, "", "吴晓红", 80, 80],  # row 10: wrong name (and a duplicate)
        ["", "", "", 80, 80],  # row 11: nobody
    ]
    before = Score.objects.count()
    result = run(w, exam, rows)
    assert result.status == "invalid" and Score.objects.count() == before
    messages = [str(e) for e in result.errors]
    expected = [
        "行 2, 列「语文」: 156 超出满分 120",
        "行 3, 列「语文」: -5 不能为负数",
        "行 3, 列「数学」: 「九十」不是有效的成绩（应为数字，或缺考（缺、QK）、作弊（ZB）、免考（免、MK））",
        "行 4, 列「考号」: 考号「0999999」不存在：本次考试没有这个考号",
        "行 4, 列「数学」: 999 超出满分 120",
        "行 5, 列「考号」: 与第 6 行是同一名考生",
        "行 6, 列「考号」: 与第 5 行是同一名考生",
        "行 7, 列「学籍号」: 该学生不是本次考试的考生（不在本届参考学生中，或已离校）",
        f"行 8, 列「考号」: 考号「{no(exam, b)}」是「镇海区骆驼学校」的考生，不属于「镇海区蛟川中学」；请确认导入时选择的学校",
        "行 9, 列「学籍号」: 与「考号」对应的不是同一名学生，请核对",
        "行 10, 列「姓名」: 姓名「吴晓红」与考号对应的学生「吴小红」不一致",
        "行 11, 列「考号」: 考号、学籍号、身份证件号都为空，无法确定是哪位学生",
    ]
    for m in expected:
        assert m in messages, (m, messages)
    assert any(m.startswith("行 2, 列「考号」: 与第 9 行") for m in messages), messages
    # the report: the upload with the bad cells highlighted and commented
    report = load_workbook(io.BytesIO(result.report())).active
    comments = {c.coordinate: c.comment.text for row in report.iter_rows() for c in row if c.comment}
    assert "156 超出满分 120" in comments["D2"]
    assert "不能为负数" in comments["D3"] and "不是有效的成绩" in comments["E3"]
    assert "不存在" in comments["A4"] and "不是同一名学生" in comments["B9"] and "不一致" in comments["C10"]
    assert report["F1"].value == "错误说明" and "超出满分" in report["F2"].value
    assert report["F12"].value is None  # rows beyond the data stay as they were


def test_a_file_for_another_school_is_refused_row_by_row(world):
    w = world
    b = add_b_student(w)
    exam = make_exam(w)
    result = run(w, exam, [["考号", "数学"], [no(exam, b), 90]])
    assert [e.message for e in result.errors] == [
        f"考号「{no(exam, b)}」是「镇海区骆驼学校」的考生，不属于「镇海区蛟川中学」；请确认导入时选择的学校"
    ]
    assert Score.objects.count() == 0
    # the district may import the whole exam in one file
    result = import_scores(
        exam=exam,
        actor=w.district_admin,
        data=xlsx([["考号", "数学"], [no(exam, b), 90], [no(exam, w.student_a1), 91]]),
        filename="all.xlsx",
    )
    assert result.ok and result.counts["created"] == 2


def test_formula_errors_and_unusable_files(world):
    w = world
    exam = make_exam(w)
    with pytest.raises(ImportFileError, match="只支持 Excel"):
        run_raw(w, exam, b"hello", "scores.txt")
    with pytest.raises(ImportFileError, match="没有找到表头"):
        run(w, exam, [["姓名", "语文"], ["周小明", 90]])
    with pytest.raises(ImportFileError, match="表头中有重复的列"):
        run(w, exam, [["考号", "数学", "数学成绩"], ["0101001", 90, 90]])
    with pytest.raises(ImportFileError, match="表头下面没有数据行"):
        run(w, exam, [["考号", "数学"]])
    result = run(w, exam, [["考号", "语文", "数学"], [no(exam, w.student_a1), 90, "#DIV/0!"]])  # a formula error
    assert [str(e) for e in result.errors] == ["行 2, 列「数学」: 公式错误值（#DIV/0!）"]
    csv = f"考号,语文\n{no(exam, w.student_a1)},88\n".encode()
    result = run_raw(w, exam, csv, "scores.csv")
    assert result.ok and result.counts["created"] == 1


def run_raw(w, exam, data, filename):
    return import_scores(exam=exam, school=w.school_a, actor=w.school_admin_a, data=data, filename=filename)


def test_all_or_nothing_then_reimport_is_idempotent(world):
    w = world
    exam = make_exam(w)
    a1, a1b, a2 = (no(exam, s) for s in (w.student_a1, w.student_a1b, w.student_a2))
    good = [["考号", "语文", "数学"], [a1, 90, 91], [a1b, 80, 81], [a2, 70, 71]]
    bad = [*good[:3], [a2, 70, 171]]
    assert run(w, exam, bad).status == "invalid"
    assert Score.objects.count() == 0 and not AuditLog.objects.filter(action="score.import").exists()
    preview = run(w, exam, good, dry_run=True)
    assert preview.status == "previewed" and preview.counts["to_create"] == 6 and Score.objects.count() == 0
    assert run(w, exam, good).counts == {"created": 6, "updated": 0, "unchanged": 0, "blank": 0}
    again = run(w, exam, good)
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 6, "blank": 0}
    assert Score.objects.count() == 6
    changed = [*good[:3], [a2, "缺考", 72]]
    assert run(w, exam, changed).counts == {"created": 0, "updated": 2, "unchanged": 4, "blank": 0}
    assert scores(exam)[("郑小刚", "语文")] == (None, "absent")
    assert scores(exam)[("郑小刚", "数学")] == (Decimal("72.0"), "normal")
    assert Score.objects.count() == 6
    assert AuditLog.objects.filter(action="score.import").count() == 3


def test_permissions_and_published_exams(world):
    w = world
    exam = make_exam(w)
    rows = [["考号", "语文"], [no(exam, w.student_a1), 90]]
    for who in ("teacher_a", "school_admin_b", "head_teacher_a1", "parent1"):
        with pytest.raises(PermissionDenied):
            run(w, exam, rows, actor=getattr(w, who))
    with pytest.raises(PermissionDenied):  # a school admin cannot import the whole exam
        run(w, exam, rows, school=None)
    with pytest.raises(ImportFileError, match="没有参加"):
        junior_less = make_exam(w, code="a-only", school=w.school_a)
        run(w, junior_less, rows, school=w.school_b, actor=w.district_admin)
    assert Score.objects.count() == 0
    full = [["考号", "语文", "数学"]] + [[c.exam_no, 80, 80] for c in exam.candidates.all()]
    run(w, exam, full)
    services.exam_publish(actor=w.district_admin, exam=exam)
    exam.refresh_from_db()
    with pytest.raises(ImportFileError, match="成绩已锁定"):
        run(w, exam, rows, actor=w.district_admin)


def test_template_reads_back(world):
    w = world
    exam = make_exam(w)
    headers, rows = template_rows(exam, w.school_a)
    assert headers == ["考号", "姓名", "班级", "语文", "数学"]
    assert [r[1] for r in rows] == ["周小明", "吴小红", "郑小刚"]
    for r in rows:
        r[3], r[4] = 100, "缺考"
    result = run(w, exam, [headers, *rows])
    assert result.ok and result.counts["created"] == 6


# --- the cell rules agree with services.clean_score -----------------------------------------------------------


AGREEMENT_INPUTS = [
    0,
    0.0,
    120,
    120.0,
    "120",
    98.5,
    "98.5",
    " 98.5 ",
    "98.25",  # rounded to one decimal by both (banker's rounding of quantize)
    98.25,
    "98.35",
    0.1 + 0.2,  # a float from a formula
    "1e2",
    "120.04",
    "120.05",
    120.1,
    121,
    -0.0,
    "-0.04",
    -1,
    "abc",
    "9 8",
    "NaN",
    "Infinity",
    "1e400",
    True,
    "",
]


@pytest.mark.parametrize("raw", AGREEMENT_INPUTS, ids=[repr(x) for x in AGREEMENT_INPUTS])
def test_cell_rules_agree_with_clean_score(world, raw):
    w = world
    exam = make_exam(w)
    es = exam.subjects.select_related("subject").get(subject=w.math)
    try:
        service = ("ok", services.clean_score(es, raw, "normal", None)[0])
    except ValidationError:
        service = ("error", None)
    try:
        parsed = parse_score(raw, es.full_mark)
        mine = ("ok", parsed[1]) if parsed is not None else ("error", None)  # empty: not entered (an error there)
    except CellError:
        mine = ("error", None)
    assert mine == service


def test_marks_agree_with_clean_score(world):
    w = world
    exam = make_exam(w)
    es = exam.subjects.select_related("subject").get(subject=w.math)
    for word, status in (("缺考", "absent"), ("缺", "absent"), ("缺席", "absent"), ("作弊", "cheat"), ("免", "exempt")):
        assert parse_score(word, es.full_mark) == (status, None)
        assert services.clean_score(es, None, status, None) == (None, None)
    assert parse_score("  ", es.full_mark) is None and parse_score(None, es.full_mark) is None


# --- the command line -------------------------------------------------------------------------------------------


def _cli(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("exam_import_scores", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_cli_exit_codes(world, tmp_path):
    w = world
    exam = make_exam(w)
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx([["考号", "姓名", "语文"], [no(exam, w.student_a1), "周小明", 95]]))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([["考号", "语文"], [no(exam, w.student_a1), 195]]))
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook at all")

    code, out, _err = _cli(exam.code, str(good), "--school", w.school_a.code, "--dry-run")
    assert code == 0 and "预览（未写入）" in out and Score.objects.count() == 0
    report = tmp_path / "report.xlsx"
    code, out, err = _cli(exam.code, str(bad), "--report", str(report))
    assert code == 1 and "行 2, 列「语文」: 195 超出满分 120" in out and "未写入任何数据" in err
    assert report.exists() and Score.objects.count() == 0
    code, _out, err = _cli(exam.code, str(junk))
    assert code == 2 and "扩展名是 Excel" in err
    code, _out, err = _cli("no-such-exam", str(good))
    assert code == 2 and "没有考试代码" in err
    code, _out, err = _cli(exam.code, str(good), "--user", "teacher_a", "--school", w.school_a.code)
    assert code == 2 and "无权导入" in err
    code, out, _err = _cli(exam.code, str(good), "--school", w.school_a.code, "--user", "sadmin_a")
    assert code == 0 and "新增 1 个成绩" in out
    assert scores(exam) == {("周小明", "语文"): (Decimal("95.0"), "normal")}
    assert AuditLog.objects.get(action="score.import").actor == w.school_admin_a
    Exam.objects.filter(pk=exam.pk).update(status="published")
    code, _out, err = _cli(exam.code, str(good))
    assert code == 2 and "成绩已锁定" in err
