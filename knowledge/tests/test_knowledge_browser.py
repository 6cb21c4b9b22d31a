"""Browser test (Playwright, system Chromium) of the 教研员's flow: import the tree from Excel → open chapters and
sections in the tree → on a point, a prerequisite that would close a loop is refused with the loop spelled out,
a sound one is added → export the tree. Plus the tree and a node page at phone width.

Screenshots go to test-artifacts/screenshots/knowledge-*.png. Run alone with
``pytest -q knowledge/tests/test_knowledge_browser.py``.
"""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import DESKTOP, PHONE, _new_page, login, screenshot  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_researcher_imports_browses_links_and_exports(bworld, browser, live_server, tmp_path):
    from core.models import RoleGrant
    from core.testing import make_person, make_user
    from knowledge.demo_data import EDITIONS, demo_workbook
    from knowledge.models import KnowledgeNode, TextbookEdition

    w = bworld
    user = make_user(make_person("钱教研", born=dt.date(1979, 1, 1)), "researcher1")
    RoleGrant.objects.create(user=user, role="researcher", district=w.district)
    subjects = {"数学": w.math, "语文": w.chinese}
    for code, stage, subject, name, publisher, grade, volume in EDITIONS:
        TextbookEdition.objects.create(
            district=w.district,
            code=code,
            stage=stage,
            subject=subjects[subject],
            name=name,
            publisher=publisher,
            grade_label=grade,
            volume=volume,
        )
    upload = tmp_path / "初中知识点.xlsx"
    upload.write_bytes(demo_workbook())

    context, page = _new_page(browser, live_server, DESKTOP)
    login(page, "researcher1", admin=True)

    # 1. import from Excel
    page.goto("/knowledge/")
    expect(page.get_by_test_id("no-trees")).to_be_visible()
    page.get_by_test_id("import-link").click()
    screenshot(page, "knowledge-import")
    page.get_by_label("Excel 文件").set_input_files(str(upload))
    page.get_by_test_id("import-submit").click()
    expect(page.get_by_role("alert").first).to_contain_text("新建 176 个节点")
    assert KnowledgeNode.objects.filter(district=w.district).count() == 176

    # 2. browse 初中数学: chapters → sections → points load on demand
    page.get_by_test_id("trees").get_by_role("link", name="初中数学").click()
    tree = page.get_by_test_id("tree")
    expect(tree).to_contain_text("相交线与平行线")
    expect(tree.get_by_text("正数和负数", exact=True)).to_have_count(0)
    tree.get_by_test_id("node-M7A-1").locator("summary").first.click()
    section = tree.get_by_test_id("node-M7A-1-2")
    expect(section).to_be_visible()
    section.locator("summary").first.click()
    expect(section.get_by_test_id("node-M7A-1-2-4")).to_contain_text("绝对值")
    screenshot(page, "knowledge-tree")
    section.get_by_role("link", name="数轴").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("数轴")

    # 3. a prerequisite that closes a loop is refused; a sound one is added
    numline = KnowledgeNode.objects.get(code="M7A-1-2-2")
    compare = KnowledgeNode.objects.get(code="M7A-1-2-5")
    page.locator("#kn-prereq").select_option(str(compare.pk))
    page.get_by_role("button", name="添加").click()
    alert = page.get_by_role("alert").first
    expect(alert).to_contain_text("添加后会形成循环")
    expect(alert).to_contain_text(
        "「M7A-1-2-2 数轴」 → 「M7A-1-2-4 绝对值」 → 「M7A-1-2-5 有理数的大小比较」 → 「M7A-1-2-2 数轴」"
    )
    assert not numline.prerequisites.filter(pk=compare.pk).exists()
    sign = KnowledgeNode.objects.get(code="M7A-1-1-1")
    page.locator("#kn-prereq").select_option(str(sign.pk))
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_role("alert").first).to_contain_text("已添加前置知识点「正数和负数的概念」")
    expect(page.get_by_test_id("prerequisites")).to_contain_text("正数和负数的概念")
    expect(page.locator("[data-testid=graph] canvas")).to_have_count(1)
    screenshot(page, "knowledge-node")
    page.get_by_test_id("edit").click()
    expect(page.get_by_label("名称")).to_have_value("数轴")
    screenshot(page, "knowledge-edit")

    # 4. export: the file carries the new link
    page.goto(f"/knowledge/?stage=junior&subject={w.math.pk}")
    with page.expect_download() as info:
        page.get_by_test_id("export").click()
    ws = load_workbook(io.BytesIO(info.value.path().read_bytes())).active
    row = next(r for r in ws.iter_rows(values_only=True) if r[6] == "M7A-1-2-2")
    assert set(row[10].split("、")) == {"M7A-1-2-1", "M7A-1-1-1"}
    context.close()

    # 5. at phone width: the tree and the node page fit
    context, page = _new_page(browser, live_server, PHONE)
    login(page, "teacher_a")
    page.goto(f"/knowledge/?stage=junior&subject={w.math.pk}")
    page.get_by_test_id("node-M7B-6").locator("summary").first.click()
    expect(page.get_by_test_id("node-M7B-6-1")).to_be_visible()
    screenshot(page, "knowledge-tree-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto(f"/knowledge/nodes/{numline.pk}/")
    expect(page.get_by_test_id("prerequisites")).to_contain_text("正数和负数的概念")
    screenshot(page, "knowledge-node-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
