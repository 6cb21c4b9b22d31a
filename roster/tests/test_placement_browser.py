"""Browser test (Playwright, system Chromium) of the 分班 page: school page → grade → preview with scores →
move one student by hand → apply. Screenshots: test-artifacts/screenshots/roster-placement-*.png."""

import random
import re

import pytest
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import DESKTOP, PHONE, login, screenshot, table_rows  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_preview_move_one_student_apply(bworld, desktop):
    from core.models import Student
    from roster.models import ChangeKind, RosterChange
    from roster.tests.test_placement_pages import new_cohort, xlsx

    w = bworld
    grade, _pool, students = new_cohort(w, n=30)
    rng = random.Random(5)
    scores = {s.pk: rng.randint(55, 100) for s in students}
    sheet = xlsx([["学籍号", "姓名", "成绩"]] + [[s.student_no, s.person.name, scores[s.pk]] for s in students])

    page = desktop
    login(page, "sadmin_b", admin=True)
    page.goto(f"/org/schools/{w.school_b.pk}/")
    page.get_by_role("link", name="分班").click()
    page.get_by_test_id("placement-grades").locator("tr", has_text="一年级").get_by_role("link", name="分班").click()
    page.wait_for_url(re.compile(rf"/roster/grades/{grade.pk}/placement/$"))
    expect(page.get_by_test_id("student-count")).to_contain_text("在读学生 30 人")
    expect(page.get_by_test_id("placement-help")).to_contain_text("临时班级")
    assert table_rows(page, "current-classes") == [["一年级（1）班", "新生临时班", "30"]]

    screenshot(page, "roster-placement-form")
    page.set_viewport_size(PHONE)
    screenshot(page, "roster-placement-form-phone")
    page.set_viewport_size(DESKTOP)

    form = page.get_by_test_id("placement-form")
    form.get_by_label("班级数").fill("3")
    form.get_by_label("均衡各班平均分和离散度（标准差）").check()
    form.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "新生成绩.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": sheet,
            }
        ]
    )
    form.get_by_role("button", name="生成分班方案").click()
    page.wait_for_url(re.compile(r"/placement/preview/$"))

    summary = page.get_by_test_id("summary-table")
    rows = table_rows(page, "summary-table")
    assert [r[0].split()[0] for r in rows] == ["（1）班", "（2）班", "（3）班"]
    assert [int(r[1]) for r in rows] == [10, 10, 10]
    assert max(int(r[2]) for r in rows) - min(int(r[2]) for r in rows) <= 1  # 男
    means = [float(r[5]) for r in rows]
    assert max(means) - min(means) < 2
    expect(page.get_by_test_id("summary-line")).to_contain_text("共 30 名学生分入 3 个班，其中 20 人将调整班级")
    expect(page.get_by_test_id("summary-line")).to_contain_text("有成绩的学生 30 人")
    expect(page.get_by_test_id("created-classes")).to_have_text("确认后将新建：一年级（2）班、一年级（3）班")
    screenshot(page, "roster-placement-preview")

    # move one student of （2）班 to （3）班: the summary is recomputed (htmx) without leaving the page
    row = page.get_by_test_id("placement-row").filter(has=page.locator("select option[value='2'][selected]")).first
    mover_pk = int(row.get_attribute("data-student"))
    mover = Student.objects.select_related("person").get(pk=mover_pk)
    row.get_by_label(f"{mover.person.name}的新班级").select_option("3")
    expect(summary.locator("tbody tr[data-number='3'] td").nth(1)).to_have_text("11")
    expect(summary.locator("tbody tr[data-number='2'] td").nth(1)).to_have_text("9")
    expect(page.get_by_test_id("summary-unbalanced")).to_be_visible()
    assert page.url.endswith("/placement/preview/")
    screenshot(page, "roster-placement-moved")

    page.set_viewport_size(PHONE)
    screenshot(page, "roster-placement-preview-phone")
    page.set_viewport_size(DESKTOP)

    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="确认分班").click()
    page.wait_for_url(re.compile(rf"/org/grades/{grade.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text(
        "分班完成：30 名学生分入 3 个班，其中 20 人调整了班级。新建班级：一年级（2）班、一年级（3）班。"
    )
    sizes = {r[0]: r[-1] for r in table_rows(page, "classes")}
    assert sizes == {"一年级（1）班": "10", "一年级（2）班": "9", "一年级（3）班": "11"}
    screenshot(page, "roster-placement-done")

    assert Student.objects.get(pk=mover_pk).klass.number == 3
    assert RosterChange.objects.filter(kind=ChangeKind.PLACE).count() == 20
    assert RosterChange.objects.get(kind=ChangeKind.PLACE, student_id=mover_pk).to_class.number == 3
