"""A patient's first session on a phone: sign up, log each kind of entry, find and fix it."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, Locator, Page, expect

from tests.helpers.accounts import make_user
from tests.helpers.browser import DESKTOP, log_in, new_context
from tests.helpers.mail import Mailbox

pytestmark = pytest.mark.browser

CODE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}$")


def sign_up(page: Page, name: str, email: str, password: str) -> None:
    """Create a patient account through the sign-up form."""
    page.goto("/signup")
    page.get_by_role("radio", name="Someone logging my own rehab").check()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password again").fill(password)
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_role("button", name="Create account").click()


def saved(page: Page, message: str) -> None:
    """The page says, in its status message, that something was saved, and shows it."""
    expect(page.get_by_role("status")).to_contain_text(message)
    shown = page.locator(".saved-here, .flash:not(.visually-hidden)").filter(has_text=message)
    expect(shown.first).to_be_visible()


def entry(page: Page, title: str) -> Locator:
    """The History or Today list item whose headline is `title`."""
    return page.get_by_role("listitem").filter(has_text=title)


def test_sign_up_log_each_kind_and_find_it_in_history(
    app: Flask, page: Page, inbox: Mailbox
) -> None:
    sign_up(page, "Pat Journey", "pat.journey@example.test", "a long walk in the park")
    expect(
        page.get_by_role("heading", name="Check your email to confirm your account")
    ).to_be_visible()
    (message,) = inbox.wait_for("pat.journey@example.test")
    page.goto(inbox.link(message))
    saved(page, "your email is confirmed")
    log_in(page, "pat.journey@example.test", "a long walk in the park")
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()

    # Fatigue: one tap on Today.
    page.get_by_role("button", name="Fatigue 6 out of 10").click()
    saved(page, "Saved: fatigue 6 out of 10.")

    # An exercise from the catalogue, through its own form.
    page.get_by_role("link", name="Exercise", exact=True).click()
    expect(page.get_by_role("heading", name="Log exercise")).to_be_visible()
    page.get_by_label("Exercise", exact=True).select_option(label="Sit to stand")
    page.get_by_label("Sets").fill("2")
    page.get_by_label("Repetitions").fill("8")
    effort = page.get_by_role("group", name=re.compile("^How hard it felt"))
    effort.get_by_role("radio", name="5", exact=True).check()  # a row of numbers to tap
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", name="Today", level=1)).to_be_visible()
    saved(page, "Saved.")

    # Walking, with the quick form on Today.
    walking = page.get_by_role("region", name="Walking")
    walking.get_by_label("Walking aid").select_option(label="One stick, cane or crutch")
    walking.get_by_role("radio", name="Outdoors").check()
    walking.get_by_label("How far (metres)").fill("400")
    walking.get_by_label("How long (minutes)").fill("15")
    walking.get_by_label("Near-falls").fill("1")
    walking.get_by_role("button", name="Log walking").click()
    saved(page, "Saved: walking with one stick, cane or crutch.")

    # A bad day: one tap on its reason; a relapse, which reshapes a month of charts, asks first.
    hard_day = page.get_by_role("region", name="A hard day?")
    hard_day.get_by_text("Relapse or flare-up", exact=True).click()
    confirm = hard_day.get_by_role("button", name="Yes, log a relapse or flare-up")
    expect(confirm).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Saved: a hard day")).to_have_count(0)
    confirm.click()
    saved(page, "Saved: a hard day (relapse or flare-up).")

    # Everything is in History, in words.
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History", level=1)).to_be_visible()
    expect(entry(page, "Fatigue 6 out of 10")).to_have_count(1)
    expect(entry(page, "Sit to stand")).to_contain_text("2 \u00d7 8")  # 2 sets of 8
    expect(entry(page, "Sit to stand")).to_contain_text("effort 5/10")
    expect(entry(page, "One stick, cane or crutch")).to_contain_text("Outdoors · 400 m · 15 min")
    expect(entry(page, "One stick, cane or crutch")).to_contain_text("1 near-fall")
    expect(entry(page, "Relapse or flare-up")).to_have_count(1)
    expect(page.locator("#history-days").get_by_role("listitem")).to_have_count(4)

    # Change one: the fatigue was a 4, not a 6.
    page.get_by_role("link", name="Edit Fatigue 6 out of 10").click()
    expect(page.get_by_role("heading", name="Change: fatigue")).to_be_visible()
    expect(page.get_by_role("radio", name="6", exact=True)).to_be_checked()
    page.get_by_role("radio", name="4", exact=True).check()
    page.get_by_role("button", name="Save changes").click()
    saved(page, "Changes saved.")
    expect(entry(page, "Fatigue 4 out of 10")).to_have_count(1)
    expect(entry(page, "Fatigue 6 out of 10")).to_have_count(0)

    # Delete one, then think better of it.
    page.get_by_role("link", name="Edit Relapse or flare-up").click()
    page.get_by_role("button", name="Delete this entry").click()
    saved(page, "Deleted: Relapse or flare-up.")
    expect(entry(page, "Relapse or flare-up")).to_have_count(0)
    page.get_by_role("button", name="Undo delete").click()
    saved(page, "Entry brought back.")
    expect(entry(page, "Relapse or flare-up")).to_have_count(1)
    expect(page.get_by_role("button", name="Undo delete")).to_have_count(0)


def test_patient_links_a_therapist_with_their_code(
    app: Flask, browser: Browser, live_server: str, page: Page
) -> None:
    therapist = make_user("therapist", "thea@example.test", "Thea Therapist")
    patient = make_user("patient", "paula@example.test", "Paula Patient")

    # The therapist makes a code on their own (desktop) browser.
    desk = new_context(browser, live_server, DESKTOP)
    try:
        clinic = desk.new_page()
        log_in(clinic, therapist.email)
        clinic.get_by_role("button", name="Make a link code for a new patient").click()
        code = clinic.get_by_text(CODE).inner_text()

        # The patient types it, in lower case, on the Account page of their phone.
        log_in(page, patient.email)
        page.get_by_role("link", name="Account").click()
        expect(page.get_by_text("No one. Your log is yours alone")).to_be_visible()
        page.get_by_label("Code from your therapist").fill(code.lower())
        page.get_by_role("button", name="Link therapist").click()
        # Before anything is shared, the patient sees whose code it is and confirms.
        expect(page.get_by_text("thea@example.test")).to_be_visible()
        page.get_by_role("button", name="Share my logs with Thea Therapist").click()
        saved(page, "Linked. Thea Therapist can now see your log.")
        sharing = page.get_by_role("region", name="Therapists who can see your log")
        expect(sharing.get_by_role("listitem")).to_contain_text("Thea Therapist")
        # Stopping asks first: the first tap only opens the confirm step.
        sharing.get_by_text("Stop sharing with Thea Therapist", exact=True).click()
        expect(
            sharing.get_by_role("button", name="Yes, stop sharing with Thea Therapist")
        ).to_be_visible()
        expect(sharing.get_by_role("listitem")).to_contain_text("Thea Therapist")

        # The therapist now finds the patient in their list.
        clinic.get_by_role("link", name="Back to your patients").click()
        clinic.get_by_role("link", name="Paula Patient").click()
        expect(clinic.get_by_role("heading", name="Paula Patient", level=1)).to_be_visible()
    finally:
        desk.close()
