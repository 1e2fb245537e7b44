"""The phone never hides an outcome (issue 9), in Chromium: a refusal whose answer was lost is
still shown, an undo whose delete had already reached the server keeps the entry, and a sync
that meets a stale CSRF token and a forgotten client recovers without a reload."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from tests.helpers.browser import (
    QUEUE,
    new_context,
    ready,
    rl,
    screenshot,
    server_entries,
    status,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser: Browser, live_server: str) -> Iterator[BrowserContext]:
    """A phone (a browser context) of its own."""
    context = new_context(browser, live_server)
    yield context
    context.close()


def lose_next_push_answer(context: BrowserContext, then_offline: bool = False) -> list[int]:
    """The next push reaches the server, but its answer never reaches the phone; with
    `then_offline`, the pushes after it fail too, as if the connection dropped, until
    the test removes the route."""
    answered: list[int] = []

    def lose(route: Route) -> None:
        if answered and then_offline:
            route.abort("internetdisconnected")
            return
        if answered:
            route.continue_()
            return
        answered.append(route.fetch().status)
        with contextlib.suppress(PlaywrightError):
            route.abort()

    context.route("**/api/v1/sync/push", lose)
    return answered


def wait_for(page: Page, answered: list[int]) -> None:
    for _ in range(200):
        if answered:
            return
        page.wait_for_timeout(50)
    raise AssertionError("the push never reached the server")


def test_a_refusal_whose_answer_was_lost_is_still_shown(app: Flask, phone: BrowserContext) -> None:
    page = ready(phone, "refused@example.test", "Rhea Refused")
    phone.set_offline(True)
    entry_id = page.evaluate("() => crypto.randomUUID()")
    page.evaluate(QUEUE, ["create", {"id": entry_id, "fatigue": 4, "note": "x" * 1005}])
    answered = lose_next_push_answer(phone)
    phone.set_offline(False)
    page.evaluate(rl("() => RL.app.sync()"))
    wait_for(page, answered)
    assert answered == [200]
    # The app tries again (its back-off), and this time hears the refusal it had missed.
    page.evaluate(rl("() => RL.app.sync()"))
    page.goto("/history")
    refused = page.get_by_role("main").get_by_role("listitem").filter(has_text="Fatigue 4")
    expect(refused).to_contain_text("Keep the note under 1000 characters.")
    expect(refused.get_by_role("button", name="Discard")).to_be_visible()
    screenshot(page, "history-refused-after-lost-answer")
    assert server_entries(app, "refused@example.test") == []


def test_undo_after_the_deletes_answer_was_lost_keeps_the_entry(
    app: Flask, phone: BrowserContext
) -> None:
    page = ready(phone, "undo@example.test", "Uma Undo")
    phone.set_offline(True)
    entry_id = page.evaluate("() => crypto.randomUUID()")
    page.evaluate(QUEUE, ["create", {"id": entry_id, "fatigue": 6}])
    page.evaluate(QUEUE, ["delete", {"id": entry_id}])
    # The connection drops again as the answer is lost: no retry learns of the delete.
    answered = lose_next_push_answer(phone, then_offline=True)
    phone.set_offline(False)
    page.evaluate(rl("() => RL.app.sync()"))
    wait_for(page, answered)
    phone.set_offline(True)
    phone.unroute("**/api/v1/sync/push")
    assert server_entries(app, "undo@example.test") == []  # created and deleted there

    # The person taps Undo: the delete still waits on the phone, its answer lost.
    assert page.evaluate(
        rl("(id) => RL.store.undoDelete(document.body.dataset.account, id)"), entry_id
    )
    phone.set_offline(False)
    page.evaluate(rl("() => RL.app.sync()"))
    status(page).to_contain_text("All synced")
    assert [e.id for e in server_entries(app, "undo@example.test")] == [entry_id]
    page.goto("/today")
    today = page.get_by_role("region", name="Logged today").get_by_role("listitem")
    expect(today.filter(has_text="Fatigue 6")).to_have_count(1)
    page.reload()  # and a later pull keeps it
    status(page).to_contain_text("All synced")
    expect(today.filter(has_text="Fatigue 6")).to_have_count(1)


def test_a_stale_token_and_a_forgotten_client_recover_without_a_reload(
    app: Flask, phone: BrowserContext
) -> None:
    """As after a remember-cookie login: the push is refused (400 csrf), the pull that would
    renew the token finds the client unknown (404): the app registers again and sends."""
    page = ready(phone, "stall@example.test", "Stella Stall")
    page.evaluate(
        rl("""async () => {
          const account = document.body.dataset.account;
          document.querySelector('meta[name="csrf-token"]').content = 'stale';
          await RL.store.setMeta(account, 'csrf', 'stale');
          await RL.store.setMeta(account, 'clientId', crypto.randomUUID());
        }""")
    )
    answers: list[tuple[str, int]] = []
    phone.on(
        "response",
        lambda r: (
            answers.append((r.url.split("/api/v1")[-1].split("?")[0], r.status))
            if "/api/v1/" in r.url
            else None
        ),
    )
    entry_id = page.evaluate("() => crypto.randomUUID()")
    page.evaluate(QUEUE, ["create", {"id": entry_id, "fatigue": 2}])
    page.evaluate(rl("() => RL.app.sync()"))
    status(page).to_contain_text("All synced")
    assert [e.id for e in server_entries(app, "stall@example.test")] == [entry_id]
    assert ("/sync/push", 400) in answers and ("/sync/pull", 404) in answers


def test_undo_tapped_while_the_deletes_answer_is_on_its_way_keeps_the_entry(
    app: Flask, phone: BrowserContext
) -> None:
    page = ready(phone, "midair@example.test", "Mia Midair")
    entry_id = page.evaluate("() => crypto.randomUUID()")
    page.evaluate(QUEUE, ["create", {"id": entry_id, "fatigue": 5}])
    page.evaluate(rl("() => RL.app.sync()"))
    status(page).to_contain_text("All synced")

    # The delete reaches the server; its answer is held on the way back.
    held: list[tuple[Route, object]] = []

    def hold(route: Route) -> None:
        if held:
            route.continue_()
            return
        held.append((route, route.fetch()))

    phone.route("**/api/v1/sync/push", hold)
    page.evaluate(QUEUE, ["delete", {"id": entry_id}])
    page.evaluate(rl("() => { RL.app.sync(); }"))
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the push never reached the server"
    assert server_entries(app, "midair@example.test") == []

    # Undo now, then the delete's answer arrives: it answers what was sent, not the undo.
    assert page.evaluate(
        rl("(id) => RL.store.undoDelete(document.body.dataset.account, id)"), entry_id
    )
    route, answer = held[0]
    route.fulfill(response=answer)  # type: ignore[arg-type]
    page.wait_for_timeout(300)
    page.evaluate(rl("() => RL.app.sync()"))
    status(page).to_contain_text("All synced")
    assert [e.id for e in server_entries(app, "midair@example.test")] == [entry_id]
    page.goto("/today")
    today = page.get_by_role("region", name="Logged today").get_by_role("listitem")
    expect(today.filter(has_text="Fatigue 5")).to_have_count(1)
