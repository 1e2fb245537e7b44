"""Browser fixtures: the app served on a local port, Debian's Chromium, a phone to hold."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    expect,
    sync_playwright,
)
from werkzeug.serving import make_server

from config import TestConfig
from rehab_app import create_app
from tests.helpers.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    is_problem,
    log_in,
    new_context,
    status,
    wait_until_ready_offline,
)
from tests.helpers.mail import Mailbox

# Generous, for a machine that runs both databases' suites, and their Chromium, at once: a wait
# ends as soon as what it waits for shows, so only a failing test pays for it.
expect.set_options(timeout=15_000)

# What each open tab showed when a test failed: its address, how its page arrived (from the
# network or the service worker, and how long it took) and its text. The CI log carries it,
# and a screenshot goes to test-artifacts/failures/, so that a failure seen once is explained.
NAVIGATION = """() => {
  const [n] = performance.getEntriesByType("navigation");
  const ms = (t) => Math.round(t);
  return n ? {workerStart: ms(n.workerStart), responseStart: ms(n.responseStart),
    responseEnd: ms(n.responseEnd), loaded: ms(n.loadEventEnd),
    controlled: !!(navigator.serviceWorker && navigator.serviceWorker.controller)} : null;
}"""


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    browser = getattr(item, "funcargs", {}).get("browser")
    if report.when == "call" and report.failed and browser is not None:
        report.sections.append(("what the browser showed", what_the_browser_showed(item, browser)))
    return report


def what_the_browser_showed(item: pytest.Item, browser: Browser) -> str:
    """Each open tab's address, its page's arrival and text (a screenshot of it saved)."""
    lines: list[str] = []
    name = re.sub(r"[^\w.-]+", "-", item.nodeid.split("::")[-1])
    for c, context in enumerate(browser.contexts):
        for t, tab in enumerate(context.pages):
            try:
                lines.append(f"tab {c}.{t}: {tab.url}")
                lines.append("  arrival (ms): " + json.dumps(tab.evaluate(NAVIGATION)))
                text = tab.locator("body").inner_text(timeout=2_000)
                lines.append("  text: " + " | ".join(text.split("\n"))[:3_000])
                shot = ARTIFACTS / "failures" / f"{name}-{c}.{t}.png"
                shot.parent.mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=str(shot), full_page=True, timeout=5_000)
                lines.append(f"  screenshot: {shot}")
            except Exception as error:  # a closed or stuck tab: say so, and go on
                lines.append(f"  (could not read this tab: {error})")
    return "\n".join(lines) or "no tab open"


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
    # The app syncs from its pages and from its service worker (Background Sync, a push
    # reminder's Done), whichever comes first: a test's route must see the worker's requests
    # too, or a sync it means to hold or lose can slip past it (Chromium only; read by the
    # Playwright driver when it starts).
    os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


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


@pytest.fixture
def page(phone: BrowserContext) -> Iterator[Page]:
    """A tab on the phone that fails the test on any console error or uncaught exception."""
    page = phone.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if is_problem(m) else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    assert not problems, f"the browser reported errors: {problems}"


@pytest.fixture
def phone_for(browser: Browser, live_server: str) -> Iterator[object]:
    """Open logged-in phones (browser contexts) on demand; close them all afterwards."""
    opened: list[BrowserContext] = []

    def open_phone(email: str) -> tuple[BrowserContext, Page]:
        context = new_context(browser, live_server)
        opened.append(context)
        page = context.new_page()
        log_in(page, email)
        wait_until_ready_offline(page)
        status(page).to_contain_text("All synced")
        return context, page

    yield open_phone
    for context in opened:
        context.close()
