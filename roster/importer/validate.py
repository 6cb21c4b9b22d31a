"""Validate roster rows: per cell (required, code tables, dates, ID numbers, phones …), per row (ID number vs
birth date and gender, class within grade, entry month after birth), across the file (the same ID number or
学籍号 twice) and against the database (a student enrolled at another school; an ID number registered for
someone else; a 学籍号 already used).

Values are normalised while checking: full-width digits and letters (NFKC), stray spaces, lowercase x, codes
given by label (男 → 1), dates in the usual spellings (Excel serials, 2014-09-01, 2014/9/1, 20140901).
Code tables are read from roster.CodeTable (district admins can edit them), not from roster.data.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from core import idcard
from core.crypto import blind_index
from core.models import STAGE_YEARS, Class, Grade, Person, Region, School, Stage, Student
from roster.template import COLUMNS, Column

from .reader import Table

EXCEL_EPOCH = dt.date(1899, 12, 30)
LEFT_STATUSES = {"transferred", "graduated", "dropped"}
STATUS_LABELS = {"enrolled": "在读", "suspended": "休学", "transferred": "转出", "graduated": "毕业", "dropped": "辍学"}
CHUNK = 500  # rows per database lookup (well under SQLite's variable limit)

# Common short names of grades (初一 = 七年级 …).
GRADE_ALIASES = {
    Stage.PRIMARY: [
        ["一年级", "1年级"],
        ["二年级", "2年级"],
        ["三年级", "3年级"],
        ["四年级", "4年级"],
        ["五年级", "5年级"],
        ["六年级", "6年级"],
    ],
    Stage.JUNIOR: [
        ["七年级", "初一", "初一年级", "7年级"],
        ["八年级", "初二", "初二年级", "8年级"],
        ["九年级", "初三", "初三年级", "9年级"],
    ],
    Stage.SENIOR: [
        ["高一", "高一年级", "高中一年级", "10年级"],
        ["高二", "高二年级", "高中二年级", "11年级"],
        ["高三", "高三年级", "高中三年级", "12年级"],
    ],
}
STAGE_PREFIX = {Stage.PRIMARY: ["小学"], Stage.JUNIOR: ["初中"], Stage.SENIOR: ["高中"]}
CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_YMD8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YM = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_YM6 = re.compile(r"^(\d{4})(\d{2})$")
_MOBILE = re.compile(r"^1\d{10}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_STUDENT_NO = re.compile(r"^[A-Z][0-9A-Z]{5,19}$")
_OTHER_ID = re.compile(r"^[0-9A-Z()\-]{1,30}$")
_CLASS = re.compile(r"^(?P<grade>.*?)\(?(?P<num>\d{1,3}|[一二三四五六七八九十]{1,3})\)?班?$")
_CODE_LABEL = re.compile(r"^([0-9A-Z]{1,3})\s*[-:.、]?\s*([^0-9A-Z\s].*)$")
_WS = re.compile(r"\s+")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff·])\s+(?=[\u3400-\u9fff·])")
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, order=True)
class RowError:
    row: int
    col: int  # position in the template (for sorting); -1 for row-level messages
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return f"行 {self.row}, 列「{self.column}」: {self.message}"
        return f"行 {self.row}: {self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class CellError(Exception):
    pass


# --- scalar normalisation ---------------------------------------------------------------------------------


def text(value) -> str:
    """A cell as normalised text: NFKC (full-width → half-width), stripped, runs of spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, str):
        s = value if value.isascii() else unicodedata.normalize("NFKC", value)
        s = s.strip()
        if "  " in s or "\n" in s or "\t" in s:
            s = _WS.sub(" ", s)
        return s
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def compact(value) -> str:
    """Text with every space removed (numbers, codes)."""
    s = text(value)
    return s.replace(" ", "") if " " in s else s


def _excel_serial(n: float) -> dt.date:
    return EXCEL_EPOCH + dt.timedelta(days=int(n))


def parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        n = int(value)
        if 19000101 <= n <= 21001231:
            return _ymd(str(n)[:4], str(n)[4:6], str(n)[6:])
        if 1 <= n <= 73050:  # Excel serial date up to 2099
            return _excel_serial(value)
        raise CellError("日期格式不正确，应为 YYYYMMDD（如 20140901）或 2014-09-01")
    s = compact(value)
    m = _YMD8.match(s) or _YMD.match(s)
    if not m:
        raise CellError("日期格式不正确，应为 YYYYMMDD（如 20140901）或 2014-09-01")
    return _ymd(*m.groups())


def _ymd(y, m, d) -> dt.date:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError as exc:
        raise CellError(f"日期不存在（{int(y)} 年 {int(m)} 月 {int(d)} 日）") from exc


def parse_month(value) -> str:
    """入学年月 → YYYYMM."""
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year:04d}{value.month:02d}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer():
            n = int(value)
            if 190001 <= n <= 210012:
                return _ym(str(n)[:4], str(n)[4:])
            if 19000101 <= n <= 21001231:
                d = parse_date(n)
                return f"{d.year:04d}{d.month:02d}"
            if 1 <= n <= 73050:
                d = _excel_serial(n)
                return f"{d.year:04d}{d.month:02d}"
        else:
            s = repr(value)  # 2014.9 typed as a number
            m = _YM.match(s)
            if m:
                return _ym(*m.groups())
        raise CellError("入学年月格式不正确，应为 YYYYMM（如 201409）或 2014-09")
    s = compact(value)
    m = _YM6.match(s) or _YM.match(s)
    if m:
        return _ym(*m.groups())
    try:
        d = parse_date(s)
    except CellError:
        raise CellError("入学年月格式不正确，应为 YYYYMM（如 201409）或 2014-09") from None
    return f"{d.year:04d}{d.month:02d}"


def _ym(y, m) -> str:
    y, m = int(y), int(m)
    if not 1 <= m <= 12:
        raise CellError(f"月份不存在（{m} 月）")
    return f"{y:04d}{m:02d}"


def parse_phone(value) -> str:
    s = compact(value)
    if s.startswith("+86"):
        s = s[3:].lstrip("-")
    elif s.startswith("86-"):
        s = s[3:]
    elif len(s) == 13 and s.startswith("86"):
        s = s[2:]
    if _MOBILE.match(s) or (_LANDLINE.match(s) and s.count("-") <= 1):
        return s
    raise CellError("联系电话应为以 1 开头的 11 位手机号，或带区号的固定电话（如 0574-86123456）")


def parse_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    s = compact(value).upper()
    if s in ("1", "是", "Y", "YES", "TRUE", "√", "T"):
        return True
    if s in ("0", "否", "N", "NO", "FALSE", "×", "F"):
        return False
    raise CellError(f"应填「是」或「否」（或 1/0），不能是「{text(value)}」")


def parse_decimal(value) -> Decimal:
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(compact(value))
    except InvalidOperation:
        raise CellError("应为数字（公里），如 2.5") from None
    if not d.is_finite() or d < 0 or d >= 10000:
        raise CellError("应为 0 到 9999.9 之间的数字（公里）")
    return d.quantize(Decimal("0.1"))


def parse_int(value) -> int:
    if isinstance(value, float) and value.is_integer():
        n = int(value)
    else:
        s = compact(value)
        if not s.isdigit():
            raise CellError("应为正整数")
        n = int(s)
    if not 1 <= n <= 999:
        raise CellError("应为 1 到 999 之间的整数")
    return n


def id_number_problem(number: str) -> str | None:
    """Chinese message for a bad 居民身份证号, naming the expected check digit."""
    problem = idcard.validate(number)
    if problem is None:
        return None
    if "校验位" in problem:
        return f"校验位错误，应为 {idcard.check_digit(number[:17])}"
    return problem


# --- the context: code tables, grades, classes of the school ---------------------------------------------


@dataclass(slots=True)
class Parsed:
    """A valid row: normalised values aligned to ``Context.targets`` plus its match in the database."""

    row: int
    vals: list
    id_key: str | None  # blind index of id_type:id_number
    action: str  # create / link / update / unchanged / reenrol
    person_id: int | None
    student_id: int | None
    profile_id: int | None
    changed: tuple  # names of changed fields (update) for the summary


