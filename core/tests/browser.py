"""Playwright fixtures and helpers for the browser tests (test_browser.py).

One system Chromium per test session (per xdist worker), a fresh context per test, and Django's live
server on a transactional test database. Never run ``playwright install``: the browser is the system one
(``ZX_CHROMIUM``, default /usr/bin/chromium).

The world is built on the transactional test database that the live server reads. The flush that ends
each transactional test (append-only audit triggers, data-migration rows) is handled by the ``zx_testenv``
plugin and by ``build_world()`` itself.

Playwright's sync API keeps an asyncio loop "running" in the main thread while it is active. Django then
refuses ORM calls from the test unless DJANGO_ALLOW_ASYNC_UNSAFE is set (test_browser.py sets it), and
hands the test a different, context-local connection object than the one the test database was set up
on, which is why ``serialized_rollback`` cannot be used here (that connection has no serialized contents).
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

import pytest

PASSWORD = "Zhixiao@2026"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
TIMEOUT_MS = 10_000

# --- fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; allow the test's ORM calls only while it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=os.environ.get("ZX_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
    yield b
    b.close()
    pw.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def bworld(live_server):
    """The test world, on the transactional database the live server reads."""
    from core.testing import build_world

    return build_world()


def _new_page(browser, live_server, viewport):
    context = browser.new_context(
        viewport=viewport,
        base_url=live_server.url,
        locale="zh-CN",
        accept_downloads=True,
        device_scale_factor=1,
        is_mobile=viewport is PHONE,
        has_touch=viewport is PHONE,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    return context, page


@pytest.fixture
def desktop(browser, live_server):
    context, page = _new_page(browser, live_server, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone(browser, live_server):
    context, page = _new_page(browser, live_server, PHONE)
    yield page
    context.close()


# --- helpers --------------------------------------------------------------------------------------------


def totp_code(secret: str) -> str:
    """The current 6-digit code for a base32 secret as shown on the enrolment page (padding stripped)."""
    from django_otp.oath import totp

    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def submit_login(page, username: str, password: str = PASSWORD) -> None:
    """Fill and submit the real login form (用户名 / 密码 → 登录)."""
    page.goto("/account/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def enrol_otp(page) -> None:
    """On the first-login TOTP page: read the secret as a user would type it, compute the code, submit."""
    assert re.search(r"/account/otp/", page.url), page.url
    page.get_by_role("heading", name="绑定动态口令（第二重验证）").wait_for()
    secret = page.get_by_test_id("otp-secret").inner_text().strip()
    page.get_by_label("6 位动态口令").fill(totp_code(secret))
    page.get_by_role("button", name="验证").click()
    page.wait_for_load_state()


def login(page, username: str, *, admin: bool = False, password: str = PASSWORD) -> None:
    submit_login(page, username, password)
    if admin:
        enrol_otp(page)
    page.wait_for_url(lambda url: "/account/" not in url)


def menu_labels(page) -> list[str]:
    """Texts of the left menu entries (the menu is in the DOM on every viewport)."""
    return [t.strip() for t in page.get_by_test_id("side-menu").locator("a.nav-link").all_inner_texts()]


def open_phone_menu(page) -> None:
    page.get_by_role("button", name="菜单").click()
    page.locator("#zx-sidebar.show").wait_for()


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def table_rows(page, testid: str = "list-table") -> list[list[str]]:
    """Body rows of a table as lists of cell texts (an empty-state row comes back as one cell)."""
    rows = page.get_by_test_id(testid).locator("tbody tr")
    return [[c.strip() for c in rows.nth(i).locator("td").all_inner_texts()] for i in range(rows.count())]
