"""Browser test (Playwright, system Chromium) of the 学籍 record page's 调班 and 转出本区, ending on the
转学联系函 page and its PDF.

Screenshots go to test-artifacts/screenshots/roster-record-*.png. Run alone with
``pytest -q roster/tests/test_record_browser.py``.
"""

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

pytest.register_assert_rewrite("core.tests.browser")

from core.tests.browser import PHONE, SCREENSHOTS, _new_page, login, screenshot  # noqa: E402

pytest_plugins = ["core.tests.browser"]

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_move_class_then_transfer_out_with_letter(bworld, desktop, browser, live_server):
    from core.models import Student, StudentStatus
    from roster.models import ChangeKind, RosterChange

    w = bworld
    student = w.student_a1
    name = student.person.name
    page = desktop
    csp_errors = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, "sadmin_a", admin=True)
    page.goto(f"/roster/students/{student.pk}/")
    expect(page.get_by_test_id("student-no")).to_have_text(student.student_no_masked)
    screenshot(page, "roster-record-actions")

    # 调班: 七年级（1）班 → 七年级（2）班
    form = page.get_by_test_id("move-class-form")
    form.get_by_label("调入班级").select_option(label=w.class_a2.name)
    form.get_by_label("调班原因").fill("家长申请，与同学结对学习")
    form.get_by_role("button", name="办理调班").click()
    expect(page.get_by_text(f"已将{name}调入{w.class_a2.name}")).to_be_visible()
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("li").first).to_contain_text("调班")
    expect(timeline.locator("li").first).to_contain_text(f"{w.class_a1.name} → {w.class_a2.name}")
    student.refresh_from_db()
    assert student.klass_id == w.class_a2.pk
    screenshot(page, "roster-record-moved")

    # 转出本区, confirmed in the dialog, lands on the letter
    form = page.get_by_test_id("transfer-out-form")
    form.get_by_label("转入区县").fill("宁波市北仑区")
    form.get_by_label("转入学校").fill("北仑区顾国和中学")
    form.get_by_label("转出原因").fill("随父母工作调动")
    messages = []
    page.once("dialog", lambda d: (messages.append(d.message), d.accept()))
    form.get_by_role("button", name="办理转出").click()
    page.wait_for_url(re.compile(r"/roster/changes/\d+/letter/$"))
    assert messages and name in messages[0]
    expect(page.get_by_text(f"已办理{name}转出本区，请打印转学联系函交学生家长")).to_be_visible()
    letter = page.get_by_test_id("letter")
    expect(letter.get_by_test_id("letter-name")).to_have_text(name)
    expect(letter.get_by_test_id("letter-student-no")).to_have_text(student.student_no)
    expect(letter.get_by_test_id("letter-to-district")).to_have_text("宁波市北仑区")
    expect(letter.get_by_test_id("letter-to-school")).to_have_text("北仑区顾国和中学")
    expect(letter.get_by_test_id("letter-receipt")).to_contain_text("接收学校意见")
    student.refresh_from_db()
    assert student.status == StudentStatus.TRANSFERRED
    change = RosterChange.objects.get(student=student, kind=ChangeKind.TRANSFER_OUT)
    assert change.from_class_id == w.class_a2.pk
    screenshot(page, "roster-record-letter")

    with page.expect_download() as info:
        page.get_by_test_id("letter-pdf").click()
    download = info.value
    assert download.suggested_filename.startswith(f"转学联系函-{name}") and download.suggested_filename.endswith(".pdf")
    pdf = download.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "roster-record-letter.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        # a PNG of the PDF's page, to look at beside the screenshots
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "70",
                "-singlefile",
                str(SCREENSHOTS / "roster-record-letter.pdf"),
                str(SCREENSHOTS / "roster-record-letter-pdf"),
            ],
            check=True,
        )

    # back on the record page: the student has left, the timeline keeps both steps and links the letter
    page.get_by_role("link", name="返回学籍页").click()
    expect(page.get_by_test_id("student-status")).to_have_text("转出")
    expect(page.get_by_test_id("timeline").locator("li").first).to_contain_text("转出本区")
    expect(page.get_by_test_id("letter-links")).to_be_visible()
    expect(page.get_by_test_id("transfer-out-form")).to_have_count(0)
    assert not Student.objects.filter(pk=student.pk, archived_at__isnull=True).exists()
    screenshot(page, "roster-record-transferred")
    assert csp_errors == []

    # the same on a phone
    context, phone = _new_page(browser, live_server, PHONE)
    login(phone, "dadmin", admin=True)
    phone.goto(f"/roster/students/{w.student_a1b.pk}/")
    expect(phone.get_by_test_id("move-class-form")).to_be_visible()
    screenshot(phone, "roster-record-phone")
    phone.goto(f"/roster/changes/{change.pk}/letter/")
    expect(phone.get_by_test_id("letter-name")).to_have_text(name)
    screenshot(phone, "roster-record-letter-phone")
    context.close()
