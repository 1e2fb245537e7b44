"""Today's quick actions on a phone: one entry per intent, confirmed and undone where tapped."""

from __future__ import annotations

import re
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from rehab_app.core.wording import day_gist
from rehab_app.extensions import db
from tests.helpers.accounts import make_user
from tests.helpers.browser import HOLD_MS, device_entries, done_button, rl, server_entries, status
from tests.helpers.entries import add_item

pytestmark = pytest.mark.browser


def quick_actions(page: Page) -> dict[str, Locator]:
    """The four one-tap actions on Today."""
    walking = page.get_by_role("region", name="Walking")
    return {
        "exercise": done_button(page, "Sit to stand"),
        "fatigue": page.get_by_role("button", name="Fatigue 6 out of 10"),
        "bad_day": page.get_by_role("region", name="A hard day?").get_by_role(
            "button", name="Heat"
        ),
        "mobility": walking.get_by_role("button", name="Log walking"),
    }


SAVED = {
    "exercise": "Saved: Sit to stand, done.",
    "fatigue": "Saved: fatigue 6 out of 10.",
    "bad_day": "Saved: a hard day (heat).",
    "mobility": "Saved: walking with one stick, cane or crutch.",
}


def fill_walking(page: Page) -> None:
    """The walking form, filled once: its values stay for the next walk."""
    walking = page.get_by_role("region", name="Walking")
    walking.get_by_label("Walking aid").select_option(label="One stick, cane or crutch")
    walking.get_by_label("How far (metres)").fill("250")


def tap_repeatedly(button: Locator, gaps_ms: list[int]) -> None:
    """Tap, then tap again after each gap, as a person with a tremor or unsure of the first."""
    page = button.page
    button.tap()
    for gap in gaps_ms:
        page.wait_for_timeout(gap)
        button.tap()


def place(target: Locator) -> list[float]:
    """Where a control sits on the page (not on the screen, which scrolls): top and height."""
    return target.evaluate(
        "e => { const r = e.getBoundingClientRect(); return [r.top + scrollY, r.height]; }"
    )


def kinds(entries: list[object]) -> Counter[str]:
    """How many entries of each kind."""
    return Counter(getattr(e, "kind", None) or e["kind"] for e in entries)  # type: ignore[index]


def sit_to_stand_phone(phone_for: object, who: str, online: bool) -> tuple[Any, Any, Page]:
    """A person with sit to stand (2 x 10) in their programme, on a phone on line or not."""
    person = make_user("patient", f"{who}@example.test", "Tia Taps")
    add_item(person, slug="sit-to-stand", sets=2, reps=10)
    db.session.commit()
    context, page = phone_for(person.email)  # type: ignore[operator]
    if not online:
        context.set_offline(True)
        page.reload()
    return person, context, page


@pytest.mark.parametrize("online", [True, False], ids=["online", "offline"])
def test_double_and_triple_taps_store_one_entry_each(
    app: Flask, phone_for: object, online: bool
) -> None:
    person, context, page = sit_to_stand_phone(phone_for, f"taps.{int(online)}", online)
    page.clock.install()  # the rest after each save passes on the page's clock, not in waiting
    fill_walking(page)
    gist = page.get_by_role("link", name="Nothing logged yet today.")
    programme = page.get_by_role("heading", name="Your exercises")
    gist_box, gap = place(gist), place(programme)[0] - place(gist)[0]

    # A triple tap (50 ms, then 800 ms) and a double tap (300 ms) on each: one entry each.
    for kind, button in quick_actions(page).items():
        tap_repeatedly(button, [50, 800])
        # Confirmed where the person tapped: in the same card, on screen, without scrolling.
        card = button.locator("xpath=ancestor::section[1]")
        confirmation = card.locator(".saved-here").filter(has_text=SAVED[kind])
        expect(confirmation).to_be_in_viewport(ratio=1)
        page.clock.fast_forward(HOLD_MS)

    assert kinds(device_entries(page)) == {"exercise": 1, "fatigue": 1, "bad_day": 1, "mobility": 1}
    # Programme items keep their place when done: nothing moved under the finger.
    expect(page.get_by_role("region", name="Your exercises").get_by_role("listitem")).to_have_count(
        1
    )

    # After the rest, a second, deliberate fatigue entry is a new entry.
    tap_repeatedly(quick_actions(page)["fatigue"], [300])
    expect(page.get_by_role("region", name="Logged today").get_by_role("listitem")).to_have_count(5)
    # What was done today reads at the top, in one line that did not grow and moved nothing
    # (the header's sync line above it may change with what waits to sync: not this test's).
    gist = page.locator("#today-gist")
    expect(gist).to_have_text(
        "Logged today: 1 exercise, 2 fatigue ratings, 1 walking entry, 1 bad day"
    )
    assert place(gist)[1] == gist_box[1]
    assert place(programme)[0] - place(gist)[0] == gap

    context.set_offline(False)
    status(page).to_contain_text("All synced")
    on_server = server_entries(app, person.email)
    assert kinds(on_server) == {"exercise": 1, "fatigue": 2, "bad_day": 1, "mobility": 1}


