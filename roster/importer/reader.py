"""Read an uploaded roster file (.xlsx / .xls / .csv) into a ``Table``: the header row, the column positions of
the MoE template columns (roster.template) and an iterator over the data rows with their Excel row numbers.

Every problem that makes the file unusable raises ``ImportFileError`` with a Chinese message. Problems that do
not stop the import (unknown columns, merged header cells, formula error values) become ``Table.warnings``.

Hostile input: the size is capped (settings.ZX_ROSTER_MAX_BYTES), the format is decided by magic bytes and not
by the file name, and an .xlsx is checked as a zip before calamine sees it (declared and actual uncompressed
sizes, compression ratio) so a zip bomb is refused without being inflated into memory.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree import ElementTree as ET

from django.conf import settings

from roster.template import BY_HEADER, REQUIRED_HEADERS

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100
DEFAULT_MAX_ROWS = 200_000
HEADER_SEARCH_ROWS = 10

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Header spellings met in real files (older templates, exports of other systems) → template header.
HEADER_ALIASES = {
    "身份证件号码": "身份证件号",
    "身份证号": "身份证件号",
    "身份证号码": "身份证件号",
    "证件号码": "身份证件号",
    "证件类型": "身份证件类型",
    "国籍": "国籍/地区",
    "国籍地区": "国籍/地区",
    "班级名称": "班级",
    "年级名称": "年级",
    "学生姓名": "姓名",
    "全国学籍号": "学籍号",
    "学籍号码": "学籍号",
}
_HEADER_STRIP = re.compile(r"[\s★☆*]|[(（]必填[)）]")


class ImportFileError(Exception):
    """The file cannot be used at all (wrong format, damaged, too big, no header …)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def normalise_header(value) -> str:
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = _HEADER_STRIP.sub("", text)
    return HEADER_ALIASES.get(text, text)


def col_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


@dataclass
class Table:
    """A sheet with its header located. Rows are lists indexed from ``col_offset`` (absolute column of item 0)."""

    filename: str
    kind: str  # xlsx / xls / csv
    header_row: int  # 1-based Excel row number of the header
    headers: list[str]  # normalised header per position in a row list
    raw_headers: list  # header cells as read
    columns: dict[str, int]  # template header → position in a row list
    row_offset: int  # absolute 0-based row index of the first row yielded by _rows()
    col_offset: int
    height: int  # rows in the sheet range (for progress)
    warnings: list[str] = field(default_factory=list)
    error_cells: dict[tuple[int, int], str] = field(default_factory=dict)  # (row 1-based, col 0-based) → "#DIV/0!"
    _sheet: object = None
    _csv_rows: list | None = None

    def _rows(self) -> Iterator[list]:
        if self._csv_rows is not None:
            return iter(self._csv_rows)
        return iter(self._sheet.iter_rows())

    def all_rows(self) -> Iterator[tuple[int, list]]:
        """Every row of the sheet as read, with its 1-based Excel row number (for the error report)."""
        for i, row in enumerate(self._rows()):
            yield self.row_offset + i + 1, row

    def data_rows(self) -> Iterator[tuple[int, list]]:
        """Non-empty rows below the header, with their 1-based Excel row numbers."""
        first = self.header_row - self.row_offset  # index of the first data row in _rows()
        for i, row in enumerate(self._rows()):
            if i < first:
                continue
            for v in row:
                if v != "" and v is not None and not (isinstance(v, str) and not v.strip()):
                    yield self.row_offset + i + 1, row
                    break

    @property
    def total_rows(self) -> int:
        """Rows below the header (including blank ones): the denominator of the progress bar."""
        return max(0, self.row_offset + self.height - self.header_row)


def _max_bytes() -> int:
    return int(getattr(settings, "ZX_ROSTER_MAX_BYTES", DEFAULT_MAX_BYTES))


def _max_uncompressed() -> int:
    return int(getattr(settings, "ZX_ROSTER_MAX_UNCOMPRESSED", MAX_UNCOMPRESSED))


def _max_rows() -> int:
    return int(getattr(settings, "ZX_ROSTER_MAX_ROWS", DEFAULT_MAX_ROWS))


def detect_kind(data: bytes, filename: str) -> str:
    name = (filename or "").lower()
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if data.startswith(XLS_MAGIC):
        return "xls"
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        raise ImportFileError(
            f"文件「{filename}」的扩展名是 Excel，但内容不是 Excel 文件（可能是改了扩展名的文本或其他文件）。"
            "请在 Excel/WPS 中打开后另存为 .xlsx 再上传。"
        )
    if name.endswith(".csv"):
        if b"\x00" in data[:4096]:
            raise ImportFileError(f"文件「{filename}」不是文本格式的 CSV 文件。")
        return "csv"
    raise ImportFileError("只支持 Excel（.xlsx、.xls）或 CSV 文件，请使用学籍导入模板。")


