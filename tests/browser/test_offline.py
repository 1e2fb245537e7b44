"""The installed app offline, in Chromium: log with no network, close, reopen, sync exactly once."""

from __future__ import annotations

import contextlib
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from rehab_app.core import sync
from rehab_app.extensions import db
from rehab_app.models import ProgrammeItem
from rehab_app.web.pwa import views as pwa
from tests.helpers.accounts import link, make_user
from tests.helpers.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    OFFLINE_PAGES,
    PHONE,
    device_entries,
    log_in,
    logged_today,
    rl,
    saved,
    screenshot,
    server_away,
    server_entries,
    status,
    wait_until,
    wait_until_ready_offline,
)
from tests.helpers.entries import add_item

pytestmark = pytest.mark.browser


def test_a_day_logged_offline_reaches_the_server_once_and_every_device(
    app: Flask, phone_for: object
) -> None:
    person = make_user("patient", "offline.day@example.test", "Olga Offline")
    context, page = phone_for(person.email)  # type: ignore[operator]

    # No network: the app still opens, from the phone, and does not claim to be synced.
    context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    status(page).to_contain_text("Offline. Nothing is waiting to sync.")

    # Three entries of three kinds, each saved on the phone at once.
    page.get_by_role("button", name="Fatigue 6 out of 10").click()
    saved(page, "Saved: fatigue 6 out of 10.")
    page.get_by_role("region", name="A hard day?").get_by_role("button", name="Heat").click()
    saved(page, "Saved: a hard day (heat).")
    walking = page.get_by_role("region", name="Walking")
    walking.get_by_label("Walking aid").select_option(label="One stick, cane or crutch")
    walking.get_by_label("How far (metres)").fill("250")
    walking.get_by_role("button", name="Log walking").click()
    saved(page, "Saved: walking with one stick, cane or crutch.")
    expect(logged_today(page)).to_have_count(3)
    expect(logged_today(page).filter(has_text="Waiting to sync")).to_have_count(3)
    status(page).to_contain_text("3 waiting to sync")
    screenshot(page, "offline-today-waiting")
    assert server_entries(app, person.email) == []

    # Close the app and open it again, still offline: everything is there, still waiting.
    page.close()
    page = context.new_page()
    page.goto("/today")
    expect(logged_today(page).filter(has_text="Waiting to sync")).to_have_count(3)
    page.get_by_role("link", name="History").click()
    day = page.locator("#history-days").get_by_role("listitem")
    expect(day.filter(has_text="Fatigue 6 out of 10")).to_contain_text("Waiting to sync")
    expect(day.filter(has_text="Bad day: heat")).to_contain_text("Waiting to sync")
    expect(day.filter(has_text="One stick, cane or crutch")).to_contain_text("250 m")
    screenshot(page, "offline-history-waiting")

    # Back online: each entry reaches the server exactly once.
    context.set_offline(False)
    status(page).to_contain_text("All synced")
    expect(page.get_by_text("Waiting to sync", exact=True)).to_have_count(0)
    on_server = server_entries(app, person.email)
    assert sorted(e.kind for e in on_server) == ["bad_day", "fatigue", "mobility"]
    assert len({e.id for e in on_server}) == 3
    phone_ids = {e["id"] for e in device_entries(page)}
    assert phone_ids == {e.id for e in on_server}

    # Another device of the same person pulls them.
    other_context, other = phone_for(person.email)  # type: ignore[operator]
    assert {e["id"] for e in device_entries(other)} == phone_ids

    # Both devices change the same entry offline: the change the server applies last wins.
    context.set_offline(True)
    other_context.set_offline(True)
    for device, value in ((page, "7"), (other, "3")):
        device.goto("/history")
        device.get_by_role("link", name="Edit Fatigue 6 out of 10").click()
        expect(device.get_by_role("heading", name="Change: fatigue")).to_be_visible()
        device.get_by_role("radio", name=value, exact=True).check()
        device.get_by_role("button", name="Save changes").click()
        saved(device, "Changes saved.")
    context.set_offline(False)
    status(page).to_contain_text("All synced")
    other_context.set_offline(False)
    status(other).to_contain_text("All synced")
    fatigue = [e for e in server_entries(app, person.email) if e.kind == "fatigue"]
    assert [e.fatigue for e in fatigue] == [3]
    page.reload()
    status(page).to_contain_text("All synced")
    for device in (page, other):
        device.goto("/history")
        items = device.get_by_role("listitem")
        expect(items.filter(has_text="Fatigue 3 out of 10")).to_be_visible()
        expect(items.filter(has_text="Fatigue 7 out of 10")).to_have_count(0)

    # Nothing personal or written went into the service worker's caches.
    cached = page.evaluate(
        """async () => {
          const out = [];
          for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const r of await cache.keys()) out.push(r.url + ' ' + r.method);
          }
          return out;
        }"""
    )
    assert not [u for u in cached if "/api/" in u or not u.endswith(" GET")], cached


