"""Browser test (Playwright, system Chromium) of the resource library's main flow: a teacher of school A uploads a
课件 tagged to a knowledge point → the school approves and recommends it → the district approves (准入) → a
teacher of school B finds it by a Chinese query, previews, rates and pushes it to a class → the student marks
the task done → the statistics count it.

Screenshots: test-artifacts/screenshots/resources-*.png (desktop and phone width)."""

import datetime as dt

import pytest
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import DESKTOP, PHONE, _new_page, login, screenshot  # noqa: E402

from .conftest import add_knowledge  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def _as(browser, live_server, username, *, admin=False, viewport=DESKTOP):
    context, page = _new_page(browser, live_server, viewport)
    login(page, username, admin=admin)
    return context, page


def test_upload_review_search_push(bworld, browser, live_server, settings, tmp_path):
    from resources.models import Push, Resource
    from resources.samples import pptx_bytes

    settings.MEDIA_ROOT = str(tmp_path / "media")
    w = add_knowledge(bworld)
    title = "人教版七年级数学上册《有理数的加法》优质课件"

    # 1. teacher A uploads a 课件 tagged to 有理数的加法 and submits it to the school
    ctx, page = _as(browser, live_server, "teacher_a")
    page.goto("/resources/")
    page.get_by_test_id("upload-link").click()
    form = page.get_by_test_id("upload-form")
    form.get_by_label("文件").set_input_files(
        files=[
            {
                "name": "有理数的加法.pptx",
                "mimeType": "application/octet-stream",
                "buffer": pptx_bytes("有理数的加法", ["同号两数相加，取相同的符号，并把绝对值相加", "数轴演示"]),
            }
        ]
    )
    form.get_by_label("标题").fill(title)
    form.get_by_label("资源类型").select_option("courseware")
    form.get_by_label("学段").select_option("junior")
    form.get_by_label("学科").select_option(str(w.math.pk))
    # htmx loads the subject's tree (generous timeout: the test machine is shared)
    expect(form.get_by_label("知识点")).to_contain_text("有理数的加法", timeout=20_000)
    form.get_by_label("知识点").select_option(str(w.kp_add.pk))
    form.get_by_label("标签").fill("公开课 新授课")
    screenshot(page, "resources-upload")
    form.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("resource-title")).to_have_text(title)
    expect(page.get_by_test_id("resource-status")).to_have_text("个人")
    page.get_by_test_id("submit-review").click()
    expect(page.get_by_test_id("resource-status")).to_have_text("待学校审核")
    ctx.close()
    r = Resource.objects.get(title=title)
    assert r.file_type == "pptx" and list(r.knowledge_points.all()) == [w.kp_add]

    # 2. school A's admin approves and recommends it to the district
    ctx, page = _as(browser, live_server, "sadmin_a", admin=True)
    page.goto("/resources/review/")
    expect(page.get_by_test_id("queue-school")).to_contain_text(title)
    page.get_by_test_id("queue-school").get_by_role("link", name=title).click()
    page.get_by_label("同时推荐到区级").check()
    page.get_by_test_id("school-approve").click()
    expect(page.get_by_test_id("resource-status")).to_have_text("待区级准入")
    ctx.close()

    # 3. the district approves it from the queue (the session stays open for step 6: a second login would ask
    # for the dynamic code of the authenticator enrolled here)
    ctx_d, page_d = _as(browser, live_server, "dadmin", admin=True)
    page_d.goto("/resources/review/")
    page_d.get_by_test_id(f"approve-{r.pk}").click()
    expect(page_d.get_by_test_id("queue-district")).not_to_contain_text(title)
    r.refresh_from_db()
    assert r.level == "district"

    # 4. a teacher of school B finds it by a Chinese query (phone width), previews, rates and pushes it
    ctx, page = _as(browser, live_server, "teacher_b", viewport=PHONE)
    page.goto("/resources/")
    page.get_by_placeholder("搜索标题、简介、标签、文档内容").fill("有理数 加法 课件")
    page.get_by_test_id("search-button").click()
    expect(page.get_by_test_id("result-count")).to_have_text("共 1 个资源")
    screenshot(page, "resources-search-phone")
    page.get_by_test_id("result").first.click()
    expect(page.get_by_test_id("resource-title")).to_have_text(title)
    expect(page.get_by_test_id("preview")).to_be_visible()
    page.get_by_text("5 星").click()
    page.get_by_test_id("rate-submit").click()
    expect(page.get_by_test_id("resource-meta")).to_contain_text("5.0（1 人评分）")
    due = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    push_form = page.get_by_test_id("push-form")
    push_form.get_by_label("班级").select_option(str(w.class_b1.pk))
    push_form.get_by_label("完成期限").fill(due)
    push_form.get_by_label("要求").fill("课前看完课件，完成例题")
    screenshot(page, "resources-detail-phone")
    push_form.get_by_test_id("push-submit").click()
    expect(page.get_by_test_id("done-count")).to_have_text("0/1")
    ctx.close()
    assert Push.objects.get().targets.get().student == w.student_b1

    # 5. the student sees the task and marks it done; the teacher sees completion
    ctx, page = _as(browser, live_server, w.student_user_b1.username, viewport=PHONE)
    page.goto("/resources/tasks/")
    expect(page.get_by_test_id("task")).to_contain_text(title)
    page.get_by_test_id("task-done").click()
    expect(page.get_by_test_id("task")).to_contain_text("已完成")
    screenshot(page, "resources-tasks-phone")
    ctx.close()

    # 6. the district's statistics count the upload, the approval and the rating
    page = page_d
    page.goto("/resources/stats/")
    cards = page.get_by_test_id("stats-cards")
    expect(cards).to_contain_text("区级准入")
    expect(page.get_by_test_id("stats-school")).to_contain_text(w.school_a.name)
    row = page.get_by_test_id("stats-school").locator("tr", has_text=w.school_a.name)
    expect(row.locator("td").nth(3)).to_have_text("1")  # 区级准入
    page.locator("[data-chart=chart-res-school] canvas").first.wait_for()
    screenshot(page, "resources-stats")
    ctx_d.close()
