"""Timers on a fake clock: a hold counted down, an "ah", minutes, and a walk test's two trials."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from rehab_app.extensions import db
from rehab_app.models import SyncOutcome, User
from tests.helpers.accounts import make_user
from tests.helpers.browser import log_in, screenshot, server_entries, status
from tests.helpers.entries import add_item

pytestmark = pytest.mark.browser


def sent_how(app: Flask, email: str) -> str:
    """How entries reached the server: by a sync push (an outcome is kept) or by a form."""
    with app.app_context():
        synced = db.session.scalar(
            select(func.count()).select_from(SyncOutcome).join(User).where(User.email == email)
        )
    return f"reached the server while offline; sync outcomes kept: {synced}"


def open_timer(page: Page, field: str) -> None:
    """Tap "Time it" beside a field; its clock opens."""
    page.get_by_role("button", name=f"Time it for {field}", exact=True).tap()
    expect(page.get_by_role("button", name="Start", exact=True)).to_be_visible()


def test_a_prescribed_hold_counts_down_and_fills_the_field(app: Flask, page: Page) -> None:
    person = make_user("patient", "tim@example.test", "Tim Timer")
    item = add_item(person, name="Bridge hold", sets=3, hold_seconds=10)
    db.session.commit()
    now = time.time()
    page.clock.install(time=now)
    log_in(page, person.email)
    page.goto(f"/log/exercise?item={item.id}")
    page.clock.pause_at(now + 5)  # only run_for moves the clock
    hold = page.get_by_label("Hold (seconds)")
    expect(hold).to_have_value("10")
    open_timer(page, "Hold (seconds)")
    expect(page.get_by_role("timer")).to_have_text("0:10")
    for name in ("Start", "Stop"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box and box["height"] >= 64 and box["width"] >= 64, (name, box)
    page.get_by_role("button", name="Start", exact=True).tap()
    page.clock.run_for(4_000)
    expect(page.get_by_role("timer")).to_have_text("0:06")
    screenshot(page, "timer-countdown")
    page.clock.run_for(6_500)
    expect(page.get_by_role("status").filter(has_text="Time is up")).to_have_text(
        "Time is up: 10 seconds. Filled in."
    )
    expect(hold).to_have_value("10")


def test_an_ah_and_minutes_are_timed_by_stopwatch(app: Flask, page: Page) -> None:
    person = make_user("patient", "ahh@example.test", "Ada Ah")
    now = time.time()
    page.clock.install(time=now)
    log_in(page, person.email)
    page.goto("/log/exercise")
    page.clock.pause_at(now + 5)  # only run_for moves the clock: a busy machine adds nothing

    open_timer(page, "Sustained 'ah' (seconds)")
    page.get_by_role("button", name="Start", exact=True).tap()
    page.clock.run_for(12_300)
    page.get_by_role("button", name="Stop", exact=True).tap()
    expect(page.get_by_text("Timed: 12 seconds. Filled in.")).to_be_visible()
    expect(page.get_by_label("Sustained 'ah' (seconds)")).to_have_value("12")

    open_timer(page, "Minutes")
    page.get_by_role("button", name="Start", exact=True).tap()
    page.clock.run_for(125_000)
    page.get_by_role("button", name="Stop", exact=True, disabled=False).tap()
    expect(page.get_by_text("Timed: 2 minutes. Filled in.")).to_be_visible()
    expect(page.get_by_label("Minutes", exact=True)).to_have_value("2")


def test_a_walk_test_is_timed_twice_and_saved_offline(app: Flask, phone_for: object) -> None:
    person = make_user("patient", "walker@example.test", "Wendy Walker")
    db.session.commit()
    context, page = phone_for(person.email)  # type: ignore[operator]
    now = time.time()
    page.clock.install(time=now)
    page.goto("/log/walk_test")
    expect(page.get_by_role("heading", name="Log timed 7.6 m walk", level=1)).to_be_visible()
    # Timed and saved offline: kept on the phone first, sent when online again. (Opening the
    # page offline is test_offline's; here it once met the offline page in CI: closing note.)
    context.set_offline(True)
    # The sync API is out of reach too. Offline emulation holds for the page, but in one CI run
    # under load the walk reached the server anyway; a service worker woken for Background
    # Sync may run before the emulation reaches it, which no phone without a network does.
    context.route("**/api/v1/**", lambda route: route.abort())
    page.clock.pause_at(now + 5)  # from here only run_for moves the clock: timings are exact

    for label, ms, shown in (
        ("First walk (seconds)", 9_240, "9.2"),
        ("Second walk (seconds)", 8_660, "8.7"),
    ):
        open_timer(page, label)
        start = page.get_by_role("button", name="Start", exact=True)
        for button in (start, page.get_by_role("button", name="Stop", exact=True)):
            box = button.bounding_box()
            assert box and box["height"] >= 64 and box["width"] >= 64, (label, box)
        start.tap()
        face = page.get_by_role("timer").locator("visible=true")
        page.clock.run_for(4_200)
        expect(face).to_have_text("0:04.2")  # tenths while it runs: a walk is a few seconds
        page.clock.run_for(ms - 4_200)
        page.get_by_role("button", name="Stop", exact=True).tap()
        expect(page.get_by_text(f"Timed: {shown} seconds. Filled in.")).to_be_visible()
        expect(page.get_by_label(label)).to_have_value(shown)
        expect(face).to_have_text(f"0:0{shown}")  # the face says what was filled in
    page.get_by_label("Walking aid used").select_option(label="One stick, cane or crutch")
    screenshot(page, "walk-test-timed")
    page.get_by_role("button", name="Save", exact=True).tap()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    expect(page.get_by_text("Logged today: 1 walk test")).to_be_visible()
    assert server_entries(app, person.email) == [], sent_how(app, person.email)

    context.unroute("**/api/v1/**")
    context.set_offline(False)
    page.goto("/history")
    expect(page.get_by_role("listitem").filter(has_text="Timed 7.6 m walk: 9.0 s")).to_contain_text(
        "9.2 s and 8.7 s"
    )
    status(page).to_contain_text("All synced")
    (walk,) = server_entries(app, person.email)
    assert (walk.kind, walk.trial_1_seconds, walk.trial_2_seconds) == ("walk_test", 9.2, 8.7)
    assert (walk.aid, walk.setting) == ("one_stick", "indoors")
