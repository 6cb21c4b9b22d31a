"""Browser test (Playwright, system Chromium): the 教务 of school A sets up a 走班 block “选考A段” with two teaching
groups on the 走班 pages, solves a version and sees the block — “走班：选考A段” with both groups, their teachers
and rooms — in a class's grid, on a desktop and on a phone.

Screenshots: test-artifacts/screenshots/timetable-elective-*.png (and a copy under /tmp/shots/ when it exists).
Run alone with ``pytest -q timetable/tests/test_parallel_browser.py``.
"""

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import DESKTOP, PHONE, _new_page, login, screenshot  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def _shot(page, name: str) -> None:
    path = screenshot(page, name)
    shots = Path("/tmp/shots")
    if shots.is_dir():
        shutil.copy(path, shots / path.name)


def test_elective_block_set_up_solved_and_shown_in_class_grid(bworld, browser, live_server):
    from core.models import TeachingAssignment
    from timetable.models import CoursePlan, Room, TeachingGroup, Timetable, WeekSetup

    w = bworld
    WeekSetup.objects.create(school=w.school_a, days=5, periods=6, morning=4, period_times=[], weights={})
    for s in (w.math, w.chinese):
        CoursePlan.objects.create(school=w.school_a, grade=w.grade_a, subject=s, periods_per_week=5, is_main=True)
    TeachingAssignment.objects.create(teacher=w.math_a, klass=w.class_a2, subject=w.math, term=w.term)
    TeachingAssignment.objects.create(teacher=w.head_a1, klass=w.class_a1, subject=w.chinese, term=w.term)
    TeachingAssignment.objects.create(teacher=w.head_a2, klass=w.class_a2, subject=w.chinese, term=w.term)
    Room.objects.create(school=w.school_a, name="物理实验室", room_type="物理实验室", capacity=48)

    context, admin = _new_page(browser, live_server, DESKTOP)
    login(admin, "sadmin_a", admin=True)
    admin.goto(f"/timetable/manage/{w.school_a.pk}/")
    admin.get_by_test_id("setup-nav").get_by_role("link", name="走班").click()

    # 1. the block: 七年级, 选考A段, 2 periods a week
    form = admin.get_by_test_id("block-form")
    form.get_by_label("年级").select_option(label=w.grade_a.label())
    form.get_by_label("名称").fill("选考A段")
    form.get_by_label("周课时").fill("2")
    form.get_by_test_id("save-block").click()
    expect(admin.get_by_text("走班“选考A段”已添加")).to_be_visible()

    # 2. two teaching groups drawn from both classes; a mistake first (陈老师 twice)
    def add_group(name, subject, teacher, room=None):
        form = admin.get_by_test_id("group-form")
        form.get_by_label("教学班名称").fill(name)
        form.get_by_label("学科").select_option(label=subject)
        form.get_by_label("任课教师").select_option(label=teacher)
        form.get_by_label(w.class_a1.name).check()
        form.get_by_label(w.class_a2.name).check()
        if room:
            form.get_by_label("指定场室").select_option(label=room)
        form.get_by_label("学生人数").fill("30")
        form.get_by_test_id("save-group").click()

    add_group("物理A班", "物理", w.math_a.name, room="物理实验室")
    expect(admin.get_by_text("教学班“物理A班”已保存")).to_be_visible()
    add_group("历史A班", "历史", w.math_a.name)
    expect(admin.get_by_test_id("form-errors")).to_contain_text("任课教师：陈老师 已在本段教物理A班")
    assert TeachingGroup.objects.count() == 1
    add_group("历史A班", "历史", w.head_a1.name)
    expect(admin.get_by_test_id("group-row")).to_have_count(2)
    expect(admin.get_by_test_id("class-hours")).to_contain_text("12 / 30")
    _shot(admin, "timetable-elective-block")

    # 3. solve a new version
    admin.get_by_test_id("setup-nav").get_by_role("link", name="概览与版本").click()
    admin.get_by_label("求解时限（秒）").fill("4")
    admin.get_by_test_id("new-version").click(timeout=60_000)  # the solve runs before the page answers
    expect(admin.get_by_test_id("version-status")).to_have_text("已排好", timeout=60_000)
    tt = Timetable.objects.get(school=w.school_a)

    # 4. 1 班's grid shows the block twice with both groups, teachers and rooms
    admin.goto(f"/timetable/versions/{tt.pk}/?view=class&id={w.class_a1.pk}")
    block_items = admin.get_by_test_id("tt-grid").locator("[data-parallel=elective]")
    expect(block_items).to_have_count(2)
    expect(block_items.first).to_contain_text("走班：选考A段")
    expect(block_items.first.get_by_test_id("elective-groups")).to_contain_text(
        f"物理A班 · {w.math_a.name} · 物理实验室"
    )
    expect(block_items.first.get_by_test_id("elective-groups")).to_contain_text(f"历史A班 · {w.head_a1.name}")
    assert not admin.get_by_test_id("conflict-summary").count()
    _shot(admin, "timetable-elective-class-grid")
    # 陈老师's grid: his teaching group with the classes it draws from
    admin.goto(f"/timetable/versions/{tt.pk}/?view=teacher&id={w.math_a.pk}")
    expect(admin.get_by_test_id("tt-grid").locator("[data-parallel=elective]").first).to_contain_text(
        f"物理A班（{w.class_a1.name}、{w.class_a2.name}）"
    )

    # 5. the same on a phone (same session, phone-sized window)
    phone = admin
    phone.set_viewport_size(PHONE)
    phone.goto(f"/timetable/versions/{tt.pk}/?view=class&id={w.class_a1.pk}")
    expect(phone.get_by_test_id("tt-grid").locator("[data-parallel=elective]")).to_have_count(2)
    _shot(phone, "timetable-elective-class-phone")
    block = TeachingGroup.objects.first().block
    phone.goto(f"/timetable/manage/{w.school_a.pk}/electives/{block.pk}/")
    expect(phone.get_by_test_id("group-row")).to_have_count(2)
    _shot(phone, "timetable-elective-block-phone")
    context.close()
