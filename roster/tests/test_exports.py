"""学籍 exports: MoE spreadsheet, 花名册 PDF, OneRoster 1.2 CSV — scope, masking, audit, query counts."""

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from core.models import AuditLog, Student
from core.testing import make_person
from roster.exports import moe_headers, moe_roster_rows, moe_roster_workbook, oneroster_zip, roster_pdf
from roster.exports.oneroster import HEADERS as OR_HEADERS
from roster.exports.oneroster import split_name
from roster.models import StudentProfile
from roster.template import HEADERS

ID_RE = re.compile(r"\d{17}[\dX]")
COL = {h: i for i, h in enumerate(HEADERS)}


def fresh(user):
    """A new user object, so grants are loaded again (as on a new request)."""
    return get_user_model().objects.get(pk=user.pk)


def data_rows(user, **filters):
    rows = list(moe_roster_rows(fresh(user), **filters))
    return rows[0], rows[1:]


def add_students(world, n, klass=None):
    klass = klass or world.class_a1
    start = Student.objects.filter(klass=klass).count() + 1
    for i in range(n):
        p = make_person(f"测试生{start + i}", born=dt.date(2013, 1, 1 + i % 28))
        s = Student.objects.create(
            person=p,
            district=world.district,
            school=klass.school,
            klass=klass,
            student_no=f"G{p.id_number}",
            class_no=start + i,
        )
        StudentProfile.objects.create(
            student=s, current_address="浙江省宁波市镇海区某路1号", contact_phone="13900001111"
        )


def audit_rows(action):
    return list(AuditLog.objects.filter(action=action).order_by("id"))


# --- MoE 学籍 export ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_moe_headers_equal_template_and_values_formatted(world):
    s = world.student_a1
    StudentProfile.objects.create(
        student=s,
        birthplace="330211000000",
        entry_month="202609",
        only_child=True,
        preschool=False,
        current_address="浙江省宁波市镇海区骆驼街道1号",
        contact_phone="13812345678",
        commute_distance="2.5",
    )
    header, rows = data_rows(world.district_admin)
    assert header == HEADERS
    assert len(rows) == 4
    row = next(r for r in rows if r[COL["姓名"]] == "周小明")
    assert len(row) == len(HEADERS)
    assert row[COL["学校标识码"]] == "3133000001"
    assert row[COL["性别"]] == "1"  # a code, not 男
    assert row[COL["出生日期"]] == s.person.birth_date.strftime("%Y%m%d")
    assert row[COL["入学年月"]] == "202609"
    assert row[COL["是否独生子女"]] == "1" and row[COL["是否受过学前教育"]] == "0"
    assert row[COL["国籍/地区"]] == "CHN" and row[COL["健康状况"]] == "10"
    assert row[COL["上下学距离"]] == "2.5"
    assert row[COL["年级"]] == world.grade_a.label() == "七年级"
    assert row[COL["班级"]] == world.class_a1.name
    assert row[COL["班内学号"]] == 1
    # A student without a profile gets the model defaults, not an error.
    other = next(r for r in rows if r[COL["姓名"]] == "孙小丽")
    assert other[COL["国籍/地区"]] == "CHN" and other[COL["港澳台侨外"]] == "00"


@pytest.mark.django_db
def test_moe_district_admin_gets_full_id_numbers(world):
    StudentProfile.objects.create(
        student=world.student_a1, contact_phone="13812345678", home_address="浙江省宁波市镇海区某路8号"
    )
    header, rows = data_rows(world.district_admin)
    assert not any("已脱敏" in h for h in header)
    row = next(r for r in rows if r[COL["姓名"]] == "周小明")
    assert row[COL["身份证件号"]] == world.student_a1.person.id_number
    assert row[COL["学籍号"]] == world.student_a1.student_no
    assert row[COL["联系电话"]] == "13812345678"
    assert row[COL["家庭地址"]] == "浙江省宁波市镇海区某路8号"
    [audit] = audit_rows("roster.export_moe")
    assert audit.changes["masked"] is False and audit.changes["rows"] == 4
    assert "4" in audit.object_repr


