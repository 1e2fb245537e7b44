"""The header on a phone: the whole menu on one line, so Today's content starts high."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.helpers.accounts import make_user
from tests.helpers.browser import log_in, screenshot, status

pytestmark = pytest.mark.browser

MENU_TOPS = """() => Array.from(document.querySelectorAll('nav[aria-label="Main"] li'),
  (li) => [li.innerText.trim(), Math.round(li.getBoundingClientRect().top)])"""


def test_the_patient_menu_fits_one_line_on_a_390_px_phone(app: Flask, page: Page) -> None:
    person = make_user("patient", "menu@example.test", "Mona Menu")
    log_in(page, person.email)
    page.goto("/today")
    items = page.evaluate(MENU_TOPS)
    assert [name for name, _ in items] == ["Today", "History", "Progress", "Account"]
    assert len({top for _, top in items}) == 1, f"the menu wraps: {items}"
    # "Log out" is beside the name, above the menu, and still a 44 px target.
    brand = page.get_by_role("link", name="Rehab Log").bounding_box()
    log_out = page.get_by_role("button", name="Log out").bounding_box()
    assert brand and log_out and abs(log_out["y"] - brand["y"]) < 4 and log_out["x"] > brand["x"]
    assert log_out["height"] >= 44 and log_out["width"] >= 44
    assert items[0][1] > log_out["y"] + log_out["height"] - 1
    screenshot(page, "header-390")


# Where the page's content starts, as soon as the document is parsed (before the app runs).
FIRST_TOP = """document.addEventListener("DOMContentLoaded", () => {
  window.firstMainTop = document.querySelector("main").getBoundingClientRect().top;
});"""


def test_the_sync_state_appearing_does_not_move_the_page(app: Flask, page: Page) -> None:
    """The header's sync state is filled in by the app once it has read the phone's outbox,
    a moment after the page shows: the page under the person's finger must not jump down."""
    person = make_user("patient", "still@example.test", "Stella Still")
    log_in(page, person.email)
    page.add_init_script(FIRST_TOP)
    for path in ("/today", "/history", "/account/security"):
        page.goto(path)
        status(page).to_contain_text("All synced")
        first = page.evaluate("window.firstMainTop")
        now = page.evaluate("document.querySelector('main').getBoundingClientRect().top")
        assert now == first, f"{path}: the page moved down {now - first} px"
