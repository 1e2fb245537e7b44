"""The therapist's forms, posted to the server as pages: each tap does what it says once."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Locator, expect
from sqlalchemy import func, select

from rehab_app.core import programmes
from rehab_app.extensions import db
from rehab_app.models import ProgrammeItem
from tests.helpers.accounts import link, make_user
from tests.helpers.browser import DESKTOP, log_in, new_context

pytestmark = pytest.mark.browser


def tap_twice(button: Locator, gap_ms: int) -> None:
    """Two taps where the button is, `gap_ms` apart, whatever the page is doing meanwhile (a
    click of Playwright's would wait for the page the first tap opens)."""
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    button.page.mouse.click(x, y)
    button.page.wait_for_timeout(gap_ms)
    button.page.mouse.click(x, y)


def test_add_to_programme_tapped_twice_on_a_slow_connection_adds_one_exercise(
    app: Flask, browser: Browser, live_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Measured from the outside: with the server taking a second to answer, two taps on "Add
    to programme" 300 ms apart reached the server as two posts and gave the patient the same
    exercise twice."""
    therapist = make_user("therapist", "slow.desk@example.test", "Dana Desk")
    patient = make_user("patient", "slow.desk.patient@example.test", "Pat Slow")
    link(therapist, patient)
    db.session.commit()
    posts: list[float] = []
    prescribe = programmes.prescribe

    def slowly(*args: Any, **kwargs: Any) -> ProgrammeItem:
        posts.append(time.monotonic())
        time.sleep(1.0)  # a busy server, a weak signal
        return prescribe(*args, **kwargs)

    monkeypatch.setattr(programmes, "prescribe", slowly)
    context = new_context(browser, live_server, DESKTOP)
    try:
        page = context.new_page()
        log_in(page, therapist.email)
        page.goto(f"/therapist/patients/{patient.id}")
        form = page.locator("#prescribe-form")
        form.get_by_label("Exercise from the catalogue").select_option(index=1)
        tap_twice(form.get_by_role("button", name="Add to programme"), 300)
        expect(page.get_by_role("status").filter(has_text="Added to")).to_be_visible()
        page.wait_for_timeout(1500)  # time for a second post to reach the server and finish
    finally:
        context.close()
    assert len(posts) == 1
    db.session.expire_all()
    count = select(func.count()).select_from(ProgrammeItem)
    assert db.session.scalar(count.where(ProgrammeItem.patient_id == patient.id)) == 1
