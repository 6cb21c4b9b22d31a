"""Browser test (Playwright, system Chromium) of 网上选课 on a phone: 我的课表 tells the student 选课 is open, he picks
a teaching group, sees the full one refused, changes his mind once, and his timetable then shows his group.

Screenshots: test-artifacts/screenshots/timetable-choose-*.png. Run alone with
``pytest -q timetable/tests/test_choosing_browser.py``.
"""

import pytest
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import PHONE, _new_page, login, screenshot  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_student_chooses_a_group_on_his_phone(bworld, browser, live_server):
    from timetable import services
    from timetable.testing import GROUP_NAME, choosing_open, parallel_entries, tt_world

    w = tt_world(bworld)
    parallel_entries(w, w.tt_a)
    choosing_open(w)
    # 历史A班 seats one, and 郑小刚 (class 2) has taken it
    w.group_a2.size = 1
    w.group_a2.save()
    services.elective_choose(actor=w.parent2, block=w.block_a, student=w.student_a2, group=w.group_a2)

    context, page = _new_page(browser, live_server, PHONE)
    login(page, w.student_user_a1.username)
    page.goto("/timetable/my/")
    expect(page.get_by_test_id("choose-banner")).to_contain_text(f"{w.block_a.name}正在选课")
    page.get_by_test_id("choose-banner").get_by_role("link", name="去选课").click()
    groups = page.get_by_test_id("offer-group")
    expect(groups).to_have_count(2)
    full = groups.filter(has_text=w.group_a2.name)
    expect(full.get_by_test_id("seats")).to_have_text("1/1 人")
    expect(full.get_by_test_id("choose")).to_be_disabled()
    screenshot(page, "timetable-choose-phone")
    groups.filter(has_text=GROUP_NAME).get_by_test_id("choose").click()
    expect(page.get_by_text(f"周小明已选{GROUP_NAME}")).to_be_visible()
    expect(groups.filter(has_text=GROUP_NAME)).to_contain_text("已选")
    expect(groups.filter(has_text=GROUP_NAME).get_by_test_id("seats")).to_have_text("1/30 人")
    screenshot(page, "timetable-choose-done-phone")
    assert [st.person.name for st in w.group_a.students.all()] == ["周小明"]

    # his timetable: the 走班 period is his group; the banner is gone
    page.goto("/timetable/my/")
    expect(page.get_by_test_id("choose-banner")).to_have_count(0)
    expect(page.get_by_test_id("cell-2-1")).to_contain_text(GROUP_NAME)
    expect(page.get_by_test_id("cell-2-1")).not_to_contain_text(w.group_a2.name)
    context.close()
