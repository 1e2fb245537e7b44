"""Today on a phone: what was logged today comes before the longer forms."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.conftest import make_user

from .conftest import log_in, screenshot

pytestmark = pytest.mark.browser

HEADINGS = """() => Array.from(document.querySelectorAll("main h2"), (h) => h.innerText.trim())"""


def test_logged_today_comes_right_after_the_one_tap_fatigue(app: Flask, page: Page) -> None:
    person = make_user("patient", "layout@example.test", "Lou Layout")
    log_in(page, person.email)
    page.goto("/today")
    headings = page.evaluate(HEADINGS)
    assert headings[:3] == ["Your exercises", "Fatigue now", "Logged today"], headings
    page.get_by_role("button", name="Fatigue 3 out of 10").click()
    logged = page.get_by_role("region", name="Logged today").get_by_role("listitem")
    expect(logged.filter(has_text="Fatigue 3 out of 10")).to_have_count(1)
    # Above every longer form: the walking form, the hard day, the other entries.
    entry_box = logged.first.bounding_box()
    walking_box = page.get_by_role("heading", name="Walking", exact=True).bounding_box()
    assert entry_box and walking_box and entry_box["y"] + entry_box["height"] < walking_box["y"]
    screenshot(page, "today-logged-first")
