"""Browser test (Playwright, system Chromium) of the room and teacher-preference grids on school A of the test
world: the 教务 marks a room's unavailable slot from the rooms page, paints a teacher's 不可排 and 尽量不排 slots
in two colours, and 陈老师 adds his own 尽量不排 wish on his phone from 我的课表 (the 教务's 不可排 stays locked);
the 教务 then reads the term's 代课统计.

Screenshots: test-artifacts/screenshots/timetable-room-grid.png, timetable-teacher-rule.png,
timetable-my-wishes-phone.png, timetable-substitution-stats.png (copies in /tmp/shots/). Run alone with
``pytest -q timetable/tests/test_preferences_browser.py``.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import DESKTOP, PHONE, _new_page, login, screenshot  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")


def _shot(page, name: str) -> None:
    screenshot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_room_grid_teacher_modes_and_own_wishes(bworld, browser, live_server):
    from timetable.models import Room, TeacherRule
    from timetable.testing import tt_world

    w = tt_world(bworld)

    ctx_a, admin = _new_page(browser, live_server, DESKTOP)
    login(admin, "sadmin_a", admin=True)

    # 1. the 物理实验室 is lent out as an exam room on Tuesday's 3rd period
    admin.goto(f"/timetable/manage/{w.school_a.pk}/rooms/")
    admin.get_by_test_id("rooms").get_by_test_id("room-slots").first.click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("物理实验室 的不可用时段")
    admin.get_by_test_id("slot-1-2").click()
    expect(admin.get_by_test_id("slot-1-2")).to_have_attribute("data-on", "1")
    expect(admin.get_by_test_id("slot-1-2")).to_have_text("不可用")
    _shot(admin, "timetable-room-grid")
    assert Room.objects.get(pk=w.room_a.pk).unavailable == [[1, 2]]

    # 2. 陈老师: Friday's last period is impossible (hard), Monday's first two he would rather not (soft)
    admin.goto(f"/timetable/manage/{w.school_a.pk}/teachers/")
    admin.get_by_test_id("teacher-rules").get_by_role("link", name=w.math_a.name).click()
    admin.get_by_test_id("slot-4-5").click()
    expect(admin.get_by_test_id("slot-4-5")).to_have_attribute("data-on", "1")
    admin.get_by_test_id("slot-0-0").click()
    expect(admin.get_by_test_id("slot-0-0")).to_have_attribute("data-on", "1")
    admin.get_by_test_id("paint-mode").get_by_text("标记尽量不排").click()
    admin.get_by_test_id("slot-0-1").click()
    expect(admin.get_by_test_id("slot-0-1")).to_have_attribute("data-soft", "1")
    expect(admin.get_by_test_id("slot-0-1")).to_have_text("尽量不排")
    admin.get_by_test_id("slot-0-0").click()  # the hard mark on Monday's first period becomes a soft one
    expect(admin.get_by_test_id("slot-0-0")).to_have_attribute("data-soft", "1")
    expect(admin.get_by_test_id("slot-0-0")).to_have_attribute("data-on", "0")
    # the two marks look different (red and amber) and the legend says which is which
    hard_bg = admin.get_by_test_id("slot-4-5").evaluate("e => getComputedStyle(e).backgroundColor")
    soft_bg = admin.get_by_test_id("slot-0-1").evaluate("e => getComputedStyle(e).backgroundColor")
    assert hard_bg != soft_bg
    expect(admin.get_by_test_id("slot-legend")).to_contain_text("软约束")
    _shot(admin, "timetable-teacher-rule")
    rule = TeacherRule.objects.get(school=w.school_a, teacher=w.math_a)
    assert rule.unavailable == [[4, 5]] and sorted(rule.preferred_off) == [[0, 0], [0, 1]]

    # 3. 陈老师 on his phone: 我的课表 → 排课意愿, adds Wednesday's 4th period, cannot touch the hard slot
    ctx_t, teacher = _new_page(browser, live_server, PHONE)
    login(teacher, "teacher_a")
    teacher.goto("/timetable/my/")
    teacher.get_by_test_id("my-wishes").click()
    expect(teacher.get_by_test_id("wish-school")).to_have_text(w.school_a.name)
    expect(teacher.get_by_test_id("slot-0-1")).to_have_attribute("data-soft", "1")
    expect(teacher.get_by_test_id("slot-4-5")).to_be_disabled()
    teacher.get_by_test_id("slot-2-3").click()
    expect(teacher.get_by_test_id("slot-2-3")).to_have_attribute("data-soft", "1")
    teacher.get_by_test_id("slot-0-1").click()  # and drops one the 教务 had noted
    expect(teacher.get_by_test_id("slot-0-1")).to_have_attribute("data-soft", "0")
    _shot(teacher, "timetable-my-wishes-phone")
    rule.refresh_from_db()
    assert rule.unavailable == [[4, 5]] and sorted(rule.preferred_off) == [[0, 0], [2, 3]]

    # 4. the 教务 opens 代课统计 from the tabs: the approved 代课 of this term per teacher
    from timetable.models import Substitution

    Substitution.objects.filter(pk=w.sub_a.pk).update(status="approved")
    admin.get_by_test_id("setup-nav").get_by_role("link", name="代课统计").click()
    rows = admin.get_by_test_id("stats-table").get_by_test_id("stats-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(w.principal_a.name)
    _shot(admin, "timetable-substitution-stats")
    for ctx in (ctx_a, ctx_t):
        ctx.close()