@pytest.mark.django_db
def test_moe_school_admin_exports_only_own_school(world):
    header, rows = data_rows(world.school_admin_a)
    assert header == HEADERS  # school admins may reveal their own students
    assert {r[COL["学校标识码"]] for r in rows} == {world.school_a.code}
    assert {r[COL["姓名"]] for r in rows} == {"周小明", "吴小红", "郑小刚"}
    # Filters narrow further; a filter outside the scope gives an empty export, not an error.
    _, rows = data_rows(world.school_admin_a, klass=world.class_a2)
    assert [r[COL["姓名"]] for r in rows] == ["郑小刚"]
    _, rows = data_rows(world.school_admin_a, school=world.school_b)
    assert rows == []
    _, rows = data_rows(world.school_admin_b)
    assert [r[COL["姓名"]] for r in rows] == ["孙小丽"]
    audits = audit_rows("roster.export_moe")
    assert len(audits) == 4
    assert audits[1].changes["filters"] == {"klass": world.class_a2.pk}
    assert audits[2].changes["rows"] == 0


@pytest.mark.django_db
def test_moe_head_teacher_gets_masked_export(world):
    StudentProfile.objects.create(
        student=world.student_a1, contact_phone="13812345678", current_address="浙江省宁波市镇海区某路8号"
    )
    header, rows = data_rows(world.head_teacher_a1)
    assert header == moe_headers(True) != HEADERS
    assert "身份证件号（已脱敏）" in header and "联系电话（已脱敏）" in header
    assert [h.replace("（已脱敏）", "") for h in header] == HEADERS
    assert {r[COL["姓名"]] for r in rows} == {"周小明", "吴小红"}  # class a1 only
    row = next(r for r in rows if r[COL["姓名"]] == "周小明")
    full = world.student_a1.person.id_number
    assert row[COL["身份证件号"]] == full[:6] + "********" + full[-4:]
    assert row[COL["学籍号"]] == "G" + full[:6] + "********" + full[-4:]
    assert row[COL["联系电话"]] == "138****5678"
    assert "某路" not in row[COL["现住址"]] and row[COL["现住址"]].endswith("****")
    for r in rows:
        assert not ID_RE.search("".join(str(v) for v in r))
    [audit] = audit_rows("roster.export_moe")
    assert audit.changes["masked"] is True


@pytest.mark.django_db
def test_moe_workbook(world):
    data = moe_roster_workbook(fresh(world.head_teacher_a1))
    wb = load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames == ["学生基本信息"]
    values = list(wb["学生基本信息"].iter_rows(values_only=True))
    assert any("已脱敏" in (h or "") for h in values[0])
    assert len(values) == 3
    full = load_workbook(io.BytesIO(moe_roster_workbook(fresh(world.district_admin))), read_only=True)
    rows = list(full["学生基本信息"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 5
    assert len(audit_rows("roster.export_moe")) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["teacher_a", "parent1", "student_user_a1", "auditor"])
def test_exports_refused_without_export_permission(world, who):
    user = fresh(getattr(world, who))
    with pytest.raises(PermissionDenied):
        moe_roster_rows(user)
    with pytest.raises(PermissionDenied):
        oneroster_zip(user)
    with pytest.raises(PermissionDenied):
        roster_pdf(user, world.class_a1)
    assert not AuditLog.objects.filter(action__startswith="roster.").exists()


@pytest.mark.django_db
def test_moe_query_count_is_constant(world):
    def count_queries():
        user = fresh(world.school_admin_a)
        with CaptureQueriesContext(connection) as ctx:
            rows = list(moe_roster_rows(user))
        return len(rows) - 1, len(ctx.captured_queries)

    add_students(world, 2)
    n_small, q_small = count_queries()
    add_students(world, 27)
    n_large, q_large = count_queries()
    assert (n_small, n_large) == (5, 32)
    assert q_large == q_small


# --- 花名册 PDF --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_roster_pdf(world, tmp_path):
    pdf = roster_pdf(fresh(world.head_teacher_a1), world.class_a1)
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 5000
    [audit] = audit_rows("roster.print_roster")
    assert audit.object_id == str(world.class_a1.pk)
    assert audit.changes == {"rows": 2, "masked": True}
    assert audit.school_id == world.school_a.pk
    if shutil.which("pdftotext"):
        path = tmp_path / "roster.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
        assert "学生花名册" in text and "周小明" in text and "周建国" in text
        assert world.student_a1.person.id_number not in text
        assert "138****8001" in text
        assert "第1页/共1页" in re.sub(r"\s+", "", text)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "50", str(tmp_path / "roster.pdf"), str(tmp_path / "p")], check=True)
        assert list(tmp_path.glob("p*.png"))