@pytest.mark.parametrize("online", [True, False], ids=["online", "offline"])
def test_less_today_taps_store_one_entry_at_the_lighter_dose(
    app: Flask, phone_for: object, online: bool
) -> None:
    person, context, page = sit_to_stand_phone(phone_for, f"less.{int(online)}", online)
    page.get_by_text("Less today: Sit to stand").tap()
    tap_repeatedly(
        page.get_by_role("button", name=re.compile("^Done: 2 \u00d7 8\\W+Sit to stand$")), [50, 800]
    )
    item = page.get_by_role("region", name="Your exercises").get_by_role("listitem")
    expect(item.locator(".saved-here")).to_contain_text("Saved: Sit to stand, 2 \u00d7 8.")
    expect(item.locator(".saved-here")).to_be_in_viewport()
    expect(item).to_contain_text("Done today")
    assert [(e["sets"], e["reps"]) for e in device_entries(page)] == [(2, 8)]

    context.set_offline(False)
    status(page).to_contain_text("All synced")
    assert [(e.sets, e.reps) for e in server_entries(app, person.email)] == [(2, 8)]


def test_done_items_stay_in_place_under_the_finger(app: Flask, phone_for: object) -> None:
    person = make_user("patient", "still@example.test", "Sam Still")
    add_item(person, name="Heel raises", sets=2, reps=10)
    add_item(person, name="Bridging", sets=2, reps=8)
    db.session.commit()
    _, page = phone_for(person.email)  # type: ignore[operator]
    first = done_button(page, "Heel raises")
    box = first.bounding_box()
    assert box is not None
    first.tap()
    expect(page.locator(".saved-here")).to_contain_text("Saved: Heel raises, done.")
    # Two taps 1.5 s apart at the same spot: the second lands on the same exercise, held.
    page.wait_for_timeout(1_500)
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_timeout(300)
    names = page.get_by_role("region", name="Your exercises").locator(".item-name")
    expect(names).to_have_text(["Heel raises", "Bridging"])
    status(page).to_contain_text("All synced")
    assert [e.name for e in server_entries(app, person.email)] == ["Heel raises"]
    page.reload()  # the server's page keeps the same order
    expect(names).to_have_text(["Heel raises", "Bridging"])


@pytest.mark.parametrize("online", [True, False], ids=["online", "offline"])
def test_undo_a_quick_action_where_it_was_tapped(
    app: Flask, phone_for: object, online: bool
) -> None:
    person = make_user("patient", f"undo.{int(online)}@example.test", "Uma Undo")
    context, page = phone_for(person.email)  # type: ignore[operator]
    if not online:
        context.set_offline(True)
        page.reload()
    page.get_by_role("button", name="Fatigue 8 out of 10").tap()
    here = page.locator(".saved-here")
    expect(here).to_contain_text("Saved: fatigue 8 out of 10.")
    logged = page.get_by_role("region", name="Logged today").get_by_role("listitem")
    expect(logged).to_have_count(1)
    page.wait_for_timeout(400)
    here.get_by_role("button", name="Undo").tap()
    expect(here).to_contain_text("Undone: that entry is removed.")
    expect(page.get_by_role("status")).to_contain_text("Undone")  # said to screen readers
    expect(logged).to_have_count(0)
    assert device_entries(page) == []
    context.set_offline(False)
    status(page).to_contain_text("All synced")
    assert server_entries(app, person.email) == []


def test_undo_keeps_the_keyboard_where_it_is_while_the_page_redraws(
    app: Flask, phone_for: object
) -> None:
    person = make_user("patient", "keys@example.test", "Kai Keys")
    _, page = phone_for(person.email)  # type: ignore[operator]
    page.get_by_role("button", name="Fatigue 3 out of 10").click()
    here = page.locator(".saved-here")
    expect(here).to_contain_text("Saved: fatigue 3 out of 10.")
    here.get_by_role("button", name="Undo").focus()
    page.evaluate(rl("() => RL.app.render()"))  # a sync finishing draws Today again
    page.wait_for_timeout(300)
    expect(here.get_by_role("button", name="Undo")).to_be_focused()
    page.keyboard.press("Enter")
    expect(here).to_contain_text("Undone: that entry is removed.")
    expect(here).to_be_focused()


def test_the_phone_words_the_day_gist_as_the_server_does(app: Flask, phone_for: object) -> None:
    person = make_user("patient", "gist@example.test", "Gil Gist")
    _, page = phone_for(person.email)  # type: ignore[operator]
    cases = [
        [],
        ["fatigue"],
        ["bad_day", "fatigue", "fatigue"],
        ["mobility", "exercise", "mobility", "exercise", "exercise"],
        ["walk_test", "fatigue"],
    ]
    for kinds_logged in cases:
        phone = page.evaluate(rl("(kinds) => RL.views.dayGist(kinds)"), kinds_logged)
        assert phone == day_gist(SimpleNamespace(kind=k) for k in kinds_logged)


