"""Browser test (Playwright, system Chromium): a teacher on a phone files a 4-day leave → the 教务主任 approves →
the principal (school admin, TOTP) approves → the teacher sees it passed with the full timeline; then a purchase
whose live total crosses 5,000 元 and therefore adds the principal to its chain.

Screenshots: test-artifacts/screenshots/oa-*.png. Run alone with ``pytest -q oa/tests/test_oa_browser.py``.
"""

import datetime as dt

import pytest
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import DESKTOP, PHONE, _new_page, login, menu_labels, screenshot  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def _as(browser, live_server, username, *, admin=False, viewport=DESKTOP):
    context, page = _new_page(browser, live_server, viewport)
    login(page, username, admin=admin)
    return context, page


def test_leave_two_steps_and_purchase_threshold(bworld, browser, live_server, settings, tmp_path):
    from oa.models import ApprovalRequest
    from oa.testing import add_leaders, next_monday

    settings.MEDIA_ROOT = str(tmp_path / "media")
    w = bworld
    add_leaders(w)
    monday = next_monday()

    # 1. the teacher, on a phone, files a leave from Monday to Thursday
    ctx_t, page_t = _as(browser, live_server, "teacher_a", viewport=PHONE)
    page_t.goto("/oa/")
    expect(page_t.get_by_test_id("tab-pending")).to_contain_text("0")
    page_t.get_by_role("link", name="请假申请").click()
    form = page_t.get_by_test_id("request-form")
    form.get_by_label("请假类型").select_option(label="事假")
    form.get_by_label("开始日期").fill(monday.isoformat())
    form.get_by_label("结束日期").fill((monday + dt.timedelta(days=3)).isoformat())
    form.get_by_label("事由").fill("家中老人住院手术，需陪护")
    form.get_by_label("工作安排（代课/代班）").fill("数学课由王老师代上")
    form.get_by_label("附件（可选，不超过 10 MB）").set_input_files(
        {"name": "住院证明.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 demo"}
    )
    screenshot(page_t, "oa-leave-form-phone")
    form.get_by_role("button", name="提交").click()
    expect(page_t.get_by_test_id("request-status")).to_have_text("审批中")
    expect(page_t.get_by_role("heading", level=1)).to_contain_text("陈老师的请假申请（事假 4 天）")
    steps = page_t.get_by_test_id("steps")
    expect(steps.locator("li").nth(0)).to_contain_text("待审批")
    expect(steps.locator("li").nth(0)).to_contain_text("钱主任")
    expect(steps.locator("li").nth(1)).to_contain_text("校长审批")
    screenshot(page_t, "oa-leave-submitted-phone")
    leave = ApprovalRequest.objects.get(request_type="leave")

    # 2. the 教务主任 approves from the inbox
    ctx_d, page_d = _as(browser, live_server, "director_a")
    page_d.goto("/")
    assert "审批" in menu_labels(page_d) and "工资签单管理" not in menu_labels(page_d)
    page_d.get_by_test_id("side-menu").locator('a[href="/oa/approvals/"]').click()
    expect(page_d.get_by_test_id("tab-pending")).to_contain_text("1")
    page_d.get_by_test_id("inbox-list").get_by_role("link", name="陈老师的请假申请（事假 4 天）").click()
    expect(page_d.get_by_test_id("request-fields")).to_contain_text("数学课由王老师代上")
    expect(page_d.get_by_role("link", name="住院证明.pdf")).to_be_visible()
    page_d.get_by_label("审批意见（驳回、退回时必填）").fill("同意，请安排好代课。")
    page_d.get_by_role("button", name="同意").click()
    expect(page_d.get_by_text("已同意。")).to_be_visible()
    expect(page_d.get_by_test_id("decision-card")).to_have_count(0)
    ctx_d.close()

    # 3. the principal (school admin, second factor) approves the second step
    ctx_p, page_p = _as(browser, live_server, "sadmin_a", admin=True)
    page_p.goto("/oa/")
    page_p.get_by_test_id("inbox-list").get_by_role("link", name="陈老师的请假申请（事假 4 天）").click()
    expect(page_p.get_by_test_id("decision-card")).to_contain_text("校长审批")
    page_p.get_by_role("button", name="同意").click()
    expect(page_p.get_by_test_id("request-status")).to_have_text("已通过")
    screenshot(page_p, "oa-leave-approved-desktop")

    # the teacher sees the result and the whole history
    page_t.goto(f"/oa/requests/{leave.pk}/")
    expect(page_t.get_by_test_id("request-status")).to_have_text("已通过")
    timeline = page_t.get_by_test_id("timeline")
    expect(timeline).to_contain_text("钱主任 同意 · 教务主任审批")
    expect(timeline).to_contain_text("同意，请安排好代课。")
    expect(timeline).to_contain_text("张校长 同意 · 校长审批")
    expect(timeline).to_contain_text("审批通过")
    screenshot(page_t, "oa-leave-approved-phone")

    # 4. a purchase: the live total crosses 5,000 元, the chain gets the principal
    page_t.goto("/oa/")
    page_t.get_by_role("link", name="采购申请").click()
    form = page_t.get_by_test_id("request-form")
    form.get_by_label("采购用途").fill("录播教室设备更新")
    form.get_by_label("预算科目").fill("教学设备购置费")
    form.get_by_label("第 1 行物品名称").fill("高清摄像机")
    form.get_by_label("第 1 行数量").fill("2")
    form.get_by_label("第 1 行单价").fill("2300")
    expect(form.get_by_test_id("purchase-total")).to_have_text("¥4,600.00")
    form.get_by_label("第 2 行物品名称").fill("无线话筒")
    form.get_by_label("第 2 行数量").fill("3")
    form.get_by_label("第 2 行单价").fill("150")
    expect(form.get_by_test_id("purchase-total")).to_have_text("¥5,050.00")
    screenshot(page_t, "oa-purchase-form-phone")
    form.get_by_role("button", name="提交").click()
    expect(page_t.get_by_test_id("request-amount")).to_have_text("¥5,050.00")
    steps = page_t.get_by_test_id("steps")
    expect(steps.locator("li")).to_have_count(2)
    expect(steps.locator("li").nth(0)).to_contain_text("副校长审批 · 孙副校长")
    expect(steps.locator("li").nth(1)).to_contain_text("校长审批 · 张校长")
    purchase = ApprovalRequest.objects.get(request_type="purchase")
    assert str(purchase.amount) == "5050.00"

    # the principal's inbox on a phone: nothing yet (the 副校长 goes first)
    ctx_p.close()
    ctx_p2, page_p2 = _as(browser, live_server, "vice_a", viewport=PHONE)
    page_p2.goto("/oa/")
    expect(page_p2.get_by_test_id("inbox-list")).to_contain_text("陈老师的采购申请（¥5,050.00）")
    screenshot(page_p2, "oa-inbox-phone")
    ctx_p2.close()
    ctx_t.close()


