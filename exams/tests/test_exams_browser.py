"""Browser test (Playwright, system Chromium) of the exam workflow: the district creates a 联考 → school A's admin
imports a score file → the 数学 teacher types the rest in the grid with the keyboard → the district publishes
and the grid locks.

Screenshots go to test-artifacts/screenshots/exams-*.png (desktop and phone width). Run alone with
``pytest -q exams/tests/test_exams_browser.py``.
"""

import io
import re
from decimal import Decimal

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import DESKTOP, PHONE, _new_page, login, screenshot, table_rows  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def _as(browser, live_server, username, *, admin=False, viewport=DESKTOP):
    context, page = _new_page(browser, live_server, viewport)
    login(page, username, admin=admin)
    return context, page


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_create_import_type_publish(bworld, browser, live_server, settings, tmp_path):
    from exams.models import Exam, Score, ScoreCorrection

    settings.MEDIA_ROOT = str(tmp_path / "media")
    w = bworld
    cohort = f"junior:{w.grade_a.entry_year}"

    # 1. the district creates a 联考 of the junior cohort
    ctx_d, page_d = _as(browser, live_server, "dadmin", admin=True)
    page_d.goto("/exams/")
    page_d.get_by_role("link", name="新建考试").click()
    form = page_d.get_by_test_id("exam-create-form")
    expect(form.get_by_test_id("pick-cohort")).to_be_visible()
    form.get_by_label("年级").select_option(cohort)  # htmx brings the stage's subjects and schools
    expect(form.get_by_test_id("subject-table")).to_contain_text("物理")
    expect(form.get_by_test_id("school-choices").get_by_label(w.school_a.name)).to_be_checked()
    form.get_by_label("单校考试").check()  # a school exam: one school instead of the list
    expect(form.locator("select[name=school]")).to_be_visible()
    expect(form.get_by_test_id("school-choices")).to_have_count(0)
    form.get_by_label("区域联考（多校）").check()
    expect(form.get_by_test_id("school-choices")).to_be_visible()
    form.get_by_label("考试名称").fill("七年级期中联考")
    form.get_by_label("考试代码").fill("2026-g7-mid")
    form.get_by_label("考试日期").fill("2026-11-10")
    subjects = form.get_by_test_id("subject-table")
    expect(subjects.get_by_label("语文", exact=True)).to_be_checked()
    subjects.get_by_label("英语", exact=True).uncheck()
    screenshot(page_d, "exams-create")
    form.get_by_role("button", name="创建考试").click()
    expect(page_d.get_by_text("已创建考试「七年级期中联考」：3 名考生。")).to_be_visible()
    exam = Exam.objects.get(code="2026-g7-mid")
    assert [s.subject.name for s in exam.subjects.all()] == ["语文", "数学"]
    expect(page_d.get_by_test_id("exam-status")).to_have_text("录入中")

    # the 数学 小题, pasted from Excel
    page_d.get_by_test_id("subjects").get_by_role("row", name="数学").get_by_role("link", name="小题设置").click()
    page_d.get_by_label("或从 Excel 粘贴（将替换上表）").fill(
        "题号\t满分\t题型\t答案\t知识点\n1\t5\t单选\tB\t有理数\n2\t5\t多选\tACD\t整式\n3\t110\t解答题\t\t一元一次方程、应用题"
    )
    page_d.get_by_role("button", name="按粘贴内容保存").click()
    expect(page_d.get_by_text("已保存数学的小题：3 题。")).to_be_visible()
    answers = page_d.get_by_test_id("items-table").locator("input[name=answer]")
    assert [answers.nth(i).input_value() for i in range(answers.count())] == ["B", "ACD", ""]
    assert [i.number for i in exam.subjects.get(subject__name="数学").items.all()] == ["1", "2", "3"]
    screenshot(page_d, "exams-items")
    page_d.get_by_role("link", name="七年级期中联考").click()

    # publishing now is refused with the missing scores named
    page_d.once("dialog", lambda d: d.accept())
    page_d.get_by_test_id("publish").click()
    expect(page_d.get_by_text("未能发布：成绩尚未录完")).to_be_visible()
    screenshot(page_d, "exams-detail-missing")

    # 2. school A's admin imports 语文 for everyone and 数学 for class 2
    cands = {c.student_id: c.exam_no for c in exam.candidates.all()}
    rows = [
        ["考号", "姓名", "语文", "数学"],
        [cands[w.student_a1.pk], "周小明", 101, None],
        [cands[w.student_a1b.pk], "吴小红", "缺考", None],
        [cands[w.student_a2.pk], "郑小刚", 99.5, 87],
    ]
    ctx_a, page_a = _as(browser, live_server, "sadmin_a", admin=True)
    page_a.goto(f"/exams/{exam.pk}/")
    page_a.get_by_test_id("import-link").click()

    def upload(name, data):
        form = page_a.get_by_test_id("import-form")
        form.get_by_label("学校").select_option(str(w.school_a.pk))
        form.locator("input[type=file]").set_input_files(
            files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}]
        )
        form.get_by_role("button", name="上传并导入").click()
        page_a.wait_for_url(re.compile(rf"/exams/{exam.pk}/import/[^/]+/$"))

    screenshot(page_a, "exams-import-form")
    bad = [row[:] for row in rows]
    bad[1][2] = 131  # over the full mark
    bad[3][1] = "郑晓刚"  # not the name of that 考号
    upload("有错误.xlsx", _xlsx(bad))
    expect(page_a.get_by_test_id("import-status")).to_have_attribute("data-status", "invalid")
    assert table_rows(page_a, "import-errors") == [
        ["2", "语文", "131 超出满分 120"],
        ["4", "姓名", "姓名「郑晓刚」与考号对应的学生「郑小刚」不一致"],
    ]
    with page_a.expect_download() as info:
        page_a.get_by_test_id("report-link").click()
    assert info.value.suggested_filename == "有错误-错误报告.xlsx"
    assert not Score.objects.filter(candidate__exam=exam).exists()
    screenshot(page_a, "exams-import-invalid")
    page_a.get_by_role("link", name="再导入一个文件").click()
    upload("蛟川七年级.xlsx", _xlsx(rows))
    expect(page_a.get_by_test_id("import-status")).to_have_attribute("data-status", "done")
    expect(page_a.get_by_test_id("import-done")).to_contain_text("导入完成：新增 4 个成绩，更新 0 个，未变化 0 个")
    assert Score.objects.filter(candidate__exam=exam).count() == 4
    screenshot(page_a, "exams-import-done")

    # 3. the 数学 teacher of class 1 types the two missing scores with the keyboard
    ctx_t, page_t = _as(browser, live_server, "teacher_a")
    page_t.goto(f"/exams/{exam.pk}/")
    page_t.get_by_test_id("grid-link").click()
    grid = page_t.get_by_test_id("entry-grid")
    expect(grid.get_by_test_id("entry-row")).to_have_count(2)
    cells = grid.locator("input[name=value]")
    cells.nth(0).click()
    page_t.keyboard.type("118.5")
    page_t.keyboard.press("Enter")  # next candidate; the first cell saves
    expect(cells.nth(1)).to_be_focused()
    page_t.keyboard.type("130")  # over the full mark
    page_t.keyboard.press("ArrowUp")
    expect(grid.get_by_test_id("cell").nth(1)).to_have_attribute("data-state", "error")
    expect(grid.get_by_test_id("cell-error")).to_have_text("130 超出满分 120")
    expect(grid.get_by_test_id("cell").nth(0)).to_have_attribute("data-state", "saved")
    expect(page_t.get_by_test_id("entered-count")).to_have_text("已录 1/2")  # updated with the saved cell
    screenshot(page_t, "exams-grid-error")
    grid.locator("input[name=value]").nth(1).click()
    page_t.keyboard.press("Control+A")
    page_t.keyboard.type("qk")  # 缺考 without an IME
    page_t.keyboard.press("Enter")
    expect(grid.get_by_test_id("cell").nth(1)).to_have_attribute("data-state", "saved")
    expect(grid.locator("input[name=value]").nth(1)).to_have_value("缺考")
    expect(page_t.get_by_test_id("entered-count")).to_have_text("已录 2/2")
    scores = {
        s.candidate.student_id: (s.value, s.status)
        for s in Score.objects.filter(exam_subject__exam=exam, exam_subject__subject=w.math).select_related("candidate")
    }
    assert scores == {
        w.student_a1.pk: (Decimal("118.5"), "normal"),
        w.student_a1b.pk: (None, "absent"),
        w.student_a2.pk: (Decimal("87.0"), "normal"),
    }
    screenshot(page_t, "exams-grid-saved")
    ctx_t.close()

    # the same grid at phone width
    ctx_p, page_p = _as(browser, live_server, "teacher_a", viewport=PHONE)
    page_p.goto("/exams/")
    screenshot(page_p, "exams-list-phone")
    page_p.goto(f"/exams/{exam.pk}/")
    screenshot(page_p, "exams-detail-phone")
    page_p.get_by_test_id("grid-link").click()
    expect(page_p.get_by_test_id("entry-grid")).to_be_visible()
    screenshot(page_p, "exams-grid-phone")

    # 4. the district publishes; the progress is complete
    page_d.reload()
    assert [r[1:] for r in table_rows(page_d, "progress")] == [["3/3", "3/3"], ["0/0", "0/0"]]  # B: no cohort
    page_d.once("dialog", lambda d: d.accept())
    page_d.get_by_test_id("publish").click()
    expect(page_d.get_by_text("已发布「七年级期中联考」的成绩，成绩已锁定。")).to_be_visible()
    expect(page_d.get_by_test_id("exam-status")).to_have_text("已发布")
    screenshot(page_d, "exams-published")
    page_d.goto("/exams/")
    expect(page_d.get_by_test_id("list-table")).to_contain_text("100%（6/6）")
    screenshot(page_d, "exams-list")
    ctx_d.close()

    # the teacher's grid is read-only now
    page_p.reload()
    expect(page_p.get_by_test_id("locked")).to_be_visible()
    expect(page_p.locator("[data-zx-cell]")).to_have_count(0)
    screenshot(page_p, "exams-grid-locked-phone")
    ctx_p.close()

    # school A's admin corrects a published score, with a reason
    page_a.goto(f"/exams/{exam.pk}/entry/{w.class_a1.pk}/{exam.subjects.get(subject__name='数学').pk}/")
    expect(page_a.get_by_test_id("correcting")).to_be_visible()
    cell = page_a.get_by_test_id("entry-grid").locator("input[name=value]").first
    cell.fill("108.5")
    cell.press("Enter")
    expect(page_a.get_by_test_id("cell-error").first).to_have_text(
        "成绩已发布，更正须填写原因：请先在上方填写更正原因，再重新输入"
    )
    expect(cell).to_have_value("118.5")  # the stored score, unchanged
    page_a.get_by_label("成绩已发布。更正成绩须填写原因（每次修改都会记录并审计）：").fill("第 20 题多加 10 分")
    cell = page_a.get_by_test_id("entry-grid").locator("input[name=value]").first
    cell.fill("108.5")
    cell.press("Enter")
    expect(page_a.get_by_test_id("cell").first).to_have_attribute("data-state", "saved")
    fix = ScoreCorrection.objects.get()
    assert (fix.old_value, fix.new_value, fix.reason) == (Decimal("118.5"), Decimal("108.5"), "第 20 题多加 10 分")
    screenshot(page_a, "exams-grid-correction")
    ctx_a.close()
