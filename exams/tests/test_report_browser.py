"""Browser test: the district admin reads the 考试分析 (charts, tables) and drills down to a class."""

import pytest
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import login, screenshot  # noqa: E402
from exams.tests.test_report_card import published_exam  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_district_report_drill_down(bworld, desktop):
    w = bworld
    exam = published_exam(w)
    page = desktop
    login(page, "dadmin", admin=True)
    page.goto(f"/exams/{exam.pk}/")
    page.get_by_test_id("report-link").click()
    expect(page.get_by_test_id("report-stats").locator("tbody tr").first).to_contain_text("总分")
    page.locator("[data-chart=chart-rates] canvas").first.wait_for()
    expect(page.get_by_test_id("report-schools")).to_contain_text(w.school_a.name)
    screenshot(page, "exams-report-district")
    page.get_by_test_id("report-compare").get_by_role("link", name="七年级（1）班").click()
    students = page.get_by_test_id("report-students")
    expect(students).to_contain_text("周小明")
    expect(students).to_contain_text("184")
    screenshot(page, "exams-report-class")


def test_district_sets_its_own_lines(bworld, desktop):
    w = bworld
    exam = published_exam(w)
    page = desktop
    login(page, "dadmin", admin=True)
    page.goto(f"/exams/{exam.pk}/report/")
    page.get_by_test_id("lines-link").click()
    page.locator("#label-1").fill("特控线")
    page.locator("#kind-1").select_option("score")
    page.locator("#value-1").fill("170")
    for i in (2, 3):
        page.locator(f"#value-{i}").fill("")
    page.locator("#band").fill("15")
    screenshot(page, "exams-report-lines")
    page.get_by_test_id("lines-save").click()
    expect(page.get_by_text("已保存上线设置")).to_be_visible()
    expect(page.locator("body")).to_contain_text("特控线")
    expect(page.locator("body")).not_to_contain_text("B线（前30%）")
