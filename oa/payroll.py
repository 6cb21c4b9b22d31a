"""Read a monthly payslip sheet (工资表): a header row with 工号 and/or 姓名 and then one column per pay item
(岗位工资、薪级工资、绩效工资、…、实发工资). Each data row is matched to a staff member of the school: by 工号
when given, else by a name that is unique in the school. Opening the file reuses the roster importer's safe
reader (size cap, magic bytes, zip-bomb checks). Every problem is collected with its row and column, and
``PayrollFileError`` carries them all so nothing is written when any row is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.models import StaffPost
from roster.importer.reader import (
    ImportFileError,
    check_upload,
    col_letter,
    detect_kind,
    normalise_header,
    open_first_sheet,
)

KEY_HEADERS = {"工号", "姓名"}
MAX_ROWS = 5000


class PayrollFileError(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors))
        self.errors = errors


@dataclass
class PayrollRow:
    row: int
    person_id: int
    staff_no: str
    name: str
    amounts: list[tuple[str, Decimal]]


@dataclass
class PayrollSheet:
    columns: list[str]
    rows: list[PayrollRow] = field(default_factory=list)

    def totals(self) -> list[list[str]]:
        """Column sums ([item, "amount"]) for the approvers of the month's sheet (合计 only, no one's pay)."""
        sums = dict.fromkeys(self.columns, Decimal("0"))
        for r in self.rows:
            for k, v in r.amounts:
                sums[k] += v
        return [[k, f"{v:.2f}"] for k, v in sums.items()]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _rows(opened):
    if opened.csv_rows is not None:
        yield from opened.csv_rows
    else:
        yield from opened.sheet.iter_rows()


def read_payroll(data: bytes, filename: str, *, school) -> PayrollSheet:
    """Parse and validate the sheet against ``school``'s staff. Raises ``PayrollFileError``."""
    try:
        check_upload(data)
        opened = open_first_sheet(data, detect_kind(data, filename))
    except ImportFileError as exc:
        raise PayrollFileError([exc.message]) from exc
    rows = iter(_rows(opened))
    header_at, headers = None, []
    for i, raw in enumerate(rows):
        cells = [normalise_header(v) for v in raw]
        if "姓名" in cells:
            header_at, headers = i, cells
            break
        if i >= 9:
            break
    if header_at is None:
        raise PayrollFileError([_("在前 10 行中没有找到表头（须包含「姓名」列，建议同时有「工号」列）。")])
    row_base = opened.row_offset + header_at + 1  # Excel row number of the header
    col_base = opened.col_offset
    positions = {h: i for i, h in enumerate(headers) if h}
    dupes = sorted({h for h in headers if h and headers.count(h) > 1})
    if dupes:
        raise PayrollFileError([_("表头中有重复的列：%(c)s。") % {"c": "、".join(f"「{h}」" for h in dupes)}])
    items = [(h, i) for i, h in enumerate(headers) if h and h not in KEY_HEADERS and h not in ("序号", "部门", "备注")]
    if not items:
        raise PayrollFileError([_("表头中没有任何工资项目列（如「岗位工资」「实发工资」）。")])

    posts = list(
        StaffPost.objects.filter(school=school, archived_at__isnull=True).select_related("person").order_by("pk")
    )
    by_no = {p.staff_no: p for p in posts if p.staff_no}
    by_name: dict[str, list] = {}
    for p in posts:
        if p.person_id not in {q.person_id for q in by_name.get(p.person.name, [])}:
            by_name.setdefault(p.person.name, []).append(p)

    sheet = PayrollSheet(columns=[h for h, _i in items])
    errors: list[str] = []
    seen: dict[int, int] = {}
    for offset, raw in enumerate(rows, start=1):
        excel_row = row_base + offset
        cells = list(raw)
        if all(_text(v) == "" for v in cells):
            continue
        if len(sheet.rows) + len(errors) > MAX_ROWS:
            errors.append(_("数据行过多（上限 %(n)d 行）。") % {"n": MAX_ROWS})
            break

        def cell(pos, cells=cells):
            return cells[pos] if pos < len(cells) else None

        def where(header, excel_row=excel_row):
            return _("第 %(r)d 行「%(h)s」列（%(c)s 列）") % {
                "r": excel_row,
                "h": header,
                "c": col_letter(positions[header] + col_base),
            }

        name = _text(cell(positions["姓名"]))
        staff_no = _text(cell(positions["工号"])) if "工号" in positions else ""
        post = None
        if staff_no:
            post = by_no.get(staff_no)
            if post is None:
                errors.append(_("%(w)s：本校没有工号为「%(v)s」的教职工。") % {"w": where("工号"), "v": staff_no})
                continue
            if name and post.person.name != name:
                errors.append(
                    _("%(w)s：工号 %(no)s 对应的教职工是「%(real)s」，与表中姓名「%(v)s」不一致。")
                    % {"w": where("姓名"), "no": staff_no, "real": post.person.name, "v": name}
                )
                continue
        elif not name:
            errors.append(_("%(w)s：姓名为空。") % {"w": where("姓名")})
            continue
        else:
            found = by_name.get(name, [])
            if not found:
                errors.append(_("%(w)s：本校没有名为「%(v)s」的在岗教职工。") % {"w": where("姓名"), "v": name})
                continue
            if len(found) > 1:
                errors.append(
                    _("%(w)s：本校有 %(n)d 位「%(v)s」，请填写工号区分。")
                    % {"w": where("姓名"), "n": len(found), "v": name}
                )
                continue
            post = found[0]
        if post.person_id in seen:
            errors.append(
                _("第 %(r)d 行：%(v)s 与第 %(first)d 行重复。")
                % {"r": excel_row, "v": post.person.name, "first": seen[post.person_id]}
            )
            continue
        seen[post.person_id] = excel_row
        amounts, bad = [], False
        for header, pos in items:
            raw_value = cell(pos)
            text = _text(raw_value).replace(",", "")
            if text == "":
                amounts.append((header, Decimal("0")))
                continue
            try:
                value = Decimal(text)
                if not value.is_finite():
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                errors.append(_("%(w)s：「%(v)s」不是金额。") % {"w": where(header), "v": _text(raw_value)})
                bad = True
                continue
            amounts.append((header, value.quantize(Decimal("0.01"))))
        if bad:
            continue
        sheet.rows.append(PayrollRow(excel_row, post.person_id, post.staff_no, post.person.name, amounts))
    if errors:
        raise PayrollFileError(errors)
    if not sheet.rows:
        raise PayrollFileError([_("表中没有任何数据行。")])
    return sheet
