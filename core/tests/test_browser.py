"""Browser tests (Playwright, system Chromium) against Django's live server: what each user actually sees.

Screenshots go to test-artifacts/screenshots/ (gitignored). Run alone with
``pytest -q core/tests/test_browser.py``; they also run under ``-n 2 --dist loadfile``.
"""

# Playwright's sync API keeps an event loop in the main thread; the test thread still uses the ORM.
import datetime as dt
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

# The helpers assert things too: have pytest rewrite them before they are imported (and used as a plugin).
pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import (  # noqa: E402
    enrol_otp,
    login,
    menu_labels,
    open_phone_menu,
    screenshot,
    submit_login,
    table_rows,
)

# Fixtures (browser, bworld, desktop, phone) live with the helpers.
pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]

MASKED_ID = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")
ADMIN_MENU = ["首页", "学校", "班级", "学生", "教职工", "家长", "角色授权", "审计日志"]
BOOTSTRAP_PRIMARY = "rgb(13, 110, 253)"


def _wait_for_chart(page) -> None:
    """Wait for the ECharts bars to finish their grow-in animation (else screenshots show stubs)."""
    page.locator(".zx-chart canvas").first.wait_for()
    page.evaluate(
        """() => new Promise((done) => {
            const chart = echarts.getInstanceByDom(document.querySelector(".zx-chart"));
            chart.on("finished", done);
            setTimeout(done, 2000);
        })"""
    )


# --- 1. every role lands on its own home page -----------------------------------------------------------


def test_district_admin_home(bworld, desktop, live_server):
    page = desktop
    assert page.request.get(f"{live_server.url}/static/vendor/bootstrap/bootstrap.min.css").status == 200
    submit_login(page, "dadmin")
    expect(page).to_have_url(re.compile(r"/account/otp/\?next=/$"))
    expect(page.locator(".zx-qr img")).to_be_visible()
    screenshot(page, "district_admin-otp")
    enrol_otp(page)
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("roles")).to_contain_text("区县管理员")
    expect(page.get_by_test_id("student-count")).to_have_text("4")
    # Bootstrap and the icon font are served and applied.
    navbar = page.locator("nav.navbar")
    assert navbar.evaluate("el => getComputedStyle(el).backgroundColor") == BOOTSTRAP_PRIMARY
    icon = page.locator(".navbar-brand .bi-mortarboard-fill")
    assert "bootstrap-icons" in icon.evaluate("el => getComputedStyle(el, '::before').fontFamily")
    assert page.evaluate("document.fonts.check('16px bootstrap-icons')")
    assert set(ADMIN_MENU) <= set(menu_labels(page)), menu_labels(page)
    expect(page.get_by_test_id("side-menu")).to_be_visible()
    _wait_for_chart(page)
    screenshot(page, "district_admin-home")


def test_school_admin_home(bworld, desktop):
    page = desktop
    login(page, "sadmin_a", admin=True)
    expect(page.get_by_test_id("roles")).to_contain_text("学校管理员")
    # Only school A: 周小明, 吴小红, 郑小刚.
    expect(page.get_by_test_id("student-count")).to_have_text("3")
    # School admins grant roles inside their school and read its audit log, so the menu is the admin one.
    assert set(ADMIN_MENU) <= set(menu_labels(page)), menu_labels(page)
    # One school: no per-school comparison chart.
    expect(page.locator(".zx-chart")).to_have_count(0)
    screenshot(page, "school_admin-home")


def test_head_teacher_home(bworld, desktop):
    w = bworld
    page = desktop
    login(page, "head_a1")
    expect(page).not_to_have_url(re.compile("/account/otp/"))
    card = page.locator(".card", has=page.get_by_role("heading", name="我担任班主任的班级"))
    expect(card).to_contain_text(f"{w.school_a.name} · {w.class_a1.name}")
    expect(card).to_contain_text("2 名学生")
    labels = menu_labels(page)
    assert "学生" in labels and "家长" in labels
    assert "学校" not in labels and "审计日志" not in labels and "角色授权" not in labels
    expect(page.get_by_test_id("overview")).to_have_count(0)
    screenshot(page, "head_teacher-home")


def test_subject_teacher_home(bworld, desktop):
    w = bworld
    page = desktop
    login(page, "teacher_a")
    heading = page.get_by_role("heading", name="本学期任课")
    expect(heading).to_contain_text("周课时 5")
    teaching = page.get_by_test_id("teaching")
    expect(teaching.locator("li")).to_have_count(1)
    expect(teaching).to_contain_text(f"{w.school_a.name} · {w.class_a1.name}")
    expect(teaching).to_contain_text("数学")
    expect(teaching).to_contain_text("5 节/周")
    labels = menu_labels(page)
    assert "学生" in labels and "班级" in labels
    assert "家长" not in labels and "审计日志" not in labels
    screenshot(page, "subject_teacher-home")


