"""A therapist's charts, exports and printable summary of a linked patient."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import event, select

from rehab_app.core.exports import ENTRY_COLUMNS
from rehab_app.core.timeutil import local_today
from rehab_app.extensions import db
from rehab_app.models import AccessEvent, utcnow
from rehab_app.web.therapist.exports import filename_slug
from tests.helpers.accounts import CsrfClient, People, login
from tests.helpers.entries import add_entry, add_item
from tests.helpers.pages import section, visible

EXPORTS = {
    "export.csv": ("text/csv", "entries", ".csv", "export_csv"),
    "export.fhir.json": ("application/fhir+json", "fhir", ".json", "export_fhir"),
    "summary": ("text/html", None, None, "print_summary"),
}


def page(client: CsrfClient, people: People, query: str = "") -> str:
    """The owner's page as the linked therapist sees it."""
    response = client.get(f"/therapist/patients/{people.patient.id}{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def charts_part(html: str) -> str:
    """The visible text of the page's charts (their section holds a section per chart)."""
    start = html.index('id="charts-h"')
    return visible(html[start : html.index('id="programme-h"', start)])


def accesses(people: People) -> list[str]:
    """What the access record holds for the owner, oldest first."""
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AccessEvent.what)
            .where(AccessEvent.patient_id == people.patient.id)
            .order_by(AccessEvent.id)
        )
    )


@contextmanager
def counting_queries() -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block."""
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# ----------------------------------------------------------------------------- exports


@pytest.mark.parametrize("what", list(EXPORTS))
def test_exports_download_and_are_recorded(
    therapist_client: CsrfClient, people: People, what: str
) -> None:
    mimetype, word, suffix, recorded = EXPORTS[what]
    add_entry(people.patient, "fatigue", fatigue=5)
    response = therapist_client.get(f"/therapist/patients/{people.patient.id}/{what}")
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Cache-Control"] == "no-store"
    if word is not None:
        today = local_today(people.patient.timezone).isoformat()
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="olive-owner-{word}-{today}{suffix}"'
        )
    assert accesses(people) == [recorded]


@pytest.mark.parametrize("what", list(EXPORTS))
def test_exports_are_not_found_for_an_unlinked_therapist(
    app: Flask, people: People, what: str
) -> None:
    add_entry(people.patient, "fatigue", fatigue=5, note="OLIVE-SECRET")
    stranger: CsrfClient = app.test_client()  # type: ignore[assignment]
    login(stranger, people.other_therapist)
    for patient_id in (people.patient.id, people.other_patient.id, 999_999):
        response = stranger.get(f"/therapist/patients/{patient_id}/{what}")
        assert response.status_code == 404
        assert "OLIVE-SECRET" not in response.get_data(as_text=True)
    assert accesses(people) == []


@pytest.mark.parametrize("what", list(EXPORTS))
def test_exports_end_with_the_link(
    app: Flask, therapist_client: CsrfClient, people: People, what: str
) -> None:
    url = f"/therapist/patients/{people.patient.id}/{what}"
    assert therapist_client.get(url).status_code == 200
    owner: CsrfClient = app.test_client()  # type: ignore[assignment]
    login(owner, people.patient)
    account = owner.get("/account").get_data(as_text=True)
    revoke = re.search(r'action="(/account/links/\d+/revoke)"', account)
    assert revoke is not None
    assert owner.post(revoke.group(1)).status_code == 302
    assert therapist_client.get(url).status_code == 404


@pytest.mark.parametrize("what", list(EXPORTS))
def test_patients_cannot_use_therapist_exports(
    patient_client: CsrfClient, people: People, what: str
) -> None:
    response = patient_client.get(f"/therapist/patients/{people.patient.id}/{what}")
    assert response.status_code == 403


def csv_records(client: CsrfClient, people: People) -> list[dict[str, str]]:
    """The owner's CSV export as the linked therapist downloads it."""
    text = client.get(f"/therapist/patients/{people.patient.id}/export.csv").get_data(as_text=True)
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == ENTRY_COLUMNS
    return list(reader)


