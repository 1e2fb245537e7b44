"""The exercise form on a phone: the therapy narrows the list, an exercise shows only its dose."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.helpers.accounts import make_user
from tests.helpers.browser import log_in, screenshot

pytestmark = pytest.mark.browser

DOSE = [
    "Sets",
    "Repetitions",
    "Hold (seconds)",
    "Minutes",
    "Distance (metres)",
    "Rests taken",
    "Sustained 'ah' (seconds)",
    "Loudness (dB)",
]


def shown_dose(page: Page) -> list[str]:
    """The dose fields a person sees."""
    return [label for label in DOSE if page.get_by_label(label, exact=True).is_visible()]


def test_the_form_shows_only_what_the_exercise_records(app: Flask, page: Page) -> None:
    person = make_user("patient", "ex@example.test", "Eli Exercise")
    log_in(page, person.email)
    page.goto("/log/exercise")
    exercise = page.get_by_label("Exercise", exact=True)
    # My own exercise: every dose field, since nobody knows what it records.
    assert shown_dose(page) == DOSE

    page.get_by_label("Therapy").select_option(label="Speech and language therapy")
    options = exercise.locator("option:not([hidden])").all_inner_texts()
    assert "Sit to stand" not in options and 'Long strong "ah"' in options

    page.get_by_label("Therapy").select_option(label="Physiotherapy")
    exercise.select_option(label="Sit to stand")
    assert shown_dose(page) == ["Sets", "Repetitions"]
    screenshot(page, "exercise-form-sit-to-stand")

    page.get_by_label("Sets", exact=True).fill("2")
    page.get_by_label("Repetitions", exact=True).fill("8")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()


def test_another_exercise_drops_a_dose_it_does_not_record(app: Flask, page: Page) -> None:
    person = make_user("patient", "ex2@example.test", "Eve Exercise")
    log_in(page, person.email)
    page.goto("/log/exercise")
    page.get_by_label("Loudness (dB)", exact=True).fill("70")
    page.get_by_label("Or your own name for it").fill("Shouting practice")
    page.get_by_label("Exercise", exact=True).select_option(label="Sit to stand")
    expect(page.get_by_label("Or your own name for it")).to_have_value("")
    assert shown_dose(page) == ["Sets", "Repetitions"]
    expect(page.get_by_label("Loudness (dB)", exact=True)).to_have_value("")


def test_one_s_own_exercise_asks_for_its_therapy_next_to_the_field(app: Flask, page: Page) -> None:
    person = make_user("patient", "ex3@example.test", "Ena Exercise")
    log_in(page, person.email)
    page.goto("/log/exercise")
    page.get_by_label("Or your own name for it").fill("Garden steps")
    page.get_by_label("Repetitions", exact=True).fill("8")
    page.get_by_role("button", name="Save").click()
    therapy = page.get_by_label("Therapy")
    expect(therapy).to_have_attribute("aria-invalid", "true")
    expect(therapy).to_be_focused()
    expect(page.locator(".field").filter(has=therapy)).to_contain_text(
        "Choose the kind of therapy for your own exercise."
    )
    screenshot(page, "exercise-form-own-needs-therapy")
    therapy.select_option(label="Physiotherapy")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
