"""Realistic MoE-template roster files for a school's existing grades and classes (tests, benchmark, demos).

data = build_workbook(school, 500, rng=random.Random(1))            # .xlsx bytes, all rows valid
headers, rows = build_rows(school, 500, rng=random.Random(1))      # to tamper with in tests
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile

from openpyxl import Workbook

from core import idcard
from core.crypto import blind_index
from core.demo.generate import AREA_WEIGHTS, ENTRY_AGE, ETHNICITIES, PHONE_PREFIXES
from core.demo.names import ROADS, STREETS, NameMaker
from core.models import STAGE_YEARS, Class, Person, School
from roster.template import HEADERS

HEALTH = [("10", 95), ("20", 4), ("30", 1)]
PLACES = {"330211": "浙江宁波", "330205": "浙江宁波", "330206": "浙江宁波", "421181": "湖北麻城", "510104": "四川成都"}


def _classes(school: School) -> list[Class]:
    classes = [
        k
        for k in Class.objects.filter(school=school, archived_at__isnull=True, grade__archived_at__isnull=True)
        .select_related("grade")
        .order_by("grade__stage", "-grade__entry_year", "number")
        if 1 <= k.grade.year_in_stage() <= STAGE_YEARS[k.grade.stage]
    ]
    if not classes:
        raise ValueError(f"{school.name} 没有在读年级的班级，无法生成导入样例")
    return classes


def build_rows(school: School, n_rows: int, *, rng: random.Random, foreign_rate: float = 0.005):
    """(headers, rows): ``n_rows`` valid rows in template column order, spread over the school's classes."""
    names = NameMaker(rng)
    classes = _classes(school)
    areas, area_w = list(AREA_WEIGHTS), list(AREA_WEIGHTS.values())
    eth, eth_w = [e for e, _ in ETHNICITIES], [w for _, w in ETHNICITIES]
    used: set[str] = set()
    rows: list[list] = []
    numbers: list[tuple[int, str]] = []
    per_class = max(1, -(-n_rows // len(classes)))
    for i in range(n_rows):
        k = classes[min(i // per_class, len(classes) - 1)]
        g = k.grade
        age = ENTRY_AGE[g.stage]
        first = dt.date(g.entry_year - age - 1, 9, 1)
        born = first + dt.timedelta(days=rng.randint(0, 364))
        gender = "1" if rng.random() < 0.53 else "2"
        area = rng.choices(areas, weights=area_w)[0]
        foreign = rng.random() < foreign_rate
        if foreign:
            id_type, hk = "6", "01"
            while True:
                number = f"H{rng.randrange(10**8):08d}"
                if number not in used:
                    break
        else:
            id_type, hk = "1", "00"
            while True:
                seq = rng.randrange(0, 500) * 2 + (1 if gender == "1" else 0)
                number = idcard.make(area, born, seq)
                if number not in used:
                    break
        used.add(number)
        numbers.append((i, f"{id_type}:{number}"))
        address = f"浙江省宁波市镇海区{rng.choice(STREETS)}{rng.choice(ROADS)}{rng.randint(1, 688)}号"
        phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        bus = rng.random() < 0.1
        row = {
            "学校标识码": school.code,
            "姓名": names.full(gender, "child"),
            "性别": rng.choice(["1", "男"]) if gender == "1" else rng.choice(["2", "女"]),
            "出生日期": born.strftime("%Y%m%d") if rng.random() < 0.7 else born,
            "出生地": area,
            "籍贯": PLACES.get(area, "浙江宁波"),
            "民族": rng.choices(eth, weights=eth_w)[0],
            "国籍/地区": "CHN",
            "身份证件类型": id_type,
            "身份证件号": number,
            "港澳台侨外": hk,
            "政治面貌": "03" if g.stage != "primary" and rng.random() < 0.2 else "13",
            "健康状况": rng.choices([h for h, _ in HEALTH], weights=[w for _, w in HEALTH])[0],
            "姓名拼音": "",
            "曾用名": "",
            "身份证件有效期": "",
            "户口所在地": area,
            "户口性质": rng.choice(["1", "2", "2"]),
            "特长": rng.choice(["", "", "", "书法", "钢琴", "篮球", "绘画"]),
            "学籍辅号": "",
            "班内学号": (i % per_class) + 1,
            "年级": g.label(),
            "班级": rng.choice([str(k.number), f"{k.number}班", f"({k.number})班"]),
            "入学年月": f"{g.entry_year}09",
            "入学方式": "11" if g.stage != "senior" else "21",
            "就读方式": "1" if rng.random() < 0.9 else "2",
            "学生来源": "1",
            "现住址": address,
            "通信地址": address,
            "家庭地址": address,
            "联系电话": phone,
            "邮政编码": "315200",
            "电子信箱": "",
            "是否独生子女": rng.choice(["是", "否"]),
            "是否受过学前教育": "是",
            "是否留守儿童": "0",
            "是否进城务工人员随迁子女": "是" if area[:2] != "33" else "否",
            "是否孤儿": "否",
            "是否烈士或优抚子女": "否",
            "随班就读": "0",
            "残疾类型": "0",
            "上下学距离": round(rng.uniform(0.3, 12), 1),
            "上下学方式": "5" if bus else rng.choice(["1", "2", "4"]),
            "是否需要乘坐校车": "是" if bus else "否",
            "学籍号": "",
        }
        rows.append([row[h] for h in HEADERS])
    # avoid ID numbers already in the database (other schools, earlier imports): regenerate those rows' IDs
    _avoid_existing(rows, numbers, used, rng)
    return list(HEADERS), rows


def _avoid_existing(rows, numbers, used, rng) -> None:
    id_col, birth_col, gender_col = HEADERS.index("身份证件号"), HEADERS.index("出生日期"), HEADERS.index("性别")
    for start in range(0, len(numbers), 500):
        chunk = numbers[start : start + 500]
        index = {blind_index(key, "id"): i for i, key in chunk}
        for hit in Person.objects.filter(id_number_index__in=list(index)).values_list("id_number_index", flat=True):
            i = index[hit]
            row = rows[i]
            id_type = "6" if row[id_col].startswith("H") else "1"
            born = row[birth_col]
            born = born if isinstance(born, dt.date) else dt.datetime.strptime(born, "%Y%m%d").date()
            male = row[gender_col] in ("1", "男")
            while True:
                if id_type == "6":
                    number = f"H{rng.randrange(10**8):08d}"
                else:
                    number = idcard.make(row[id_col][:6], born, rng.randrange(0, 500) * 2 + (1 if male else 0))
                taken = Person.objects.filter(id_number_index=blind_index(f"{id_type}:{number}", "id")).exists()
                if number not in used and not taken:
                    break
            used.add(number)
            row[id_col] = number


def to_xlsx(headers: list[str], rows: list[list], *, title: str | None = None, star_required: bool = True) -> bytes:
    """A template-like workbook: optional merged title row, ★ on required headers."""
    from roster.template import BY_HEADER

    wb = Workbook(write_only=not title)
    ws = wb.active if title else wb.create_sheet("学生基本信息")
    if title:
        ws.title = "学生基本信息"
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.append([f"{h}★" if star_required and h in BY_HEADER and BY_HEADER[h].required else h for h in headers])
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="学生基本信息" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_xlsx_fast(headers: list[str], rows: list[list]) -> bytes:
    """A plain .xlsx written directly (shared strings, empty cells omitted, dates as serials), the way Excel
    saves: ~10× faster than openpyxl and realistic in size, for large benchmark files."""
    from .reader import col_letter

    strings: dict[str, int] = {}
    letters = [col_letter(i) for i in range(max(len(headers), *(len(r) for r in rows)) if rows else len(headers))]
    epoch = dt.date(1899, 12, 30)
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    ]
    append = parts.append
    for r, row in enumerate([headers, *rows], start=1):
        cells = []
        for c, v in enumerate(row):
            if v is None or v == "":
                continue
            ref = f"{letters[c]}{r}"
            if isinstance(v, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, (int, float)):
                cells.append(f'<c r="{ref}"><v>{v!r}</v></c>')
            elif isinstance(v, dt.date):
                cells.append(f'<c r="{ref}" s="1"><v>{(v - epoch).days}</v></c>')
            else:
                idx = strings.setdefault(str(v), len(strings))
                cells.append(f'<c r="{ref}" t="s"><v>{idx}</v></c>')
        append(f'<row r="{r}">{"".join(cells)}</row>')
    append("</sheetData></worksheet>")
    sst = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">'
    ]
    sst += [f'<si><t xml:space="preserve">{_esc(s)}</t></si>' for s in strings]
    sst.append("</sst>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("[Content_Types].xml", _CT)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WB)
        zf.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        zf.writestr("xl/styles.xml", _STYLES)
        zf.writestr("xl/sharedStrings.xml", "".join(sst))
        zf.writestr("xl/worksheets/sheet1.xml", "".join(parts))
    return out.getvalue()


def to_csv(headers: list[str], rows: list[list], *, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(headers)
    for row in rows:
        w.writerow(["" if v is None else (v.strftime("%Y-%m-%d") if isinstance(v, dt.date) else v) for v in row])
    return out.getvalue().encode(encoding)


def build_workbook(school: School, n_rows: int, *, rng: random.Random, title: str | None = None) -> bytes:
    """An .xlsx of ``n_rows`` valid rows for the school's existing grades and classes."""
    headers, rows = build_rows(school, n_rows, rng=rng)
    return to_xlsx(headers, rows, title=title)
