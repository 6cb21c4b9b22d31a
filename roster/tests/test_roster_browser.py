"""Browser tests (Playwright, system Chromium) for the 学籍 module: import, transfer approval, promotion.

Screenshots go to test-artifacts/screenshots/roster-*.png. Run alone with
``pytest -q roster/tests/test_roster_browser.py``; they also run under ``-n 2 --dist loadfile``.
"""

import random
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.testing import junior_class_b  # noqa: E402
from core.tests.browser import DESKTOP, _new_page, login, screenshot, table_rows  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def _as(browser, live_server, username):
    """A fresh browser context logged in as ``username`` (admins: with TOTP enrolment)."""
    context, page = _new_page(browser, live_server, DESKTOP)
    login(page, username, admin=True)
    return context, page


def _upload(page, school_pk, name: str, data: bytes) -> None:
    page.goto("/roster/imports/")
    form = page.get_by_test_id("import-form")
    form.locator("select[name=school]").select_option(str(school_pk))
    form.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": name,
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": data,
            }
        ]
    )
    form.get_by_label("仅预览，不写入").uncheck()
    form.get_by_role("button", name="上传").click()
    page.wait_for_url(re.compile(r"/roster/imports/\d+/$"))


# --- 1. import: a file with errors is refused with a report, the valid file is imported -----------------


def test_import_with_errors_then_valid(bworld, desktop, settings, tmp_path):
    from core.models import Student
    from roster.importer.sample import build_workbook

    settings.MEDIA_ROOT = str(tmp_path / "media")
    w = bworld
    valid = build_workbook(w.school_a, 8, rng=random.Random(1))

    wb = load_workbook(BytesIO(valid))
    ws = wb.active
    header_row = next(
        r[0].row
        for r in ws.iter_rows(max_row=10)
        if any(isinstance(c.value, str) and c.value.startswith("姓名") for c in r)
    )
    header = [c.value.rstrip("★") if isinstance(c.value, str) else c.value for c in ws[header_row]]
    id_col, type_col, gender_col = (header.index(h) + 1 for h in ("身份证件号", "身份证件类型", "性别"))
    id_row = next(r for r in range(header_row + 1, ws.max_row + 1) if str(ws.cell(row=r, column=type_col).value) == "1")
    id_cell = ws.cell(row=id_row, column=id_col)
    number = str(id_cell.value)
    id_cell.value = number[:-1] + ("0" if number[-1] != "0" else "1")
    gender_row = id_row + 2 if id_row + 2 <= ws.max_row else header_row + 1
    gender_cell = ws.cell(row=gender_row, column=gender_col)
    gender_cell.value = "7"
    bad_coords = {id_cell.coordinate, gender_cell.coordinate}
    buf = BytesIO()
    wb.save(buf)

    before = Student.objects.count()
    page = desktop
    login(page, "sadmin_a", admin=True)
    _upload(page, w.school_a.pk, "bad.xlsx", buf.getvalue())

    status = page.get_by_test_id("import-status")
    expect(status).to_have_attribute("data-status", "invalid")
    expect(page.get_by_test_id("import-invalid")).to_contain_text("未写入任何数据")
    rows = table_rows(page, "import-errors")
    assert any(r[1] == "身份证件号" and "校验位错误" in r[2] for r in rows), rows
    assert any(r[1] == "性别" and "「7」不是有效的代码" in r[2] for r in rows), rows
    assert Student.objects.count() == before
    screenshot(page, "roster-import-invalid")

    with page.expect_download() as info:
        page.get_by_test_id("report-link").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    report = load_workbook(BytesIO(download.path().read_bytes())).active
    comments = {c.coordinate: c.comment.text for row in report.iter_rows() for c in row if c.comment}
    assert set(comments) == bad_coords, comments
    assert "校验位错误" in comments[id_cell.coordinate]
    assert "不是有效的代码" in comments[gender_cell.coordinate]

    _upload(page, w.school_a.pk, "good.xlsx", valid)
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("import-done")).to_contain_text("导入完成：新增 8 人，更新 0 人，未变化 0 人。")
    assert Student.objects.count() == before + 8
    screenshot(page, "roster-import-done")