class Context:
    """Everything validation needs from the database, loaded once per import."""

    def __init__(self, school: School, table: Table):
        self.school = school
        self.table = table
        self.today = timezone.localdate()
        self.present: list[Column] = [c for c in COLUMNS if c.header in table.columns]
        self.targets = [c.target for c in self.present]
        self.index = {t: i for i, t in enumerate(self.targets)}
        self.template_pos = {c.header: i for i, c in enumerate(COLUMNS)}
        self._load_codes()
        self._load_grades()
        self._regions: dict[str, str] | None = None

    # code tables
    def _load_codes(self) -> None:
        from roster.models import CodeTable

        self.codes: dict[str, dict[str, str]] = defaultdict(dict)
        self.labels: dict[str, dict[str, str]] = defaultdict(dict)
        self.code_lengths: dict[str, set[int]] = defaultdict(set)
        for kind, code, label in CodeTable.objects.filter(is_active=True).values_list("kind", "code", "label"):
            lookup = self.codes[kind]
            code = code.strip()
            self.labels[kind][code] = label
            self.code_lengths[kind].add(len(code))
            lookup.setdefault(code.upper(), code)
            norm = unicodedata.normalize("NFKC", label).replace(" ", "").upper()
            lookup.setdefault(norm, code)
            if kind == "ethnicity" and norm.endswith("族") and len(norm) >= 2:
                lookup.setdefault(norm[:-1], code)  # 汉 → 汉族
            for part in re.split(r"[/（）()]", norm):
                if part and part != norm:
                    lookup.setdefault(part, code)  # 香港特区护照/身份证明 → 香港特区护照

    def code(self, kind: str, value) -> str:
        lookup = self.codes.get(kind)
        if not lookup:
            raise CellError(f"代码表「{kind}」未配置，请联系区县管理员")
        s = compact(value).upper()
        found = lookup.get(s)
        if found is not None:
            return found
        if s.isdigit():
            for n in self.code_lengths[kind]:
                found = lookup.get(s.zfill(n))
                if found is not None:
                    return found
        m = _CODE_LABEL.match(s)
        if m:  # "01-汉族", "1男", "A 护照": the code, and the label if it names a code must agree
            code = lookup.get(m.group(1))
            if code is None and m.group(1).isdigit():
                code = next((lookup[k] for n in self.code_lengths[kind] if (k := m.group(1).zfill(n)) in lookup), None)
            by_label = lookup.get(m.group(2))
            if code is not None and by_label in (None, code):
                return code
        raise CellError(f"「{text(value)}」不是有效的代码（{self._examples(kind)}）")

    def _examples(self, kind: str) -> str:
        items = list(self.labels[kind].items())
        shown = "、".join(f"{c} {label}" for c, label in items[:6])
        return f"可填 {shown}{' 等' if len(items) > 6 else ''}"

    # regions
    def region(self, value) -> str:
        s = compact(value)
        if s.isdigit() and len(s) in (6, 9, 12):
            return s
        if self._regions is None:
            self._regions = self._load_regions()
        code = self._regions.get(s)
        if code is None:
            raise CellError(f"「{text(value)}」不是有效的行政区划代码（应为 6 位或 12 位数字，如 330211）")
        return code

    @staticmethod
    def _load_regions() -> dict[str, str]:
        rows = list(Region.objects.values_list("pk", "code", "name", "parent_id"))
        by_pk = {pk: (code, name, parent) for pk, code, name, parent in rows}
        names: dict[str, list[str]] = defaultdict(list)
        out: dict[str, str] = {}
        for _pk, code, name, parent in rows:
            names[name].append(code)
            full, p = name, parent
            while p is not None:
                full = by_pk[p][1] + full
                p = by_pk[p][2]
            out[full] = code
        for name, codes in names.items():
            if len(codes) == 1:
                out.setdefault(name, codes[0])
        return out

    # grades and classes
    def _load_grades(self) -> None:
        school = self.school
        grades = list(Grade.objects.filter(school=school, archived_at__isnull=True))
        self.grades = {g.pk: g for g in grades}
        aliases: dict[str, set[int]] = defaultdict(set)
        for g in grades:
            n = g.year_in_stage()
            keys = {g.label(), f"{g.entry_year}级", g.cohort_name, f"{g.get_stage_display()}{g.entry_year}级"}
            keys |= {f"{p}{g.entry_year}级" for p in STAGE_PREFIX[g.stage]}
            if 1 <= n <= STAGE_YEARS[g.stage]:
                keys |= set(GRADE_ALIASES[g.stage][n - 1])
            for k in keys:
                aliases[unicodedata.normalize("NFKC", k).replace(" ", "")].add(g.pk)
        self.grade_aliases = aliases
        self.classes: dict[int, dict[int, Class]] = defaultdict(dict)
        self.class_aliases: dict[int, dict[str, Class]] = defaultdict(dict)
        for k in Class.objects.filter(school=school, archived_at__isnull=True, grade_id__in=self.grades):
            self.classes[k.grade_id][k.number] = k
            if k.alias:
                self.class_aliases[k.grade_id][unicodedata.normalize("NFKC", k.alias).replace(" ", "")] = k

    def grade(self, value) -> Grade:
        s = compact(value)
        ids = self.grade_aliases.get(s)
        if not ids:
            grades = sorted(self.grades.values(), key=lambda g: g.sort_key)
            shown = "、".join(dict.fromkeys(g.label() for g in grades)) or "（本校尚未建立年级）"
            raise CellError(f"本校没有「{text(value)}」年级（现有：{shown}）")
        if len(ids) > 1:
            raise CellError(
                f"「{text(value)}」对应本校多个学段的年级，请写明学段（如 初中{s.rstrip('级')}级 或 七年级）"
            )
        return self.grades[next(iter(ids))]

    def klass(self, grade: Grade, value) -> Class:
        s = compact(value)
        by_number = self.classes.get(grade.pk, {})
        alias = self.class_aliases.get(grade.pk, {}).get(s)
        if alias is not None:
            return alias
        m = _CLASS.match(s)
        if m:
            prefix, num = m.group("grade"), m.group("num")
            number = int(num) if num.isdigit() else _cn_number(num)
            if prefix and grade.pk not in self.grade_aliases.get(prefix, set()):
                raise CellError(f"班级「{text(value)}」与年级「{grade.label()}」不一致")
            if number in by_number:
                return by_number[number]
        shown = "、".join(f"{n}班" for n in sorted(by_number)) or "无"
        raise CellError(f"{grade.label()}没有班级「{text(value)}」（现有：{shown}）")