def test_csv_holds_all_the_patients_live_entries_oldest_first(
    therapist_client: CsrfClient, people: People
) -> None:
    old = add_entry(people.patient, "fatigue", days_ago=400, fatigue=2)
    new = add_entry(people.patient, "mobility", days_ago=1, aid="frame", setting="indoors")
    gone = add_entry(people.patient, "fatigue", fatigue=9, note="DELETED")
    gone.deleted_at = utcnow()
    add_entry(people.other_patient, "fatigue", fatigue=1, note="OTTO")
    db.session.commit()
    records = csv_records(therapist_client, people)
    assert [r["id"] for r in records] == [old.id, new.id]
    assert records[1]["aid"] == "frame"


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+SUM(1,2)", "'+SUM(1,2)"),
        ("-1+2", "'-1+2"),
        ("@cmd", "'@cmd"),
        ("\t=1+1", "'\t=1+1"),
        ("Plain words = fine", "Plain words = fine"),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "harmless"],
)
def test_csv_text_cannot_run_as_a_formula(
    therapist_client: CsrfClient, people: People, text: str, cell: str
) -> None:
    add_entry(people.patient, "exercise", discipline="physio", name=text, reps=5, note=text)
    (record,) = csv_records(therapist_client, people)
    assert record["note"] == cell
    assert record["name"] == cell


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Olive Owner", "olive-owner"),
        ("Zoë O'Brien-Smith", "zoe-o-brien-smith"),
        ('"; rm -rf / #', "rm-rf"),
        ("李小龙", "patient"),
        ("a" * 80, "a" * 40),
    ],
)
def test_file_names_are_safe(name: str, slug: str) -> None:
    assert filename_slug(name) == slug


# ----------------------------------------------------------------------------- the patient page


def test_charts_show_on_the_patient_page_with_their_words(
    therapist_client: CsrfClient, people: People
) -> None:
    for days_ago in range(30):
        add_entry(people.patient, "fatigue", days_ago=days_ago, fatigue=6)
    add_entry(people.patient, "bad_day", days_ago=5, reason="relapse")
    html = page(therapist_client, people)
    charts = charts_part(html)
    assert "Fatigue averaged 6 out of 10 over the last 28 days" in charts
    assert "Shaded: a relapse logged on" in charts
    for heading in ("chart-fatigue-h", "chart-exercise-h", "chart-adherence-h", "chart-mobility-h"):
        assert f'id="{heading}"' in html
    assert 'role="img" aria-labelledby="chart-fatigue-h chart-fatigue-sum"' in html
    assert 'id="chart-fatigue-sum"' in html
    assert "<summary>Data table" in html
    assert "No exercise logged in this period." in charts
    assert "No walking or mobility-aid use logged in this period." in charts
    assert ' style="' not in html  # the CSP forbids inline styles
    assert accesses(people) == ["patient_page"]


def test_a_patient_with_nothing_logged_gets_words_not_empty_charts(
    therapist_client: CsrfClient, people: People
) -> None:
    html = page(therapist_client, people)
    charts = charts_part(html)
    assert "No fatigue logged in this period." in charts
    assert "<svg" not in html.split('id="charts-h"')[1].split('id="programme-h"')[0]


RANGE_LABELS = {"4w": "4 weeks", "3m": "3 months", "12m": "12 months", "all": "All"}


@pytest.mark.parametrize(
    ("query", "current"),
    [
        ("", "3m"),
        ("?range=4w", "4w"),
        ("?range=3m", "3m"),
        ("?range=12m", "12m"),
        ("?range=all", "all"),
        ("?range=", "3m"),
        ("?range=5y", "3m"),
        ("?range=%00%ff", "3m"),
        ("?range=4w&range=all", "4w"),
        ("?range=" + "9" * 5000, "3m"),
    ],
)
def test_chart_ranges_are_links_and_a_bad_one_shows_the_default(
    therapist_client: CsrfClient, people: People, query: str, current: str
) -> None:
    add_entry(people.patient, "fatigue", days_ago=3, fatigue=4)
    html = page(therapist_client, people, query)
    nav = re.search(r'<nav class="chart-ranges"[^>]*>(.*?)</nav>', html, re.S)
    assert nav is not None
    links = re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav.group(1))
    assert [label for _, _, label in links] == list(RANGE_LABELS.values())
    assert [label for _, marked, label in links if marked] == [RANGE_LABELS[current]]
    for href, _, _ in links:
        assert re.fullmatch(rf"/therapist/patients/{people.patient.id}\?range=\w+#charts-h", href)


def test_longer_ranges_do_not_cost_more_queries(
    therapist_client: CsrfClient, people: People
) -> None:
    add_item(people.patient, name="Heel raises")
    for days_ago in range(0, 400, 3):
        add_entry(people.patient, "fatigue", days_ago=days_ago, fatigue=5)
        add_entry(people.patient, "mobility", days_ago=days_ago, aid="one_stick", setting="indoors")
    # The first look computes and stores the caseload's summary, whose reasons the page shows;
    # every look after it reads the stored one.
    page(therapist_client, people, "")
    counts = {}
    for key in ("4w", "12m", "all"):
        with counting_queries() as statements:
            page(therapist_client, people, f"?range={key}")
        counts[key] = len(statements)
    assert counts["4w"] == counts["12m"] == counts["all"], counts


