"""MoE 学籍 export: students in the 学生基本信息表 column order (roster.template.COLUMNS), so that an
exported (unmasked) file re-imports through the roster importer.

Values are written as the template expects: codes as codes, dates YYYYMMDD, months YYYYMM, booleans
"1"/"0", 年级 as ``Grade.label()``, 班级 as ``Class.name`` (七年级（3）班).

Full 身份证件号 / 学籍号 / addresses / phone are written only when the user may ``reveal`` every exported
student (core.student "reveal": district and school admins). Otherwise the whole file is masked and the
headers of the masked columns carry 「（已脱敏）」, which also keeps a masked file from being re-imported
over real data (the importer will not recognise those columns; several of them are required).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.audit import audit_record
from core.models import Student, StudentStatus, academic_start_year

from ..models import StudentProfile
from ..template import COLUMNS, HEADERS, Column
from .common import (
    MASKED_NOTE,
    mask_address,
    mask_id_number,
    mask_phone,
    mask_student_no,
    must_mask,
    pk_of,
    require_export,
)

SHEET_NAME = "学生基本信息"
AUDIT_ACTION = "roster.export_moe"

# Columns whose value is personal data that only "reveal" may see in full, and how to mask each.
MASKERS = {
    "person.id_number": mask_id_number,
    "student.student_no": mask_student_no,
    "profile.current_address": mask_address,
    "profile.mailing_address": mask_address,
    "profile.home_address": mask_address,
    "profile.contact_phone": mask_phone,
}


def moe_headers(masked: bool) -> list[str]:
    """The header row: exactly roster.template.HEADERS, or with 「（已脱敏）」 on the masked columns."""
    if not masked:
        return list(HEADERS)
    return [f"{c.header}（{MASKED_NOTE}）" if c.target in MASKERS else c.header for c in COLUMNS]


def _students(user, *, school=None, grade=None, klass=None):
    qs = Student.objects.visible_to(user, "export").filter(status=StudentStatus.ENROLLED, archived_at__isnull=True)
    filters = {}
    for name, value, lookup in (
        ("school", school, "school_id"),
        ("grade", grade, "klass__grade_id"),
        ("klass", klass, "klass_id"),
    ):
        pk = pk_of(value)
        if pk is not None:
            qs = qs.filter(**{lookup: pk})
            filters[name] = pk
    return qs, filters


def _format(column: Column, value):
    if value is None:
        return ""
    if column.kind == "date":
        return value.strftime("%Y%m%d") if isinstance(value, date) else str(value)
    if column.kind == "bool":
        return "1" if value else "0"
    if column.kind == "int":
        return value
    if column.kind == "decimal":
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    return str(value)


def _row(student: Student, start_year: int, masked: bool) -> list:
    person = student.person
    profile = getattr(student, "profile", None)
    if profile is None:
        # No 学籍信息 yet: the model defaults (CHN, 00, 健康 10 …) are what the importer would store.
        profile = StudentProfile()
    grade = student.klass.grade
    row = []
    for column in COLUMNS:
        target = column.target
        if target == "school_code":
            value = student.school.code
        elif target == "grade":
            value = grade.label(start_year)
        elif target == "klass":
            value = f"{grade.label(start_year)}（{student.klass.number}）班"  # == Class.name
        else:
            source, attr = target.split(".", 1)
            obj = {"person": person, "student": student, "profile": profile}[source]
            value = getattr(obj, attr)
            if target == "profile.entry_month" and not value and student.enrolled_on:
                value = student.enrolled_on.strftime("%Y%m")
        value = _format(column, value)
        if masked and target in MASKERS and value:
            value = MASKERS[target](value)
        row.append(value)
    return row


def moe_roster_rows(user, *, school=None, grade=None, klass=None, start_year: int | None = None) -> Iterator[list]:
    """Rows of the MoE 学籍 export for the students ``user`` may export; the FIRST row is the header row.

    Permission is checked and the export audited when this is called (not lazily on iteration). Raises
    PermissionDenied for users without any student export grant; filters outside the user's scope give
    an export with the header row only. The query count does not depend on the number of rows.
    ``start_year``: the academic year whose 年级 names are written (default the current one; after the
    year-end 升级 a school exports the coming year's roster with ``start_year`` + 1).
    """
    require_export(user)
    qs, filters = _students(user, school=school, grade=grade, klass=klass)
    masked = must_mask(user, qs)
    count = qs.count()
    audit_record(
        actor=user,
        action=AUDIT_ACTION,
        object_type="core.student",
        object_repr=f"学籍导出（{count} 人{'，' + MASKED_NOTE if masked else ''}）",
        changes={"filters": filters, "masked": masked, "rows": count},
        school_id=filters.get("school"),
    )
    rows = (
        qs.select_related("person", "school", "klass__grade", "profile")
        .order_by("school__code", "klass__grade__stage", "-klass__grade__entry_year", "klass__number", "class_no", "id")
        .iterator(chunk_size=2000)
    )
    start_year = start_year or academic_start_year()
    header = moe_headers(masked)

    def generate():
        yield header
        for student in rows:
            yield _row(student, start_year, masked)

    return generate()


def moe_roster_workbook(user, *, school=None, grade=None, klass=None, start_year: int | None = None) -> bytes:
    """The MoE export as .xlsx bytes (write-only workbook, one sheet 学生基本信息, header row bold)."""
    rows = moe_roster_rows(user, school=school, grade=grade, klass=klass, start_year=start_year)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=SHEET_NAME)
    bold = Font(bold=True)
    header = []
    for h in next(rows):
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