def _cn_number(s: str) -> int:
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + CN_DIGITS.get(s[1:], 0)
    if s.endswith("十"):
        return CN_DIGITS.get(s[0], 0) * 10
    if "十" in s:
        a, b = s.split("十")
        return CN_DIGITS.get(a, 0) * 10 + CN_DIGITS.get(b, 0)
    return CN_DIGITS.get(s, 0)


# --- per cell ----------------------------------------------------------------------------------------------


def _memo(parse):
    """``parse`` with its results (and refusals) remembered per cell value: code, yes/no, date and region
    columns repeat a few hundred values over 100,000 rows. Errors are raised afresh each time."""
    seen: dict = {}

    def parse_once(v):
        try:
            out = seen[v]
        except KeyError:
            try:
                out = parse(v)
            except CellError as exc:
                out = exc
            seen[v] = out
        except TypeError:  # an unhashable value: nothing to remember
            return parse(v)
        if isinstance(out, CellError):
            raise CellError(str(out))
        return out

    return parse_once


_MEMO_KINDS = {"code", "bool", "date", "month"}


def _cell_parser(ctx: Context, col: Column):
    """A function cell value → normalised value (raises CellError), for one template column; columns whose
    values repeat are memoised."""
    parse = _column_parser(ctx, col)
    if col.kind in _MEMO_KINDS or col.target in ("profile.birthplace", "profile.hukou_location", "school_code"):
        return _memo(parse)
    return parse