def test_patient_text_is_escaped_in_charts(therapist_client: CsrfClient, people: People) -> None:
    hostile = '<img src=x onerror=alert(1)> "Q" & <svg>'
    add_item(people.patient, name=hostile, days_per_week=7, start=-20)
    add_entry(people.patient, "exercise", days_ago=1, discipline="physio", name=hostile, reps=3)
    html = page(therapist_client, people)
    assert "<img src=x" not in html and "<svg>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert hostile in charts_part(html)


# ----------------------------------------------------------------------------- the summary


def test_summary_shows_three_months_in_plain_words(
    therapist_client: CsrfClient, people: People
) -> None:
    add_item(people.patient, slug="sit-to-stand", days_per_week=7, start=-120, sets=2, reps=10)
    for days_ago in range(0, 100):
        add_entry(people.patient, "fatigue", days_ago=days_ago, fatigue=5 + days_ago % 2)
    add_entry(people.patient, "mobility", days_ago=2, aid="frame", setting="outdoors", falls=1)
    add_entry(people.patient, "bad_day", days_ago=10, reason="relapse")
    add_entry(people.patient, "bad_day", days_ago=4, reason="heat")
    add_entry(people.patient, "fatigue", days_ago=200, fatigue=10, note="LONG-AGO")
    response = therapist_client.get(f"/therapist/patients/{people.patient.id}/summary")
    html = response.get_data(as_text=True)
    text = visible(html)
    assert "Appointment summary: Olive Owner" in text
    assert "(13 weeks) · prepared" in text and "by Lin Linked" in text
    assert "Worth reviewing" in text
    assert "Sit to stand" in text and "2 × 10" in text  # noqa: RUF001 - the dose's sign
    assert "Fatigue averaged" in text
    assert "1 fall and 0 near-falls logged in this period" in text
    assert "2 logged: relapse or flare-up 1, heat 1." in text
    assert "not a diagnosis" in text and "not a medical device" in text
    assert "progressed" not in text.lower()
    assert "LONG-AGO" not in html
    assert 'class="chart-canvas chart-canvas-print"' in html
    assert "summary-page" in html


def test_summary_shows_worth_reviewing_signals_with_their_numbers(
    therapist_client: CsrfClient, people: People
) -> None:
    # A year of steadily rising fatigue, every day.
    for days_ago in range(0, 364):
        add_entry(people.patient, "fatigue", days_ago=days_ago, fatigue=round(8 - days_ago / 60))
    html = therapist_client.get(f"/therapist/patients/{people.patient.id}/summary")
    signals = section(html.get_data(as_text=True), "review-h")
    assert re.search(r"Slow change: Fatigue up from about 3 to 7 since [A-Z][a-z]+", signals)
    # The numbers behind it: on screen in the disclosure, on paper in small print.
    assert "How this was found" in signals
    assert signals.count("one-sided p < 0.001") == 2


def test_summary_lists_the_periods_falls_near_falls_and_new_aid(
    therapist_client: CsrfClient, people: People
) -> None:
    for days_ago in range(100, 30, -1):
        add_entry(
            people.patient, "mobility", days_ago=days_ago, aid="two_sticks", setting="outdoors"
        )
    for days_ago in range(30, -1, -1):
        add_entry(people.patient, "mobility", days_ago=days_ago, aid="frame", setting="outdoors")
    add_entry(people.patient, "mobility", days_ago=5, aid="frame", setting="outdoors", falls=1)
    add_entry(people.patient, "mobility", days_ago=3, setting="indoors", near_falls=2)
    add_entry(people.patient, "mobility", days_ago=120, setting="indoors", falls=1)  # before
    html = therapist_client.get(f"/therapist/patients/{people.patient.id}/summary")
    events = section(html.get_data(as_text=True), "events-h").replace(" :", ":")
    today = local_today(people.patient.timezone)
    # The frame is the main aid (most used over 14 days) from its 8th day on: 23 days ago.

    def day(k: int) -> str:
        when = today - timedelta(days=k)
        return f"{when.day} {when:%b}"

    aid = events.index(f"{day(23)}: Main walking aid outdoors: frame (was two sticks)")
    assert aid < events.index(f"{day(5)}: 1 fall (outdoors, frame)")  # oldest first
    assert f"{day(3)}: 2 near-falls (indoors)" in events
    assert "(indoors)" not in events.replace("2 near-falls (indoors)", "")  # not day 120's
