"""The appointment summary prints on at most two A4 pages in Chromium's PDF, names the patient."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from config import TestConfig
from rehab_app import create_app
from rehab_app.core.demo import DEMO_EMAILS, DEMO_PASSWORD, THERAPIST_EMAIL, create_demo
from rehab_app.core.timeutil import local_today
from rehab_app.extensions import db
from rehab_app.models import User
from tests.helpers.browser import ARTIFACTS, DESKTOP, log_in, new_context, screenshot
from tests.helpers.database import clear_data

pytestmark = pytest.mark.browser

PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![A-Za-z])")  # a page, not the /Pages tree
TITLE = re.compile(rb"/Title\s*(?:<([0-9A-Fa-f]+)>|\(((?:[^()\\]|\\.)*)\))")


def pdf_pages(pdf: bytes) -> int:
    """How many pages a PDF has: its page objects (Chromium writes them uncompressed)."""
    return len(PAGE_OBJECT.findall(pdf))


def pdf_title(pdf: bytes) -> str:
    """The PDF's document title (Chromium writes the page's <title> as UTF-16 hex)."""
    match = TITLE.search(pdf)
    assert match is not None, "the PDF has no title"
    if match.group(1):
        raw = bytes.fromhex(match.group(1).decode())
        return raw.decode("utf-16") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")
    return match.group(2).decode("latin-1")


def test_counting_pages_and_reading_titles() -> None:
    pdf = b"<< /Type /Pages /Kids [1 0 R 2 0 R] >> << /Type /Page >> <</Type/Page/Parent 3 0 R>>"
    assert pdf_pages(pdf) == 2
    title = "Summary: Zoë".encode("utf-16-be")
    assert pdf_title(b"/Title <FEFF" + title.hex().upper().encode() + b">") == "Summary: Zoë"
    assert pdf_title(b"/Title (Plain \\(words\\))") == "Plain \\(words\\)"


@pytest.fixture(scope="module")
def demo(db_url: str) -> Iterator[dict[str, tuple[int, str]]]:
    """Six months of the demo's three patients: (id, name) by the key of their email."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=db_url)
    with app.app_context():
        clear_data()
        create_demo(
            db.session,
            local_today("Europe/London"),
            password_method=TestConfig.PASSWORD_HASH_METHOD,
        )
        db.session.commit()
        users = db.session.scalars(db.select(User).where(User.email.in_(DEMO_EMAILS[1:]))).all()
        people = {u.email.split("@")[0]: (u.id, u.display_name) for u in users}
        db.session.remove()
    yield people
    with app.app_context():
        clear_data()
        db.engine.dispose()


@pytest.mark.parametrize("who", ["stable", "worsening", "relapse"])
def test_summary_prints_on_two_a4_pages(
    browser: Browser, live_server: str, demo: dict[str, tuple[int, str]], who: str
) -> None:
    patient_id, name = demo[who]
    context = new_context(browser, live_server, DESKTOP)
    try:
        page = context.new_page()
        log_in(page, THERAPIST_EMAIL, DEMO_PASSWORD)
        response = page.goto(f"/therapist/patients/{patient_id}/summary")
        assert response is not None and response.ok
        page.emulate_media(media="print")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text(f"Appointment summary: {name}")
        expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
        # Three months of a dense log, every section there.
        for section in ("Worth reviewing", "Programme and adherence", "Bad days and relapses"):
            expect(page.get_by_role("heading", name=section)).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("^Fatigue"))).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("^Exercise sessions"))).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("^Walking aid"))).to_be_visible()

        pdf = page.pdf(format="A4", print_background=True)
        pages = pdf_pages(pdf)
        assert 1 <= pages <= 2, f"{who}'s summary takes {pages} A4 pages"
        assert name in pdf_title(pdf)
        if os.environ.get("SCREENSHOTS") == "1":
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / f"summary-{who}.pdf").write_bytes(pdf)
        page.set_viewport_size({"width": 695, "height": 1032})  # A4 less its margins, in CSS px
        screenshot(page, f"summary-{who}-print")
    finally:
        context.close()


def test_a_new_therapist_finds_the_worsening_demo_patient_and_prints_them(
    browser: Browser, live_server: str, demo: dict[str, tuple[int, str]]
) -> None:
    """The demo as a therapist meets it: flagged on the caseload, charts, a two-page PDF."""
    worsening, stable = demo["worsening"][1], demo["stable"][1]
    context = new_context(browser, live_server, DESKTOP)
    try:
        page = context.new_page()
        log_in(page, THERAPIST_EMAIL, DEMO_PASSWORD)
        expect(page.get_by_role("heading", name="Your patients")).to_be_visible()
        rows = page.get_by_role("row")
        expect(rows.filter(has_text=worsening)).to_contain_text("Slow change:")
        expect(rows.filter(has_text=stable)).to_contain_text("Nothing flagged")
        expect(rows.filter(has_text=stable)).not_to_contain_text("Slow change:")

        rows.filter(has_text=worsening).get_by_role("link", name=worsening).click()
        expect(page.get_by_role("heading", name=worsening, level=1)).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("^Fatigue")).first).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("^Walking aid")).first).to_be_visible()

        page.get_by_role("link", name="Appointment summary (printable)").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(worsening)
        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=True)
        assert 1 <= pdf_pages(pdf) <= 2
        assert worsening in pdf_title(pdf)
    finally:
        context.close()
