"""Error report: a copy of the uploaded sheet (same rows and columns, so 「行 12」 is row 12) with each bad cell
filled light red and commented with its message, and a last column 「错误说明」 listing the row's messages."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from .reader import Table
from .validate import RowError

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
ERROR_HEADER = "错误说明"
AUTHOR = "智校学籍导入"


def _plain(v):
    if v is None or isinstance(v, (str, int, float, bool, dt.date, dt.datetime)):
        return v
    return str(v)


def build_report(table: Table, errors: list[RowError]) -> bytes:
    by_row: dict[int, list[RowError]] = defaultdict(list)
    for e in errors:
        by_row[e.row].append(e)
    pad = [None] * table.col_offset
    width = max(len(table.raw_headers), 1)
    error_col = width  # position (in a row list) of 错误说明
    header_pos = table.columns  # template header → position

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("导入错误报告")
    ws.freeze_panes = f"A{table.header_row + 1}"
    for _ in range(table.row_offset):
        ws.append([])
    bold = Font(bold=True)
    for row_no, raw in table.all_rows():
        values = [_plain(v) if v != "" else None for v in raw]
        values += [None] * (width - len(values))
        if row_no == table.header_row:
            cells = []
            for v in values:
                c = WriteOnlyCell(ws, value=v)
                c.font = bold
                c.fill = HEADER_FILL
                cells.append(c)
            c = WriteOnlyCell(ws, value=ERROR_HEADER)
            c.font = bold
            c.fill = ERROR_FILL
            cells.append(c)
            ws.append(pad + cells)
            continue
        errs = by_row.get(row_no)
        if not errs:
            ws.append(pad + values)
            continue
        by_pos: dict[int, list[str]] = defaultdict(list)
        for e in errs:
            pos = header_pos.get(e.column)
            by_pos[pos if pos is not None else -1].append(e.message)
        cells = [*values, None]
        for pos, messages in by_pos.items():
            if pos < 0:
                continue
            c = WriteOnlyCell(ws, value=values[pos])
            c.fill = ERROR_FILL
            comment = Comment("\n".join(messages), AUTHOR)
            comment.width, comment.height = 260, 30 + 18 * len(messages)
            c.comment = comment
            cells[pos] = c
        summary = "；".join(f"「{e.column}」{e.message}" if e.column else e.message for e in errs)
        c = WriteOnlyCell(ws, value=summary)
        c.alignment = Alignment(wrap_text=False)
        cells[error_col] = c
        ws.append(pad + cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
