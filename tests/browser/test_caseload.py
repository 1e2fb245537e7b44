"""The caseload as a new therapist sees it with the demo data, at a desk and on a tablet."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect

from config import TestConfig
from rehab_app import create_app
from rehab_app.core.demo import DEMO_PASSWORD, THERAPIST_EMAIL, create_demo
from rehab_app.extensions import db
from tests.helpers.browser import log_in, new_context, screenshot
from tests.helpers.database import clear_data

pytestmark = pytest.mark.browser

DEMO_NAMES = ["Jo Patel (demo)", "Alex Morgan (demo)", "Chris Lee (demo)"]


@pytest.fixture(scope="module")
def demo(db_url: str) -> Iterator[None]:
    """`make run`'s demo data on the live server's database, removed afterwards."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=db_url)
    with app.app_context():
        clear_data()
        create_demo(db.session, date.today(), password_method="pbkdf2:sha256:1000")
        db.session.commit()
        db.session.remove()
    yield
    with app.app_context():
        clear_data()
        db.engine.dispose()


@pytest.mark.parametrize("size", [(1280, 800), (820, 1180)], ids=["desktop", "tablet"])
def test_every_patient_and_column_is_in_sight(
    browser: Browser, live_server: str, demo: None, size: tuple[int, int]
) -> None:
    """No row hidden in a capped box, no column off to the right: all three in the first view."""
    width, height = size
    context = new_context(browser, live_server, {"viewport": {"width": width, "height": height}})
    page: Page = context.new_page()
    try:
        log_in(page, THERAPIST_EMAIL, DEMO_PASSWORD)
        page.goto("/therapist")
        table = page.get_by_role("table")
        expect(table).to_be_visible()
        screenshot(page, f"caseload-{width}x{height}")
        for name in DEMO_NAMES:
            link = page.get_by_role("link", name=name)
            expect(link).to_be_in_viewport()
        # Every column heading and every cell fits the window's width.
        headers = page.get_by_role("columnheader")
        expect(headers).to_have_count(7)
        for box in [h.bounding_box() for h in headers.all()] + [
            c.bounding_box() for c in page.get_by_role("cell").all()
        ]:
            assert box is not None and box["x"] + box["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()


def test_stopping_a_programme_item_asks_first(
    browser: Browser, live_server: str, demo: None
) -> None:
    """The therapist's Stop acted at once: the first tap now only opens a confirm step."""
    context = new_context(browser, live_server, {"viewport": {"width": 1280, "height": 800}})
    page: Page = context.new_page()
    try:
        log_in(page, THERAPIST_EMAIL, DEMO_PASSWORD)
        page.goto("/therapist")
        page.get_by_role("link", name="Alex Morgan (demo)").click()
        programme = page.get_by_role("table").filter(has_text="Days a week").first
        first = programme.get_by_role("row").nth(1)
        name = first.get_by_role("rowheader").inner_text().splitlines()[0]
        first.get_by_text(f"Stop {name}", exact=True).click()
        confirm = first.get_by_role("button", name=f"Yes, stop {name}")
        expect(confirm).to_be_visible()
        screenshot(page, "programme-stop-confirm")
        expect(first).not_to_contain_text("Stopped")
        confirm.click()
        expect(page.get_by_role("status").filter(has_text=f"Stopped: {name}.")).to_be_visible()
    finally:
        context.close()