def test_parent_home_on_phone(bworld, phone):
    w = bworld
    page = phone
    login(page, "parent1")
    children = page.get_by_test_id("children")
    expect(page.get_by_role("heading", name="我的孩子")).to_be_visible()
    expect(children.locator(".card")).to_have_count(2)
    expect(children).to_contain_text(w.student_a1.person.name)
    expect(children).to_contain_text(w.student_b1.person.name)
    expect(children).to_contain_text(w.school_b.name)
    # No horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The menu is an offcanvas on phones: closed at first, the hamburger opens it, and it only has 首页.
    expect(page.get_by_test_id("side-menu")).not_to_be_visible()
    screenshot(page, "parent-home")
    open_phone_menu(page)
    expect(page.get_by_test_id("side-menu")).to_be_visible()
    assert {"首页", "成绩报告"} <= set(menu_labels(page)) and "学生" not in menu_labels(page)
    screenshot(page, "parent-menu", full_page=False)


def test_student_home_on_phone(bworld, phone):
    w = bworld
    page = phone
    login(page, w.student_user_a1.username)
    me = page.get_by_test_id("me")
    expect(me.get_by_role("heading", level=2)).to_have_text(f"{w.school_a.name} · {w.class_a1.name}")
    expect(me).to_contain_text(f"班主任：{w.head_a1.name}")
    expect(me.locator("li")).to_have_text([re.compile(rf"数学\s*{w.math_a.name}")])
    assert w.student_a1.person.id_number not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "student-home")
    open_phone_menu(page)
    assert {"首页", "成绩报告"} <= set(menu_labels(page)) and "学生" not in menu_labels(page)


def test_head_teacher_class_page_on_phone(bworld, phone):
    """The class roster scrolls sideways inside its card instead of breaking names one character a line."""
    w = bworld
    page = phone
    login(page, "head_a1")
    page.get_by_role("link", name=f"{w.school_a.name} · {w.class_a1.name}").click()
    students = page.get_by_test_id("students")
    expect(students.locator("tbody tr")).to_have_count(2)
    link = students.get_by_role("link", name=w.student_a1.person.name)
    assert link.evaluate("el => el.getClientRects().length") == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "head_teacher-class-phone")


# --- 2. a list page: htmx search, filter, Excel export ----------------------------------------------------


def _xlsx_rows(download) -> list[list[str]]:
    ws = load_workbook(BytesIO(download.path().read_bytes()), read_only=True).active
    return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]


def test_student_list_search_filter_export(bworld, desktop):
    w = bworld
    page = desktop
    login(page, "dadmin", admin=True)
    page.get_by_test_id("side-menu").get_by_role("link", name="学生").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("学生")
    rows = page.get_by_test_id("list-table").locator("tbody tr")
    expect(rows).to_have_count(4)
    expect(page.get_by_test_id("total")).to_have_text("共 4 条")

    # Typing refreshes only the table (htmx): the page is not reloaded.
    page.evaluate("window.__zx_same_page = true")
    search = page.get_by_placeholder("姓名或学籍号")
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request") == "true"):
        search.press_sequentially(w.student_b1.person.name)
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").first).to_have_text(w.student_b1.person.name)
    assert page.evaluate("window.__zx_same_page") is True

    # Emptying the box (no key events, like the search field's clear button) brings every row back.
    search.fill("")
    expect(rows).to_have_count(4)

    # Filter by school: school A rows only.
    page.locator("select[name=school]").select_option(label=w.school_a.name)
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("total")).to_have_text("共 3 条")
    # ... and the 班级 choices follow the chosen school.
    expect(page.locator("select[name=klass] option")).to_have_text(["全部班级", w.class_a1.name, w.class_a2.name])
    on_screen = table_rows(page)
    assert {r[4] for r in on_screen} == {w.school_a.name}
    assert {r[0] for r in on_screen} == {
        w.student_a1.person.name,
        w.student_a1b.person.name,
        w.student_a2.person.name,
    }
    assert all(MASKED_ID.match(r[3]) for r in on_screen), on_screen
    assert page.evaluate("window.__zx_same_page") is True
    screenshot(page, "district_admin-student-list")

    # The export link follows the htmx filters: the workbook holds exactly the rows on screen.
    expect(page.get_by_test_id("export")).to_have_attribute("href", re.compile(rf"school={w.school_a.pk}"))
    with page.expect_download() as dl:
        page.get_by_test_id("export").click()
    download = dl.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = _xlsx_rows(download)
    headers = [t.strip() for t in page.get_by_test_id("list-table").locator("thead th").all_inner_texts()]
    assert sheet[0] == headers
    assert sheet[1:] == on_screen
    id_col = headers.index("身份证号")
    assert all(MASKED_ID.match(r[id_col]) for r in sheet[1:])
    flat = " ".join(" ".join(r) for r in sheet)
    for s in (w.student_a1, w.student_a1b, w.student_a2, w.student_b1):
        assert s.person.id_number not in flat


