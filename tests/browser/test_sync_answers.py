"""Every row of docs/sync.md's "What the app does for each answer", in Chromium (issue 9).

The server is made to answer each status with `context.route`; each test checks what the person
sees in the header, that the outbox keeps the change while the answer lasts, and that the app
recovers by itself (or, after 401 and 409, once the person follows the "Log in" link) with the
change on the server exactly once. The real 401 (an expired session), 409 (two people on one
phone), a stale token with a forgotten client and a change the server keeps failing on are in
test_offline.py, test_shared_phone.py and test_sync_outcomes.py.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Request, Response, Route, expect
from playwright.sync_api import Error as PlaywrightError

from rehab_app.core import sync
from tests.helpers.browser import (
    OUTBOX,
    QUEUE,
    new_context,
    ready,
    rl,
    server_away,
    server_entries,
    status,
    wait_on_the_clock,
    wait_until,
)

pytestmark = pytest.mark.browser

PUSH = "**/api/v1/sync/push"


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A phone (a browser context) of its own."""
    context = new_context(browser, live_server)
    yield context
    context.close()


def error_body(code: str) -> str:
    return json.dumps({"error": code, "message": f"A {code} made up by the test."})


def queue_fatigue(page: Page, value: int) -> str:
    """A fatigue rating in the outbox, as a form puts it there; its entry id."""
    entry_id = page.evaluate("() => crypto.randomUUID()")
    page.evaluate(QUEUE, ["create", {"id": entry_id, "fatigue": value}])
    return entry_id


def outbox(page: Page) -> object:
    return page.evaluate(OUTBOX, page.evaluate("document.body.dataset.account"))


def expect_outbox(page: Page, count: int) -> None:
    """The outbox holds `count` changes (IndexedDB is written asynchronously: wait for it)."""
    wait_until(page, lambda: outbox(page) == count, f"{count} changes in the outbox")


def api_calls(context: BrowserContext) -> list[str]:
    """The API requests the phone makes from now on, as "METHOD /path"."""
    calls: list[str] = []

    def seen(request: Request) -> None:
        if "/api/v1/" in request.url:
            path = request.url.split("/api/v1")[-1].split("?")[0]
            calls.append(f"{request.method} {path}")

    context.on("request", seen)
    return calls


def answer_pushes_with(
    context: BrowserContext, status_code: int, code: str, while_: Callable[[], bool]
) -> list[int]:
    """Answer every push with that status while `while_()` holds; let them through after.

    A status of 0 is a network failure (the request never gets an answer). Returns the
    statuses the pushes got, in order.
    """
    got: list[int] = []

    def handle(route: Route) -> None:
        if not while_():
            got.append(200)
            route.continue_()
        elif status_code == 0:
            got.append(0)
            with contextlib.suppress(PlaywrightError):
                route.abort("internetdisconnected")
        else:
            got.append(status_code)
            route.fulfill(
                status=status_code, content_type="application/json", body=error_body(code)
            )

    context.route(PUSH, handle)
    return got


@pytest.mark.parametrize(
    ("status_code", "code"),
    [
        (0, "network"),
        (502, "bad_gateway"),
        (503, "unavailable"),
        (504, "timeout"),
        (500, "internal"),
        (403, "forbidden"),
        (429, "too_many_requests"),
    ],
    ids=["network", "502", "503", "504", "500", "403", "429"],
)
def test_a_failing_answer_keeps_the_outbox_and_backs_off_until_it_goes_through(
    app: Flask, phone: BrowserContext, status_code: int, code: str
) -> None:
    """network error, 502-504, 403, 429, other 5xx (and a 500 from a server that fails on
    everything, which sets nothing aside): try again with back-off; the outbox stays."""
    email = f"retry{status_code}@example.test"
    page = ready(phone, email, "Rory Retry")
    page.clock.install()  # the back-off passes on the page's clock
    failing = [True]
    pushes = answer_pushes_with(phone, status_code, code, lambda: failing[0])
    entry_id = queue_fatigue(page, 7)
    page.evaluate(rl("() => RL.app.sync()"))

    wait_until(page, lambda: bool(pushes), "a push", 10_000)
    status(page).to_contain_text("1 waiting to sync.")
    expect_outbox(page, 1)
    assert server_entries(app, email) == []
    expect(page.locator("#sync-status a")).to_have_count(0)  # no "Log in": not the person's to do

    failing[0] = False  # the server is back: the app's own back-off retry sends it
    synced = page.locator("#sync-status").filter(has_text="All synced")
    wait_on_the_clock(page, synced, "the retry after the back-off")
    assert 200 in pushes and set(pushes) == {status_code, 200}
    expect_outbox(page, 0)
    assert [e.id for e in server_entries(app, email)] == [entry_id]
    expect(page.locator("#sync-status")).not_to_contain_text("not sent")