def check_zip(data: bytes) -> tuple[zipfile.ZipFile, str | None]:
    """Refuse damaged zips and zip bombs without extracting; returns the zip and the first sheet's path."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError("文件已损坏或不完整（无法解压），请重新保存后上传。") from exc
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    limit = _max_uncompressed()
    if total > limit:
        raise ImportFileError(f"文件解压后过大（{_mb(total)}，上限 {_mb(limit)}），疑似恶意文件，已拒绝。")
    if packed and total / packed > MAX_RATIO:
        raise ImportFileError(f"文件压缩比异常（{total / packed:.0f} 倍，上限 {MAX_RATIO} 倍），疑似恶意文件，已拒绝。")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise ImportFileError("文件不是 Excel 工作簿（缺少 xl/workbook.xml），请另存为 .xlsx 后上传。")
    return zf, _first_sheet_path(zf)


def _first_sheet_path(zf: zipfile.ZipFile) -> str | None:
    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        wb = ET.fromstring(_read_capped(zf, "xl/workbook.xml", 5 * 1024 * 1024))  # noqa: S314 (size-capped, no DTD)
        sheet = wb.find(f"{ns_main}sheets/{ns_main}sheet")
        rid = sheet.get(f"{ns_rel}id") if sheet is not None else None
        rels = ET.fromstring(_read_capped(zf, "xl/_rels/workbook.xml.rels", 5 * 1024 * 1024))  # noqa: S314
        for rel in rels:
            if rel.get("Id") == rid:
                target = rel.get("Target", "")
                return target.lstrip("/") if target.startswith("/") else "xl/" + target
    except (KeyError, ET.ParseError, ImportFileError):
        return None
    return None


def _read_capped(zf: zipfile.ZipFile, name: str, cap: int) -> bytes:
    with zf.open(name) as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise ImportFileError("文件中的部件过大，已拒绝。")
    return data


_ERR_CELL = re.compile(rb"<c\b([^>]*?\bt=\"e\"[^>]*)>(.*?)</c>", re.S)
_REF = re.compile(rb"\br=\"([A-Z]+)([0-9]+)\"")
_VAL = re.compile(rb"<v>([^<]*)</v>")


def _scan_members(zf: zipfile.ZipFile, sheet_path: str | None) -> dict[tuple[int, int], str]:
    """Inflate every member in a stream, refusing sizes beyond the declared ones (a lying zip header is the
    other half of a zip bomb), and collect the formula error cells (t="e") of the first sheet: calamine
    returns them as empty values."""
    errors: dict[tuple[int, int], str] = {}
    budget = _max_uncompressed()
    for info in zf.infolist():
        seen = 0
        tail = b""
        try:
            with zf.open(info) as fh:  # zipfile stops at file_size and checks the CRC
                while chunk := fh.read(1 << 20):
                    seen += len(chunk)
                    if seen > budget:
                        raise ImportFileError("文件解压后过大，疑似恶意文件，已拒绝。")
                    if info.filename == sheet_path and b't="e"' in tail + chunk:
                        buf = tail + chunk
                        for m in _ERR_CELL.finditer(buf):
                            ref, val = _REF.search(m.group(1)), _VAL.search(m.group(2))
                            if ref:
                                col = 0
                                for ch in ref.group(1):
                                    col = col * 26 + ch - 64
                                errors[(int(ref.group(2)), col - 1)] = val.group(1).decode() if val else "#ERROR"
                    if info.filename == sheet_path:
                        tail = chunk[-4096:]
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise ImportFileError("文件已损坏或不完整（解压校验失败），请重新保存后上传。") from exc
        budget -= seen
    return errors


def _decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("CSV 文件编码无法识别，请另存为 UTF-8 或 GBK 编码。")  # pragma: no cover (gb18030 ~ total)


def _find_header(rows: list[list], row_offset: int) -> int | None:
    """Index (in ``rows``) of the first row holding 姓名 and 身份证件号."""
    for i, row in enumerate(rows):
        if row_offset + i >= HEADER_SEARCH_ROWS:
            break
        names = {normalise_header(v) for v in row}
        if "姓名" in names and "身份证件号" in names:
            return i
    return None


def check_upload(data: bytes) -> None:
    """Refuse an empty or oversized upload (the configurable limit)."""
    if not data:
        raise ImportFileError("文件为空。")
    limit = _max_bytes()
    if len(data) > limit:
        raise ImportFileError(f"文件过大（{_mb(len(data))}），上限为 {_mb(limit)}。请分批导入。")


@dataclass
class OpenedSheet:
    """The first sheet of an upload, opened safely, with its top rows (where the header is looked for)."""

    kind: str
    sheet: object | None  # calamine sheet (None for CSV)
    csv_rows: list | None
    row_offset: int
    col_offset: int
    height: int
    head: list
    merged: list
    error_cells: dict


def open_first_sheet(data: bytes, kind: str) -> OpenedSheet:
    """Open the first sheet of a .xlsx/.xls (zip-bomb and formula-error checks) or a CSV. Raises ImportFileError
    for damaged, empty or unreadable files."""
    error_cells: dict[tuple[int, int], str] = {}
    merged: list = []
    if kind == "csv":
        text = _decode_csv(data)
        csv_rows = list(csv.reader(io.StringIO(text, newline="")))
        sheet = None
        row_offset = col_offset = 0
        height = len(csv_rows)
        head = csv_rows[:HEADER_SEARCH_ROWS]
    else:
        if kind == "xlsx":
            zf, sheet_path = check_zip(data)
            error_cells = _scan_members(zf, sheet_path)
        from python_calamine import CalamineWorkbook

        try:
            wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
            names = wb.sheet_names
            if not names:
                raise ImportFileError("工作簿中没有工作表。")
            sheet = wb.get_sheet_by_index(0)
        except ImportFileError:
            raise
        except Exception as exc:  # calamine raises its own error types (CalamineError, ZipError, XmlError …)
            raise ImportFileError(f"无法读取 Excel 文件（文件已损坏或格式不受支持）：{type(exc).__name__}") from exc
        csv_rows = None
        if sheet.height == 0 or sheet.width == 0:
            raise ImportFileError("第一个工作表为空，没有任何数据。")
        row_offset, col_offset = sheet.start
        height = sheet.height
        head = []
        for row in sheet.iter_rows():
            head.append(row)
            if len(head) >= HEADER_SEARCH_ROWS:
                break
        try:
            merged = sheet.merged_cell_ranges or []
        except Exception:  # pragma: no cover (xls/ods without merge info)
            merged = []
    if not head or all(all(v in ("", None) for v in row) for row in head):
        raise ImportFileError("第一个工作表为空，没有任何数据。")
    return OpenedSheet(kind, sheet, csv_rows, row_offset, col_offset, height, head, merged, error_cells)


def read_table(data: bytes, filename: str) -> Table:
    """Open the upload and locate the header. Raises ImportFileError for unusable files."""
    check_upload(data)
    kind = detect_kind(data, filename)
    o = open_first_sheet(data, kind)
    sheet, csv_rows, head, merged, error_cells = o.sheet, o.csv_rows, o.head, o.merged, o.error_cells
    row_offset, col_offset, height = o.row_offset, o.col_offset, o.height
    idx = _find_header(head, row_offset)
    if idx is None:
        raise ImportFileError(
            f"在前 {HEADER_SEARCH_ROWS} 行中没有找到表头（需要同时包含「姓名」和「身份证件号」两列），请使用学籍导入模板。"
        )
    raw_headers = list(head[idx])
    headers = [normalise_header(v) for v in raw_headers]
    header_row = row_offset + idx + 1
    columns: dict[str, int] = {}
    duplicates: list[str] = []
    unknown: list[str] = []
    for pos, h in enumerate(headers):
        if not h:
            continue
        if h in columns:
            duplicates.append(
                f"「{h}」（{col_letter(columns[h] + col_offset)} 列与 {col_letter(pos + col_offset)} 列）"
            )
            continue
        if h in BY_HEADER:
            columns[h] = pos
        else:
            unknown.append(h)
            columns[h] = pos  # remembered only to detect duplicates
    if duplicates:
        raise ImportFileError("表头中有重复的列：" + "、".join(duplicates) + "。请删除多余的列后重新上传。")
    columns = {h: p for h, p in columns.items() if h in BY_HEADER}
    missing = [h for h in REQUIRED_HEADERS if h not in columns]
    if missing:
        raise ImportFileError("缺少必填列：" + "、".join(f"「{h}」" for h in missing) + "。请使用学籍导入模板。")
    table = Table(
        filename=filename,
        kind=kind,
        header_row=header_row,
        headers=headers,
        raw_headers=raw_headers,
        columns=columns,
        row_offset=row_offset,
        col_offset=col_offset,
        height=height,
        error_cells=error_cells,
        _sheet=sheet,
        _csv_rows=csv_rows,
    )
    if unknown:
        table.warnings.append("以下列不在学籍模板中，已忽略：" + "、".join(f"「{h}」" for h in unknown))
    for (r1, c1), (r2, c2) in merged:
        if r1 <= header_row - 1 <= r2 and c2 > c1:
            table.warnings.append(
                f"表头含合并单元格 {col_letter(c1)}{r1 + 1}:{col_letter(c2)}{r2 + 1}，已按合并区域左上角单元格读取。"
            )
        elif r1 >= header_row and (r2 > r1 or c2 > c1):
            table.warnings.append(
                f"数据区含合并单元格 {col_letter(c1)}{r1 + 1}:{col_letter(c2)}{r2 + 1}，"
                "只有左上角单元格有值，其余单元格按空值处理。"
            )
    for (row, col), value in sorted(error_cells.items()):
        if row > header_row:
            table.warnings.append(f"单元格 {col_letter(col)}{row} 是公式错误值（{value}），按空值处理。")
    if table.total_rows > _max_rows():
        raise ImportFileError(
            f"数据行过多（约 {table.total_rows:,} 行），单次导入上限为 {_max_rows():,} 行，请分批导入。"
        )
    return table
