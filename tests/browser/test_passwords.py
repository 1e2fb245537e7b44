"""On a phone: change a password, and reset a forgotten one through the emailed link."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from tests.helpers.accounts import make_user
from tests.helpers.browser import is_problem, log_in, screenshot
from tests.helpers.mail import Mailbox

pytestmark = pytest.mark.browser

NEW = "a quiet walk by the river"


def refused_form(message: ConsoleMessage) -> bool:
    """Chromium's note of a 400 page: a refused form, or a reset link that no longer works."""
    url = message.location.get("url", "")
    return "status of 400" in message.text and url.endswith(
        ("/account/password", "/password/reset")
    )


@pytest.fixture
def tab(phone: BrowserContext) -> Iterator[Page]:
    """A tab that fails the test on any console error but a refused form's 400."""
    page = phone.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(m.text) if is_problem(m) and not refused_form(m) else None,
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page
    assert not problems, f"the browser reported errors: {problems}"


def log_out(page: Page) -> None:
    """Log out with the header's button."""
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()


def test_change_the_password_on_a_phone(app: Flask, tab: Page) -> None:
    page = tab
    user = make_user(email="cara@example.test")
    log_in(page, user.email)
    page.goto("/account/security")
    page.get_by_role("link", name="Change password").click()
    expect(page.get_by_role("heading", name="Change password")).to_be_visible()

    page.get_by_label("Current password").fill("correct horse battery")
    page.get_by_label("New password", exact=True).fill("password12")
    page.get_by_label("New password again").fill("password12")
    page.get_by_role("button", name="Change password").click()
    field = page.get_by_label("New password", exact=True)
    expect(field).to_have_accessible_description(field_hint())
    screenshot(page, "password-change-refused")

    page.get_by_label("Current password").fill("correct horse battery")
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Security")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed.")
    screenshot(page, "password-changed")

    log_out(page)
    log_in(page, user.email, NEW)


def field_hint() -> str:
    """The hint and the refusal a weak new password is described by."""
    return (
        "At least 10 characters. A few words in a row is easy to remember. "
        "Error: This password is too easy to guess: it is a common one or a simple pattern. "
        "A few words in a row is stronger and easy to remember."
    )


def test_reset_a_forgotten_password_through_the_email(
    app: Flask, tab: Page, inbox: Mailbox
) -> None:
    page = tab
    user = make_user(email="rosa@example.test")
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    screenshot(page, "password-forgot")
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    screenshot(page, "password-check-email")

    (message,) = inbox.wait_for(user.email)
    link = inbox.link(message)
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert page.url.endswith("/password/reset"), page.url
    screenshot(page, "password-reset")
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    page.get_by_role("button", name="Save new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is changed")
    log_in(page, user.email, NEW)
    log_out(page)

    # The same link a second time: it says so, and offers a new one.
    page.goto(link)
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    screenshot(page, "password-link-used")
    page.get_by_role("link", name="Send me a new link").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