# --- 3. district admin builds a school, a grade, a class and a teaching assignment --------------------------


def test_district_admin_creates_school_grade_class_assignment(bworld, desktop):
    from core import idcard
    from core.models import Class, Grade, School, TeachingAssignment

    w = bworld
    page = desktop
    login(page, "dadmin", admin=True)
    page.get_by_test_id("side-menu").get_by_role("link", name="学校").click()
    page.get_by_role("link", name="新建学校").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新建学校")

    schools_before = School.objects.count()
    page.get_by_label("学校名称").fill("镇海区测试小学")
    page.get_by_label("学校标识码").fill("3133000099")  # 31 is 初级中学, not 小学
    page.get_by_label("办学类型").select_option(label="小学")
    page.get_by_role("button", name="保存").click()
    code_field = page.locator(".mb-3", has=page.get_by_label("学校标识码"))
    expect(code_field.get_by_test_id("field-error")).to_have_text("学校标识码前两位应为办学类型代码 21")
    assert School.objects.count() == schools_before

    page.get_by_label("学校标识码").fill("2133000099")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/org/schools/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("镇海区测试小学")
    expect(page.get_by_role("alert")).to_contain_text("学校已创建。")
    school = School.objects.get(code="2133000099")
    assert school.school_type == "primary"

    # A teacher for the new school (the teaching-assignment form only offers this school's staff).
    page.get_by_role("link", name="添加教职工").click()
    page.get_by_label("姓名").fill("钱老师")
    page.get_by_label("身份证号").fill(idcard.make("330211", dt.date(1990, 2, 3), 124))
    page.get_by_label("岗位").select_option(label="专任教师")
    page.get_by_label("任教学科").select_option(label="数学")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("钱老师")

    # Grade: 学段 is limited to the school's stages; the entry year makes it this year's 一年级.
    page.goto(f"/org/schools/{school.pk}/")
    page.get_by_role("link", name="新建年级").click()
    expect(page.get_by_label("学段").locator("option:not([value=''])")).to_have_text(["小学"])
    page.get_by_label("学段").select_option(label="小学")
    page.get_by_label("入学年份").fill(str(w.term.academic_year.start_year))
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("grades")).to_contain_text("一年级")
    grade = Grade.objects.get(school=school)

    page.get_by_test_id("grades").get_by_role("link", name="一年级").click()
    page.get_by_role("link", name="新建班级").click()
    expect(page.get_by_label("班号")).to_have_value("1")
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/org/classes/\d+/$"))
    klass = Class.objects.get(grade=grade)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"镇海区测试小学 · {klass.name}")
    assignments = page.get_by_test_id("assignments")
    expect(assignments).to_contain_text("暂无任课安排")

    form = page.get_by_test_id("assign-form")
    form.locator("select[name=subject]").select_option(label="数学")
    form.locator("select[name=teacher]").select_option(label="钱老师")
    form.locator("input[name=periods_per_week]").fill("6")
    form.get_by_role("button", name="设置任课").click()
    expect(page.get_by_role("alert")).to_contain_text("任课安排已保存：数学 — 钱老师")
    expect(assignments.locator("li")).to_have_count(1)
    expect(assignments.locator("li")).to_contain_text(re.compile(r"数学\s*钱老师\s*6节"))
    assert TeachingAssignment.objects.filter(klass=klass, subject__name="数学", teacher__name="钱老师").exists()
    screenshot(page, "district_admin-class")


# --- 4. 班主任 binds parents; the same phone is the same person --------------------------------------------


def _bind_parent(page, student_pk: int, *, relation: str, name: str, phone_no: str) -> None:
    page.goto(f"/people/students/{student_pk}/")
    page.get_by_role("link", name="绑定家长").click()
    page.get_by_label("与学生关系").select_option(label=relation)
    page.get_by_label("姓名").fill(name)
    page.get_by_label("手机号").fill(phone_no)
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(rf"/people/students/{student_pk}/$"))