# --- 2. transfer: request (school A) → accept (school B) → approve (district) ---------------------------


def test_transfer_approval(bworld, browser, live_server):
    w = bworld
    student = w.student_a2
    name = student.person.name
    target = junior_class_b(w)  # 九年一贯制 school B's class of the student's cohort

    ctx_a, page_a = _as(browser, live_server, "sadmin_a")
    page_a.goto(f"/roster/students/{student.pk}/")
    expect(page_a.get_by_test_id("student-school")).to_have_text(w.school_a.name)
    form = page_a.get_by_test_id("transfer-form")
    form.get_by_label("转入学校").select_option(label=w.school_b.name)
    form.get_by_label("转学原因").fill("随父母工作调动")
    form.get_by_role("button", name="提交申请").click()
    expect(page_a.get_by_text(f"已提交转学申请，等待{w.school_b.name}接收")).to_be_visible()
    expect(page_a.get_by_test_id("timeline")).to_contain_text(f"{w.school_a.name} → {w.school_b.name}")

    ctx_b, page_b = _as(browser, live_server, "sadmin_b")
    page_b.goto("/roster/transfers/")
    row = page_b.get_by_test_id("inbox").locator("tbody tr", has_text=name)
    row.locator("select[name=to_class]").select_option(label=str(target))
    row.get_by_role("button", name="接收").click()
    expect(page_b.get_by_text(f"已同意接收{name}，等待区县审批")).to_be_visible()
    ctx_b.close()

    ctx_d, page_d = _as(browser, live_server, "dadmin")
    page_d.goto("/roster/transfers/")
    row = page_d.get_by_test_id("inbox").locator("tbody tr", has_text=name)
    page_d.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="批准").click()
    expect(page_d.get_by_text(f"已批准，{name}已转入{w.school_b.name}")).to_be_visible()
    page_d.goto(f"/roster/students/{student.pk}/")
    expect(page_d.get_by_test_id("student-school")).to_have_text(w.school_b.name)
    expect(page_d.get_by_test_id("timeline")).to_contain_text("区县审批通过")
    screenshot(page_d, "roster-transfer-approved")
    ctx_d.close()

    page_a.goto(f"/people/students/{student.pk}/")
    expect(page_a.get_by_test_id("not-found")).to_contain_text("未找到")
    screenshot(page_a, "roster-transfer-old-school-404")
    ctx_a.close()


# --- 3. promotion: preview per grade, then the summary ---------------------------------------------------


def test_school_promotion(bworld, desktop):
    from roster.services import school_promote_preview
    from roster.views.changes import next_start_year

    w = bworld
    year = next_start_year(w.school_a)
    preview = school_promote_preview(actor=w.school_admin_a, school=w.school_a, to_start_year=year)
    assert preview["grades"] and preview["promoted"] + preview["graduated"] + preview["continued"] > 0

    page = desktop
    login(page, "sadmin_a", admin=True)
    page.goto(f"/roster/schools/{w.school_a.pk}/promote/")
    counts = [int(t) for t in page.get_by_test_id("preview").get_by_test_id("count").all_inner_texts()]
    assert counts == [g["count"] for g in preview["grades"]]
    expect(page.get_by_test_id("preview").locator("tfoot")).to_contain_text(
        f"合计：升级 {preview['promoted']} 人，毕业 {preview['graduated']} 人"
    )
    screenshot(page, "roster-promote-preview")

    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="执行升级").click()
    result = page.get_by_test_id("promote-result")
    expect(result).to_contain_text(
        f"本次升级 {preview['promoted']} 人，毕业 {preview['graduated']} 人，"
        f"升入本校下一学段 {preview['continued']} 人；此前已处理 0 人。"
    )
    expect(page.get_by_text(f"升级完成：升级 {preview['promoted']} 人，毕业 {preview['graduated']} 人")).to_be_visible()
    done = [int(t) for t in page.get_by_test_id("preview").locator("tbody tr td:nth-child(6)").all_inner_texts()]
    assert done == [g["count"] for g in preview["grades"]]
    screenshot(page, "roster-promote-done")
