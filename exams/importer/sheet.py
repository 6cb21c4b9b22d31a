"""Open an uploaded score file (.xlsx / .xls / .csv) and locate its header row.

The roster reader (``roster.importer.reader.read_table``) looks for the 学籍 template's columns, so score files
are opened here with python-calamine directly — but through the roster reader's safety checks (size cap, format
by magic bytes, zip-bomb and lying-zip checks, formula error cells), imported from there rather than copied.
The result is a roster ``Table`` so the roster's error report (``roster.importer.report.build_report``) can
highlight the bad cells of a score file too.
"""

from __future__ import annotations

from collections.abc import Callable

from roster.importer.reader import (
    HEADER_SEARCH_ROWS,
    XLS_MAGIC,
    XLSX_MAGIC,
    ImportFileError,
    Table,
    _max_rows,
    check_upload,
    col_letter,
    detect_kind,
    normalise_header,
    open_first_sheet,
)

# 考号 spellings met in real files (the other identifiers use the roster's aliases: 身份证号, 全国学籍号 …).
SCORE_HEADER_ALIASES = {"准考证号": "考号", "考生号": "考号", "考试号": "考号", "考号号码": "考号", "考生考号": "考号"}
ID_HEADERS = ("考号", "学籍号", "身份证件号")


def header_text(value) -> str:
    """A header cell normalised: NFKC, no spaces or ★, the usual aliases; 1.0 (a number) → "1"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    h = normalise_header(value)
    return SCORE_HEADER_ALIASES.get(h, h)


def open_table(
    data: bytes, filename: str, *, is_header: Callable[[list[str]], bool], what: str, missing: str = ""
) -> Table:
    """Open the upload and find the header row (the first of the top rows for which ``is_header`` holds on
    the normalised cells). ``Table.headers`` are the normalised headers; ``Table.columns`` is left empty for the
    caller to fill. Raises ImportFileError (Chinese message) for unusable files; ``missing`` replaces the message
    for a file without the header (other sheets than score files)."""
    check_upload(data)
    name = (filename or "").lower()
    if not data.startswith((XLSX_MAGIC, XLS_MAGIC)) and not name.endswith((".csv", ".xlsx", ".xlsm", ".xls")):
        raise ImportFileError("只支持 Excel（.xlsx、.xls）或 CSV 文件。")
    kind = detect_kind(data, filename)
    o = open_first_sheet(data, kind)
    sheet, csv_rows, head, merged, error_cells = o.sheet, o.csv_rows, o.head, o.merged, o.error_cells
    row_offset, col_offset, height = o.row_offset, o.col_offset, o.height
    idx = None
    for i, row in enumerate(head):
        if row_offset + i >= HEADER_SEARCH_ROWS:
            break
        if is_header([header_text(v) for v in row]):
            idx = i
            break
    if idx is None:
        raise ImportFileError(
            missing
            or f"在前 {HEADER_SEARCH_ROWS} 行中没有找到表头：需要「考号」「学籍号」或「身份证件号」中的至少一列，以及{what}。"
            "可在导入页面下载本校的成绩模板。"
        )
    raw_headers = list(head[idx])
    header_row = row_offset + idx + 1
    table = Table(
        filename=filename,
        kind=kind,
        header_row=header_row,
        headers=[header_text(v) for v in raw_headers],
        raw_headers=raw_headers,
        columns={},
        row_offset=row_offset,
        col_offset=col_offset,
        height=height,
        error_cells=error_cells,
        _sheet=sheet,
        _csv_rows=csv_rows,
    )
    for (r1, c1), (r2, c2) in merged:
        if r1 >= header_row and (r2 > r1 or c2 > c1):
            table.warnings.append(
                f"数据区含合并单元格 {col_letter(c1)}{r1 + 1}:{col_letter(c2)}{r2 + 1}，"
                "只有左上角单元格有值，其余单元格按空值处理。"
            )
    if table.total_rows > _max_rows():
        raise ImportFileError(
            f"数据行过多（约 {table.total_rows:,} 行），单次导入上限为 {_max_rows():,} 行，请分批导入。"
        )
    return table


__all__ = ["ID_HEADERS", "ImportFileError", "Table", "col_letter", "header_text", "open_table"]