def test_head_teacher_binds_parent(bworld, desktop):
    from core.models import Guardianship, Person

    w = bworld
    page = desktop
    login(page, "head_a1")
    _bind_parent(page, w.student_a1.pk, relation="母亲", name="周妈妈", phone_no="13900139001")
    expect(page.get_by_role("alert")).to_contain_text("家长已绑定。")
    guardians = page.get_by_test_id("guardians")
    expect(guardians).to_contain_text("周妈妈（母亲）")
    expect(guardians).to_contain_text("139****9001")
    expect(guardians).not_to_contain_text("13900139001")
    screenshot(page, "head_teacher-student")

    # Same phone for the sibling: recognised, not a second record.
    _bind_parent(page, w.student_a1b.pk, relation="母亲", name="周妈妈", phone_no="13900139001")
    expect(page.get_by_test_id("guardians")).to_contain_text("周妈妈（母亲）")
    assert Person.objects.filter(name="周妈妈").count() == 1
    mother = Person.objects.get(name="周妈妈")
    assert set(Guardianship.objects.filter(guardian=mother).values_list("student_id", flat=True)) == {
        w.student_a1.pk,
        w.student_a1b.pk,
    }


# --- 5. revealing a full ID number is one click, and audited -----------------------------------------------


def test_school_admin_reveals_id_number(bworld, desktop):
    from core.models import AuditLog

    w = bworld
    page = desktop
    login(page, "sadmin_a", admin=True)
    page.goto(f"/people/students/{w.student_a1.pk}/")
    id_number = page.get_by_test_id("id-number")
    expect(id_number).to_have_text(MASKED_ID)
    assert w.student_a1.person.id_number not in page.content()
    assert not AuditLog.objects.filter(action="person.reveal").exists()
    page.get_by_test_id("reveal-id").click()
    expect(page.get_by_test_id("revealed")).to_have_text(w.student_a1.person.id_number)
    wrapper = page.locator("#reveal-id_number")
    expect(wrapper).to_contain_text("已记录查看")
    expect(page.get_by_test_id("reveal-id")).to_have_count(0)  # one click, one audit row
    log = AuditLog.objects.get(action="person.reveal")
    assert log.result == "ok"
    assert log.actor_id == w.school_admin_a.pk
    assert log.object_id == str(w.student_a1.person.pk)
    assert log.changes.get("field") == "id_number"
    screenshot(page, "school_admin-reveal")


# --- 6. out of scope is simply "not found" --------------------------------------------------------------


def test_parent_cannot_open_other_school_student(bworld, phone):
    w = bworld
    page = phone
    login(page, "parent2")
    response = page.goto(f"/people/students/{w.student_b1.pk}/")
    assert response.status == 404
    expect(page.get_by_test_id("not-found")).to_be_visible()
    expect(page.get_by_test_id("not-found")).to_contain_text("未找到")
    assert w.student_b1.person.name not in page.content()
    # Their own child is fine.
    assert page.goto(f"/people/students/{w.student_a2.pk}/").status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text(w.student_a2.person.name)


# --- 7. login throttling ----------------------------------------------------------------------------------


def test_lockout_after_five_wrong_passwords(bworld, desktop):
    from core.models import AuditLog

    page = desktop
    for _ in range(4):
        submit_login(page, "head_a1", "wrong-password")
        expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    submit_login(page, "head_a1", "wrong-password")
    submit_login(page, "head_a1")
    expect(page.get_by_test_id("locked")).to_be_visible()
    expect(page.get_by_test_id("locked")).to_contain_text("登录失败次数过多")
    expect(page.get_by_test_id("side-menu")).to_have_count(0)
    assert AuditLog.objects.filter(action="login_locked", result="denied").exists()
    screenshot(page, "locked")


def test_menu_groups_fold_and_stay_folded(bworld, desktop):
    page = desktop
    login(page, "dadmin", admin=True)
    menu = page.get_by_test_id("side-menu")
    students = menu.get_by_role("link", name="学生")
    expect(students).to_be_visible()
    href = students.get_attribute("href")
    menu.locator("summary", has_text="人员").click()
    expect(students).to_be_hidden()
    page.reload()
    expect(page.get_by_test_id("side-menu").get_by_role("link", name="学生")).to_be_hidden()  # remembered
    expect(page.get_by_test_id("side-menu").get_by_role("link", name="学校")).to_be_visible()  # other groups open
    page.goto(href)  # the folded group holds the page shown: it opens
    expect(page.get_by_test_id("side-menu").get_by_role("link", name="学生")).to_be_visible()