def _column_parser(ctx: Context, col: Column):
    kind, target = col.kind, col.target
    if target == "school_code":

        def school_code(v):
            s = compact(v)
            if s != ctx.school.code:
                raise CellError(f"学校标识码应为本校的 {ctx.school.code}，不能是「{s}」")
            return s

        return school_code
    if target in ("profile.birthplace", "profile.hukou_location"):
        return ctx.region
    if target == "profile.postal_code":

        def postal(v):
            s = compact(v)
            if len(s) != 6 or not s.isdigit():
                raise CellError("邮政编码必须是 6 位数字")
            return s

        return postal
    if target == "profile.email":

        def email(v):
            s = compact(v)
            if not _EMAIL.match(s) or len(s) > col.max_length:
                raise CellError("电子信箱格式不正确")
            return s

        return email
    if target == "person.name":

        def name(v):
            s = text(v)
            s = _CJK_SPACE.sub("", s)
            if len(s) > col.max_length:
                raise CellError(f"长度不能超过 {col.max_length} 个字符")
            if _DIGIT.search(s):
                raise CellError("姓名中不能包含数字")
            return s

        return name
    if target == "student.student_no":

        def student_no(v):
            s = compact(v).upper()
            if not _STUDENT_NO.match(s):
                raise CellError("学籍号格式不正确（应为字母开头，如 G + 身份证号）")
            return s

        return student_no
    if target in ("grade", "klass"):
        return compact
    if kind == "code":
        limit = _field_max_length(target)

        def code(v, _k=col.codes):
            c = ctx.code(_k, v)
            if limit and len(c) > limit:
                raise CellError(f"代码「{c}」超过 {limit} 位，请联系区县管理员检查代码表")
            return c

        return code
    if kind == "date":
        return parse_date
    if kind == "month":
        return parse_month
    if kind == "id_number":

        def id_number(v):
            if isinstance(v, float) and v >= 1e15:
                raise CellError("证件号被 Excel 存成了数字，末几位可能已丢失；请把该列设为文本格式后重新填写")
            return compact(v).upper()

        return id_number
    if kind == "phone":
        return parse_phone
    if kind == "bool":
        return parse_bool
    if kind == "decimal":
        return parse_decimal
    if kind == "int":
        return parse_int
    limit = col.max_length

    def plain(v):
        s = text(v)
        if limit and len(s) > limit:
            raise CellError(f"长度不能超过 {limit} 个字符（现为 {len(s)} 个）")
        return s

    return plain


def _field_max_length(target: str) -> int:
    from roster.models import StudentProfile

    model, _, name = target.partition(".")
    cls = {"person": Person, "profile": StudentProfile, "student": Student}.get(model)
    if cls is None:
        return 0
    return getattr(cls._meta.get_field(name), "max_length", 0) or 0


def _is_blank(v) -> bool:
    return v is None or v == "" or (isinstance(v, str) and not v.strip())


# --- the validation pass ---------------------------------------------------------------------------------