def test_payslip_sign_and_document_handling_on_a_phone(bworld, browser, live_server, settings, tmp_path):
    from oa.models import DocumentRouting, Payslip
    from oa.testing import oa_world

    settings.MEDIA_ROOT = str(tmp_path / "media")
    w = bworld
    o = oa_world(w)

    ctx_t, page = _as(browser, live_server, "teacher_a", viewport=PHONE)
    page.goto("/oa/payslips/")
    page.get_by_test_id("payslip-list").get_by_role("link", name=o.batch.title).click()
    items = page.get_by_test_id("slip-items")
    expect(items).to_contain_text("岗位工资")
    expect(items).to_contain_text("7,189.50")
    expect(page.get_by_test_id("slip-status")).to_have_text("待签收")
    screenshot(page, "oa-payslip-phone")
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("slip-status")).to_have_text("已签收")
    assert Payslip.objects.get(pk=o.slip_teacher.pk).status == "confirmed"

    page.goto("/oa/docs/")
    page.get_by_test_id("doc-list").get_by_role("link", name=o.doc.title).click()
    card = page.get_by_test_id("my-routing")
    expect(card).to_contain_text("请数学组阅知并落实")
    card.get_by_placeholder("办理情况（标记已办时填写）").fill("已在数学组会议上传达")
    card.get_by_role("button", name="已办").click()
    expect(page.get_by_test_id("my-routing")).to_contain_text("已办")
    screenshot(page, "oa-document-phone")
    assert DocumentRouting.objects.get(pk=o.routing.pk).note == "已在数学组会议上传达"
    ctx_t.close()

    # the school admin sees who signed and who handled what
    ctx_a, page_a = _as(browser, live_server, "sadmin_a", admin=True)
    page_a.goto(f"/oa/payroll/{o.batch.pk}/")
    expect(page_a.get_by_test_id("slip-counts")).to_contain_text("已签收 1")
    expect(page_a.get_by_test_id("slip-counts")).to_contain_text("未签收 1")
    screenshot(page_a, "oa-payroll-detail-desktop")
    page_a.goto(f"/oa/docs/{o.doc.pk}/")
    expect(page_a.get_by_test_id("routings")).to_contain_text("已在数学组会议上传达")
    screenshot(page_a, "oa-document-tracking-desktop")

    # chain settings, at phone width: add a 20,000 元 step for the 教务主任 to purchases
    page_a.set_viewport_size(PHONE)
    page_a.goto("/oa/chains/")
    chain = page_a.get_by_test_id("chain-purchase")
    expect(chain).to_contain_text("金额超过 5,000 元")
    chain.locator("summary").click()
    chain.get_by_label("审批人").select_option(label="岗位")
    chain.get_by_label("岗位").select_option(label="教务主任")
    chain.get_by_label("条件").select_option(label="金额超过")
    chain.get_by_label("阈值").fill("20000")
    chain.get_by_role("button", name="添加").click()
    expect(page_a.get_by_test_id("chain-purchase")).to_contain_text("金额超过 20,000 元")
    screenshot(page_a, "oa-chains-phone")
    ctx_a.close()
