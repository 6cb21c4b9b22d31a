"""The 学籍 module's whole "done when" in one browser session (Playwright, system Chromium):

a school admin uploads a file with every kind of bad row (30+ kinds) and gets the precise error list with
nothing written, uploads the fixed file, moves one of the new students to another school (the receiving
school accepts, the district approves), promotes the school to the next academic year and exports the MoE
template again — which now shows the new 年级 and no longer lists the transferred student, while the
receiving school's export does.
"""

from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.testing import junior_class_b  # noqa: E402
from core.tests.browser import screenshot, table_rows  # noqa: E402
from roster.importer.sample import to_xlsx  # noqa: E402
from roster.template import HEADERS  # noqa: E402
from roster.tests.test_import import CASES, excel_row, sample  # noqa: E402
from roster.tests.test_roster_browser import _as, _upload  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def _export_names(page, link_testid: str | None = None, url: str | None = None) -> tuple[set, set]:
    """(student names, 年级 values) of a downloaded MoE export."""
    with page.expect_download() as info:
        if link_testid:
            page.get_by_test_id(link_testid).locator("a").click()
        else:
            page.evaluate("url => { window.location.href = url; }", url)
    ws = load_workbook(BytesIO(info.value.path().read_bytes())).active
    header = [c.value for c in next(ws.iter_rows(max_row=1))]
    name_col, grade_col = header.index("姓名"), header.index("年级")
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    return {r[name_col] for r in rows}, {r[grade_col] for r in rows}


def test_import_transfer_promote_export(bworld, browser, live_server, settings, tmp_path):
    from core.models import Student
    from roster.views.changes import next_start_year

    settings.MEDIA_ROOT = str(tmp_path / "media")
    w = bworld
    school = w.school_a
    bad_kinds = [c for c in CASES if not c.name.endswith("_ok")]
    assert len(bad_kinds) >= 30
    total = sum(c.n for c in CASES) + 5

    # 1. a file with every kind of bad row: the precise error list, nothing written
    rows = sample(w, total, seed=3)
    expected, pos = [], 0
    for case in CASES:
        for off, column, _message in case.fn(rows[pos : pos + case.n], w):
            expected.append((excel_row(pos + off), column))
        pos += case.n
    before = Student.objects.count()
    ctx_a, page = _as(browser, live_server, "sadmin_a")
    _upload(page, school.pk, "全校学籍-有错误.xlsx", to_xlsx(list(HEADERS), rows))
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "invalid")
    expect(page.get_by_test_id("import-invalid")).to_contain_text("未写入任何数据")
    shown = table_rows(page, "import-errors")
    assert sorted((int(r[0]), r[1]) for r in shown) == sorted(expected)
    assert len({r[1] for r in shown}) >= 20  # errors in at least 20 different columns
    assert any(r[1] == "身份证件号" and "校验位错误，应为" in r[2] for r in shown)
    assert Student.objects.count() == before
    screenshot(page, "roster-walkthrough-1-errors")

    # 2. the fixed file imports
    fixed = sample(w, total, seed=3)
    names = [r[HEADERS.index("姓名")] for r in fixed]
    _upload(page, school.pk, "全校学籍.xlsx", to_xlsx(list(HEADERS), fixed))
    expect(page.get_by_test_id("import-status")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("import-done")).to_contain_text(f"新增 {total} 人")
    assert Student.objects.count() == before + total
    screenshot(page, "roster-walkthrough-2-imported")

    # 3. one of the new students moves to school B: request (A) → accept (B) → approve (district)
    mover = Student.objects.select_related("person").get(school=school, person__name=names[0])
    target = junior_class_b(w)
    page.goto(f"/roster/students/{mover.pk}/")
    form = page.get_by_test_id("transfer-form")
    form.get_by_label("转入学校").select_option(label=w.school_b.name)
    form.get_by_label("转学原因").fill("随父母工作调动")
    form.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text(f"已提交转学申请，等待{w.school_b.name}接收")).to_be_visible()

    ctx_b, page_b = _as(browser, live_server, "sadmin_b")
    page_b.goto("/roster/transfers/")
    row = page_b.get_by_test_id("inbox").locator("tbody tr", has_text=mover.person.name)
    row.locator("select[name=to_class]").select_option(label=str(target))
    row.get_by_role("button", name="接收").click()
    expect(page_b.get_by_text(f"已同意接收{mover.person.name}，等待区县审批")).to_be_visible()

    ctx_d, page_d = _as(browser, live_server, "dadmin")
    page_d.goto("/roster/transfers/")
    row = page_d.get_by_test_id("inbox").locator("tbody tr", has_text=mover.person.name)
    page_d.once("dialog", lambda d: d.accept())
    row.get_by_role("button", name="批准").click()
    expect(page_d.get_by_text(f"已批准，{mover.person.name}已转入{w.school_b.name}")).to_be_visible()
    ctx_d.close()
    mover.refresh_from_db()
    assert (mover.school_id, mover.klass_id) == (w.school_b.pk, target.pk)

    # 4. year-end promotion of school A
    year = next_start_year(school)
    page.goto(f"/roster/schools/{school.pk}/promote/")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="执行升级").click()
    expect(page.get_by_test_id("promote-result")).to_contain_text("本次升级")
    screenshot(page, "roster-walkthrough-4-promoted")

    # 5. the MoE export of the coming year: new 年级, without the student who left
    exported, grades = _export_names(page, link_testid="export-next")
    staying = set(names) - {mover.person.name}
    assert staying <= exported and mover.person.name not in exported
    assert grades == {"八年级"}, grades
    assert len(exported) == Student.objects.filter(school=school, status="enrolled").count()

    # …and school B's export lists the student
    page_b.goto(f"/org/schools/{w.school_b.pk}/")
    exported_b, _grades = _export_names(page_b, url=f"/roster/export/moe/?school={w.school_b.pk}&year={year}")
    assert mover.person.name in exported_b
    ctx_b.close()
    ctx_a.close()
