"""Browser tests (Playwright, system Chromium) of the 家校 flows the demo promises:

1. a parent registers on a phone with the class invitation code → the 班主任 approves the binding → the parent
   sees the child;
2. a parent (phone) submits a leave for today → the 班主任 approves it → today's attendance shows the child as
   请假; the 班主任 taps another child to 迟到 and saves; the month page shows the numbers.

Screenshots: test-artifacts/screenshots/homeschool-*.png. Run alone with
``pytest -q homeschool/tests/test_homeschool_browser.py``.
"""

import datetime as dt

import pytest
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import DESKTOP, PHONE, _new_page, login, screenshot  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def _as(browser, live_server, username, viewport=DESKTOP):
    context, page = _new_page(browser, live_server, viewport)
    login(page, username)
    return context, page


def test_parent_registers_and_head_teacher_approves(bworld, browser, live_server):
    from homeschool import services
    from homeschool.models import BindingRequest

    w = bworld
    code = services.invitation_code_create(actor=w.head_teacher_a1, klass=w.class_a1)
    child = w.student_a1b.person

    # the 班主任 prints the slips
    ctx_t, teacher = _as(browser, live_server, "head_a1")
    teacher.goto("/homeschool/bindings/")
    teacher.get_by_role("link", name=f"{w.class_a1.name} 邀请码").click()
    expect(teacher.get_by_test_id("unbound")).to_contain_text(child.name)
    screenshot(teacher, "homeschool-codes")
    teacher.get_by_role("link", name="打印 / 二维码").click()
    expect(teacher.get_by_test_id("print-code").first).to_have_text(code.code)
    screenshot(teacher, "homeschool-code-print")

    # the parent scans the QR code: the register page with the code filled in
    ctx_p, phone = _new_page(browser, live_server, PHONE)
    phone.goto(f"/homeschool/register/?code={code.code}")
    form = phone.get_by_test_id("register-form")
    expect(form.get_by_label("班级邀请码")).to_have_value(code.code)
    form.get_by_label("孩子姓名").fill(child.name)
    form.get_by_label("孩子身份证号").fill(child.id_number[:-1] + ("0" if child.id_number[-1] != "0" else "1"))
    form.get_by_label("家长姓名").fill("吴大伟")
    form.get_by_label("与孩子的关系").select_option(label="母亲")
    form.get_by_label("手机号").fill("13911112222")
    form.get_by_label("设置登录密码").fill("Parent#2026abc")
    form.get_by_label("再次输入密码").fill("Parent#2026abc")
    form.get_by_role("button", name="提交申请").click()
    expect(phone.get_by_test_id("form-errors")).to_contain_text("信息不匹配")
    form = phone.get_by_test_id("register-form")
    form.get_by_label("孩子身份证号").fill(child.id_number)
    form.get_by_label("设置登录密码").fill("Parent#2026abc")
    form.get_by_label("再次输入密码").fill("Parent#2026abc")
    screenshot(phone, "homeschool-register-phone")
    form.get_by_role("button", name="提交申请").click()
    expect(phone.get_by_test_id("register-done")).to_contain_text("请等待班主任审核")
    username = phone.get_by_test_id("new-username").inner_text().strip()
    phone.get_by_role("link", name="进入我的孩子").click()
    expect(phone.get_by_test_id("binding-request")).to_contain_text(child.name)
    assert BindingRequest.objects.get().status == "pending"

    # the 班主任 approves
    teacher.goto("/homeschool/bindings/")
    card = teacher.get_by_test_id("pending-bindings")
    expect(card).to_contain_text("吴大伟")
    screenshot(teacher, "homeschool-binding-queue")
    card.get_by_role("button", name="通过").click()
    expect(teacher.get_by_test_id("recent-bindings")).to_contain_text("已通过")

    # the parent now sees the child, and can log in again with the username shown
    phone.goto("/homeschool/my/")
    expect(phone.get_by_test_id("child-card")).to_contain_text(child.name)
    screenshot(phone, "homeschool-parent-home-phone")
    assert username.startswith("u")
    ctx_p.close()
    ctx_t.close()