@pytest.mark.django_db
def test_roster_pdf_reveal_and_scope(world, tmp_path):
    pdf = roster_pdf(fresh(world.school_admin_a), world.class_a1)
    assert audit_rows("roster.print_roster")[-1].changes["masked"] is False
    if shutil.which("pdftotext"):
        path = tmp_path / "roster.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        assert world.student_a1.person.id_number in text
    with pytest.raises(PermissionDenied):
        roster_pdf(fresh(world.school_admin_a), world.class_b1)
    with pytest.raises(PermissionDenied):
        roster_pdf(fresh(world.head_teacher_a1), world.class_a2)


# --- OneRoster 1.2 -----------------------------------------------------------------------------


def read_zip(data):
    zf = zipfile.ZipFile(io.BytesIO(data))
    out = {}
    for name in zf.namelist():
        text = zf.read(name).decode("utf-8")
        out[name] = list(csv.DictReader(io.StringIO(text))), text
    return out


@pytest.mark.django_db
def test_oneroster_district_export(world):
    data = oneroster_zip(fresh(world.district_admin))
    files = read_zip(data)
    assert set(files) == {"manifest.csv", *OR_HEADERS}
    for name, header in OR_HEADERS.items():
        assert files[name][1].splitlines()[0] == ",".join(header)
    manifest = {r["propertyName"]: r["value"] for r in files["manifest.csv"][0]}
    assert manifest["oneroster.version"] == "1.2"
    assert manifest["file.users"] == "bulk" and manifest["file.demographics"] == "absent"
    for text in (t for _, t in files.values()):
        assert not ID_RE.search(text)
        assert "13800138001" not in text

    orgs = files["orgs.csv"][0]
    assert [o["type"] for o in orgs] == ["district", "school", "school"]
    district_sid = orgs[0]["sourcedId"]
    assert {o["parentSourcedId"] for o in orgs[1:]} == {district_sid}
    sessions = files["academicSessions.csv"][0]
    assert sessions[0]["type"] == "schoolYear"
    assert len(sessions) >= 2 and all(s["parentSourcedId"] == sessions[0]["sourcedId"] for s in sessions[1:])
    classes = files["classes.csv"][0]
    assert len(classes) == 3 and {c["classType"] for c in classes} == {"homeroom"}
    courses = {c["sourcedId"] for c in files["courses.csv"][0]}
    assert len(courses) == 2 and {c["courseSourcedId"] for c in classes} == courses

    users = {u["sourcedId"]: u for u in files["users.csv"][0]}
    roles = files["roles.csv"][0]
    by_role = {}
    for r in roles:
        by_role.setdefault(r["role"], set()).add(r["userSourcedId"])
    assert len(by_role["student"]) == 4
    assert len(by_role["teacher"]) == 4  # two head teachers, two subject teachers
    assert len(by_role["guardian"]) == 2
    assert set(users) == set().union(*by_role.values())
    assert all(r["roleType"] in ("primary", "secondary") for r in roles)
    zhou = next(u for u in users.values() if u["givenName"] == "周小明")
    assert zhou["familyName"] == "周" and zhou["grades"] == "07"
    parent = next(u for u in users.values() if u["givenName"] == "周建国")
    assert len(parent["agentSourcedIds"].split(",")) == 2  # children in both schools
    assert zhou["sourcedId"] in parent["agentSourcedIds"]

    enrollments = files["enrollments.csv"][0]
    assert sum(e["role"] == "student" for e in enrollments) == 4
    teachers = [e for e in enrollments if e["role"] == "teacher"]
    assert len(teachers) == 4 and sum(e["primary"] == "true" for e in teachers) == 2
    class_ids = {c["sourcedId"] for c in classes}
    assert {e["classSourcedId"] for e in enrollments} <= class_ids
    assert {e["userSourcedId"] for e in enrollments} <= set(users)

    # sourcedIds are stable from one export to the next.
    again = read_zip(oneroster_zip(fresh(world.district_admin)))
    assert again["users.csv"][1] == files["users.csv"][1]
    assert again["enrollments.csv"][1] == files["enrollments.csv"][1]
    audits = audit_rows("roster.export_oneroster")
    assert len(audits) == 2 and audits[0].changes["counts"]["users"] == len(users)