def fill_form(page: Page, kind: str) -> None:
    """Open the full form of a kind and fill what it needs, as a person would."""
    page.goto(f"/log/{kind}")
    form = page.locator("#entry-form")
    if kind == "exercise":
        form.get_by_label("Exercise", exact=True).select_option(label="Wall press-ups")
        form.get_by_role("radio", name="2 \u00d7 10").check()
    elif kind == "fatigue":
        form.locator('input[name="fatigue"][value="5"]').check()
    elif kind == "bad_day":
        form.locator('input[name="reason"]').first.check()
    elif kind == "mobility":
        form.get_by_label("Walking aid").select_option(label="One stick, cane or crutch")
        form.get_by_label("How far (metres)").fill("120")
    elif kind == "walk_test":
        form.get_by_label("First walk (seconds)").fill("7.5")
        form.get_by_label("Second walk (seconds)").fill("7.9")


@pytest.mark.parametrize("online", [True, False], ids=["online", "offline"])
def test_a_form_tapped_two_and_three_times_saves_once_and_nothing_under_the_finger(
    app: Flask, phone_for: object, online: bool
) -> None:
    """Save tapped again at the same spot (at once, then 800 ms later): one entry, and the taps
    that land on Today, once the form has gone, do not log whatever sits there."""
    person, context, page = sit_to_stand_phone(phone_for, f"form.taps.{int(online)}", online)
    made: Counter[str] = Counter()
    for kind in ("exercise", "fatigue", "bad_day", "mobility", "walk_test"):
        fill_form(page, kind)
        save = page.get_by_role("button", name="Save", exact=True)
        save.scroll_into_view_if_needed()
        box = save.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.touchscreen.tap(x, y)
        # The next taps land on the page Save led to: one as soon as it is there (often before
        # its scripts have run), one 800 ms later. Not sent while the page is being swapped:
        # a raw tap has no timeout, and one sent mid-navigation hung a CI run for good.
        page.wait_for_url("**/today", wait_until="commit")
        page.touchscreen.tap(x, y)
        page.wait_for_timeout(800)
        page.touchscreen.tap(x, y)
        expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
        made[kind] += 1
        page.wait_for_timeout(1000)  # a stray entry, were there one, is kept by now
        assert kinds(device_entries(page)) == made, kind

    context.set_offline(False)
    status(page).to_contain_text("All synced")
    assert kinds(server_entries(app, person.email)) == made


# A tap that lands once Today is drawn and before the page's modules have run (a slow phone):
# the document is parsed, its deferred scripts not yet run.
TAP_BEFORE_THE_SCRIPT = """document.addEventListener("readystatechange", () => {
  if (document.readyState !== "interactive" || location.pathname !== "/today") return;
  if (sessionStorage.getItem("tapped-early")) return;
  sessionStorage.setItem("tapped-early", "1");
  document.querySelector('button[aria-label="Fatigue 6 out of 10"]').click();
});"""


@pytest.mark.parametrize("online", [True, False], ids=["online", "offline"])
def test_a_quick_action_tapped_before_the_script_runs_is_saved_once(
    app: Flask, phone_for: object, online: bool
) -> None:
    """Offline, a tap on Today before the page's script had taken its forms over went to the
    network as a plain form: the browser's "no connection" page, and nothing saved. It is held
    until the script runs and saved as any other tap, offline or not."""
    person = make_user("patient", f"early.quick.{int(online)}@example.test", "Quin Quick")
    context, page = phone_for(person.email)  # type: ignore[operator]
    if not online:
        context.set_offline(True)
    page.add_init_script(TAP_BEFORE_THE_SCRIPT)
    page.reload()
    expect(page).to_have_url(re.compile(r"/today$"))
    card = page.get_by_role("region", name="Fatigue now")
    expect(card.locator(".saved-here")).to_contain_text(SAVED["fatigue"])
    assert kinds(device_entries(page)) == {"fatigue": 1}
    context.set_offline(False)
    status(page).to_contain_text("All synced")
    assert [(e.kind, e.fatigue) for e in server_entries(app, person.email)] == [("fatigue", 6)]


def test_a_tap_held_for_an_app_that_does_not_start_goes_as_a_plain_form(
    app: Flask, phone_for: object
) -> None:
    """A browser without IndexedDB does not start the app: a tap held for it goes to the server
    as a plain form once the page has loaded, as it would without JavaScript."""
    person = make_user("patient", "early.plain@example.test", "Pia Plain")
    _, page = phone_for(person.email)  # type: ignore[operator]
    page.add_init_script(
        'Object.defineProperty(globalThis, "indexedDB", { value: undefined, configurable: true });'
        + TAP_BEFORE_THE_SCRIPT
    )
    page.reload()
    expect(page.locator("#flashes")).to_contain_text(SAVED["fatigue"])
    assert [(e.kind, e.fatigue) for e in server_entries(app, person.email)] == [("fatigue", 6)]
