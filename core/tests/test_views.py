"""Pages as users meet them: lists (search, filters, paging, export), forms with bad input, query counts."""

import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from core.models import AuditLog, Class, Guardianship, School, Student, TeachingAssignment
from core.testing import login, make_person


def client_for(user):
    c = Client()
    login(c, user)
    return c


def _rows(response):
    return re.findall(r"<tr><td", response.content.decode())


@pytest.mark.django_db
def test_student_list_search_and_filter(world):
    c = client_for(world.district_admin)
    all_rows = c.get("/people/students/")
    assert "共 4 条" in all_rows.content.decode()
    by_name = c.get("/people/students/", {"q": "周小"})
    assert "周小明" in by_name.content.decode() and "孙小丽" not in by_name.content.decode()
    by_school = c.get("/people/students/", {"school": world.school_b.pk})
    body = by_school.content.decode()
    assert "孙小丽" in body and "周小明" not in body and "共 1 条" in body
    # the school dropdown lists only schools in scope
    sa = client_for(world.school_admin_a).get("/people/students/").content.decode()
    assert world.school_b.name not in sa


@pytest.mark.django_db
def test_htmx_request_gets_only_the_table(world):
    c = client_for(world.district_admin)
    response = c.get("/people/students/", {"q": "孙"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="list-table")
    body = response.content.decode()
    assert "<html" not in body and "孙小丽" in body


@pytest.mark.django_db
def test_student_list_shows_masked_ids_only(world):
    body = client_for(world.school_admin_a).get("/people/students/").content.decode()
    full = world.student_a1.person.id_number
    assert full not in body
    assert f"{full[:6]}********{full[-4:]}" in body


@pytest.mark.django_db
def test_excel_export_is_scoped_masked_and_audited(world):
    c = client_for(world.school_admin_a)
    response = c.get("/people/students/", {"export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "姓名"
    names = {r[0] for r in rows[1:]}
    assert names == {"周小明", "吴小红", "郑小刚"}  # school A only
    flat = " ".join(str(v) for r in rows for v in r)
    assert world.student_a1.person.id_number not in flat
    assert re.search(r"\d{6}\*{8}\d{3}[\dX]", flat)
    log = AuditLog.objects.filter(action="export", actor=world.school_admin_a).get()
    assert log.changes["rows"] == 3


@pytest.mark.django_db
def test_subject_teacher_cannot_export(world):
    response = client_for(world.teacher_a).get("/people/students/", {"export": "xlsx"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_paging(world, settings):
    settings.ZX_PAGE_SIZE = 2
    c = client_for(world.district_admin)
    first = c.get("/people/students/")
    assert "1 / 2" in first.content.decode() and len(_rows(first)) == 2
    second = c.get("/people/students/", {"page": 2})
    assert len(_rows(second)) == 2


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/people/students/", "/people/staff/", "/people/parents/", "/org/classes/", "/org/schools/"]
)
def test_list_query_count_does_not_grow_with_rows(world, url):
    c = client_for(world.district_admin)
    before = _count_queries(c, url)
    # add a full class of students with guardians, staff, classes
    klass = Class.objects.create(school=world.school_a, grade=world.grade_a, number=9)
    for i in range(30):
        p = make_person(f"新生{i}", born=world.student_a1.person.birth_date)
        s = Student.objects.create(
            person=p,
            district=world.district,
            school=world.school_a,
            klass=klass,
            student_no=f"L{i:08d}",
            class_no=i + 1,
        )
        Guardianship.objects.create(
            guardian=make_person(f"家长{i}", born=world.parent1_person.birth_date), student=s, relation="1"
        )
    after = _count_queries(c, url)
    assert after == before, f"{url}: {before} queries with few rows, {after} with many"


@pytest.mark.django_db
def test_school_create_with_bad_code_shows_error_and_writes_nothing(world):
    c = client_for(world.district_admin)
    n = School.objects.count()
    response = c.post("/org/schools/new/", {"name": "新学校", "code": "3433000001", "school_type": "primary"})
    body = response.content.decode()
    assert response.status_code == 200 and "前两位应为办学类型代码 21" in body
    assert School.objects.count() == n
    ok = c.post("/org/schools/new/", {"name": "新学校", "code": "2133000077", "school_type": "primary"})
    assert ok.status_code == 302
    school = School.objects.get(code="2133000077")
    assert school.campuses.filter(is_main=True).exists()
    assert AuditLog.objects.filter(action="school.create", object_id=str(school.pk)).exists()


@pytest.mark.django_db
def test_class_create_duplicate_number_is_refused(world):
    c = client_for(world.school_admin_a)
    response = c.post(f"/org/grades/{world.grade_a.pk}/classes/new/", {"number": 1})
    assert response.status_code == 200
    assert "班号" in response.content.decode() or "已存在" in response.content.decode()
    assert Class.objects.filter(grade=world.grade_a).count() == 2


@pytest.mark.django_db
def test_head_teacher_change_is_audited_with_before_and_after(world):
    c = client_for(world.school_admin_a)
    response = c.post(
        f"/org/classes/{world.class_a1.pk}/edit/",
        {"number": 1, "alias": "", "campus": "", "head_teacher": world.math_a.pk},
    )
    assert response.status_code == 302
    world.class_a1.refresh_from_db()
    assert world.class_a1.head_teacher == world.math_a
    log = AuditLog.objects.filter(action="class.update").latest("id")
    assert log.changes["head_teacher"] == [world.head_a1.pk, world.math_a.pk]


@pytest.mark.django_db
def test_teaching_assignment_set_from_class_page(world):
    c = client_for(world.school_admin_a)
    c.post(
        f"/org/classes/{world.class_a2.pk}/assignments/",
        {"subject": world.math.pk, "teacher": world.math_a.pk, "periods_per_week": 5},
    )
    ta = TeachingAssignment.objects.get(klass=world.class_a2, subject=world.math)
    assert ta.teacher == world.math_a and ta.periods_per_week == 5
    # the teacher now sees class A2's students
    body = client_for(world.teacher_a).get("/people/students/").content.decode()
    assert "郑小刚" in body


@pytest.mark.django_db
def test_parent_binding_reuses_person_by_phone(world):
    c = client_for(world.head_teacher_a1)
    response = c.post(
        f"/people/students/{world.student_a1b.pk}/guardians/new/",
        {"relation": "1", "name": "周建国", "phone": "13800138001", "id_number": ""},
    )
    assert response.status_code == 302
    g = Guardianship.objects.get(student=world.student_a1b)
    assert g.guardian == world.parent1_person  # 一人一号: the existing parent, not a new person
    missing = c.post(f"/people/students/{world.student_a1b.pk}/guardians/new/", {"relation": "2", "name": "某某"})
    assert "请至少填写手机号或身份证号" in missing.content.decode()


@pytest.mark.django_db
def test_home_pages_are_role_aware(world):
    assert "在读学生" in client_for(world.district_admin).get("/").content.decode()
    teacher = client_for(world.teacher_a).get("/").content.decode()
    assert "本学期任课" in teacher and "在读学生" not in teacher
    parent = client_for(world.parent1).get("/").content.decode()
    assert "我的孩子" in parent and "周小明" in parent and "孙小丽" in parent
    assert 'href="/org/schools/"' not in parent
    student = client_for(world.student_user_a1).get("/").content.decode()
    assert "我的任课老师" in student and "陈老师" in student


@pytest.mark.django_db
def test_audit_page_filters(world):
    c = client_for(world.auditor)
    body = c.get("/admin/audit/", {"action": "school."}).content.decode()
    assert "修改学校" in body and "→ 蛟川" in body
    none = c.get("/admin/audit/", {"action": "nothing."}).content.decode()
    assert "没有符合条件的记录" in none


@pytest.mark.django_db
def test_base_data_subject_and_year_management(world):
    from core.models import AcademicYear, Subject, Term

    c = client_for(world.district_admin)
    dup = c.post("/org/base-data/", {"subject-code": "02", "subject-name": "数学2", "subject-stages": ["junior"]})
    assert "学科代码" in dup.content.decode() and "已经存在" in dup.content.decode()
    assert not Subject.objects.filter(name="数学2").exists()
    ok = c.post(
        "/org/base-data/", {"subject-code": "31", "subject-name": "书法", "subject-stages": ["primary", "junior"]}
    )
    assert ok.status_code == 302
    assert Subject.objects.get(name="书法").stages == "primary,junior"
    start = world.term.academic_year.start_year + 1
    c.post("/org/base-data/", {"year-start_year": start})
    year = AcademicYear.objects.get(district=world.district, start_year=start)
    assert year.terms.count() == 2 and Term.objects.get(district=world.district, is_current=True) == world.term
    # switching the current term ends last term's teaching scope
    c.post(f"/org/terms/{year.terms.get(number=1).pk}/current/")
    assert "周小明" not in client_for(world.teacher_a).get("/people/students/").content.decode()
    # school admins see the tables read-only
    body = client_for(world.school_admin_a).get("/org/base-data/").content.decode()
    assert "书法" in body and "添加学科" not in body


@pytest.mark.django_db
def test_person_edit_validates_id_number_and_writes_nothing_on_error(world):
    c = client_for(world.head_teacher_a1)
    person = world.student_a1.person
    original = person.id_number
    bad = original[:-1] + ("0" if original[-1] != "0" else "1")
    response = c.post(
        f"/people/{person.pk}/edit/",
        {
            "name": person.name,
            "gender": person.gender,
            "ethnicity": "01",
            "id_type": "1",
            "id_number": bad,
            "phone": "",
        },
    )
    assert "校验位错误" in response.content.decode()
    person.refresh_from_db()
    assert person.id_number == original and person.ethnicity == ""
    ok = c.post(
        f"/people/{person.pk}/edit/",
        {
            "name": "周晓明",
            "gender": person.gender,
            "ethnicity": "01",
            "id_type": "1",
            "id_number": original,
            "phone": "",
        },
    )
    assert ok.status_code == 302
    person.refresh_from_db()
    assert person.name == "周晓明"
    assert AuditLog.objects.filter(action="person.update", object_id=str(person.pk)).exists()


@pytest.mark.django_db
def test_campus_create_and_staff_post_end(world):
    c = client_for(world.school_admin_a)
    c.post(f"/org/schools/{world.school_a.pk}/campuses/new/", {"name": "东校区", "address": "镇海区骆驼街道"})
    assert world.school_a.campuses.filter(name="东校区").exists()
    post = world.math_a.staff_posts.get()
    c.post(f"/people/posts/{post.pk}/end/")
    post.refresh_from_db()
    assert post.archived_at is not None
    # the teacher's staff scope is gone with the post
    assert client_for(world.teacher_a).get("/people/staff/").status_code == 403


@pytest.mark.django_db
def test_class_filter_follows_the_school_filter(world, monkeypatch):
    from core.filters import ScopedFilterSet

    monkeypatch.setattr(ScopedFilterSet, "CLASS_CHOICES_LIMIT", 2)  # the district has 3 classes
    c = client_for(world.district_admin)
    body = c.get("/people/students/").content.decode()
    klass_select = re.search(r'<select[^>]*name="klass".*?</select>', body, re.S).group(0)
    assert "先选学校再选班级" in klass_select and '<option value=""' in klass_select
    assert klass_select.count("<option") == 1
    partial = c.get(
        "/people/students/", {"school": world.school_a.pk}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="list-table"
    )
    html = partial.content.decode()
    select = re.search(r'<select hx-swap-oob="true"[^>]*name="klass".*?</select>', html, re.S).group(0)
    assert f'value="{world.class_a1.pk}"' in select and f'value="{world.class_b1.pk}"' not in select
    assert 'id="export-link"' in html and f"school={world.school_a.pk}" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected", "absent"),
    [
        ("district_admin", ["学校", "班级", "学生", "教职工", "家长", "基础数据", "角色授权", "审计日志"], []),
        ("auditor", ["审计日志"], ["学生", "基础数据", "角色授权"]),
        ("head_teacher_a1", ["班级", "学生", "教职工", "家长"], ["学校", "基础数据", "审计日志"]),
        ("teacher_a", ["班级", "学生", "教职工"], ["家长", "学校", "审计日志"]),
        ("parent1", [], ["学生", "班级", "教职工", "家长", "学校"]),
    ],
)
def test_menu_shows_only_the_modules_a_role_may_use(world, role, expected, absent):
    body = client_for(getattr(world, role)).get("/").content.decode()
    menu = re.search(r'data-testid="side-menu">(.*?)</nav>', body, re.S).group(1)
    labels = re.findall(r"</i>([^<]+)</a>", menu)
    assert labels[0] == "首页"
    for label in expected:
        assert label in labels, (label, labels)
    for label in absent:
        assert label not in labels, (label, labels)


@pytest.mark.django_db
def test_student_search_by_exact_student_number(world):
    c = client_for(world.district_admin)
    exact = c.get("/people/students/", {"q": world.student_b1.student_no}).content.decode()
    assert "孙小丽" in exact and "共 1 条" in exact
    # a prefix of the encrypted number finds nothing (no digit-by-digit probing of ID numbers)
    partial = c.get("/people/students/", {"q": world.student_b1.student_no[:8]}).content.decode()
    assert "没有符合条件的记录" in partial


@pytest.mark.django_db
def test_menu_groups_appear_once(world):
    body = client_for(world.school_admin_a).get("/").content.decode()
    menu = re.search(r'data-testid="side-menu">(.*?)</nav>', body, re.S).group(1)
    groups = re.findall(r"zx-menu-group[^>]*>([^<]+)<", menu)
    assert len(groups) == len(set(groups)), groups
