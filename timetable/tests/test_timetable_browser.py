"""Browser test (Playwright, system Chromium) of the whole timetable flow on school A of the test world:

the 教务 sets up the week and the 课时计划, a teacher constraint makes the timetable impossible, the page says why
and links to the setting, the 教务 fixes it, solves, drags a lesson, publishes; 陈老师 asks for a 代课 on his
phone, the 教务 approves, and the student sees the change in that week's timetable.

Screenshots: test-artifacts/screenshots/timetable-*.png. Run alone with
``pytest -q timetable/tests/test_timetable_browser.py``.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import DESKTOP, PHONE, _new_page, login, screenshot  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def _as(browser, live_server, username, *, admin=False, viewport=DESKTOP):
    context, page = _new_page(browser, live_server, viewport)
    login(page, username, admin=admin)
    return context, page


def _moving(page):
    """Wait for the server's answer to a lesson move (drag or tap): the grid is swapped only after it."""
    return page.expect_response(lambda r: "/move/" in r.url and r.request.method == "POST")


def test_build_solve_adjust_publish_substitute(bworld, browser, live_server):
    from core.models import TeachingAssignment
    from timetable.models import Substitution, Timetable, TimetableEntry

    w = bworld
    # 任课 (from core): 陈老师 teaches 数学 in both classes, the head teachers 语文
    TeachingAssignment.objects.create(teacher=w.math_a, klass=w.class_a2, subject=w.math, term=w.term)
    TeachingAssignment.objects.create(teacher=w.head_a1, klass=w.class_a1, subject=w.chinese, term=w.term)
    TeachingAssignment.objects.create(teacher=w.head_a2, klass=w.class_a2, subject=w.chinese, term=w.term)

    ctx_a, admin = _as(browser, live_server, "sadmin_a", admin=True)
    admin.goto("/timetable/manage/")
    admin.get_by_role("link", name=w.school_a.name).click()
    expect(admin.get_by_test_id("checklist")).to_contain_text("作息与周设置")

    # 1. the week: 5 days × 6 periods, 4 in the morning, 大课间 after the 2nd
    admin.get_by_test_id("setup-nav").get_by_role("link", name="作息").click()
    form = admin.get_by_test_id("week-form")
    form.get_by_label("每天节数").fill("6")
    form.get_by_label("上午节数").fill("4")
    form.get_by_label("大课间在第几节之后").fill("2")
    form.get_by_test_id("save-week").click()
    expect(admin.get_by_text("作息与周设置已保存")).to_be_visible()
    admin.get_by_test_id("slot-4-5").click()  # 周五第 6 节: 班会, no lessons
    expect(admin.get_by_test_id("slot-4-5")).to_have_attribute("data-on", "1")
    screenshot(admin, "timetable-week")

    # 2. the 课时计划 of 七年级: 数学 5 (主科), 语文 5
    admin.get_by_test_id("setup-nav").get_by_role("link", name="课时计划").click()
    plan = admin.get_by_test_id("plan-form")
    plan.get_by_label("数学", exact=True).fill("5")
    plan.get_by_label("数学 主科").check()
    plan.get_by_label("语文", exact=True).fill("5")
    plan.get_by_test_id("save-plan").click()
    expect(admin.get_by_test_id("plan-total")).to_contain_text("10 节")
    expect(admin.get_by_test_id("coverage")).to_contain_text(w.math_a.name)

    # 3. a constraint that cannot work: 陈老师 (10 periods) at most 1 a day
    admin.get_by_test_id("setup-nav").get_by_role("link", name="约束").click()
    admin.get_by_test_id("teacher-rules").get_by_role("link", name=w.math_a.name).click()
    admin.get_by_label("每天最多节数").fill("1")
    admin.get_by_test_id("save-rule").click()
    expect(admin.get_by_text("的约束已保存")).to_be_visible()

    # 4. solve: the page explains why it is impossible and links to the setting
    admin.get_by_test_id("setup-nav").get_by_role("link", name="概览与版本").click()
    admin.get_by_label("求解时限（秒）").fill("5")
    admin.get_by_test_id("new-version").click()
    expect(admin.get_by_test_id("version-status")).to_have_text("无法排出")
    conflicts = admin.get_by_test_id("conflicts")
    expect(conflicts).to_contain_text(w.math_a.name)
    screenshot(admin, "timetable-conflict")
    conflicts.get_by_role("link", name="去修改").first.click()
    admin.get_by_test_id("teacher-rules").get_by_role("link", name=w.math_a.name).click()
    admin.get_by_label("每天最多节数").fill("")
    admin.get_by_test_id("save-rule").click()
    expect(admin.get_by_text("的约束已保存")).to_be_visible()
    # back to the version, solve again
    tt = Timetable.objects.get(school=w.school_a)
    admin.goto(f"/timetable/versions/{tt.pk}/")
    admin.get_by_test_id("solve").click()
    expect(admin.get_by_test_id("version-status")).to_have_text("已排好")
    grid = admin.get_by_test_id("tt-grid")
    expect(grid.get_by_test_id("item")).to_have_count(10)
    assert not admin.get_by_test_id("conflict-summary").count()

    # 5. drag 1 班's first lesson to a slot where the class and its teacher are free
    entries = list(TimetableEntry.objects.filter(timetable=tt))
    first = min((e for e in entries if e.klass_id == w.class_a1.pk), key=lambda e: (e.day, e.period))
    free = next(
        (d, p)
        for d in range(5)
        for p in range(6)
        if (d, p) != (4, 5)
        and not any(
            e.day == d and e.period == p and (e.klass_id == first.klass_id or e.teacher_id == first.teacher_id)
            for e in entries
        )
    )
    source = admin.get_by_test_id(f"cell-{first.day}-{first.period}").get_by_test_id("item")
    target = admin.get_by_test_id(f"cell-{free[0]}-{free[1]}")
    with _moving(admin):
        source.drag_to(target)
    expect(admin.get_by_test_id(f"cell-{free[0]}-{free[1]}").get_by_test_id("item")).to_have_count(1)
    expect(admin.get_by_test_id(f"cell-{first.day}-{first.period}").get_by_test_id("item")).to_have_count(0)
    first.refresh_from_db()
    assert (first.day, first.period) == free
    # dropping onto a lesson of the same class shows the clash at once
    other = next(e for e in entries if e.klass_id == w.class_a1.pk and e.pk != first.pk)
    with _moving(admin):
        admin.get_by_test_id(f"cell-{free[0]}-{free[1]}").get_by_test_id("item").drag_to(
            admin.get_by_test_id(f"cell-{other.day}-{other.period}")
        )
    expect(admin.get_by_test_id("conflict-summary")).to_contain_text("2 节课存在冲突")
    expect(admin.locator(".tt-conflict").first).to_contain_text("同时排了")
    screenshot(admin, "timetable-drag-conflict")
    # tap the lesson, then tap the free cell (the way it works on a phone): the clash is gone
    moved = admin.get_by_test_id(f"cell-{other.day}-{other.period}").locator(f"[data-entry='{first.pk}']")
    moved.click()
    expect(moved).to_have_class(re.compile(r"\btt-selected\b"))
    with _moving(admin):
        admin.get_by_test_id(f"cell-{free[0]}-{free[1]}").click()
    first.refresh_from_db()
    assert (first.day, first.period) == free
    expect(admin.get_by_test_id("conflict-summary")).to_have_count(0)
    # lock it
    admin.get_by_test_id(f"cell-{free[0]}-{free[1]}").get_by_test_id("lock").click()
    expect(admin.get_by_test_id(f"cell-{free[0]}-{free[1]}").locator(".tt-locked")).to_have_count(1)

    # 6. publish
    admin.on("dialog", lambda d: d.accept())
    admin.get_by_test_id("publish").click()
    admin.wait_for_load_state()
    expect(admin.get_by_test_id("version-status")).to_have_text("已发布")
    screenshot(admin, "timetable-published")
    admin.goto(f"/timetable/versions/{tt.pk}/?view=overview")
    expect(admin.get_by_test_id("overview")).to_contain_text(w.class_a2.name)

    # 7. 陈老师 asks for a 代课 (on his phone) on the lesson of next week
    ctx_t, teacher = _as(browser, live_server, "teacher_a", viewport=PHONE)
    teacher.goto("/timetable/my/")
    expect(teacher.get_by_test_id("tt-grid").get_by_test_id("item")).to_have_count(10)
    screenshot(teacher, "timetable-teacher-phone")
    teacher.goto("/timetable/substitutions/")
    teacher.get_by_test_id("my-lesson").filter(has_text=w.class_a1.name).first.click()
    form = teacher.get_by_test_id("sub-form")
    form.get_by_label("代课教师").select_option(label=w.principal_a.name)
    form.get_by_label("原因").fill("参加区教研活动")
    form.get_by_test_id("submit").click()
    expect(teacher.get_by_test_id("sub-status")).to_have_text("待审批")
    screenshot(teacher, "timetable-substitution-phone")
    sub = Substitution.objects.get()

    # 8. the 教务 approves
    admin.goto(f"/timetable/substitutions/{sub.pk}/")
    admin.get_by_test_id("approve").click()
    expect(admin.get_by_test_id("sub-status")).to_have_text("已批准")

    # 9. the student sees the change in that week
    ctx_s, student = _as(browser, live_server, w.student_user_a1.username, viewport=PHONE)
    student.goto(f"/timetable/my/?week={sub.date.isoformat()}")
    changed = student.get_by_test_id("tt-grid").locator(".tt-changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text(w.principal_a.name)
    screenshot(student, "timetable-student-phone")
    student.goto(f"/timetable/my/?week={(sub.date - dt.timedelta(days=7)).isoformat()}")
    expect(student.get_by_test_id("tt-grid").locator(".tt-changed")).to_have_count(0)
    assert sub.date >= timezone.localdate()
    for ctx in (ctx_a, ctx_t, ctx_s):
        ctx.close()