class Validator:
    """Run ``cells`` over every data row (streaming), then ``against_db`` in chunks."""

    def __init__(self, school: School, table: Table):
        self.ctx = ctx = Context(school, table)
        self.table = table
        self.errors: list[RowError] = []
        self.rows: list[Parsed] = []
        self.rows_seen = 0
        cols = table.columns
        self.plan = [(c, cols[c.header], _cell_parser(ctx, c), ctx.template_pos[c.header]) for c in ctx.present]
        self._ids: dict[str, list[int]] = defaultdict(list)  # id key → rows
        self._nos: dict[str, list[int]] = defaultdict(list)  # 学籍号 → rows
        self.error_rows: set[int] = set()
        i = ctx.index.get
        self.ix = {
            t: i(t)
            for t in (
                "person.id_type",
                "person.id_number",
                "person.birth_date",
                "person.gender",
                "grade",
                "klass",
                "profile.entry_month",
                "student.student_no",
                "person.name",
            )
        }

    def _err(self, row: int, header: str, message: str) -> None:
        self.errors.append(RowError(row, self.ctx.template_pos.get(header, -1), header, message))
        self.error_rows.add(row)

    def cells(self, progress=None) -> None:
        table, ctx, err = self.table, self.ctx, self._err
        ix = self.ix
        error_cells = table.error_cells
        col_offset = table.col_offset
        for n, (row_no, raw) in enumerate(table.data_rows(), start=1):
            self.rows_seen = n
            if progress is not None and n % 500 == 0:
                progress(n)
            width = len(raw)
            vals = []
            bad = False
            bad_cols: set[str] = set()
            for col, pos, parse, _tpos in self.plan:
                v = raw[pos] if pos < width else ""
                if _is_blank(v):
                    if col.required:
                        if error_cells and (row_no, pos + col_offset) in error_cells:
                            err(
                                row_no,
                                col.header,
                                f"公式错误值（{error_cells[(row_no, pos + col_offset)]}），必填项不能为空",
                            )
                        else:
                            err(row_no, col.header, "必填项不能为空")
                        bad = True
                    vals.append(None)
                    continue
                try:
                    vals.append(parse(v))
                except CellError as exc:
                    err(row_no, col.header, str(exc))
                    vals.append(None)
                    bad = True
                    bad_cols.add(col.header)
            # row-level checks
            id_key = None
            id_type = vals[ix["person.id_type"]]
            number = vals[ix["person.id_number"]] if ix["person.id_number"] is not None else None
            if id_type is not None:
                if "身份证件号" in bad_cols:
                    pass
                elif id_type != "Z" and not number:
                    label = ctx.labels["id_type"].get(id_type, id_type)
                    err(row_no, "身份证件号", f"证件类型为「{label}」时，身份证件号不能为空")
                    bad = True
                elif number and id_type == "1":
                    problem = id_number_problem(number)
                    if problem:
                        err(row_no, "身份证件号", problem)
                        bad = True
                    else:
                        born = idcard.birth_date(number)
                        birth = vals[ix["person.birth_date"]]
                        if birth is not None and birth != born:
                            err(row_no, "出生日期", f"出生日期与身份证号不一致（身份证号中为 {born:%Y-%m-%d}）")
                            bad = True
                        gender = vals[ix["person.gender"]]
                        expected = idcard.gender_code(number)
                        if gender is not None and gender in ("1", "2") and gender != expected:
                            err(
                                row_no,
                                "性别",
                                f"性别与身份证号不一致（身份证号显示为{'男' if expected == '1' else '女'}）",
                            )
                            bad = True
                elif number and not _OTHER_ID.match(number):
                    err(row_no, "身份证件号", "证件号只能包含字母、数字、括号和连字符，最长 30 位")
                    bad = True
                if number and not bad:
                    id_key = blind_index(f"{id_type}:{number}", "id")
                    self._ids[id_key].append(row_no)
            birth = vals[ix["person.birth_date"]]
            if birth is not None and birth > ctx.today:
                err(row_no, "出生日期", "出生日期不能晚于今天")
                bad = True
            month = vals[ix["profile.entry_month"]]
            if month is not None:
                if birth is not None and month < f"{birth.year:04d}{birth.month:02d}":
                    err(row_no, "入学年月", "入学年月早于出生日期")
                    bad = True
                elif int(month[:4]) > ctx.today.year + 1:
                    err(row_no, "入学年月", "入学年月不能晚于明年")
                    bad = True
            g, k = ix["grade"], ix["klass"]
            if vals[g] is not None:
                try:
                    grade = ctx.grade(vals[g])
                except CellError as exc:
                    err(row_no, "年级", str(exc))
                    bad = True
                else:
                    if vals[k] is not None:
                        try:
                            vals[k] = ctx.klass(grade, vals[k]).pk
                        except CellError as exc:
                            err(row_no, "班级", str(exc))
                            bad = True
                    vals[g] = grade.pk
            sno = ix["student.student_no"]
            if sno is not None and vals[sno]:
                self._nos[vals[sno]].append(row_no)
            if not bad:
                self.rows.append(Parsed(row_no, vals, id_key, "create", None, None, None, ()))
        if progress is not None:
            progress(self.rows_seen)
        # duplicates within the file: name every other row on each row
        for rows in self._ids.values():
            if len(rows) > 1:
                for r in rows:
                    others = "、".join(str(o) for o in rows if o != r)
                    self._err(r, "身份证件号", f"与第 {others} 行的证件号重复")
        for rows in self._nos.values():
            if len(rows) > 1:
                for r in rows:
                    others = "、".join(str(o) for o in rows if o != r)
                    self._err(r, "学籍号", f"与第 {others} 行的学籍号重复")
        if self.error_rows:
            self.rows = [p for p in self.rows if p.row not in self.error_rows]

    # --- database ------------------------------------------------------------------------------------

    def against_db(self) -> None:
        """Match each valid row to an existing person/student and decide create / update / unchanged."""
        from .writer import compare

        ctx, school = self.ctx, self.ctx.school
        ix = self.ix
        no_id = {}
        if any(p.id_key is None for p in self.rows):
            for st in (
                Student.objects.filter(school=school, person__id_number_index__isnull=True)
                .select_related("person", "profile")
                .order_by("pk")
            ):
                no_id.setdefault((st.person.name, st.person.birth_date), []).append(st)
        sno = ix["student.student_no"]
        for start in range(0, len(self.rows), CHUNK):
            chunk = self.rows[start : start + CHUNK]
            keys = [p.id_key for p in chunk if p.id_key]
            persons = {
                p.id_number_index: p
                for p in Person.objects.filter(id_number_index__in=keys).select_related(
                    "student", "student__school", "student__profile"
                )
            }
            nos = {}
            if sno is not None:
                idx = [Student.student_no_lookup(p.vals[sno]) for p in chunk if p.vals[sno]]
                if idx:
                    nos = {
                        s.student_no_index: s
                        for s in Student.objects.filter(student_no_index__in=idx).select_related(
                            "person", "school", "profile"
                        )
                    }
            for p in chunk:
                person = persons.get(p.id_key) if p.id_key else None
                student = getattr(person, "student", None) if person is not None else None
                given_no = p.vals[sno] if sno is not None else None
                by_no = nos.get(Student.student_no_lookup(given_no)) if given_no else None
                if person is None and by_no is not None and p.id_key is None:
                    student, person = by_no, by_no.person
                if person is None and p.id_key is None:
                    name, birth = p.vals[ix["person.name"]], p.vals[ix["person.birth_date"]]
                    cands = no_id.get((name, birth), [])
                    if len(cands) == 1:
                        student = cands[0]
                        person = student.person
                if by_no is not None and (student is None or by_no.pk != student.pk):
                    self._err(p.row, "学籍号", "该学籍号已被其他学生使用")
                    continue
                if person is None:
                    p.action = "create"
                    continue
                p.person_id = person.pk
                if student is None:
                    if person.name != p.vals[ix["person.name"]]:
                        self._err(p.row, "身份证件号", "该证件号已登记为其他人员（姓名不一致），请核对")
                        continue
                    p.action = "link"
                    continue
                p.student_id = student.pk
                if student.school_id != school.pk:
                    if student.status in LEFT_STATUSES:
                        p.action = "reenrol"
                        p.profile_id = getattr(getattr(student, "profile", None), "pk", None)
                        continue
                    self._err(
                        p.row,
                        "身份证件号",
                        f"该学生已在「{student.school.name}」在籍，不能重复导入；如需转入本校，请办理转学",
                    )
                    continue
                if student.status in LEFT_STATUSES:
                    label = STATUS_LABELS.get(student.status, student.status)
                    self._err(
                        p.row, "身份证件号", f"该学生在本校的学籍状态为「{label}」，不能通过导入恢复，请办理学籍异动"
                    )
                    continue
                profile = getattr(student, "profile", None)
                p.profile_id = profile.pk if profile is not None else None
                changed = compare(ctx, p, person, student, profile)
                p.action = "update" if changed else "unchanged"
                p.changed = tuple(changed)
            # a generated 学籍号 (G + 身份证号) must not belong to someone else
            gen = {}
            for p in chunk:
                if p.row in self.error_rows:
                    continue
                given = sno is not None and p.vals[sno]
                number = p.vals[ix["person.id_number"]]
                if p.action in ("create", "link") and not given and p.vals[ix["person.id_type"]] == "1" and number:
                    gen[Student.student_no_lookup("G" + number)] = p
            if gen:
                for index in Student.objects.filter(student_no_index__in=list(gen)).values_list(
                    "student_no_index", flat=True
                ):
                    self._err(
                        gen[index].row, "身份证件号", "按身份证号生成的学籍号（G + 身份证号）已被其他学生使用，请核对"
                    )
        if self.error_rows:
            self.rows = [p for p in self.rows if p.row not in self.error_rows]

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors)


__all__ = ["CellError", "Context", "Parsed", "RowError", "Validator", "parse_date", "parse_month"]