def test_a_small_sync_is_one_request(app: Flask, phone: BrowserContext) -> None:
    """A change saved, then synced: the push brings the pull after it (docs/sync.md, "Push
    and pull in one"), and nothing else is asked."""
    page = ready(phone, "single@example.test", "Sam Single")
    calls = api_calls(phone)
    entry_id = queue_fatigue(page, 4)

    page.evaluate(rl("() => RL.app.sync()"))

    status(page).to_contain_text("All synced")
    assert calls == ["POST /sync/push"]
    assert [e.id for e in server_entries(app, "single@example.test")] == [entry_id]
    expect_outbox(page, 0)


def test_a_tap_on_today_costs_the_server_one_request(app: Flask, phone: BrowserContext) -> None:
    """A fatigue rating tapped on Today: the page sends it, the push bringing the pull, and the
    service worker's Background Sync (registered by the same tap, for a page closed before it
    could send) finds nothing left to send and asks nothing (sync.js `sendWaiting`): one
    request in all, where there were three (push, pull, the worker's pull)."""
    page = ready(phone, "tapper@example.test", "Tess Tapper")
    calls = api_calls(phone)

    page.get_by_role("button", name="Fatigue 6 out of 10").click()

    email = "tapper@example.test"
    wait_until(page, lambda: len(server_entries(app, email)) == 1, "the rating on the server")
    expect_outbox(page, 0)
    # The worker's sync event has run once its tag is no longer pending.
    tags = "navigator.serviceWorker.ready.then((r) => r.sync.getTags())"
    wait_until(page, lambda: page.evaluate(tags) == [], "the worker's Background Sync done")
    status(page).to_contain_text("All synced")
    assert calls == ["POST /sync/push"]
    assert [e.fatigue for e in server_entries(app, email)] == [6]


