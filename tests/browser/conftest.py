"""Browser fixtures: the app served on a local port, Debian's Chromium, a phone to hold."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)
from werkzeug.serving import make_server

from config import TestConfig
from rehab_app import create_app
from tests.helpers.accounts import PASSWORD
from tests.helpers.mail import Mailbox

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A mid-sized phone held upright, as most patients use the app.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# A therapist's desktop browser.
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

expect.set_options(timeout=5_000)


@pytest.fixture(scope="session")
def live_server(db_url: str, smtp_server: tuple[Mailbox, int]) -> Iterator[str]:
    """The app served over HTTP on a free local port, on the suite's database; its base URL.

    Its mail goes to the suite's SMTP server on loopback (the `inbox` fixture reads it).
    """
    _, smtp_port = smtp_server
    app = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=db_url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_port,
        MAIL_USE_TLS=False,
        # Every browser test comes from 127.0.0.1, many with the same emails: the limits on
        # emails asked for have their own tests (tests/test_passwords.py).
        RESET_LIMIT_PER_EMAIL=10_000,
        RESET_LIMIT_PER_ADDRESS=10_000,
        SIGNUP_LIMIT_PER_ADDRESS=10_000,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, for the whole run."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM} (make chromium installs it)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_context(
    browser: Browser, base_url: str, device: dict[str, Any] = PHONE, **options: Any
) -> BrowserContext:
    """A fresh browser context (no cookies) on a device, pointed at the live server."""
    context = browser.new_context(
        **{"locale": "en-GB", "timezone_id": "Europe/London", **device, **options},
        base_url=base_url,
    )
    context.set_default_timeout(5_000)
    return context


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A phone, 390 by 844 CSS px with touch, with the page's own CSP in force."""
    context = new_context(browser, live_server)
    yield context
    context.close()


@pytest.fixture
def inbox(smtp_server: tuple[Mailbox, int]) -> Iterator[Mailbox]:
    """The emails the live server sent during this test."""
    box, _ = smtp_server
    box.messages.clear()
    yield box
    box.messages.clear()


def is_problem(message: ConsoleMessage) -> bool:
    """A console error, other than two the app expects.

    The browser asks for a favicon the app does not have; and a sync sent just before a
    "Log out" is answered 401 when it arrives after it (the app then asks to log in again, as
    tests/browser/test_offline.py shows).
    """
    url = message.location.get("url", "")
    if message.type != "error" or url.endswith("/favicon.ico"):
        return False
    return not ("/api/v1/sync/" in url and "status of 401" in message.text)


@pytest.fixture
def page(phone: BrowserContext) -> Iterator[Page]:
    """A tab on the phone that fails the test on any console error or uncaught exception."""
    page = phone.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if is_problem(m) else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    assert not problems, f"the browser reported errors: {problems}"


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Log in through the real login form, as a person would."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def screenshot(page: Page, name: str) -> None:
    """Save a full-page screenshot to test-artifacts/ when SCREENSHOTS=1."""
    if os.environ.get("SCREENSHOTS") == "1":
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
