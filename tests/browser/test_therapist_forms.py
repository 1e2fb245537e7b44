"""The therapist's forms, posted to the server as pages: each tap does what it says once."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import func, select

from rehab_app.core import programmes, sessions
from rehab_app.extensions import db
from rehab_app.models import AppointmentNote, ProgrammeItem, User
from tests.helpers.accounts import PASSWORD, link, make_user
from tests.helpers.browser import DESKTOP, log_in, new_context, screenshot

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


def note_sent_after_the_session_ended(
    browser: Browser, live_server: str, writer: str, logs_in: str, patient_id: int
) -> Page:
    """A therapist types a note on a patient's page, their login ends meanwhile (12 hours, or
    "log out everywhere" elsewhere), they tap "Keep the note"; then `logs_in` logs in on the
    login page it leads to. The page after the login."""
    context = new_context(browser, live_server, DESKTOP)
    page = context.new_page()
    log_in(page, writer)
    page.goto(f"/therapist/patients/{patient_id}")
    form = page.locator("#note-form")
    form.get_by_label("Day of the appointment").fill("2026-12-01")
    form.get_by_label("Note for them to read").fill(NOTE)
    # The login ends on the server (12 hours, "log out everywhere"); the page stays open.
    who = db.session.scalars(select(User).where(User.email == writer)).one()
    sessions.end_all(db.session, who.id)
    db.session.commit()
    form.get_by_role("button", name="Keep the note").click()
    expect(page.get_by_role("heading", name="Log in", exact=True)).to_be_visible()
    expect(page.locator("#flashes")).to_contain_text("that was not saved. Log in to send it")
    page.get_by_label("Email").fill(logs_in)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    return page


NOTE = "Walked 10 m with the frame, rested twice. Try the stairs next time, with the rail."


def test_a_note_sent_after_the_login_ended_is_filled_in_again_after_logging_in(
    app: Flask, browser: Browser, live_server: str
) -> None:
    """Measured: the note was lost, and the login led to the form's own address, a 405 page."""
    therapist = make_user("therapist", "late.note@example.test", "Nell Note")
    patient = make_user("patient", "late.note.patient@example.test", "Pat Note")
    link(therapist, patient)
    db.session.commit()
    page = note_sent_after_the_session_ended(
        browser, live_server, therapist.email, therapist.email, patient.id
    )
    try:
        expect(page).to_have_url(re.compile(rf"/therapist/patients/{patient.id}(#note-form)?$"))
        form = page.locator("#note-form")
        expect(form.get_by_role("status")).to_contain_text("Filled in again")
        expect(form.get_by_label("Note for them to read")).to_have_value(NOTE)
        expect(form.get_by_label("Day of the appointment")).to_have_value("2026-12-01")
        screenshot(page, "note-filled-in-again-1280x800")
        assert db.session.scalar(select(func.count()).select_from(AppointmentNote)) == 0
        form.get_by_role("button", name="Keep the note").click()
        expect(page.get_by_role("status").filter(has_text="Note kept.")).to_be_visible()
        page.reload()  # filled in once: not again
        expect(page.locator("#note-form").get_by_label("Note for them to read")).to_have_value("")
    finally:
        page.context.close()
    db.session.expire_all()
    assert db.session.scalars(select(AppointmentNote.text)).all() == [NOTE]


def test_a_note_kept_through_a_login_is_not_shown_to_someone_else(
    app: Flask, browser: Browser, live_server: str
) -> None:
    """A colleague who logs in on that tab instead (the same patient linked to both) finds the
    form empty: the words are kept only for the person who wrote them."""
    writer = make_user("therapist", "note.writer@example.test", "Wren Writer")
    colleague = make_user("therapist", "note.colleague@example.test", "Cole League")
    patient = make_user("patient", "note.shared@example.test", "Pat Shared")
    link(writer, patient)
    link(colleague, patient)
    db.session.commit()
    page = note_sent_after_the_session_ended(
        browser, live_server, writer.email, colleague.email, patient.id
    )
    try:
        expect(page).to_have_url(re.compile(rf"/therapist/patients/{patient.id}(#note-form)?$"))
        form = page.locator("#note-form")
        expect(form.get_by_label("Note for them to read")).to_have_value("")
        expect(form.get_by_role("status")).to_have_count(0)
        # Forgotten once the page's scripts have run (held.js, at DOMContentLoaded): the URL
        # and the empty form are there before that, on a slow machine long enough to look.
        page.wait_for_function("() => sessionStorage.getItem('rehab-log-unsent') === null")
    finally:
        page.context.close()
