"""Passkeys on a phone, with Chromium's virtual authenticator standing in for the fingerprint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.helpers.accounts import make_user
from tests.helpers.browser import is_problem, log_in, new_context

pytestmark = pytest.mark.browser

SHOTS = "/tmp/passkeys-{}.png"  # noqa: S108 - screenshots to look at, not data


@pytest.fixture
def phone_page(browser: Browser, live_server: str) -> Iterator[tuple[Page, list[str]]]:
    """A phone tab on http://localhost (a WebAuthn RP ID must be a name, not an address)."""
    context = new_context(browser, live_server.replace("127.0.0.1", "localhost"))
    page = context.new_page()
    problems: list[str] = []

    def seen(m: ConsoleMessage) -> None:
        if is_problem(m):
            problems.append(f"{m.text} ({m.location.get('url', '')})")

    page.on("console", seen)
    page.on("pageerror", lambda e: problems.append(str(e)))
    yield page, problems
    context.close()


def add_authenticator(page: Page) -> None:
    """A platform authenticator that holds discoverable passkeys and verifies the person."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_add_a_passkey_log_in_without_typing_then_remove_it(
    app: Flask, phone_page: tuple[Page, list[str]]
) -> None:
    page, problems = phone_page
    make_user("patient", "pia.passkey@example.test", "Pia Passkey")
    add_authenticator(page)
    log_in(page, "pia.passkey@example.test")

    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Passkeys: log in without typing your password").click()
    expect(page.get_by_role("heading", name="Passkeys", level=1)).to_be_visible()
    name = page.get_by_label("Name for this passkey")
    expect(name).to_have_value("Chrome on Linux")  # named after this browser and system
    name.fill("My phone")
    add = page.get_by_role("button", name="Add a passkey")
    box = add.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44
    page.screenshot(path=SHOTS.format("1-add"), full_page=True)
    add.click()
    expect(page.get_by_text("Passkey “My phone” added")).to_be_visible()
    mine = page.get_by_role("listitem").filter(has_text="My phone")
    expect(mine).to_contain_text("not used yet")
    page.screenshot(path=SHOTS.format("2-added"), full_page=True)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    passkey = page.get_by_role("button", name="Log in with a passkey")
    expect(passkey).to_be_visible()
    page.screenshot(path=SHOTS.format("3-login"), full_page=True)
    passkey.click()  # no email, no password: the device offers its passkey
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()

    page.goto("/account/passkeys")
    expect(mine).to_contain_text("last used")
    mine.get_by_role("button", name="Remove passkey My phone").click()
    expect(page.get_by_text("Passkey “My phone” removed")).to_be_visible()
    expect(page.get_by_text("None yet")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Log in with a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "This passkey is not one Rehab Log knows: it may have been removed."
    )
    expect(page.get_by_label("Email")).to_be_visible()
    page.screenshot(path=SHOTS.format("4-removed"), full_page=True)
    # The refusal is a 400 the browser reports as a failed load: that one, and nothing else.
    assert all("status of 400" in p for p in problems), problems
    assert len(problems) <= 1


def test_the_passkey_button_stays_hidden_where_passkeys_cannot_work(
    browser: Browser, live_server: str
) -> None:
    """A browser without WebAuthn sees only the password form, and a plain note on the account."""
    context = new_context(browser, live_server.replace("127.0.0.1", "localhost"))
    context.add_init_script("delete window.PublicKeyCredential;")
    page = context.new_page()
    page.goto("/login")
    expect(page.get_by_role("button", name="Log in", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Log in with a passkey")).to_be_hidden()
    context.close()