def test_background_sync_that_failed_is_left_for_the_browser_to_try_again(
    app: Flask, phone: BrowserContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server is away when a tap's change is sent: the page backs off, and the service
    worker's Background Sync fails its event (sync.js `sendAllWaiting`), so the browser keeps
    the registration and tries again later, page open or not; it used to swallow the failure,
    and the registration was done with the change still waiting."""
    page = ready(phone, "away@example.test", "Abe Away")
    worker_pushes: list[int] = []

    def seen(response: Response) -> None:
        if response.request.service_worker and "/sync/push" in response.url:
            worker_pushes.append(response.status)

    phone.on("response", seen)
    monkeypatch.setattr(sync, "push_batch", server_away)
    monkeypatch.setattr(sync, "pull_changes", server_away)

    page.get_by_role("button", name="Fatigue 3 out of 10").click()

    wait_until(page, lambda: worker_pushes == [503], "the worker's push, refused")
    idle = "navigator.locks.query().then((q) => q.held.length + q.pending.length === 0)"
    wait_until(page, lambda: page.evaluate(idle), "the worker's sync over")
    tags = "navigator.serviceWorker.ready.then((r) => r.sync.getTags())"
    page.wait_for_timeout(500)  # the event's own end, after its lock
    assert page.evaluate(tags) == ["outbox"]
    expect_outbox(page, 1)


def test_a_push_whose_answer_never_comes_is_given_up_on_and_its_change_goes_once(
    app: Flask, phone: BrowserContext
) -> None:
    """The push reaches the server, which applies it, and its answer never comes back (a
    connection that goes silent): the sync gives up on it after its time (sync.js
    `REQUEST_TIMEOUT`) instead of holding every later sync of the person behind it, backs
    off, and sends it again; the server answers the change it already has, once."""
    email = "silent@example.test"
    page = ready(phone, email, "Sid Silent")
    page.clock.install()  # the request's time and the back-off pass on the page's clock
    pushes: list[str] = []

    def answer_never_comes(route: Route) -> None:
        if pushes:
            pushes.append("answered")
            route.continue_()
            return
        pushes.append("never answered")
        route.fetch()  # the server gets it and answers; the phone never hears

    phone.route(PUSH, answer_never_comes)
    entry_id = queue_fatigue(page, 6)
    page.evaluate(rl("() => { RL.app.sync(); }"))  # not awaited: its push hangs

    wait_until(page, lambda: bool(pushes), "a push", 10_000)
    wait_until(page, lambda: len(server_entries(app, email)) == 1, "the push on the server")
    expect_outbox(page, 1)  # kept while no answer came

    def sent_yet() -> bool:
        page.clock.fast_forward(1_000)
        return bool(outbox(page) == 0)

    wait_until(page, sent_yet, "the push given up on and sent again")
    assert pushes[0] == "never answered" and pushes[1:] == ["answered"]
    status(page).to_contain_text("All synced")
    assert [e.id for e in server_entries(app, email)] == [entry_id]


@pytest.mark.parametrize(
    ("status_code", "code"), [(401, "login_required"), (409, "wrong_account")], ids=["401", "409"]
)
def test_a_login_or_account_answer_stops_keeps_the_outbox_and_asks_to_log_in(
    app: Flask, phone: BrowserContext, status_code: int, code: str
) -> None:
    """401: stop, keep the outbox, ask the person to log in. 409: stop at once, never register
    nor renumber for the session's person."""
    email = f"stop{status_code}@example.test"
    page = ready(phone, email, "Stan Stop")
    calls = api_calls(phone)
    refusing = [True]
    pushes = answer_pushes_with(phone, status_code, code, lambda: refusing[0])
    entry_id = queue_fatigue(page, 3)
    page.evaluate(rl("() => RL.app.sync()"))

    status(page).to_contain_text("1 waiting to sync. Log in again to sync; nothing is lost.")
    expect(page.locator("#sync-status").get_by_role("link", name="Log in")).to_be_visible()
    assert pushes == [status_code]
    # Stopped: no pull, no new registration; another sync does not even try.
    page.evaluate(rl("() => RL.app.sync()"))
    expect_outbox(page, 1)
    assert calls == ["POST /sync/push"] and pushes == [status_code]
    assert server_entries(app, email) == []

    # The person follows the link (logged in again); the outbox goes, once.
    refusing[0] = False
    page.locator("#sync-status").get_by_role("link", name="Log in").click()
    status(page).to_contain_text("All synced")
    expect_outbox(page, 0)
    assert [e.id for e in server_entries(app, email)] == [entry_id]
    assert "POST /clients" not in calls  # the client it had is still its own


def test_a_csrf_answer_renews_the_token_with_a_pull_and_sends_in_the_same_sync(
    app: Flask, phone: BrowserContext
) -> None:
    page = ready(phone, "csrf@example.test", "Cass Csrf")
    calls = api_calls(phone)
    pushes = answer_pushes_with(phone, 400, "csrf", lambda: not pushes)
    entry_id = queue_fatigue(page, 5)

    page.evaluate(rl("() => RL.app.sync()"))  # resolves once this one sync is over

    status(page).to_contain_text("All synced")
    assert pushes == [400, 200]
    assert calls[:3] == ["POST /sync/push", "GET /sync/pull", "POST /sync/push"]
    assert [e.id for e in server_entries(app, "csrf@example.test")] == [entry_id]
    expect_outbox(page, 0)


def test_an_unknown_client_answer_registers_again_and_sends_once(
    app: Flask, phone: BrowserContext
) -> None:
    page = ready(phone, "unknown@example.test", "Uri Unknown")
    account = page.evaluate("document.body.dataset.account")
    before = page.evaluate(rl("(a) => RL.store.getMeta(a, 'clientId')"), account)
    calls = api_calls(phone)
    pushes = answer_pushes_with(phone, 404, "unknown_client", lambda: not pushes)
    first, second = queue_fatigue(page, 1), queue_fatigue(page, 2)

    page.evaluate(rl("() => RL.app.sync()"))

    status(page).to_contain_text("All synced")
    assert pushes == [404, 200]
    assert calls[:3] == ["POST /sync/push", "POST /clients", "POST /sync/push"]
    assert page.evaluate(rl("(a) => RL.store.getMeta(a, 'clientId')"), account) != before
    assert sorted(e.id for e in server_entries(app, "unknown@example.test")) == sorted(
        [first, second]
    )
    expect_outbox(page, 0)


def test_a_too_large_answer_halves_the_batch_until_it_fits(
    app: Flask, phone: BrowserContext
) -> None:
    page = ready(phone, "large@example.test", "Lars Large")
    sizes: list[tuple[int, int]] = []  # (changes in the push, its status)

    def too_large_above_one(route: Route) -> None:
        n = len(json.loads(route.request.post_data or "{}").get("mutations", []))
        if n > 1:
            sizes.append((n, 413))
            route.fulfill(status=413, content_type="application/json", body=error_body("too_large"))
        else:
            sizes.append((n, 200))
            route.continue_()

    phone.route(PUSH, too_large_above_one)
    ids = [queue_fatigue(page, value) for value in (4, 5, 6)]

    page.evaluate(rl("() => RL.app.sync()"))

    status(page).to_contain_text("All synced")
    assert sizes == [(3, 413), (1, 200), (1, 200), (1, 200)]
    assert sorted(e.id for e in server_entries(app, "large@example.test")) == sorted(ids)
    expect_outbox(page, 0)
