"""Browser test (Playwright, system Chromium) of the 教学班名单: the 教务 downloads the 名单 template of a 走班 block,
fills in the 教学班 column, uploads it, corrects one group by ticking, and the student then sees only his own
group in 我的课表 on a phone.

Screenshots: test-artifacts/screenshots/timetable-roster-*.png. Run alone with
``pytest -q timetable/tests/test_rosters_browser.py``.
"""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import DESKTOP, PHONE, _new_page, login, screenshot  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_roster_imported_ticked_and_seen_by_the_student(bworld, browser, live_server, tmp_path):
    from timetable.testing import GROUP_NAME, parallel_entries, tt_world

    w = tt_world(bworld)
    parallel_entries(w, w.tt_a)
    other = w.group_a2.name

    context, admin = _new_page(browser, live_server, DESKTOP)
    login(admin, "sadmin_a", admin=True)
    admin.goto(f"/timetable/manage/{w.school_a.pk}/electives/{w.block_a.pk}/")
    expect(admin.get_by_test_id("roster-unassigned")).to_contain_text("还有 3 名在读学生未分到教学班")

    # 1. the template: every student of the block's classes, 教学班 blank
    with admin.expect_download() as info:
        admin.get_by_test_id("roster-template").click()
    path = tmp_path / "名单.xlsx"
    info.value.save_as(path)
    book = load_workbook(path)
    sheet = book.active
    names = [sheet.cell(r, 4).value for r in range(2, sheet.max_row + 1)]
    assert names == ["周小明", "吴小红", "郑小刚"]
    # 2. fill it in (one typo first) and upload: the row is named, nothing written
    for r, name in enumerate(names, start=2):
        sheet.cell(r, 5).value = {"周小明": GROUP_NAME, "吴小红": GROUP_NAME, "郑小刚": "历史B班"}[name]
    book.save(path)
    admin.get_by_label("导入名单").set_input_files(str(path))
    admin.get_by_test_id("roster-import").click()
    expect(admin.get_by_test_id("form-errors")).to_contain_text("第 4 行：本段没有名为“历史B班”的教学班")
    sheet.cell(4, 5).value = other
    book.save(path)
    admin.get_by_label("导入名单").set_input_files(str(path))
    admin.get_by_test_id("roster-import").click()
    expect(admin.get_by_text(f"名单已导入：{other} 1 人、{GROUP_NAME} 2 人")).to_be_visible()
    expect(admin.get_by_test_id("roster-unassigned")).to_contain_text("都已分到教学班")
    rows = admin.get_by_test_id("group-row")
    expect(rows.filter(has_text=GROUP_NAME).get_by_test_id("roster-link")).to_have_text("2 人")
    screenshot(admin, "timetable-roster-block")

    # 3. 吴小红 moves out of 物理A班 by unticking her on its 名单 page
    rows.filter(has_text=GROUP_NAME).get_by_test_id("roster-link").click()
    expect(admin.get_by_test_id("candidate")).to_have_count(3)
    expect(admin.get_by_label("郑小刚")).to_be_disabled()  # in 历史A班
    admin.get_by_label("吴小红").uncheck()
    admin.get_by_test_id("save-roster").click()
    expect(admin.get_by_text(f"{GROUP_NAME} 的名单已保存")).to_be_visible()
    expect(admin.get_by_test_id("member-count")).to_have_text("共 1 人")
    screenshot(admin, "timetable-roster-group")
    assert [st.person.name for st in w.group_a.students.all()] == ["周小明"]
    context.close()

    # 4. 周小明 on his phone: the 走班 period is his own group, with its teacher and room
    context, student = _new_page(browser, live_server, PHONE)
    login(student, w.student_user_a1.username)
    student.goto("/timetable/my/")
    cell = student.get_by_test_id("cell-2-1")
    expect(cell).to_contain_text(GROUP_NAME)
    expect(cell).to_contain_text(w.math_a.name)
    expect(cell).not_to_contain_text(other)
    screenshot(student, "timetable-roster-student-phone")
    context.close()
