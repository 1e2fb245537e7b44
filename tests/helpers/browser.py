"""Driving Chromium as a person would: devices, logging in, the offline app, reading the page."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    expect,
)
from sqlalchemy import select

from rehab_app.extensions import db
from rehab_app.models import Entry, User
from rehab_app.web.api.views import ApiError
from rehab_app.web.pwa.views import OFFLINE_PAGES as KEPT_BY_WORKER
from tests.helpers.accounts import PASSWORD, make_user

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


# The app's modules as the page loaded them (an import of a loaded module is that same module),
# under the names the tests use: RL.store (storage, outbox, programme, ids), RL.sync,
# RL.views, RL.forms and RL.app (the running app of a patient's page).
RL_IMPORTS = """const RL = await (async () => {
  const [store, outbox, programme, ids, sync, views, forms, main] = await Promise.all([
    '/static/js/store.js', '/static/js/outbox.js', '/static/js/programme.js', '/static/js/ids.js',
    '/static/js/sync.js', '/static/js/views.js', '/static/js/forms.js', '/static/js/app.js',
  ].map((url) => import(url)));
  return { store: { ...store, ...outbox, ...programme, ...ids, outbox: outbox.list }, sync, views,
    forms: { ...forms, newId: ids.newId }, app: main.app };
})();"""


def rl(function: str) -> str:
    """A function for page.evaluate that may use RL (the app's modules) in its body."""
    return f"async (arg) => {{ {RL_IMPORTS}\n return await ({function})(arg); }}"


def new_context(
    browser: Browser, base_url: str, device: dict[str, Any] = PHONE, **options: Any
) -> BrowserContext:
    """A fresh browser context (no cookies) on a device, pointed at the live server."""
    context = browser.new_context(
        **{"locale": "en-GB", "timezone_id": "Europe/London", **device, **options},
        base_url=base_url,
    )
    context.set_default_timeout(15_000)  # see expect's, tests/browser/conftest.py
    return context


def is_problem(message: ConsoleMessage) -> bool:
    """A console error, other than two the app expects.

    The browser asks for a favicon the app does not have; and a sync, or the registration of
    the app's sync client right after a login, sent just before a "Log out" is answered 401
    when it arrives after it (the app then asks to log in again, as
    tests/browser/test_offline.py shows).
    """
    url = message.location.get("url", "")
    if message.type != "error" or url.endswith("/favicon.ico"):
        return False
    sync = "/api/v1/sync/" in url or url.endswith("/api/v1/clients")
    return not (sync and "status of 401" in message.text)


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


# Every page the worker keeps, not a few of them: it keeps them one at a time, and a test that
# goes offline after the first five found the walk test page missing on a slow run.
OFFLINE_PAGES = list(KEPT_BY_WORKER)


KEPT = """async (paths) => {
  const reg = await navigator.serviceWorker.getRegistration();
  if (!reg || !reg.active) return "no worker";
  for (const name of await caches.keys()) {
    const keys = (await (await caches.open(name)).keys()).map(r => new URL(r.url).pathname);
    if (paths.every(p => keys.includes(p))) {
      return navigator.serviceWorker.controller ? "ready" : "not controlled";
    }
  }
  return "pages not kept";
}"""


def wait_until_ready_offline(page: Page) -> None:
    """Wait until the service worker controls the page and keeps the patient pages."""
    for _ in range(100):
        state = page.evaluate(KEPT, OFFLINE_PAGES)
        if state == "ready":
            return
        if state == "not controlled":
            # The page loaded while the first worker was still activating (its claim() came
            # before this document existed): the next load is controlled, as for a person.
            page.reload()
        page.wait_for_timeout(100)
    state = page.evaluate(
        """async () => {
          const reg = await navigator.serviceWorker.getRegistration();
          const out = {active: reg && reg.active && reg.active.state,
            controlled: !!navigator.serviceWorker.controller};
          for (const name of await caches.keys()) {
            out[name] = (await (await caches.open(name)).keys()).map(r => new URL(r.url).pathname);
          }
          return out;
        }"""
    )
    raise AssertionError(f"the service worker never kept the patient pages: {state}")


def wait_until(page: Page, check: Callable[[], bool], what: str, timeout_ms: int = 15_000) -> None:
    """Wait (letting the page and the routes run) until check() holds; fail saying what.

    Never a loop that gives up quietly: a test that goes on after a wait that timed out fails
    later, somewhere else, for a reason it does not say.
    """
    for _ in range(timeout_ms // 50):
        if check():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"never happened: {what}")


def wait_on_the_clock(page: Page, shown: Locator, what: str) -> None:
    """Move the page's clock (installed by the test) a second at a time until `shown` is
    visible: the back-offs and rests of the app pass without being waited out."""

    def shown_yet() -> bool:
        page.clock.fast_forward(1_000)
        return shown.is_visible()

    wait_until(page, shown_yet, what)


def server_away(*_args: object, **_kwargs: object) -> NoReturn:
    """The sync API's answer while the server is away (patched over `sync.push_batch` and
    `sync.pull_changes` on the live server): 503, nothing read or stored, whoever asks, the
    page or a service worker."""
    raise ApiError(503, "unavailable", "The server is away (made so by the test).")


def server_entries(app: Flask, email: str) -> list[Entry]:
    """The person's live entries as the server holds them."""
    with app.app_context():
        db.session.expire_all()
        user = db.session.scalars(select(User).where(User.email == email)).one()
        rows = db.session.scalars(
            select(Entry).where(Entry.user_id == user.id, Entry.deleted_at.is_(None))
        ).all()
        db.session.expunge_all()
        return list(rows)


def device_entries(page: Page) -> list[dict[str, object]]:
    """The entries the phone keeps in IndexedDB."""
    return page.evaluate(
        rl("() => RL.store.entriesBetween(document.body.dataset.account, '2000', '2100')")
    )


def status(page: Page) -> object:
    """The sync state in the header."""
    return expect(page.locator("#sync-status"))


def logged_today(page: Page) -> object:
    """The list of today's entries."""
    return page.get_by_role("region", name="Logged today").get_by_role("listitem")


def saved(page: Page, text: str) -> None:
    """The page says it saved: to screen readers (its status region) and on screen (where the
    person tapped, for Today's quick actions; at the top after a form)."""
    expect(page.get_by_role("status")).to_contain_text(text)
    shown = page.locator(".saved-here, .flash:not(.visually-hidden)").filter(has_text=text)
    expect(shown.first).to_be_visible()


HOLD_MS = 2_500  # static/js/forms.js: how long a quick action's buttons rest after a save


def done_button(page: Page, name: str) -> Locator:
    """The Done button of a programme item."""
    return page.get_by_role("button", name=re.compile(rf"^Done\W+{name}$"))


OUTBOX = rl("""async (account) => {
  const names = (await indexedDB.databases()).map(d => d.name);
  if (!names.includes('rehab-log-a' + account)) return null;
  return (await RL.store.outbox(account)).length;
}""")


QUEUE = rl("""([op, entry]) => {
  const at = new Date().toISOString().slice(0, 19) + 'Z';
  return RL.store.queue(document.body.dataset.account, op, Object.assign(
    op === 'create' ? {kind: 'fatigue', occurred_at: at, by_carer: false} : {}, entry),
    RL.views.localDate(at, document.body.dataset.tz)).then(() => null);
}""")


def ready(context: BrowserContext, email: str, name: str) -> Page:
    """A new person logged in on the phone, the app ready offline and synced."""
    make_user("patient", email, name)
    page = context.new_page()
    log_in(page, email)
    wait_until_ready_offline(page)
    status(page).to_contain_text("All synced")
    return page
