"""Browser test (Playwright, system Chromium, phone size): a parent opens their child's 成绩报告单 and
downloads the PDF; rankings stay hidden under the default policy."""

import pytest
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import login, screenshot  # noqa: E402
from exams.tests.test_report_card import published_exam  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_parent_reads_the_report_card_on_a_phone(bworld, phone):
    w = bworld
    published_exam(w, code="oct")
    exam = published_exam(w)
    page = phone
    login(page, "parent1")
    page.goto("/exams/my/")
    child = page.get_by_test_id("child-reports").filter(has_text="周小明")
    expect(child).to_contain_text("七年级期中联考")
    expect(page.get_by_text("郑小刚")).to_have_count(0)
    child.get_by_role("link", name="七年级期中联考").click()
    expect(page.get_by_test_id("card-total")).to_have_text("184")
    expect(page.get_by_test_id("no-ranks")).to_be_visible()
    rows = page.get_by_test_id("card-subjects").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("96")
    page.locator("[data-chart=chart-card-subjects] canvas").first.wait_for()
    screenshot(page, "exams-report-card-phone")
    with page.expect_download() as info:
        page.get_by_test_id("card-pdf").click()
    assert info.value.path().read_bytes()[:4] == b"%PDF"
    assert exam.candidates.count() == 3
