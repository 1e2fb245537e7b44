"""What each everyday journey costs in taps on a phone, counted as a person would tap them.

A tap on a button or link is one; choosing in a list is two (open it, pick); typing in a field
costs the tap that puts the cursor there. The entry each journey makes is checked on the server.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from rehab_app.extensions import db
from tests.helpers.accounts import make_user
from tests.helpers.browser import HOLD_MS, done_button, server_entries, status
from tests.helpers.entries import add_item

pytestmark = pytest.mark.browser


class Taps:
    """A phone that counts the taps it is given."""

    def __init__(self, page: Page) -> None:
        self.page, self.count = page, 0

    def tap(self, target: Locator) -> None:
        self.count += 1
        target.tap()

    def choose(self, select: Locator, label: str) -> None:
        self.count += 2
        select.select_option(label=label)

    def type(self, field: Locator, text: str) -> None:
        self.count += 1
        field.fill(text)


def journey(page: Page) -> Taps:
    """A fresh count, after the rest that follows the journey before (passed on the page's
    clock, installed by the test: the page lives through it at once)."""
    page.clock.fast_forward(HOLD_MS)
    return Taps(page)


def test_everyday_journeys_cost_the_taps_the_issue_allows(app: Flask, phone_for: object) -> None:
    person = make_user("patient", "taps.count@example.test", "Tess Taps")
    add_item(person, slug="sit-to-stand", sets=2, reps=10)
    add_item(person, name="Heel raises", sets=3, reps=12)
    db.session.commit()
    _, page = phone_for(person.email)  # type: ignore[operator]
    page.clock.install()  # Playwright's: time runs as usual until a journey skips ahead
    costs: dict[str, int] = {}

    taps = Taps(page)
    taps.tap(page.get_by_role("button", name="Fatigue 4 out of 10"))
    costs["fatigue"] = taps.count

    taps = journey(page)
    taps.tap(done_button(page, "Sit to stand"))
    costs["programme item done"] = taps.count

    taps = journey(page)  # a programme item done with a change: less than prescribed today
    taps.tap(page.get_by_text("Less today: Heel raises"))
    taps.tap(page.get_by_role("button", name=re.compile("^Done: 3 \u00d7 9\\W+Heel raises$")))
    expect(page.locator(".saved-here").filter(has_text="Heel raises")).to_be_visible()
    costs["programme item with changes"] = taps.count

    taps = journey(page)
    taps.tap(page.get_by_role("region", name="A hard day?").get_by_role("button", name="Heat"))
    costs["bad day"] = taps.count

    taps = journey(page)
    walking = page.get_by_role("region", name="Walking")
    taps.choose(walking.get_by_label("Walking aid"), "One stick, cane or crutch")
    taps.type(walking.get_by_label("How far (metres)"), "300")
    taps.tap(walking.get_by_role("button", name="Log walking"))
    costs["walking"] = taps.count
    expect(walking.locator(".saved-here")).to_contain_text("Saved: walking")

    taps = journey(page)  # an exercise done before, at the same dose
    taps.tap(page.get_by_role("link", name="Exercise", exact=True))
    taps.tap(page.get_by_role("button", name="Sit to stand, 2 \u00d7 10"))
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    costs["exercise done before"] = taps.count

    taps = journey(page)  # an exercise not in the programme, never done before
    taps.tap(page.get_by_role("link", name="Exercise", exact=True))
    taps.choose(page.get_by_label("Exercise", exact=True), "Pitch glides up and down")
    taps.type(page.get_by_label("Repetitions", exact=True), "10")
    taps.tap(page.get_by_role("button", name="Save", exact=True))
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    costs["new exercise"] = taps.count

    taps = journey(page)  # one counted in sets and repetitions: a common dose is one tap
    taps.tap(page.get_by_role("link", name="Exercise", exact=True))
    taps.choose(page.get_by_label("Exercise", exact=True), "Wall press-ups")
    taps.tap(page.get_by_role("radio", name="2 \u00d7 10"))
    expect(page.get_by_label("Sets", exact=True)).to_have_value("2")
    taps.tap(page.get_by_role("button", name="Save", exact=True))
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    costs["new exercise in sets and repetitions"] = taps.count

    taps = journey(page)  # timed by the person or a carer: a clock for each trial
    taps.tap(page.get_by_role("link", name="Timed 7.6 m walk", exact=True))
    for trial in ("First walk (seconds)", "Second walk (seconds)"):
        taps.tap(page.get_by_role("button", name=f"Time it for {trial}", exact=True))
        taps.tap(page.get_by_role("button", name="Start", exact=True))
        page.wait_for_timeout(300)
        taps.tap(page.get_by_role("button", name="Stop", exact=True))
        expect(page.get_by_label(trial)).not_to_have_value("")
    taps.tap(page.get_by_role("button", name="Save", exact=True))
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    costs["walk test with two trials"] = taps.count

    status(page).to_contain_text("All synced")
    assert costs == {
        "fatigue": 1,
        "programme item done": 1,
        "programme item with changes": 2,
        "bad day": 1,
        "walking": 4,
        "exercise done before": 2,
        "new exercise": 5,
        "new exercise in sets and repetitions": 5,
        "walk test with two trials": 8,
    }
    stored = Counter(e.kind for e in server_entries(app, person.email))
    assert stored == {"fatigue": 1, "exercise": 5, "bad_day": 1, "mobility": 1, "walk_test": 1}
    (lighter,) = [e for e in server_entries(app, person.email) if e.name == "Heel raises"]
    assert (lighter.sets, lighter.reps, lighter.programme_item_id) == (
        3,
        9,
        lighter.programme_item_id,
    )
    assert lighter.programme_item_id is not None
    (walk,) = [e for e in server_entries(app, person.email) if e.kind == "walk_test"]
    assert walk.trial_1_seconds and walk.trial_2_seconds and walk.aid == "none"
    new = [e for e in server_entries(app, person.email) if e.name == "Pitch glides up and down"]
    assert [(e.discipline, e.reps, e.sets, e.effort) for e in new] == [("slt", 10, None, None)]
    press_ups = [e for e in server_entries(app, person.email) if e.name == "Wall press-ups"]
    assert [(e.discipline, e.sets, e.reps) for e in press_ups] == [("physio", 2, 10)]
    expect(page.get_by_role("region", name="Logged today").get_by_role("listitem")).to_have_count(9)
