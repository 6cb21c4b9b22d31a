"""学籍 roster import: reader, validation, writer, report, ImportJob/Celery, CLI, permissions, hostile files."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from openpyxl import Workbook, load_workbook

from core import idcard
from core.crypto import blind_index
from core.models import AuditLog, Person, Student, User
from roster.importer import ImportFileError, import_roster, roster_import_run
from roster.importer.reader import col_letter, read_table
from roster.importer.sample import build_rows, build_workbook, to_csv, to_xlsx
from roster.models import ImportJob, RosterChange, StudentProfile
from roster.services import j_number_valid
from roster.template import HEADERS

pytestmark = pytest.mark.django_db

# --- helpers ---------------------------------------------------------------------------------------------


def col(header: str) -> int:
    return HEADERS.index(header)


def get(row: list, header: str):
    return row[col(header)]


def put(row: list, header: str, value) -> None:
    row[col(header)] = value


def birth_of(row: list) -> dt.date:
    v = get(row, "出生日期")
    return v if isinstance(v, dt.date) else dt.datetime.strptime(str(v), "%Y%m%d").date()


def gender_of(row: list) -> str:
    return "1" if get(row, "性别") in ("1", "男") else "2"


def fresh_id(rows: list[list], born: dt.date, gender: str = "1", *, want_x: bool = False) -> str:
    """A valid 身份证号 not used in ``rows`` nor in the database."""
    taken = {str(get(r, "身份证件号")) for r in rows}
    for seq in range(1, 1000):
        if (seq % 2 == 1) != (gender == "1"):
            continue
        number = idcard.make("330211", born, seq)
        if want_x and not number.endswith("X"):
            continue
        if number in taken or Person.objects.filter(id_number_index=blind_index(f"1:{number}", "id")).exists():
            continue
        return number
    raise AssertionError("no free ID")


def sample(world, n: int, seed: int = 7) -> list[list]:
    return build_rows(world.school_a, n, rng=random.Random(seed))[1]


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Person, Student, StudentProfile, User, RosterChange, AuditLog)}


def run(world, rows, *, actor="admin", dry_run=False, filename="roster.xlsx", headers=HEADERS, school=None):
    data = to_xlsx(list(headers), rows)
    return import_roster(
        data=data,
        filename=filename,
        school=school or world.school_a,
        actor=world.school_admin_a if actor == "admin" else actor,
        dry_run=dry_run,
    )


def messages(result) -> list[str]:
    return [str(e) for e in result.errors]


def excel_row(i: int, header_row: int = 1) -> int:
    return header_row + 1 + i


# --- a valid file ----------------------------------------------------------------------------------------


def test_valid_file_imports_students(world):
    rows = sample(world, 40)
    before = counts()
    result = run(world, rows)
    assert result.status == "done", messages(result)[:5]
    assert result.counts["created"] == 40
    after = counts()
    for model in ("Person", "Student", "StudentProfile", "User", "RosterChange"):
        assert after[model] - before[model] == 40, model
    assert after["AuditLog"] - before["AuditLog"] == 1

    row = rows[3]
    number = get(row, "身份证件号")
    person = Person.objects.get(id_number_index=blind_index(f"1:{number}", "id"))
    assert person.name == get(row, "姓名")
    assert person.birth_date == birth_of(row) == idcard.birth_date(number)
    assert person.gender == idcard.gender_code(number)
    student = person.student
    assert student.school == world.school_a
    assert student.student_no == f"G{number}"
    assert student.status == "enrolled"
    assert student.class_no == get(row, "班内学号")
    assert student.klass.grade == world.grade_a
    assert student.enrolled_on == dt.date(world.grade_a.entry_year, 9, 1)
    profile = student.profile
    assert profile.current_address == get(row, "现住址")
    assert profile.contact_phone == get(row, "联系电话")
    assert profile.postal_code == "315200"
    assert profile.entry_month == f"{world.grade_a.entry_year}09"
    assert profile.nationality == "CHN"
    assert profile.only_child is (get(row, "是否独生子女") == "是")
    assert profile.preschool is True
    assert str(profile.commute_distance) == f"{get(row, '上下学距离'):.1f}"

    # personal data is encrypted at rest
    with connection.cursor() as cur:
        cur.execute("SELECT current_address, contact_phone FROM roster_studentprofile WHERE id = %s", [profile.pk])
        address_raw, phone_raw = cur.fetchone()
        cur.execute("SELECT id_number FROM core_person WHERE id = %s", [person.pk])
        (id_raw,) = cur.fetchone()
    assert address_raw.startswith("v1:") and get(row, "现住址") not in address_raw
    assert phone_raw.startswith("v1:") and get(row, "联系电话") not in phone_raw
    assert id_raw.startswith("v1:") and number not in id_raw

    user = User.objects.get(person=person)
    assert not user.has_usable_password()
    assert re.fullmatch(r"s\d{7}(-\d+)?", user.username) and number not in user.username

    change = RosterChange.objects.get(student=student)
    assert (change.kind, change.status, change.to_school_id, change.to_class_id) == (
        "enrol",
        "done",
        world.school_a.pk,
        student.klass_id,
    )
    audit = AuditLog.objects.order_by("-id").first()
    assert audit.action == "roster.import"
    assert audit.actor_id == world.school_admin_a.pk and audit.school_id == world.school_a.pk
    assert audit.changes["created"] == 40 and audit.changes["rows"] == 40
    assert number not in str(audit.changes) and number not in audit.object_repr


def test_reimport_same_file_changes_nothing(world):
    rows = sample(world, 25)
    assert run(world, rows).status == "done"
    before = counts()
    stamp = list(Student.objects.order_by("pk").values_list("pk", "updated_at"))
    result = run(world, rows)
    assert result.status == "done"
    assert result.counts["unchanged"] == 25 and result.counts["created"] == result.counts["updated"] == 0
    assert counts() == before  # not even an audit row
    assert list(Student.objects.order_by("pk").values_list("pk", "updated_at")) == stamp


def test_reimport_with_changes_updates_in_place(world):
    rows = sample(world, 10)
    run(world, rows)
    before = counts()
    put(rows[2], "现住址", "浙江省宁波市镇海区新地址1号")
    put(rows[2], "班级", "2" if str(get(rows[2], "班级")).lstrip("(").startswith("1") else "1")
    put(rows[5], "姓名", "欧阳更名")
    result = run(world, rows)
    assert result.counts == {"created": 0, "updated": 2, "unchanged": 8, "reenrolled": 0, "users": 0}
    after = counts()
    assert after["AuditLog"] == before["AuditLog"] + 1
    assert {k: v for k, v in after.items() if k != "AuditLog"} == {k: v for k, v in before.items() if k != "AuditLog"}
    p = Person.objects.get(id_number_index=blind_index(f"1:{get(rows[2], '身份证件号')}", "id"))
    assert p.student.profile.current_address == "浙江省宁波市镇海区新地址1号"
    assert Person.objects.filter(name="欧阳更名").count() == 1


def test_dry_run_writes_nothing(world):
    rows = sample(world, 12)
    before = counts()
    result = run(world, rows, dry_run=True)
    assert result.status == "previewed"
    assert result.counts == {"to_create": 12, "to_update": 0, "to_reenrol": 0, "unchanged": 0}
    assert counts() == before
    run(world, rows)
    put(rows[0], "特长", "围棋")
    result = run(world, rows, dry_run=True)
    assert result.counts == {"to_create": 0, "to_update": 1, "to_reenrol": 0, "unchanged": 11}
    assert (
        Student.objects.get(
            person__id_number_index=blind_index(f"1:{get(rows[0], '身份证件号')}", "id")
        ).profile.specialty
        != "围棋"
    )


def test_csv_utf8_and_gbk(world):
    rows = sample(world, 6)
    for enc, name in (("utf-8-sig", "a.csv"), ("gb18030", "b.csv")):
        data = to_csv(HEADERS, rows, encoding=enc)
        result = import_roster(data=data, filename=name, school=world.school_a, actor=world.school_admin_a)
        assert result.status == "done", messages(result)
    assert Student.objects.filter(school=world.school_a).count() == 3 + 6


def test_students_without_resident_id_get_temporary_numbers_and_reimport_matches(world):
    rows = sample(world, 3)
    put(rows[0], "身份证件类型", "Z")
    put(rows[0], "身份证件号", "")
    put(rows[1], "身份证件类型", "A")  # 护照
    put(rows[1], "身份证件号", "E12345678")
    put(rows[1], "国籍/地区", "USA")
    put(rows[1], "港澳台侨外", "51")
    assert run(world, rows).status == "done"
    no_id = Student.objects.get(person__name=get(rows[0], "姓名"), school=world.school_a)
    passport = Person.objects.get(id_number_index=blind_index("A:E12345678", "id")).student
    for st in (no_id, passport):
        assert re.fullmatch(
            rf"J330211{birth_of(rows[0] if st is no_id else rows[1]):%Y%m%d}\d{{3}}[\dX]", st.student_no
        )
        assert j_number_valid(st.student_no)
    before = counts()
    result = run(world, rows)
    assert result.counts["unchanged"] == 3
    assert counts() == before


def test_graduated_student_of_another_school_is_reenrolled(world):
    s = world.student_b1
    s.status = "graduated"
    s.save()
    rows = sample(world, 2)
    p = s.person
    row = rows[0]
    put(row, "姓名", p.name)
    put(row, "身份证件号", p.id_number)
    put(row, "出生日期", p.birth_date)
    put(row, "性别", p.gender)
    result = run(world, rows, actor=world.district_admin)
    assert result.status == "done", messages(result)
    assert result.counts["reenrolled"] == 1 and result.counts["created"] == 1
    s.refresh_from_db()
    assert (s.school, s.status, s.student_no) == (world.school_a, "enrolled", f"G{p.id_number}")
    change = RosterChange.objects.get(student=s)
    assert change.from_school == world.school_b and change.to_school == world.school_a


# --- bad rows ---------------------------------------------------------------------------------------------

Expected = list[tuple[int, str, str]]  # (offset in the case's rows, column, message)


@dataclass
class Case:
    name: str
    fn: Callable[[list[list], object], Expected]
    n: int = 1
    check: Callable[[list[list], object], None] | None = field(default=None)


def _bad_checksum(rows, w):
    n = get(rows[0], "身份证件号")
    put(rows[0], "身份证件号", n[:17] + next(c for c in "0123456789X" if c != n[17]))
    return [(0, "身份证件号", f"校验位错误，应为 {n[17]}")]


def _id_too_short(rows, w):
    put(rows[0], "身份证件号", get(rows[0], "身份证件号")[:17])
    return [(0, "身份证件号", "身份证号必须是 18 位（最后一位可为 X）")]


def _id_bad_date(rows, w):
    body = "33021120121340001"
    put(rows[0], "身份证件号", body + idcard.check_digit(body))
    return [(0, "身份证件号", "身份证号中的出生日期无效")]


def _bad_date(rows, w):
    put(rows[0], "出生日期", "2012-13-45")
    return [(0, "出生日期", "日期不存在（2012 年 13 月 45 日）")]


def _date_garbage(rows, w):
    put(rows[0], "出生日期", "去年春天")
    return [(0, "出生日期", "日期格式不正确，应为 YYYYMMDD（如 20140901）或 2014-09-01")]


def _birth_mismatch(rows, w):
    born = birth_of(rows[0])
    put(rows[0], "出生日期", born + dt.timedelta(days=1))
    return [(0, "出生日期", f"出生日期与身份证号不一致（身份证号中为 {born:%Y-%m-%d}）")]


def _gender_mismatch(rows, w):
    male = gender_of(rows[0]) == "1"
    put(rows[0], "性别", "女" if male else "男")
    return [(0, "性别", f"性别与身份证号不一致（身份证号显示为{'男' if male else '女'}）")]


def _unknown_ethnicity(rows, w):
    put(rows[0], "民族", "99")
    return [(0, "民族", "「99」不是有效的代码（可填 01 汉族、02 蒙古族、03 回族、04 藏族、05 维吾尔族、06 苗族 等）")]


def _unknown_id_type(rows, w):
    put(rows[0], "身份证件类型", "X")
    return [
        (
            0,
            "身份证件类型",
            "「X」不是有效的代码（可填 1 居民身份证、6 香港特区护照/身份证明、7 澳门特区护照/身份证明、"
            "8 台湾居民来往大陆通行证、9 境外永久居住证、A 护照 等）",
        )
    ]


def _unknown_class(rows, w):
    put(rows[0], "班级", "9班")
    return [(0, "班级", "七年级没有班级「9班」（现有：1班、2班）")]


def _class_grade_mismatch(rows, w):
    put(rows[0], "班级", "八年级(1)班")
    return [(0, "班级", "班级「八年级(1)班」与年级「七年级」不一致")]


def _unknown_grade(rows, w):
    put(rows[0], "年级", "高三")
    return [(0, "年级", "本校没有「高三」年级（现有：七年级）")]


def _duplicate_id(rows, w):
    put(rows[1], "身份证件号", get(rows[0], "身份证件号"))
    put(rows[1], "出生日期", get(rows[0], "出生日期"))
    put(rows[1], "性别", get(rows[0], "性别"))
    r0, r1 = excel_row(0), excel_row(1)
    return [(0, "身份证件号", f"与第 {r1} 行的证件号重复"), (1, "身份证件号", f"与第 {r0} 行的证件号重复")]


def _enrolled_elsewhere(rows, w):
    p = w.student_b1.person
    put(rows[0], "身份证件号", p.id_number)
    put(rows[0], "出生日期", p.birth_date)
    put(rows[0], "性别", p.gender)
    put(rows[0], "姓名", p.name)
    return [(0, "身份证件号", "该学生已在「镇海区骆驼学校」在籍，不能重复导入；如需转入本校，请办理转学")]


def _id_of_other_person(rows, w):
    p = w.parent1_person
    put(rows[0], "身份证件号", p.id_number)
    put(rows[0], "出生日期", p.birth_date)
    put(rows[0], "性别", p.gender)
    put(rows[0], "入学年月", "200109")
    return [(0, "身份证件号", "该证件号已登记为其他人员（姓名不一致），请核对")]


def _student_no_taken(rows, w):
    put(rows[0], "学籍号", w.student_b1.student_no)
    return [(0, "学籍号", "该学籍号已被其他学生使用")]


def _student_no_duplicate(rows, w):
    put(rows[0], "学籍号", "L330211201201010001")
    put(rows[1], "学籍号", "l330211201201010001")
    r0, r1 = excel_row(0), excel_row(1)
    return [(0, "学籍号", f"与第 {r1} 行的学籍号重复"), (1, "学籍号", f"与第 {r0} 行的学籍号重复")]


def _missing_name(rows, w):
    put(rows[0], "姓名", "  ")
    return [(0, "姓名", "必填项不能为空")]


def _missing_address(rows, w):
    put(rows[0], "现住址", None)
    return [(0, "现住址", "必填项不能为空")]


def _id_required(rows, w):
    put(rows[0], "身份证件号", "")
    return [(0, "身份证件号", "证件类型为「居民身份证」时，身份证件号不能为空")]


def _bad_phone(rows, w):
    put(rows[0], "联系电话", "12345")
    return [(0, "联系电话", "联系电话应为以 1 开头的 11 位手机号，或带区号的固定电话（如 0574-86123456）")]


def _bad_postcode(rows, w):
    put(rows[0], "邮政编码", "31520")
    return [(0, "邮政编码", "邮政编码必须是 6 位数字")]


def _wrong_school(rows, w):
    put(rows[0], "学校标识码", "3133000009")
    return [(0, "学校标识码", "学校标识码应为本校的 3133000001，不能是「3133000009」")]


def _bad_bool(rows, w):
    put(rows[0], "是否独生子女", "也许")
    return [(0, "是否独生子女", "应填「是」或「否」（或 1/0），不能是「也许」")]


def _bad_email(rows, w):
    put(rows[0], "电子信箱", "abc@")
    return [(0, "电子信箱", "电子信箱格式不正确")]


def _name_with_digit(rows, w):
    put(rows[0], "姓名", "张三3")
    return [(0, "姓名", "姓名中不能包含数字")]


def _birth_in_future(rows, w):
    put(rows[0], "身份证件类型", "A")
    put(rows[0], "身份证件号", "E99887766")
    put(rows[0], "出生日期", dt.date.today() + dt.timedelta(days=30))
    put(rows[0], "入学年月", "")
    return [(0, "出生日期", "出生日期不能晚于今天"), (0, "入学年月", "必填项不能为空")]


def _entry_before_birth(rows, w):
    put(rows[0], "入学年月", f"{birth_of(rows[0]).year - 1}09")
    return [(0, "入学年月", "入学年月早于出生日期")]


def _bad_month(rows, w):
    put(rows[0], "入学年月", "2026-13")
    return [(0, "入学年月", "月份不存在（13 月）")]


def _bad_birthplace(rows, w):
    put(rows[0], "出生地", "火星")
    return [(0, "出生地", "「火星」不是有效的行政区划代码（应为 6 位或 12 位数字，如 330211）")]


def _bad_class_no(rows, w):
    put(rows[0], "班内学号", "第一")
    return [(0, "班内学号", "应为正整数")]


def _bad_distance(rows, w):
    put(rows[0], "上下学距离", "很远")
    return [(0, "上下学距离", "应为数字（公里），如 2.5")]


def _too_long(rows, w):
    put(rows[0], "特长", "画" * 101)
    return [(0, "特长", "长度不能超过 100 个字符（现为 101 个）")]


def _several_in_one_row(rows, w):
    put(rows[0], "邮政编码", "abc")
    put(rows[0], "联系电话", "110")
    put(rows[0], "民族", "火星族")
    return [
        (0, "民族", "「火星族」不是有效的代码（可填 01 汉族、02 蒙古族、03 回族、04 藏族、05 维吾尔族、06 苗族 等）"),
        (0, "联系电话", "联系电话应为以 1 开头的 11 位手机号，或带区号的固定电话（如 0574-86123456）"),
        (0, "邮政编码", "邮政编码必须是 6 位数字"),
    ]


def _id_as_number(rows, w):
    put(rows[0], "身份证件号", float(get(rows[0], "身份证件号")))
    return [(0, "身份证件号", "证件号被 Excel 存成了数字，末几位可能已丢失；请把该列设为文本格式后重新填写")]


def _code_label_disagree(rows, w):
    put(rows[0], "健康状况", "10 残疾")
    return [
        (
            0,
            "健康状况",
            "「10 残疾」不是有效的代码（可填 10 健康或良好、20 一般或较弱、30 有慢性病、40 有生理缺陷、50 残疾）",
        )
    ]


# Not errors: normalisation of what real files contain.
def _fullwidth_ok(rows, w):
    number = get(rows[0], "身份证件号")
    put(rows[0], "身份证件号", " " + "".join(chr(ord(c) + 0xFEE0) for c in number) + "　")
    put(rows[0], "邮政编码", "３１５２００")
    put(rows[0], "班级", "（2）班")
    return []


def _fullwidth_check(rows, w):
    number = unicodedata.normalize("NFKC", get(rows[0], "身份证件号")).strip()
    assert "３" in get(rows[0], "身份证件号") and "３" not in number
    p = Person.objects.get(id_number_index=blind_index(f"1:{number}", "id"))
    assert p.id_number == number and p.student.klass == w.class_a2
    assert p.student.profile.postal_code == "315200"


def _lowercase_x_ok(rows, w):
    number = fresh_id(rows, birth_of(rows[0]), gender_of(rows[0]), want_x=True)
    put(rows[0], "身份证件号", number.lower())
    return []


def _lowercase_x_check(rows, w):
    number = get(rows[0], "身份证件号").upper()
    p = Person.objects.get(id_number_index=blind_index(f"1:{number}", "id"))
    assert p.id_number.endswith("X") and p.student.student_no == f"G{number}"


def _excel_serial_ok(rows, w):
    put(rows[0], "出生日期", float((birth_of(rows[0]) - dt.date(1899, 12, 30)).days))
    put(rows[0], "入学年月", float((dt.date(w.grade_a.entry_year, 9, 1) - dt.date(1899, 12, 30)).days))
    return []


def _date_spellings_ok(rows, w):
    b = birth_of(rows[0])
    put(rows[0], "出生日期", f"{b.year}/{b.month}/{b.day}")
    put(rows[0], "入学年月", f"{w.grade_a.entry_year}.9")
    b1 = birth_of(rows[1])
    put(rows[1], "出生日期", float(f"{b1:%Y%m%d}"))
    put(rows[1], "入学年月", f"{w.grade_a.entry_year}-09")
    return []


def _dates_check(rows, w):
    for row in rows[:2]:
        p = Person.objects.get(id_number_index=blind_index(f"1:{get(row, '身份证件号')}", "id"))
        assert p.student.profile.entry_month == f"{w.grade_a.entry_year}09"
        assert p.birth_date == idcard.birth_date(p.id_number)


def _labels_ok(rows, w):
    put(rows[0], "民族", "汉")
    put(rows[0], "性别", "男" if gender_of(rows[0]) == "1" else "女")
    put(rows[0], "年级", "初一")
    put(rows[0], "班级", "七年级(1)班")
    put(rows[0], "健康状况", "健康或良好")
    put(rows[0], "身份证件类型", "居民身份证")
    put(rows[0], "出生地", "镇海区")
    put(rows[0], "联系电话", "0574-86123456")
    put(rows[1], "民族", 1.0)  # a number cell: 01
    put(rows[1], "年级", f"{w.grade_a.entry_year}级")
    put(rows[1], "班级", "二班")
    put(rows[1], "联系电话", "+86 138 0013 8000")
    put(rows[1], "健康状况", "10-健康或良好")
    put(rows[1], "户口性质", "2非农业户口")
    put(rows[1], "政治面貌", "13 群众")
    return []


def _labels_check(rows, w):
    p0 = Person.objects.get(id_number_index=blind_index(f"1:{get(rows[0], '身份证件号')}", "id"))
    p1 = Person.objects.get(id_number_index=blind_index(f"1:{get(rows[1], '身份证件号')}", "id"))
    assert (p0.ethnicity, p0.student.klass, p0.student.profile.health) == ("01", w.class_a1, "10")
    assert p0.student.profile.birthplace == "330211"
    assert p0.student.profile.contact_phone == "0574-86123456"
    assert (p1.ethnicity, p1.student.klass, p1.student.profile.contact_phone) == ("01", w.class_a2, "13800138000")
    pr1 = p1.student.profile
    assert (pr1.health, pr1.hukou_type, pr1.political_status) == ("10", "2", "13")


CASES = [
    Case("bad_checksum", _bad_checksum),
    Case("id_too_short", _id_too_short),
    Case("id_bad_date", _id_bad_date),
    Case("bad_date", _bad_date),
    Case("date_garbage", _date_garbage),
    Case("birth_mismatch", _birth_mismatch),
    Case("gender_mismatch", _gender_mismatch),
    Case("unknown_ethnicity", _unknown_ethnicity),
    Case("unknown_id_type", _unknown_id_type),
    Case("unknown_class", _unknown_class),
    Case("class_grade_mismatch", _class_grade_mismatch),
    Case("unknown_grade", _unknown_grade),
    Case("duplicate_id_in_file", _duplicate_id, n=2),
    Case("enrolled_at_other_school", _enrolled_elsewhere),
    Case("id_of_other_person", _id_of_other_person),
    Case("student_no_taken", _student_no_taken),
    Case("student_no_duplicate", _student_no_duplicate, n=2),
    Case("missing_name", _missing_name),
    Case("missing_required_value", _missing_address),
    Case("id_number_required", _id_required),
    Case("bad_phone", _bad_phone),
    Case("bad_postcode", _bad_postcode),
    Case("wrong_school_code", _wrong_school),
    Case("bad_bool", _bad_bool),
    Case("bad_email", _bad_email),
    Case("name_with_digit", _name_with_digit),
    Case("birth_in_future", _birth_in_future),
    Case("entry_before_birth", _entry_before_birth),
    Case("bad_month", _bad_month),
    Case("bad_birthplace", _bad_birthplace),
    Case("bad_class_no", _bad_class_no),
    Case("bad_distance", _bad_distance),
    Case("too_long", _too_long),
    Case("id_stored_as_number", _id_as_number),
    Case("code_and_label_disagree", _code_label_disagree),
    Case("several_errors_in_one_row", _several_in_one_row),
    Case("fullwidth_ok", _fullwidth_ok, check=_fullwidth_check),
    Case("lowercase_x_ok", _lowercase_x_ok, check=_lowercase_x_check),
    Case("excel_serial_date_ok", _excel_serial_ok),
    Case("date_spellings_ok", _date_spellings_ok, n=2, check=_dates_check),
    Case("labels_and_aliases_ok", _labels_ok, n=2, check=_labels_check),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_row(world, case):
    rows = sample(world, case.n + 1, seed=11)
    expected = case.fn(rows[: case.n], world)
    want = sorted(f"行 {excel_row(off)}, 列「{c}」: {m}" for off, c, m in expected)
    before = counts()
    result = run(world, rows)
    assert sorted(messages(result)) == want
    if want:
        assert result.status == "invalid"
        assert counts() == before
    else:
        assert result.status == "done"
        assert Student.objects.filter(school=world.school_a).count() == 3 + len(rows)
        if case.check:
            case.check(rows, world)


def test_one_file_with_every_kind_of_bad_row_writes_nothing(world):
    bad = [c for c in CASES if not c.name.endswith("_ok")]
    total = sum(c.n for c in CASES) + 5
    rows = sample(world, total, seed=3)
    want, pos = [], 0
    for c in CASES:
        for off, column, message in c.fn(rows[pos : pos + c.n], world):
            r = excel_row(pos + off)
            # messages naming other rows are relative to the case's first row
            message = re.sub(r"第 (\d+) 行", lambda m, p=pos: f"第 {int(m.group(1)) + p} 行", message)
            want.append(f"行 {r}, 列「{column}」: {message}")
        pos += c.n
    before = counts()
    result = run(world, rows)
    assert len(bad) >= 30
    assert result.status == "invalid"
    assert sorted(messages(result)) == sorted(want)
    assert counts() == before
    # sorted by row, then template column order
    assert [e.row for e in result.errors] == sorted(e.row for e in result.errors)


# --- the error report ---------------------------------------------------------------------------------


def test_error_report_marks_bad_cells(world):
    rows = sample(world, 5)
    expected_digit = get(rows[1], "身份证件号")[17]
    _bad_checksum(rows[1:2], world)
    put(rows[3], "邮政编码", "1")
    put(rows[3], "联系电话", "2")
    result = run(world, rows)
    wb = load_workbook(io.BytesIO(result.report()))
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert header[-1] == "错误说明" and [h.rstrip("★") for h in header[: len(HEADERS)]] == HEADERS
    id_cell = ws.cell(row=3, column=col("身份证件号") + 1)
    assert id_cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert id_cell.comment.text == f"校验位错误，应为 {expected_digit}"
    assert id_cell.value == get(rows[1], "身份证件号")
    assert ws.cell(row=3, column=len(HEADERS) + 1).value == f"「身份证件号」校验位错误，应为 {expected_digit}"
    postal = ws.cell(row=5, column=col("邮政编码") + 1)
    phone = ws.cell(row=5, column=col("联系电话") + 1)
    assert postal.comment.text == "邮政编码必须是 6 位数字" and postal.fill.fgColor.rgb.endswith("FFC7CE")
    assert phone.comment is not None
    assert "邮政编码必须是 6 位数字" in ws.cell(row=5, column=len(HEADERS) + 1).value
    good = ws.cell(row=2, column=col("身份证件号") + 1)
    assert good.comment is None and good.fill.fill_type is None
    assert ws.cell(row=2, column=len(HEADERS) + 1).value is None
    assert ws.max_row == 6


def test_error_report_keeps_row_numbers_below_a_title(world):
    headers, rows = build_rows(world.school_a, 3, rng=random.Random(5))
    put(rows[2], "邮政编码", "x")
    data = to_xlsx(headers, rows, title="镇海区蛟川中学学生基本信息表")
    result = import_roster(data=data, filename="t.xlsx", school=world.school_a, actor=world.school_admin_a)
    assert messages(result) == ["行 5, 列「邮政编码」: 邮政编码必须是 6 位数字"]
    ws = load_workbook(io.BytesIO(result.report())).active
    assert ws["A1"].value == "镇海区蛟川中学学生基本信息表"
    assert ws.cell(row=5, column=col("邮政编码") + 1).comment.text == "邮政编码必须是 6 位数字"


# --- hostile and unusable files -------------------------------------------------------------------------


def _file_error(data: bytes, filename: str = "roster.xlsx") -> str:
    with pytest.raises(ImportFileError) as exc:
        read_table(data, filename)
    return exc.value.message


def test_renamed_text_file_is_refused(world):
    assert "内容不是 Excel 文件" in _file_error("姓名,身份证件号\n张三,1\n".encode(), "名单.xlsx")
    assert "只支持 Excel" in _file_error(b"hello", "roster.pdf")
    assert "只支持 Excel" in _file_error(b"hello", "roster.txt")


def test_damaged_xls_is_refused(world):
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert "无法读取 Excel 文件" in _file_error(data, "roster.xls")


def test_real_xls_file_imports(world):
    """A BIFF8 .xls as older 学籍 systems and WPS save it (written with xlwt): dates as Excel date cells, ID
    numbers as text, numbers as numbers."""
    import xlwt

    rows = sample(world, 12, seed=5)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("学生基本信息")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for c, h in enumerate(HEADERS):
        sheet.write(0, c, h)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    buf = io.BytesIO()
    book.save(buf)
    assert buf.getvalue()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound file
    before = counts()
    result = import_roster(data=buf.getvalue(), filename="学籍.xls", school=world.school_a, actor=world.school_admin_a)
    assert result.status == "done", messages(result)[:5]
    assert result.counts["created"] == 12
    assert counts()["Student"] == before["Student"] + 12
    first = Person.objects.get(id_number_index=blind_index(f"1:{get(rows[0], '身份证件号')}", "id"))
    assert first.name == get(rows[0], "姓名") and first.birth_date == birth_of(rows[0])
    # the same file again changes nothing
    again = import_roster(data=buf.getvalue(), filename="学籍.xls", school=world.school_a, actor=world.school_admin_a)
    assert again.counts["unchanged"] == 12 and counts()["Student"] == before["Student"] + 12


def test_ambiguous_grade_in_a_school_with_two_stages(world):
    from core.models import Class, Grade

    primary = Grade.objects.create(school=world.school_a, stage="primary", entry_year=world.grade_a.entry_year)
    Class.objects.create(school=world.school_a, grade=primary, number=1)
    rows = sample(world, 2)
    put(rows[0], "年级", f"{world.grade_a.entry_year}级")
    put(rows[1], "年级", f"初中{world.grade_a.entry_year}级")
    year = world.grade_a.entry_year
    assert messages(run(world, rows)) == [
        f"行 2, 列「年级」: 「{year}级」对应本校多个学段的年级，请写明学段（如 初中{year}级 或 七年级）"
    ]


def test_truncated_xlsx_is_refused(world):
    data = build_workbook(world.school_a, 20, rng=random.Random(1))
    assert "已损坏或不完整" in _file_error(data[: len(data) // 2])


def test_zip_bomb_is_refused_without_inflating(world):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (30 * 1024 * 1024))
    assert len(buf.getvalue()) < 100_000
    assert "压缩比异常" in _file_error(buf.getvalue(), "bomb.xlsx")


def test_zip_with_lying_sizes_is_refused(world):
    buf = io.BytesIO()
    payload = bytes(random.Random(1).getrandbits(8) for _ in range(200_000))
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", payload)
    data = bytearray(buf.getvalue())
    # declare 100 bytes instead of 200,000 in the local header and the central directory
    real = (200_000).to_bytes(4, "little")
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (i := data.find(sig, start)) >= 0:
            if data[i + off : i + off + 4] == real:
                data[i + off : i + off + 4] = (100).to_bytes(4, "little")
            start = i + 4
    assert "已损坏" in _file_error(bytes(data), "lie.xlsx")


def test_oversized_file_is_refused(world, settings):
    settings.ZX_ROSTER_MAX_BYTES = 1000
    data = build_workbook(world.school_a, 5, rng=random.Random(1))
    assert "文件过大" in _file_error(data)


def test_empty_sheet_and_no_header(world):
    wb = Workbook()
    out = io.BytesIO()
    wb.save(out)
    assert "为空" in _file_error(out.getvalue())
    ws = wb.active
    for i in range(12):
        ws.append([f"说明 {i}", "x"])
    ws.append(["姓名", "身份证件号"])
    out = io.BytesIO()
    wb.save(out)
    assert "没有找到表头" in _file_error(out.getvalue())
    assert "没有找到表头" in _file_error(b"a,b\n1,2\n", "x.csv")


def test_header_only_file_has_no_rows(world):
    data = to_xlsx(HEADERS, [])
    with pytest.raises(ImportFileError, match="没有数据行"):
        import_roster(data=data, filename="x.xlsx", school=world.school_a, actor=world.school_admin_a)


def test_missing_and_duplicate_columns(world):
    rows = sample(world, 2)
    keep = [i for i, h in enumerate(HEADERS) if h not in ("民族", "班级")]
    data = to_xlsx([HEADERS[i] for i in keep], [[r[i] for i in keep] for r in rows])
    assert _file_error(data) == "缺少必填列：「民族」、「班级」。请使用学籍导入模板。"
    data = to_xlsx([*HEADERS, "姓名 "], [[*r, "x"] for r in rows])
    assert "表头中有重复的列：「姓名」" in _file_error(data)


def test_unknown_columns_are_a_warning(world):
    rows = sample(world, 3)
    result = run(world, [[*r, "备注"] for r in rows], headers=[*HEADERS, "备注"])
    assert result.status == "done"
    assert result.warnings == ["以下列不在学籍模板中，已忽略：「备注」"]


def test_optional_columns_may_be_absent_and_headers_normalised(world):
    rows = sample(world, 3)
    drop = {"学籍号", "特长", "电子信箱", "上下学距离"}
    keep = [i for i, h in enumerate(HEADERS) if h not in drop]
    headers = [f" {HEADERS[i]}\n★" if i % 3 == 0 else HEADERS[i].replace("/", "／") for i in keep]
    headers[keep.index(col("身份证件号"))] = "身份证件号码"
    result = run(world, [[r[i] for i in keep] for r in rows], headers=headers)
    assert result.status == "done", messages(result)


def test_merged_header_cells_and_title(world):
    rows = sample(world, 3)
    wb = Workbook()
    ws = wb.active
    ws.append(["学生基本信息表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS) + 1)
    i = col("身份证件号")
    headers = [*HEADERS[: i + 1], None, *HEADERS[i + 1 :]]
    ws.append(headers)
    ws.merge_cells(start_row=2, start_column=i + 1, end_row=2, end_column=i + 2)
    for r in rows:
        ws.append([*r[: i + 1], None, *r[i + 1 :]])
    out = io.BytesIO()
    wb.save(out)
    result = import_roster(data=out.getvalue(), filename="m.xlsx", school=world.school_a, actor=world.school_admin_a)
    assert result.status == "done", messages(result)
    assert any("表头含合并单元格" in w for w in result.warnings)
    assert Student.objects.filter(school=world.school_a).count() == 6


def test_formula_error_values_are_reported(world):
    rows = sample(world, 2)
    put(rows[0], "现住址", "#REF!")  # openpyxl stores this as an error cell (t="e")
    put(rows[1], "特长", "#DIV/0!")
    data = to_xlsx(HEADERS, rows)
    result = import_roster(data=data, filename="f.xlsx", school=world.school_a, actor=world.school_admin_a)
    assert f"单元格 {col_letter(col('现住址'))}2 是公式错误值（#REF!），按空值处理。" in result.warnings
    assert f"单元格 {col_letter(col('特长'))}3 是公式错误值（#DIV/0!），按空值处理。" in result.warnings
    assert messages(result) == ["行 2, 列「现住址」: 公式错误值（#REF!），必填项不能为空"]


# --- permissions --------------------------------------------------------------------------------------


def test_school_admin_of_another_school_is_denied(world):
    rows = sample(world, 3)
    before = counts()
    with pytest.raises(PermissionDenied):
        run(world, rows, actor=world.school_admin_b)
    with pytest.raises(PermissionDenied):
        run(world, rows, actor=world.teacher_a)
    assert counts() == before
    assert run(world, rows, actor=world.district_admin).status == "done"


# --- ImportJob and Celery ---------------------------------------------------------------------------


def _job(world, data: bytes, *, filename="roster.xlsx", dry_run=False, user=None):
    job = ImportJob(school=world.school_a, created_by=user or world.school_admin_a, filename=filename, dry_run=dry_run)
    job.upload.save(filename, ContentFile(data), save=False)
    job.save()
    return job


def test_job_runs_through_celery_task(world, settings, tmp_path):
    from roster.importer.tasks import roster_import_task

    settings.MEDIA_ROOT = tmp_path
    settings.CELERY_TASK_ALWAYS_EAGER = True
    job = _job(world, build_workbook(world.school_a, 30, rng=random.Random(2)))
    roster_import_task.delay(job.pk)
    job.refresh_from_db()
    assert job.status == "done"
    assert (job.total_rows, job.processed_rows, job.progress) == (30, 30, 100)
    assert job.summary["created"] == 30 and job.summary["error_count"] == 0
    assert job.errors == [] and not job.report


def test_job_with_errors_stores_errors_and_report(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rows = sample(world, 4)
    put(rows[2], "邮政编码", "abc")
    job = _job(world, to_xlsx(HEADERS, rows))
    roster_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "invalid"
    assert job.errors == [{"row": 4, "column": "邮政编码", "message": "邮政编码必须是 6 位数字"}]
    assert job.summary["error_count"] == 1 and job.summary["error_rows"] == 1
    from core.crypto import decrypt_bytes

    with open(job.report.path, "rb") as fh:
        ws = load_workbook(io.BytesIO(decrypt_bytes(fh.read()))).active  # stored encrypted at rest
    assert ws.cell(row=4, column=col("邮政编码") + 1).comment.text == "邮政编码必须是 6 位数字"


def test_job_dry_run_and_unusable_file(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    job = _job(world, build_workbook(world.school_a, 5, rng=random.Random(2)), dry_run=True)
    roster_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "previewed" and job.summary["to_create"] == 5
    assert Student.objects.filter(school=world.school_a).count() == 3
    job = _job(world, b"not a spreadsheet", filename="x.xlsx")
    roster_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "不是 Excel" in job.errors[0]["message"]


def test_job_progress_is_saved_periodically(world, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    job = _job(world, build_workbook(world.school_a, 1100, rng=random.Random(4)))
    seen = []
    real_update = ImportJob.objects.filter(pk=job.pk).update

    from django.db.models.query import QuerySet

    original = QuerySet.update

    def spy(self, **kwargs):
        if self.model is ImportJob and "processed_rows" in kwargs:
            seen.append((kwargs["processed_rows"], kwargs["total_rows"]))
        return original(self, **kwargs)

    monkeypatch.setattr(QuerySet, "update", spy)
    roster_import_run(job_id=job.pk)
    assert real_update is not None
    assert (500, 1100) in seen and (1000, 1100) in seen
    job.refresh_from_db()
    assert job.status == "done" and job.summary["created"] == 1100


def test_job_limits_stored_errors(world, settings, tmp_path, monkeypatch):
    import roster.importer as importer

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(importer, "MAX_STORED_ERRORS", 3)
    rows = sample(world, 5)
    for r in rows:
        put(r, "邮政编码", "x")
    job = _job(world, to_xlsx(HEADERS, rows))
    roster_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert len(job.errors) == 3 and job.summary["error_count"] == 5 and job.summary["errors_truncated"]


# --- command line -------------------------------------------------------------------------------------


def _cli(*args) -> int:
    try:
        call_command("import_roster", *args)
    except SystemExit as exc:
        return exc.code
    return 0


def test_cli_exit_codes(world, tmp_path, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(build_workbook(world.school_a, 8, rng=random.Random(9)))
    assert _cli(str(good), "--school", world.school_a.code, "--dry-run") == 0
    assert "将新增 8 名" in capsys.readouterr().out
    assert Student.objects.filter(school=world.school_a).count() == 3

    before = AuditLog.objects.count()
    assert _cli(str(good), "--school", world.school_a.code) == 0
    assert Student.objects.filter(school=world.school_a).count() == 11
    audit = AuditLog.objects.order_by("-id").first()
    assert AuditLog.objects.count() == before + 1
    assert audit.actor_id is None and audit.changes["actor"] == "系统导入" and audit.changes["source"] == "cli"

    rows = sample(world, 60, seed=21)
    for r in rows:
        put(r, "邮政编码", "bad")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(to_xlsx(HEADERS, rows))
    report = tmp_path / "report.xlsx"
    capsys.readouterr()
    assert _cli(str(bad), "--school", world.school_a.code, "--report", str(report)) == 1
    out = capsys.readouterr()
    assert "行 2, 列「邮政编码」: 邮政编码必须是 6 位数字" in out.out
    assert "另有 10 条错误未显示" in out.out and "共 60 条错误" in out.err
    assert load_workbook(report).active.cell(row=2, column=col("邮政编码") + 1).comment is not None
    assert Student.objects.filter(school=world.school_a).count() == 11

    junk = tmp_path / "junk.xlsx"
    junk.write_text("这不是表格")
    assert _cli(str(junk), "--school", world.school_a.code) == 2
    assert _cli(str(tmp_path / "missing.xlsx"), "--school", world.school_a.code) == 2
    assert _cli(str(good), "--school", "0000000000") == 2
    assert _cli(str(good), "--school", world.school_a.code, "--user", "sadmin_b") == 2
    assert _cli(str(good), "--school", world.school_a.code, "--user", "sadmin_a") == 0  # unchanged re-import