def test_fifty_entries_survive_closing_the_app_while_it_syncs(
    app: Flask, phone_for: object
) -> None:
    person = make_user("patient", "fifty@example.test", "Fifi Fifty")
    context, page = phone_for(person.email)  # type: ignore[operator]
    context.set_offline(True)
    # Fifty entries in the outbox, as fifty taps on fatigue would leave (a tap straight after
    # another is one entry, tests/browser/test_quick_actions.py: so they go in as the form does).
    page.evaluate(
        rl("""async () => {
          const user = document.body.dataset.account;
          for (let n = 0; n < 50; n++) {
            const at = new Date(Date.now() - (50 - n) * 60000).toISOString();
            await RL.store.queue(user, "create", {id: RL.forms.newId(), kind: "fatigue",
              fatigue: n % 11, context: null, note: null, by_carer: false,
              occurred_at: at.replace(/\\.\\d{3}Z$/, "Z")}, RL.views.localDate(at, RL.app.tz));
          }
          RL.app.queued();
        }""")
    )
    status(page).to_contain_text("50 waiting to sync")

    # The push reaches the server, but the app is closed before it hears the answer.
    answered: list[int] = []

    def lose_the_answer(route: Route) -> None:
        answered.append(route.fetch().status)
        with contextlib.suppress(PlaywrightError):  # the page may be gone already
            route.abort()

    context.route("**/api/v1/sync/push", lose_the_answer)
    context.set_offline(False)
    for _ in range(600):  # up to 30 s: a busy CI machine can take its time to send
        if answered:
            break
        page.wait_for_timeout(50)
    page.close()
    assert answered and set(answered) == {200}
    assert len(server_entries(app, person.email)) == 50
    context.unroute("**/api/v1/sync/push")

    # Opened again online: the outbox is sent again, and the server keeps each entry once.
    page = context.new_page()
    page.goto("/today")
    status(page).to_contain_text("All synced")
    on_server = server_entries(app, person.email)
    assert len(on_server) == 50
    assert len({e.id for e in on_server}) == 50
    assert len(device_entries(page)) == 50


def test_a_session_that_expired_offline_loses_nothing(app: Flask, phone_for: object) -> None:
    person = make_user("patient", "expired@example.test", "Eve Expired")
    context, page = phone_for(person.email)  # type: ignore[operator]
    context.set_offline(True)
    page.get_by_role("button", name="Fatigue 4 out of 10").click()
    saved(page, "Saved: fatigue 4 out of 10.")
    page.get_by_role("region", name="A hard day?").get_by_role("button", name="Pain").click()
    saved(page, "Saved: a hard day (pain).")

    # The session ends while the phone is offline (cookies gone, as after a long absence).
    context.clear_cookies()
    context.set_offline(False)
    status(page).to_contain_text("Log in again")
    status(page).to_contain_text("2 waiting to sync")
    assert server_entries(app, person.email) == []

    page.locator("#sync-status").get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    status(page).to_contain_text("All synced")
    assert sorted(e.kind for e in server_entries(app, person.email)) == ["bad_day", "fatigue"]


