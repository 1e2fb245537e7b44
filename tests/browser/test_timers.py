"""Timers on the exercise form, on a fake clock: a hold counted down, an "ah" and minutes."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from rehab_app.extensions import db
from tests.helpers.accounts import make_user
from tests.helpers.browser import log_in, screenshot
from tests.helpers.entries import add_item

pytestmark = pytest.mark.browser


def open_timer(page: Page, field: str) -> None:
    """Tap "Time it" beside a field; its clock opens."""
    page.get_by_role("button", name=re.compile(rf"^Time it\W+{re.escape(field)}$")).tap()
    expect(page.get_by_role("button", name="Start", exact=True)).to_be_visible()


def test_a_prescribed_hold_counts_down_and_fills_the_field(app: Flask, page: Page) -> None:
    person = make_user("patient", "tim@example.test", "Tim Timer")
    item = add_item(person, name="Bridge hold", sets=3, hold_seconds=10)
    db.session.commit()
    page.clock.install()
    log_in(page, person.email)
    page.goto(f"/log/exercise?item={item.id}")
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
    page.clock.install()
    log_in(page, person.email)
    page.goto("/log/exercise")

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
