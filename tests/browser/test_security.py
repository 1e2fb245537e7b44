"""The security page on a phone: log out a device you do not hold, and it asks to log in."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from tests.helpers.accounts import make_user
from tests.helpers.browser import DESKTOP, PHONE, log_in, new_context, screenshot

pytestmark = pytest.mark.browser

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def test_logging_out_another_phone_from_the_security_page(
    app: Flask, browser: Browser, live_server: str, page: Page
) -> None:
    make_user(email="sam@example.test", name="Sam Shared")
    lost = new_context(browser, live_server, {**PHONE, "user_agent": IPHONE})
    try:
        other = lost.new_page()
        log_in(other, "sam@example.test")
        log_in(page, "sam@example.test")

        page.get_by_role("link", name="Account").click()
        page.get_by_role("link", name="Security and devices").click()
        expect(page.get_by_role("heading", name="Security", level=1)).to_be_visible()
        devices = page.get_by_role("region", name="Where you are logged in")
        expect(devices.get_by_role("listitem")).to_have_count(2)
        expect(devices.get_by_role("listitem").filter(has_text="(this device)")).to_have_count(1)
        iphone = devices.get_by_role("listitem").filter(has_text="Safari on iPhone or iPad")
        expect(iphone).not_to_contain_text("(this device)")
        screenshot(page, "security-phone")

        iphone.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("status")).to_contain_text("That device is logged out.")
        expect(devices.get_by_role("listitem")).to_have_count(1)

        # The other phone's next page asks to log in; this one carries on.
        other.goto("/history")
        expect(other.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
        expect(other.get_by_role("status")).to_contain_text("Please log in")
        page.goto("/history")
        expect(page.get_by_role("heading", name="History", level=1)).to_be_visible()
    finally:
        lost.close()


def test_log_out_everywhere_else_on_a_desktop(
    app: Flask, browser: Browser, live_server: str
) -> None:
    make_user("therapist", email="tess@example.test", name="Tess Therapist")
    contexts = [new_context(browser, live_server, DESKTOP) for _ in range(3)]
    try:
        pages = [context.new_page() for context in contexts]
        for tab in pages:
            log_in(tab, "tess@example.test")
        desk = pages[0]
        desk.goto("/account/security")
        devices = desk.get_by_role("region", name="Where you are logged in")
        expect(devices.get_by_role("listitem")).to_have_count(3)
        screenshot(desk, "security-desktop")
        desk.get_by_role("button", name="Log out everywhere else").click()
        expect(desk.get_by_role("status")).to_contain_text("Logged out on 2 other devices.")
        for tab in pages[1:]:
            tab.goto("/therapist")
            expect(tab.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
        desk.goto("/therapist")
        expect(desk).to_have_url(f"{live_server}/therapist")
    finally:
        for context in contexts:
            context.close()