@pytest.mark.django_db
def test_oneroster_scoped(world):
    files = read_zip(oneroster_zip(fresh(world.school_admin_a)))
    assert [o["name"] for o in files["orgs.csv"][0]] == ["镇海区教育局", world.school_a.name]
    assert len(files["classes.csv"][0]) == 2
    names = {u["givenName"] for u in files["users.csv"][0]}
    assert {"周小明", "吴小红", "郑小刚", "王班主任", "赵班主任", "陈老师", "周建国", "郑芳"} == names
    parent = next(u for u in files["users.csv"][0] if u["givenName"] == "周建国")
    assert "," not in parent["agentSourcedIds"]  # the school B child is out of scope

    # A head teacher may export their class's students and families, not the staff list.
    files = read_zip(oneroster_zip(fresh(world.head_teacher_a1)))
    names = {u["givenName"] for u in files["users.csv"][0]}
    assert names == {"周小明", "吴小红", "周建国"}
    assert len(files["classes.csv"][0]) == 1

    # Out-of-scope school: every file present, headers only.
    files = read_zip(oneroster_zip(fresh(world.school_admin_a), school=world.school_b))
    assert set(files) == {"manifest.csv", *OR_HEADERS}
    assert all(rows == [] for name, (rows, _) in files.items() if name != "manifest.csv")
    assert len(audit_rows("roster.export_oneroster")) == 3


def test_split_name():
    assert split_name("周小明") == ("周小明", "周")
    assert split_name("欧阳娜娜") == ("欧阳娜娜", "欧阳")
    assert split_name("欧阳") == ("欧阳", "欧")


def test_moe_export_of_the_coming_year_after_promotion(world, client):
    from core.models import academic_start_year
    from core.testing import login
    from roster import services

    year = academic_start_year()
    _h, rows = data_rows(world.school_admin_a, school=world.school_a)
    assert {r[COL["年级"]] for r in rows} == {"七年级"}
    services.school_promote(actor=world.school_admin_a, school=world.school_a, to_start_year=year + 1)
    _h, rows = data_rows(world.school_admin_a, school=world.school_a, start_year=year + 1)
    assert {r[COL["年级"]] for r in rows} == {"八年级"}
    assert {r[COL["班级"]] for r in rows} == {"八年级（1）班", "八年级（2）班"}

    login(client, world.school_admin_a)
    url = f"/roster/export/moe/?school={world.school_a.pk}"
    r = client.get(f"{url}&year={year + 1}")
    assert r.status_code == 200 and f"{year + 1}" in r["Content-Disposition"]
    ws = load_workbook(io.BytesIO(r.content)).active
    values = {c.value for row in ws.iter_rows(min_row=2) for c in row}
    assert "八年级" in values and "七年级" not in values
    for bad in (str(year + 2), str(year - 1), "abc"):
        r = client.get(f"{url}&year={bad}")
        assert r.status_code == 400 and "学年参数无效" in r.content.decode()