def test_a_new_version_offers_a_reload_and_keeps_what_waits(
    app: Flask, phone_for: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = make_user("patient", "update@example.test", "Uma Update")
    context, page = phone_for(person.email)  # type: ignore[operator]
    context.set_offline(True)
    page.get_by_role("button", name="Fatigue 5 out of 10").click()
    saved(page, "Saved: fatigue 5 out of 10.")
    old_caches = page.evaluate("caches.keys()")

    # A new release: the worker's code changes. The sync API stays out of reach meanwhile:
    # the server itself answers 503, so that no sync gets through, the page's or either
    # worker's (a route of the test's would see the workers' requests only as far as
    # Playwright's interception of a worker just started does: twice in CI, under load, a
    # worker's sync went past it and the entry was no longer waiting).
    newer = tmp_path / "sw.js"
    newer.write_text(pwa.WORKER_SOURCE.read_text() + "\n// a new release\n")
    monkeypatch.setattr(pwa, "WORKER_SOURCE", newer)
    pwa._worker_body.cache_clear()
    with monkeypatch.context() as away:
        away.setattr(sync, "push_batch", server_away)
        away.setattr(sync, "pull_changes", server_away)
        context.set_offline(False)
        page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        banner = page.locator("#update-banner")
        expect(banner).to_contain_text("Update available")
        banner.get_by_role("button", name="Reload").click()
        page.wait_for_load_state()
        expect(banner).to_be_hidden()
        expect(logged_today(page).filter(has_text="Fatigue 5 out of 10")).to_contain_text(
            "Waiting to sync"
        )
        new_caches = page.evaluate("caches.keys()")
        assert new_caches != old_caches and not set(old_caches) & set(new_caches)
        assert server_entries(app, person.email) == []

    page.reload()
    status(page).to_contain_text("All synced")
    assert [e.fatigue for e in server_entries(app, person.email)] == [5]
    pwa._worker_body.cache_clear()


def test_chromium_finds_the_app_installable(browser: Browser, live_server: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        context = browser.browser_type.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            base_url=live_server,
            **PHONE,
        )
        try:
            page = context.new_page()
            page.goto("/login")
            page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
            page.reload()
            cdp = context.new_cdp_session(page)
            manifest = cdp.send("Page.getAppManifest")
            assert manifest.get("errors") == [], manifest.get("errors")
            errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            assert errors == [], errors
        finally:
            context.close()


def test_two_people_on_one_phone_keep_their_own_outbox(app: Flask, phone_for: object) -> None:
    first = make_user("patient", "first@example.test", "Fran First")
    second = make_user("patient", "second@example.test", "Sam Second")
    context, page = phone_for(first.email)  # type: ignore[operator]
    context.route("**/api/v1/**", lambda route: route.abort())  # the server is out of reach
    page.get_by_role("button", name="Fatigue 2 out of 10").click()
    saved(page, "Saved: fatigue 2 out of 10.")
    status(page).to_contain_text("1 waiting to sync")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Email")).to_be_visible()
    context.unroute("**/api/v1/**")

    # Someone else logs in on the same phone: they see none of it, and it is not sent as theirs.
    log_in(page, second.email)
    status(page).to_contain_text("All synced")
    expect(page.get_by_text("Fatigue 2 out of 10")).to_have_count(0)
    assert server_entries(app, second.email) == []

    # The first person comes back: their entry, kept on the phone, is sent as theirs.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Email")).to_be_visible()
    log_in(page, first.email)
    status(page).to_contain_text("All synced")
    assert [e.fatigue for e in server_entries(app, first.email)] == [2]


def test_the_outbox_is_split_under_both_push_limits(page: Page) -> None:
    page.goto("/login")
    sizes = page.evaluate(
        rl("""() => {
          const small = Array.from({length: 1201}, (_, i) => ({mid: i + 1, op: 'delete',
            entry: {id: 'x'}}));
          const note = 'n'.repeat(900);
          const big = Array.from({length: 2000}, (_, i) => ({mid: i + 1, op: 'create',
            entry: {id: 'y', note: note}}));
          const bytes = b => JSON.stringify(b).length;
          return {
            counts: RL.sync.batches(small, 500).map(b => b.length),
            order: RL.sync.batches(small, 500).flat().every((m, i) => m.id === i + 1),
            largest: Math.max(...RL.sync.batches(big, 500).map(bytes)),
          };
        }""")
    )
    assert sizes["counts"] == [500, 500, 201]
    assert sizes["order"] is True
    assert sizes["largest"] < 1024 * 1024


def test_retries_back_off_with_jitter_up_to_five_minutes(page: Page) -> None:
    page.goto("/login")
    waits = page.evaluate(
        rl("() => [0, 1, 2, 10, 30].map(n => [RL.sync.backoff(n, 0), RL.sync.backoff(n, 1)])")
    )
    assert waits == [[1000, 2000], [2000, 4000], [4000, 8000], [150000, 300000], [150000, 300000]]


@pytest.mark.parametrize(
    ("wall", "zone", "utc"),
    [
        ("2026-07-01T09:30", "Europe/London", "2026-07-01T08:30:00Z"),  # summer time
        ("2026-01-15T09:30", "Europe/London", "2026-01-15T09:30:00Z"),
        ("2026-03-29T03:30", "Europe/London", "2026-03-29T02:30:00Z"),  # the morning clocks go on
        ("2026-11-21T23:30", "Australia/Sydney", "2026-11-21T12:30:00Z"),
        ("2026-11-21T08:00", "America/New_York", "2026-11-21T13:00:00Z"),
    ],
)
def test_times_typed_offline_are_read_in_the_persons_time_zone(
    page: Page, wall: str, zone: str, utc: str
) -> None:
    page.goto("/login")
    assert page.evaluate(rl("([w, z]) => RL.forms.wallToUtc(w, z)"), [wall, zone]) == utc
    assert page.evaluate(rl("([u, z]) => RL.forms.utcToWall(u, z)"), [utc, zone]) == wall


def test_a_programme_change_reaches_the_phone_and_stays_offline(
    app: Flask, phone_for: object
) -> None:
    person = make_user("patient", "programme@example.test", "Priya Programme")
    therapist = make_user("therapist", "physio@example.test", "Phil Physio")
    with app.app_context():
        link(therapist, person)
        item = add_item(person, slug="sit-to-stand", sets=2, reps=10)
        item_id = item.id
    context, page = phone_for(person.email)  # type: ignore[operator]
    programme = page.get_by_role("region", name="Your exercises")
    expect(programme).to_contain_text("2 \u00d7 10")

    # The therapist changes the dose; the phone pulls it when it next syncs.
    with app.app_context():
        changed = db.session.get(ProgrammeItem, item_id)
        assert changed is not None
        changed.reps = 15
        db.session.commit()
    page.reload()
    status(page).to_contain_text("All synced")

    # Offline, after a restart, Today shows the new dose and logs it.
    context.set_offline(True)
    page.close()
    page = context.new_page()
    page.goto("/today")
    programme = page.get_by_role("region", name="Your exercises")
    expect(programme).to_contain_text("2 \u00d7 15")
    programme.get_by_role("button", name=re.compile(r"^Done\W+Sit to stand$")).click()
    saved(page, "Saved: Sit to stand, done.")
    expect(programme).to_contain_text("Done today")
    context.set_offline(False)
    status(page).to_contain_text("All synced")
    (done,) = server_entries(app, person.email)
    assert (done.programme_item_id, done.sets, done.reps) == (item_id, 2, 15)


def test_the_header_warns_when_something_has_waited_over_a_day(
    app: Flask, phone_for: object
) -> None:
    person = make_user("patient", "waited@example.test", "Walt Waited")
    context, page = phone_for(person.email)  # type: ignore[operator]
    context.set_offline(True)
    page.get_by_role("button", name="Fatigue 8 out of 10").click()
    saved(page, "Saved: fatigue 8 out of 10.")
    status(page).to_contain_text("1 waiting to sync (offline).")
    # The entry was queued 25 hours ago (the phone stayed offline since).
    page.evaluate(
        rl("""async () => {
          const db = await RL.store.open(document.body.dataset.account);
          await new Promise((resolve, reject) => {
            const tx = db.transaction('outbox', 'readwrite');
            const store = tx.objectStore('outbox');
            store.getAll().onsuccess = (e) => e.target.result.forEach((m) => {
              m.queued_at = new Date(Date.now() - 25 * 3600e3).toISOString();
              store.put(m);
            });
            tx.oncomplete = resolve;
            tx.onerror = reject;
          });
          await RL.app.render();
        }""")
    )
    status(page).to_contain_text("1 waiting to sync for over 24 hours")
    expect(page.locator("#sync-status.warn")).to_be_visible()
    context.set_offline(False)
    status(page).to_contain_text("All synced")


def test_two_entries_from_the_same_kept_form_are_two_entries(app: Flask, phone_for: object) -> None:
    """A form page kept for offline use is opened twice: each save is its own entry."""
    person = make_user("patient", "twice@example.test", "Tess Twice")
    context, page = phone_for(person.email)  # type: ignore[operator]
    context.set_offline(True)
    for value in ("3", "7"):
        page.goto("/log/fatigue")
        page.get_by_role("radio", name=value, exact=True).check()
        page.get_by_role("button", name="Save", exact=True).click()
        saved(page, f"Saved: fatigue {value} out of 10.")
    expect(logged_today(page)).to_have_count(2)
    context.set_offline(False)
    status(page).to_contain_text("All synced")
    assert sorted(e.fatigue for e in server_entries(app, person.email)) == [3, 7]


KEPT_TODAY = """async () => {
  const name = (await caches.keys()).find((n) => n.includes("-pages-"));
  const hit = name && await (await caches.open(name)).match("/today");
  return hit ? hit.text() : null;
}"""


def test_a_message_the_server_showed_is_not_kept_for_offline(app: Flask, phone_for: object) -> None:
    """A page that showed the person a message ("Saved: ...") is not the page kept for offline
    use: offline, days later, Today would say it again."""
    person = make_user("patient", "kept.message@example.test", "Kim Kept")
    context, page = phone_for(person.email)  # type: ignore[operator]
    # Logged by the server's own form (as without scripts): it answers with Today and a message.
    token = page.locator("input[name=csrf_token]").first.input_value()
    answer = page.request.post(
        "/today/fatigue",
        form={"csrf_token": token, "fatigue": "3"},
        max_redirects=0,
    )
    assert answer.status == 302, answer.status
    page.goto("/today")
    expect(page.locator("#flashes")).to_contain_text("Saved: fatigue 3 out of 10.")
    page.wait_for_load_state("networkidle")
    kept = page.evaluate(KEPT_TODAY)
    assert kept and "Saved: fatigue" not in kept

    context.set_offline(True)
    page.reload()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(page.get_by_text("Saved: fatigue 3 out of 10.")).to_have_count(0)


# The kept copy of the fatigue check-in made 16 minutes older, as if kept then.
AGE_KEPT_FATIGUE = """async () => {
  for (const name of await caches.keys()) {
    if (!name.includes("-pages-")) continue;
    const cache = await caches.open(name);
    const kept = await cache.match("/log/fatigue");
    const headers = new Headers(kept.headers);
    headers.set("Date", new Date(Date.now() - 16 * 60 * 1000).toUTCString());
    await cache.put("/log/fatigue", new Response(await kept.blob(), {status: 200, headers}));
  }
}"""


# Whether the kept copy of the fatigue check-in was sent by the server in the last minute.
FATIGUE_KEPT_LATELY = """async () => {
  for (const name of await caches.keys()) {
    if (!name.includes("-pages-")) continue;
    const kept = await (await caches.open(name)).match("/log/fatigue");
    if (kept) return Date.now() - Date.parse(kept.headers.get("Date") || "") < 60 * 1000;
  }
  return false;
}"""


def kept_in_the_background(context: BrowserContext) -> list[str]:
    """The paths the service worker fetches to keep (its Rehab-Keep requests), as they go."""
    fetched: list[str] = []
    context.on(
        "request",
        lambda r: fetched.append(urlsplit(r.url).path) if r.headers.get("rehab-keep") else None,
    )
    return fetched


def hold_the_first_keep(context: BrowserContext, pattern: str) -> list[Route]:
    """Hold the worker's first keep fetch matching `pattern` on its way (the test lets it go
    on with `continue_()`); the page's own loads and any later keep go on as usual."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        if route.request.headers.get("rehab-keep") and not held:
            held.append(route)
        else:
            route.fallback()

    context.route(pattern, hold)
    return held


def test_pages_kept_lately_are_not_fetched_again_for_each_page_opened(
    app: Flask, phone_for: object
) -> None:
    """Each page a person opens asks the worker to keep their pages for offline use. Those
    kept in the last 15 minutes stay as they are: each page opened used to cost the phone and
    the server eight more pages in the background. An older one is kept afresh, once, even
    when another page opens while it is on its way."""
    person = make_user("patient", "kept.lately@example.test", "Kit Lately")
    context, page = phone_for(person.email)  # type: ignore[operator]
    fetched = kept_in_the_background(context)
    for path in ("/history", "/progress", "/log/exercise", "/today"):
        page.goto(path)
        status(page).to_contain_text("All synced")

    held = hold_the_first_keep(context, "**/log/fatigue")  # on its way, as on a slow connection
    page.evaluate(AGE_KEPT_FATIGUE)
    page.goto("/history")
    wait_until(page, lambda: bool(held), "the old kept page fetched again")
    # Another page opened meanwhile asks for a round of its own: it waits for the first one
    # (before, it found the old copy too and fetched it a second time; CI saw that once).
    page.goto("/today")
    status(page).to_contain_text("All synced")
    held[0].continue_()
    wait_until(page, lambda: page.evaluate(FATIGUE_KEPT_LATELY), "the fresh copy stored")
    page.goto("/progress")  # and once kept again, not again
    status(page).to_contain_text("All synced")
    assert fetched == ["/log/fatigue"]


def test_a_keep_round_waiting_its_turn_is_passed_over_once_the_person_leaves(
    app: Flask, phone_for: object
) -> None:
    """A shared phone: a round of the first person's waits behind a slow one when they log out
    and the next person logs in. It is passed over, not run with the next person's session:
    it would drop their kept pages and fetch all of them again for nothing."""
    first = make_user("patient", "first.keeper@example.test", "Fay First")
    second = make_user("patient", "second.keeper@example.test", "Sol Second")
    context, page = phone_for(first.email)  # type: ignore[operator]
    fetched = kept_in_the_background(context)
    held = hold_the_first_keep(context, "**/log/fatigue")
    page.evaluate(AGE_KEPT_FATIGUE)
    page.goto("/history")
    wait_until(page, lambda: bool(held), "the old kept page fetched again, slowly")
    page.goto("/today")  # a second round of the first person's waits its turn
    status(page).to_contain_text("All synced")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("Email")).to_be_visible()
    log_in(page, second.email)
    held[0].continue_()
    # The next person's pages are kept by their own round, which runs after the waiting one.
    wait_until_ready_offline(page)
    # Fetched in the background: the slow one, then the next person's pages, each at most once
    # (the page they landed on may be kept by its own opening); the first person's rounds
    # fetch nothing once they have left.
    assert fetched[0] == "/log/fatigue"
    assert len(set(fetched[1:])) == len(fetched[1:])
    assert set(fetched[1:]) <= set(OFFLINE_PAGES)