def test_leave_approved_shows_in_attendance(bworld, browser, live_server, school_day):

    from homeschool.models import AttendanceSheet, LeaveRequest

    w = bworld
    today = school_day

    # the parent submits on a phone
    ctx_p, phone = _as(browser, live_server, "parent1", PHONE)
    phone.goto("/homeschool/my/")
    card = phone.get_by_test_id("child-card").filter(has_text=w.student_a1.person.name)
    card.get_by_role("link", name="申请请假").click()
    form = phone.get_by_test_id("leave-form")
    form.get_by_text("病假").click()
    form.get_by_label("开始日期").fill(today.isoformat())
    form.get_by_label("结束日期").fill(today.isoformat())
    form.get_by_label("请假事由").fill("早上发烧 38.2℃，去医院看病")
    screenshot(phone, "homeschool-leave-form-phone")
    form.get_by_role("button", name="提交").click()
    expect(phone.get_by_test_id("leave-status")).to_have_text("待班主任审批")
    leave = LeaveRequest.objects.get()
    screenshot(phone, "homeschool-leave-detail-phone")

    # the 班主任 approves from the queue
    ctx_t, teacher = _as(browser, live_server, "head_a1")
    teacher.goto("/homeschool/leave/")
    todo = teacher.get_by_test_id("todo")
    expect(todo).to_contain_text(w.student_a1.person.name)
    screenshot(teacher, "homeschool-leave-queue")
    todo.get_by_role("button", name="同意").click()
    expect(teacher.get_by_test_id("todo-count")).to_have_text("0")
    leave.refresh_from_db()
    assert leave.status == "approved"

    # the parent sees the result
    phone.goto(f"/homeschool/leave/{leave.pk}/")
    expect(phone.get_by_test_id("leave-status")).to_have_text("已批准")

    # today's attendance: the child is pre-filled as 请假; a tap marks the other child 迟到
    teacher.goto("/homeschool/attendance/")
    teacher.get_by_role("link", name="点名").first.click()
    tile = teacher.get_by_test_id(f"att-{w.student_a1.pk}")
    expect(tile).to_contain_text("请假")
    other = teacher.get_by_test_id(f"att-{w.student_a1b.pk}")
    expect(other).to_contain_text("出勤")
    other.click()
    expect(other).to_contain_text("迟到")
    expect(teacher.get_by_test_id("att-summary")).to_contain_text("实到 1")
    screenshot(teacher, "homeschool-attendance-take")
    teacher.get_by_test_id("att-save").click()
    expect(teacher.get_by_test_id("sheet-state")).to_contain_text("已由")
    sheet = AttendanceSheet.objects.get(date=today)
    assert (sheet.leave, sheet.late, sheet.present) == (1, 1, 1)

    # the month page on a phone
    ctx_m, mobile_teacher = _as(browser, live_server, "head_a1", PHONE)
    mobile_teacher.goto(f"/homeschool/attendance/{w.class_a1.pk}/month/")
    expect(mobile_teacher.get_by_test_id("month-rate")).to_have_text("50.0%")
    mobile_teacher.locator("[data-chart] canvas").first.wait_for()
    screenshot(mobile_teacher, "homeschool-attendance-month-phone")
    mobile_teacher.goto(f"/homeschool/attendance/{w.class_a1.pk}/{today.isoformat()}/")
    screenshot(mobile_teacher, "homeschool-attendance-take-phone")
    mobile_teacher.goto("/homeschool/leave/")
    expect(mobile_teacher.get_by_test_id("leave-table")).to_contain_text(w.student_a1.person.name)
    screenshot(mobile_teacher, "homeschool-leave-queue-phone")
    # the parent's phone shows today's attendance on the child's card
    phone.goto("/homeschool/my/")
    expect(phone.get_by_test_id("child-card").filter(has_text=w.student_a1.person.name)).to_contain_text("今日 请假")
    screenshot(phone, "homeschool-parent-home-after-phone")
    assert dt.date.fromisoformat(today.isoformat()) == today
    for c in (ctx_p, ctx_t, ctx_m):
        c.close()
