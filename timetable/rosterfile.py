"""教学班名单 as a spreadsheet: the template a 教务 downloads for a 走班 block (every student of its classes, with
the group each is in now) and the reader of the filled-in file (学籍号 and 教学班 columns; the others are for
the reader's eyes). The file is opened by the same safe reader as score and roster files."""

from __future__ import annotations

from django.utils.translation import gettext as _

from exams.importer.sheet import open_table
from roster.importer.reader import HEADER_SEARCH_ROWS, ImportFileError

from .models import ElectiveBlock, TeachingGroup

HEADERS = ["学籍号", "班级", "班内学号", "姓名", "教学班"]


def template_rows(block: ElectiveBlock) -> list[list]:
    """One row per 在读 student of the block's classes: 学籍号, 班级, 班内学号, 姓名 and their group (or blank)."""
    from core.models import Student
    from core.models.people import StudentStatus

    class_ids = TeachingGroup.classes.through.objects.filter(teachinggroup__block=block).values("class_id")
    group_of = dict(
        TeachingGroup.students.through.objects.filter(teachinggroup__block=block).values_list(
            "student_id", "teachinggroup__name"
        )
    )
    students = (
        Student.objects.filter(klass_id__in=class_ids, status=StudentStatus.ENROLLED)
        .select_related("person", "klass__grade")
        .order_by("klass__grade__stage", "-klass__grade__entry_year", "klass__number", "class_no", "id")
    )
    return [[st.student_no, st.klass.name, st.class_no, st.person.name, group_of.get(st.pk, "")] for st in students]


def read_rows(data: bytes, filename: str) -> list[tuple[int, str, str]]:
    """``[(Excel row number, 学籍号, 教学班)]`` of the uploaded file; ImportFileError with a Chinese message when the
    file cannot be used (not a spreadsheet, too large, no header with 学籍号 and 教学班)."""
    table = open_table(
        data,
        filename,
        is_header=lambda cells: "学籍号" in cells and "教学班" in cells,
        what="「教学班」列",
        missing=_("在前 %(n)s 行中没有找到表头：需要「学籍号」和「教学班」两列。可在本页下载名单模板。")
        % {"n": HEADER_SEARCH_ROWS},
    )
    number_at, group_at = table.headers.index("学籍号"), table.headers.index("教学班")

    def text(row, i) -> str:
        value = row[i] if i < len(row) else ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return "" if value is None else str(value).strip()

    return [(n, text(row, number_at), text(row, group_at)) for n, row in table.data_rows()]


__all__ = ["HEADERS", "ImportFileError", "read_rows", "template_rows"]
