"""Browser test (Playwright, system Chromium) of the notice flow: the school admin sends a notice with a 回执 to
class a1's parents → the 班主任 opens the live statistics → a parent on a phone reads and signs, and the
班主任's page updates by itself → the 班主任 reminds the parent who has not signed, who finds the reminder in
我的消息.

Screenshots: test-artifacts/screenshots/notices-*.png (desktop and 390 px phone).
"""

import pytest
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import DESKTOP, PHONE, _new_page, login, screenshot  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def _as(browser, live_server, username, *, admin=False, viewport=DESKTOP):
    context, page = _new_page(browser, live_server, viewport)
    login(page, username, admin=admin)
    return context, page


def test_school_notice_with_receipt_read_signed_and_reminded(bworld, browser, live_server, settings, tmp_path):
    from core.models import Guardianship
    from notices.models import Notice, NoticeRecipient

    settings.MEDIA_ROOT = str(tmp_path / "media")
    w = bworld
    # class a1 has two families: 周建国 (周小明) and 郑芳 (吴小红)
    Guardianship.objects.create(guardian=w.parent2_person, student=w.student_a1b, relation="2")

    # 1. the school admin sends a notice with a 回执 to class a1's parents
    ctx_s, page_s = _as(browser, live_server, "sadmin_a", admin=True)
    page_s.goto("/notices/new/")
    form = page_s.get_by_test_id("notice-form")
    form.get_by_label("发布身份").select_option(label=f"{w.school_a.name}（学校通知）")
    form.get_by_role("textbox", name="标题").fill("秋季研学活动家长意见征询")
    editor = form.get_by_test_id("richtext")  # the rich-text editor replaces the textarea
    editor.click()
    page_s.keyboard.type("11 月 28 日组织七年级学生赴宁波博物馆研学。")
    page_s.keyboard.press("Enter")
    form.get_by_role("button", name="加粗").click()
    page_s.keyboard.type("请家长在回执中选择是否同意。")
    form.get_by_test_id("choices-targets").get_by_label("家长").check()
    form.get_by_test_id("choices-classes").get_by_label(w.class_a1.name).check()
    form.get_by_label("回执", exact=True).select_option(label="选择一项")
    form.get_by_label("回执说明").fill("是否同意孩子参加研学？")
    form.get_by_label("回执选项（每行一个）").fill("同意参加\n不参加")
    screenshot(page_s, "notices-create")
    form.get_by_role("button", name="发布").click()
    expect(page_s.get_by_text("通知「秋季研学活动家长意见征询」已发布。")).to_be_visible()
    notice = Notice.objects.get(title="秋季研学活动家长意见征询")
    assert set(NoticeRecipient.objects.filter(notice=notice).values_list("user__username", flat=True)) == {
        "parent1",
        "parent2",
    }
    ctx_s.close()

    # 2. the 班主任 opens the statistics of the school notice for their class
    ctx_h, page_h = _as(browser, live_server, "head_a1")
    page_h.goto("/notices/sent/")
    page_h.get_by_role("link", name="秋季研学活动家长意见征询").click()
    expect(page_h.get_by_test_id("signed-count")).to_have_text("0")
    expect(page_h.get_by_test_id("unread-list")).to_contain_text("周小明")
    expect(page_h.get_by_test_id("unread-list")).to_contain_text("吴小红")

    # 3. parent1 reads and signs on a phone
    ctx_p, page_p = _as(browser, live_server, "parent1", viewport=PHONE)
    page_p.goto("/notices/inbox/")
    expect(page_p.get_by_test_id("notices-unread")).to_have_text("1 条未读")
    screenshot(page_p, "notices-phone-inbox")
    page_p.get_by_test_id("notice-item").filter(has_text="秋季研学活动家长意见征询").click()
    expect(page_p.get_by_test_id("notice-body")).to_contain_text("宁波博物馆")
    expect(page_p.get_by_test_id("notice-body").locator("b, strong")).to_have_text("请家长在回执中选择是否同意。")
    page_p.get_by_label("同意参加").check()
    screenshot(page_p, "notices-phone-read")
    page_p.get_by_test_id("receipt-submit").click()
    expect(page_p.get_by_test_id("receipt-done")).to_contain_text("同意参加")
    screenshot(page_p, "notices-phone-signed")
    # opening it again on another device counts once
    ctx_p2, page_p2 = _as(browser, live_server, "parent1", viewport=PHONE)
    page_p2.goto(f"/notices/inbox/{notice.pk}/")
    row = NoticeRecipient.objects.get(notice=notice, user=w.parent1)
    assert row.receipt_choice == "同意参加" and row.read_at is not None
    ctx_p2.close()
    ctx_p.close()

    # 4. the 班主任's page updates by itself (htmx polling), then they remind the family that has not signed
    expect(page_h.get_by_test_id("signed-count")).to_have_text("1", timeout=12_000)
    expect(page_h.get_by_test_id("unread-list")).not_to_contain_text("周小明")
    expect(page_h.get_by_test_id("unread-list")).to_contain_text("吴小红")
    screenshot(page_h, "notices-stats")
    page_h.set_viewport_size(PHONE)  # the 班主任 may follow up on a phone too
    screenshot(page_h, "notices-stats-phone")
    page_h.get_by_test_id("remind").click()
    expect(page_h.get_by_text("已提醒 1 人。")).to_be_visible()
    ctx_h.close()

    # 5. parent2 finds the reminder
    ctx_q, page_q = _as(browser, live_server, "parent2", viewport=PHONE)
    page_q.goto("/notices/messages/")
    expect(page_q.get_by_test_id("messages")).to_contain_text("提醒：请回执《秋季研学活动家长意见征询》")
    screenshot(page_q, "notices-phone-messages")
    page_q.get_by_test_id("messages").get_by_role("link").first.click()
    page_q.get_by_test_id("message-go").click()
    expect(page_q.get_by_test_id("notice-title")).to_have_text("秋季研学活动家长意见征询")
    ctx_q.close()
