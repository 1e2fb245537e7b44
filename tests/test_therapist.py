"""Therapist pages: link codes and consent, prescribing and stopping, a patient's entries."""

from __future__ import annotations

import html
import os
import re
import time as time_module
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from rehab_app.core import care_links, notes, sync
from rehab_app.core import caseload as cl
from rehab_app.core.caseload import FIRST_DIRECTION, SHOWN_IN, TABLE_COLUMNS
from rehab_app.core.timeutil import local_today
from rehab_app.extensions import db
from rehab_app.models import (
    BadDay,
    CareLink,
    Exercise,
    ExerciseSession,
    FatigueRating,
    MobilityUse,
    ProgrammeItem,
    SyncClient,
    User,
    utcnow,
)
from tests.helpers.accounts import PASSWORD, CsrfClient, People, link, login, make_user
from tests.helpers.api import together
from tests.helpers.entries import add_entry, add_item
from tests.helpers.pages import TIMES, section, visible

CODE_SHOWN = re.compile(r'<p class="code"[^>]*>([^<]+)</p>')
NOT_VALID = "That code is not valid. Codes work once and for 7 days: ask for a new one."


def redeem(patient: CsrfClient, typed: str) -> Any:
    """Enter a code, see whose it is, share: the confirmation's answer (or the check's on error)."""
    checked = patient.post("/account/links", data={"code": typed})
    if checked.status_code != 200:
        return checked
    hidden = re.search(r'name="code" type="hidden" value="([^"]+)"', checked.get_data(as_text=True))
    assert hidden is not None, "no code carried to the confirmation"
    return patient.post("/account/links/confirm", data={"code": hidden.group(1)})


def client_for(app: Flask, user: User) -> CsrfClient:
    """A browser of its own, logged in as that user."""
    client: CsrfClient = app.test_client()  # type: ignore[assignment]
    login(client, user)
    return client


def new_code(therapist_client: CsrfClient) -> str:
    """Ask for a link code as the therapist; return it as shown on the page."""
    response = therapist_client.post("/therapist/link-codes")
    assert response.status_code == 201
    match = CODE_SHOWN.search(response.get_data(as_text=True))
    assert match is not None, "no code on the page"
    return match.group(1).strip()


def caseload(therapist_client: CsrfClient) -> str:
    """The visible text of the therapist's list of patients."""
    return visible(therapist_client.get("/therapist").get_data(as_text=True))


def test_link_code_flow_end_to_end(app: Flask) -> None:
    therapist = make_user("therapist", name="Pat Physio")
    patient = make_user("patient", name="Rita Reader")
    latecomer = make_user("patient", name="Lenny Late")
    pt, rita = client_for(app, therapist), client_for(app, patient)
    assert "No one has linked you yet." in caseload(pt)
    assert pt.get(f"/therapist/patients/{patient.id}").status_code == 404

    shown = new_code(pt)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", shown)
    typed = " ".join(shown.replace("-", "").lower())  # "a b c d e f g h", as read aloud
    checked = visible(rita.post("/account/links", data={"code": typed}).get_data(as_text=True))
    assert "Share my logs with Pat Physio" in checked and therapist.email in checked
    assert "Rita Reader" not in caseload(pt)  # nothing shared before she says so
    response = redeem(rita, typed)
    page = visible(rita.get(response.headers["Location"]).get_data(as_text=True))
    assert "Linked. Pat Physio can now see your log." in page
    assert "Pat Physio, since" in page

    assert "Rita Reader" in caseload(pt)
    assert pt.get(f"/therapist/patients/{patient.id}").status_code == 200

    # The code works once.
    late = redeem(client_for(app, latecomer), shown)
    assert late.status_code == 400
    assert NOT_VALID in visible(late.get_data(as_text=True))
    assert "Lenny Late" not in caseload(pt)

    # Revoking hides Rita from the therapist again.
    account = rita.get("/account").get_data(as_text=True)
    stop_sharing = re.search(r'action="(/account/links/\d+/revoke)"', account)
    assert stop_sharing is not None, "no Stop sharing button"
    response = rita.post(stop_sharing.group(1), follow_redirects=True)
    page = visible(response.get_data(as_text=True))
    assert "Pat Physio can no longer see your log." in page
    assert "No one. Your log is yours alone" in page
    assert "Rita Reader" not in caseload(pt)
    assert pt.get(f"/therapist/patients/{patient.id}").status_code == 404


@pytest.mark.parametrize(
    "typing",
    [str.lower, str.upper, lambda c: f"  {c.lower()}  ", lambda c: c.replace("-", " ")],
    ids=["lower-case", "as-shown", "surrounding-spaces", "space-not-dash"],
)
def test_a_code_may_be_typed_loosely(
    app: Flask, people: People, typing: Callable[[str], str]
) -> None:
    code = new_code(client_for(app, people.other_therapist))
    other = client_for(app, people.other_patient)
    response = redeem(other, typing(code))
    assert response.status_code == 302
    assert "Otto Other" in caseload(client_for(app, people.other_therapist))


@pytest.mark.parametrize(
    ("expires_in", "used"),
    [(timedelta(minutes=-1), False), (timedelta(days=-30), False), (timedelta(days=3), True)],
    ids=["just-expired", "long-expired", "already-used"],
)
def test_an_expired_or_used_code_is_refused(
    app: Flask, people: People, expires_in: timedelta, used: bool
) -> None:
    code = care_links.make_code(db.session, people.other_therapist)
    code.expires_at = utcnow() + expires_in
    code.used_at = utcnow() if used else None
    db.session.commit()

    response = redeem(client_for(app, people.other_patient), code.code)
    assert response.status_code == 400
    assert NOT_VALID in visible(response.get_data(as_text=True))
    assert (
        care_links.active_link(db.session, people.other_therapist.id, people.other_patient.id)
        is None
    )
    assert "Otto Other" not in caseload(client_for(app, people.other_therapist))


def test_an_unknown_code_is_refused(app: Flask, people: People) -> None:
    response = redeem(client_for(app, people.other_patient), "ABCD-EFGH")
    assert response.status_code == 400
    assert NOT_VALID in visible(response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(CareLink)) == 1  # people's own


def catalogue_id(slug: str) -> str:
    """A catalogue exercise's id, as the form's select sends it."""
    exercise_id = db.session.scalar(select(Exercise.id).where(Exercise.slug == slug))
    assert exercise_id is not None
    return str(exercise_id)


@pytest.mark.parametrize(
    ("choice", "dose", "name", "discipline", "dose_text"),
    [
        (
            {"exercise_id": "sit-to-stand"},
            {"sets": "2", "reps": "10"},
            "Sit to stand",
            "physio",
            f"2 {TIMES} 10",
        ),
        # The catalogue's discipline wins over the custom-exercise selector left at physio.
        (
            {"exercise_id": "long-strong-ah"},
            {"phonation_seconds": "12", "loudness_db": "75"},
            'Long strong "ah"',
            "slt",
            "'ah' 12 s · 75 dB",
        ),
        (
            {"custom_name": "Stairs with the rail", "discipline": "physio"},
            {"minutes": "10"},
            "Stairs with the rail",
            "physio",
            "10 min",
        ),
        (
            {"custom_name": "Kettle pouring practice", "discipline": "ot"},
            {"reps": "5", "rests": "1"},
            "Kettle pouring practice",
            "ot",
            "5 reps · 1 rest",
        ),
    ],
    ids=["catalogue-physio", "catalogue-slt", "custom-physio", "custom-ot"],
)
def test_prescribed_exercise_appears_on_the_patients_today(
    app: Flask,
    people: People,
    choice: dict[str, str],
    dose: dict[str, str],
    name: str,
    discipline: str,
    dose_text: str,
) -> None:
    pt = client_for(app, people.therapist)
    patient_id = people.patient.id
    today = local_today(people.patient.timezone)
    form = {
        "exercise_id": "",
        "custom_name": "",
        "discipline": "physio",
        "days_per_week": "5",
        "start_date": today.isoformat(),
        **choice,
        **dose,
    }
    if "custom_name" not in choice:
        form["exercise_id"] = catalogue_id(choice["exercise_id"])

    response = pt.post(f"/therapist/patients/{patient_id}/programme", data=form)
    assert response.status_code == 302
    # The page opens at the programme, which says what was added, under its heading.
    assert response.headers["Location"].endswith("#programme-h")
    markup = pt.get(response.headers["Location"]).get_data(as_text=True)
    programme = section(markup, "programme-h")
    assert f"Added to Olive Owner's programme: {name}." in programme
    assert name in programme and dose_text in programme

    item = db.session.scalars(select(ProgrammeItem)).one()
    assert (item.patient_id, item.therapist_id, item.discipline) == (
        patient_id,
        people.therapist.id,
        discipline,
    )
    assert item.start_date == today and item.days_per_week == 5
    exercises = section(
        client_for(app, people.patient).get("/today").get_data(as_text=True), "programme-h"
    )
    assert name in exercises and dose_text in exercises
    assert "0 of 5 days this week" in exercises


def test_prescribing_nothing_is_refused(therapist_client: CsrfClient, people: People) -> None:
    today = local_today(people.patient.timezone).isoformat()
    response = therapist_client.post(
        f"/therapist/patients/{people.patient.id}/programme",
        data={"exercise_id": "", "custom_name": "", "days_per_week": "5", "start_date": today},
    )
    assert response.status_code == 400
    markup = response.get_data(as_text=True)
    assert "Choose a catalogue exercise or name a custom one." in visible(markup)
    # Sent back, the page opens at the form and its error (far down a long page).
    anchor = re.search(r'action="/therapist/patients/\d+/programme#([\w-]+)"', markup)
    assert anchor is not None and f'id="{anchor.group(1)}"' in markup
    assert db.session.scalar(select(func.count()).select_from(ProgrammeItem)) == 0


def test_stopped_item_leaves_the_patients_today(app: Flask, people: People) -> None:
    kept = add_item(people.patient, name="Seated marching")
    stopped = add_item(people.patient, name="Single-leg stand")
    olive = client_for(app, people.patient)
    before = section(olive.get("/today").get_data(as_text=True), "programme-h")
    assert "Seated marching" in before and "Single-leg stand" in before

    pt = client_for(app, people.therapist)
    response = pt.post(f"/therapist/programme/{stopped.id}/stop")
    assert response.headers["Location"].endswith("#programme-h")
    page = section(pt.get(response.headers["Location"]).get_data(as_text=True), "programme-h")
    assert "Stopped: Single-leg stand." in page
    assert f"Stopped {utcnow().date().isoformat()}" in page  # still in the record, marked

    after = section(olive.get("/today").get_data(as_text=True), "programme-h")
    assert "Seated marching" in after and "Single-leg stand" not in after
    db.session.refresh(stopped)
    db.session.refresh(kept)
    assert stopped.stopped_at is not None and kept.stopped_at is None


def test_patient_page_shows_recent_entries_of_that_patient_only(
    therapist_client: CsrfClient, people: People
) -> None:
    add_entry(people.patient, "fatigue", days_ago=2, fatigue=6, note="Olive, two days ago")
    add_entry(people.patient, "mobility", days_ago=27, aid="frame", setting="outdoors")
    add_entry(people.patient, "fatigue", days_ago=40, fatigue=2, note="Olive, long ago")
    gone = add_entry(people.patient, "fatigue", days_ago=1, fatigue=9, note="Olive, deleted")
    gone.deleted_at = utcnow()
    add_entry(people.other_patient, "fatigue", days_ago=1, fatigue=1, note="Otto's own note")
    db.session.commit()

    response = therapist_client.get(f"/therapist/patients/{people.patient.id}")
    recent = section(response.get_data(as_text=True), "recent-h")
    assert "Entries in the last 28 days" in recent
    assert "Fatigue 6 out of 10" in recent and "Olive, two days ago" in recent
    assert "Walking frame or rollator" in recent
    assert "Olive, long ago" not in recent
    assert "Olive, deleted" not in recent
    assert "Otto" not in recent


# ----------------------------------------------------------------------------- the caseload


def caseload_row(page: str, name: str) -> str:
    """The visible text of one patient's row of the caseload table."""
    for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", page, re.S):
        if name in row:
            return visible(row)
    raise AssertionError(f"no row for {name}")


def row_names(page: str) -> list[str]:
    """The patients' names in the order the table lists them."""
    body = re.split(r"<tbody\b[^>]*>", page, maxsplit=1)[1]
    return [visible(n) for n in re.findall(r'<th scope="row"[^>]*><a [^>]*>(.*?)</a>', body)]


def seed_olive(people: People) -> None:
    """Olive: a daily item, a bad day, fatigue up, a new frame outdoors, a fall."""
    olive = people.patient
    item = add_item(olive, name="Heel raises", start=-40, days_per_week=7, reps=10)
    for days_ago in (1, 3, 4, 5, 6):
        add_entry(olive, "exercise", days_ago, programme_item_id=item.id, name="Heel raises")
    add_entry(olive, "bad_day", 2, reason="heat")
    for days_ago in range(4):
        add_entry(olive, "fatigue", days_ago, fatigue=6)
    for days_ago in range(10, 20):
        add_entry(olive, "fatigue", days_ago, fatigue=4)
    for days_ago in range(6):
        add_entry(
            olive, "mobility", days_ago, aid="frame", setting="outdoors", falls=int(days_ago == 3)
        )
    for days_ago in range(60, 80, 2):
        add_entry(olive, "mobility", days_ago, aid="one_stick", setting="outdoors")


def test_the_caseload_shows_each_patients_numbers(
    therapist_client: CsrfClient, people: People
) -> None:
    seed_olive(people)
    page = therapist_client.get("/therapist").get_data(as_text=True)
    row = caseload_row(page, "Olive Owner")
    # Not done yet today, a bad day two days ago: 5 of 5 this week; 5 of 26 over 28 days.
    assert "7 days: 100%" in row
    assert "19% 5 of 26 sessions, 1 bad day" in row
    assert "6.0 mean, out of 10 up 2.0 on the 4 weeks before" in row
    since = local_today(people.patient.timezone) - timedelta(days=5)
    assert f"frame outdoors outdoors: one stick → frame, since {since.day} {since:%b}" in row
    assert "1 fall" in row
    assert "Recent: 1 fall in the last 28 days" in row
    assert (
        "Recent: Fatigue up 2.0 points this week: mean 6.0, against 4.0 in the 4 weeks before"
        in row
    )
    assert f"Recent: Walking aid outdoors: one stick → frame, since {since.day} {since:%b}" in row
    for word in ("progress", "deteriorat", "diagnos", "decline"):
        assert word not in row.lower()


def test_a_patient_without_data_reads_plainly(therapist_client: CsrfClient, people: People) -> None:
    row = caseload_row(therapist_client.get("/therapist").get_data(as_text=True), "Olive Owner")
    assert row == (
        "Olive Owner owner@example.test Nothing flagged — nothing planned 7 days: — "
        "— too few ratings — None Never"
    )


def test_a_slow_change_is_flagged_with_its_numbers(
    therapist_client: CsrfClient, people: People
) -> None:
    """Eight months of fatigue drifting up, logged most days: a trends.review() signal."""
    olive = people.patient
    for days_ago in range(240, -1, -1):
        if days_ago % 7 not in (2, 5):
            add_entry(olive, "fatigue", days_ago, fatigue=round(3 + 4 * (240 - days_ago) / 240))
    row = caseload_row(therapist_client.get("/therapist").get_data(as_text=True), "Olive Owner")
    # The words a clinician says; the statistics only behind "How this was found".
    sentence = re.search(r"Slow change: (.*?) How this was found", row)
    assert sentence is not None, row
    assert re.fullmatch(
        r"Fatigue up from about [34] to [67] since [A-Z][a-z]+( \d{4})?", sentence[1]
    )
    assert "one-sided p < 0.001" in row and "weeks with data in the window" in row


def sorted_page(client: CsrfClient, **params: str) -> str:
    """The caseload with query parameters (a search is posted, then shown)."""
    if "q" in params:
        response = client.post("/therapist", data=params, follow_redirects=True)
    else:
        response = client.get("/therapist", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def three_patients(people: People) -> None:
    """Olive (a fall, fatigue 6), Otto (fatigue 3, linked), Zoe (nothing logged)."""
    link(people.therapist, people.other_patient)
    zoe = make_user("patient", "zoe@example.test", "Zoe Zed")
    link(people.therapist, zoe)
    add_entry(people.patient, "mobility", 1, aid="one_stick", setting="outdoors", falls=1)
    add_entry(people.other_patient, "mobility", 1, aid="frame", setting="outdoors")
    for days_ago in range(4):
        add_entry(people.patient, "fatigue", days_ago, fatigue=6)
        add_entry(people.other_patient, "fatigue", days_ago, fatigue=3)


@pytest.mark.parametrize(
    ("sort", "direction", "names"),
    [
        ("name", "asc", ["Olive Owner", "Otto Other", "Zoe Zed"]),
        ("name", "desc", ["Zoe Zed", "Otto Other", "Olive Owner"]),
        ("fatigue", "desc", ["Olive Owner", "Otto Other", "Zoe Zed"]),
        ("fatigue", "asc", ["Otto Other", "Olive Owner", "Zoe Zed"]),  # no value: last
        ("aid", "desc", ["Otto Other", "Olive Owner", "Zoe Zed"]),
        ("falls", "desc", ["Olive Owner", "Otto Other", "Zoe Zed"]),
        ("review", "desc", ["Olive Owner", "Otto Other", "Zoe Zed"]),
        ("synced", "asc", ["Olive Owner", "Otto Other", "Zoe Zed"]),
    ],
)
def test_the_caseload_sorts_by_its_columns(
    therapist_client: CsrfClient, people: People, sort: str, direction: str, names: list[str]
) -> None:
    three_patients(people)
    page = sorted_page(therapist_client, sort=sort, dir=direction)
    assert row_names(page) == names
    marked = re.findall(r'<th scope="col"[^>]* aria-sort="(\w+)" class="col-(\w+)">', page)
    # A sort whose values sit in another column's cell (the 7-day programme) marks that column.
    assert marked == [
        ("ascending" if direction == "asc" else "descending", SHOWN_IN.get(sort, sort))
    ]


@pytest.mark.parametrize("column", [c.key for c in TABLE_COLUMNS])
def test_every_column_header_is_a_sort_link_that_says_what_it_does(
    therapist_client: CsrfClient, people: People, column: str
) -> None:
    three_patients(people)
    page = sorted_page(therapist_client, sort=column)
    links_ = re.findall(r'<a class="sort" href="([^"]+)">(.*?)</a>', page, re.S)
    assert len(links_) == len(TABLE_COLUMNS)
    href, name = next((h, n) for h, n in links_ if f"sort={column}&" in h.replace("&amp;", "&"))
    # The current column's link sorts the other way round, and says so.
    first = FIRST_DIRECTION[column]
    other = "desc" if first == "asc" else "asc"
    assert f"dir={other}" in href
    assert ", sort " in visible(name)


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "garbage"},
        {"sort": "name", "dir": "sideways"},
        {"sort": "", "dir": ""},
        {"sort": "__class__"},
        {"q": "\x00"},
        {"q": "Olive\x00\x1b[31m"},
        {"q": "%"},
        {"q": "_"},
        {"q": "x" * 10_000},
        {"q": "'; DROP TABLE users; --"},
    ],
    ids=[
        "sort-garbage",
        "dir-garbage",
        "empty",
        "dunder",
        "nul",
        "control",
        "percent",
        "underscore",
        "huge",
        "quote",
    ],
)
def test_any_query_gives_a_page(
    therapist_client: CsrfClient, people: People, params: dict[str, str]
) -> None:
    three_patients(people)
    response = therapist_client.get("/therapist", query_string=params, follow_redirects=True)
    assert response.status_code == 200
    if "q" in params:  # posted, as the form does
        response = therapist_client.post("/therapist", data=params, follow_redirects=True)
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("olive", ["Olive Owner"]),
        ("OTTO", ["Otto Other"]),
        ("zoe@example", ["Zoe Zed"]),
        ("  o  ", ["Olive Owner", "Otto Other", "Zoe Zed"]),
        ("Olive\x00", ["Olive Owner"]),  # control characters are dropped
    ],
)
def test_the_search_finds_by_name_or_email(
    therapist_client: CsrfClient, people: People, q: str, names: list[str]
) -> None:
    three_patients(people)
    assert row_names(sorted_page(therapist_client, q=q, sort="name")) == names


@pytest.mark.parametrize("q", ["%", "_", "Nobody", "other@example.test"])
def test_a_search_that_finds_no_one_says_so(
    therapist_client: CsrfClient, people: People, q: str
) -> None:
    """Wildcards are taken literally; an unlinked person is never found."""
    page = visible(sorted_page(therapist_client, q=q))
    assert "No one who shares their log with you matches" in page
    assert "No one has linked you yet." not in page


def queries_for(client: CsrfClient, path: str) -> int:
    """How many SQL statements one request runs."""
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def caseload_of(app: Flask, n: int) -> CsrfClient:
    """A therapist with n linked patients, each with a programme, entries and a synced app."""
    therapist = make_user("therapist", f"t{n}@example.test", f"Therapist {n}")
    today = local_today("Europe/London")
    for i in range(n):
        patient = make_user("patient", f"p{n}-{i}@example.test", f"Patient {n}-{i}")
        db.session.add(CareLink(therapist_id=therapist.id, patient_id=patient.id))
        item = ProgrammeItem(
            patient_id=patient.id,
            custom_name="Heel raises",
            discipline="physio",
            days_per_week=5,
            start_date=today - timedelta(days=60),
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(SyncClient(user_id=patient.id))
        for days_ago in range(0, 120, 3):
            day = today - timedelta(days=days_ago)
            when = {"occurred_at": datetime.combine(day, time(10)), "local_date": day}
            db.session.add_all(
                [
                    FatigueRating(user_id=patient.id, fatigue=(i + days_ago) % 10, **when),
                    MobilityUse(
                        user_id=patient.id,
                        aid="one_stick",
                        setting="outdoors",
                        distance_m=500,
                        falls=int(days_ago == 9),
                        near_falls=1,
                        **when,
                    ),
                    ExerciseSession(
                        user_id=patient.id,
                        programme_item_id=item.id,
                        name="Heel raises",
                        reps=10,
                        effort=5,
                        **when,
                    ),
                    BadDay(user_id=patient.id, reason="heat", **when),
                ]
            )
    db.session.commit()
    return client_for(app, therapist)


def test_the_caseload_runs_as_many_queries_for_50_patients_as_for_5(app: Flask) -> None:
    small, large = caseload_of(app, 5), caseload_of(app, 50)
    first = queries_for(small, "/therapist"), queries_for(large, "/therapist")
    assert first[0] == first[1], first
    # Seen again the same day: no new access events, still the same for both.
    again = queries_for(small, "/therapist"), queries_for(large, "/therapist")
    assert again[0] == again[1], again
    # The login, everyone's stored rows, the therapist's teams: nothing read again after a commit.
    assert again[0] == 3, again
    assert len(caseload_rows(large.get("/therapist").get_data(as_text=True))) == 50


def entry_reads(client: CsrfClient) -> list[Any]:
    """The parameters of each statement of one caseload load that reads entries' contents."""
    reads: list[Any] = []

    def keep(_conn: object, _cursor: object, statement: str, params: Any, *_args: object) -> None:
        if "entries.local_date >=" in statement:
            reads.append(params)

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        assert client.get("/therapist").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    return reads


def test_a_caseload_seen_before_reads_only_the_entries_of_who_changed(app: Flask) -> None:
    """Every load read everyone's two years and reviewed every trend: now only what changed."""
    client = caseload_of(app, 5)
    assert len(entry_reads(client)) == 1  # the first look computes and stores every summary
    assert entry_reads(client) == []  # nothing changed: stored summaries, no entries read
    olive = db.session.scalars(select(User).where(User.email == "p5-2@example.test")).one()
    add_entry(olive, "mobility", aid="frame", setting="outdoors", falls=2)
    changed = entry_reads(client)
    assert len(changed) == 1
    assert olive.id in list(changed[0].values() if isinstance(changed[0], dict) else changed[0])
    others = [
        u.id
        for u in db.session.scalars(select(User).where(User.email.like("p5-%@example.test")))
        if u.id != olive.id
    ]
    assert not set(others) & set(
        changed[0].values() if isinstance(changed[0], dict) else changed[0]
    )
    # And the page shows the new entry at once: never a summary older than the latest entry.
    row = caseload_row(client.get("/therapist").get_data(as_text=True), "Patient 5-2")
    assert "3 falls" in row
    assert entry_reads(client) == []


def test_reviews_refresh_recomputes_only_what_changed(app: Flask) -> None:
    """The cron job computes what changed, so that the first look of the day opens at once."""
    client = caseload_of(app, 3)
    runner = app.test_cli_runner()
    assert (
        "3 people looked at, 3 summaries recomputed."
        in runner.invoke(args=["reviews", "refresh"]).output
    )
    assert (
        "3 people looked at, 0 summaries recomputed."
        in runner.invoke(args=["reviews", "refresh"]).output
    )
    assert entry_reads(client) == []


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="row claims need PostgreSQL's row locks"
)
def test_two_refreshes_at_once_compute_each_person_once(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two cron runs that overlap share the work: one skips whom the other has claimed."""
    caseload_of(app, 6)
    monkeypatch.setattr(cl.load, "REFRESH_BATCH", 2)
    real = cl.compute_summaries
    computed: list[int] = []

    def slow(session: Any, patients: Any, now: datetime) -> Any:
        computed.extend(p.id for p in patients)
        time_module.sleep(0.3)  # long enough for the other run to reach the same people
        return real(session, patients, now)

    monkeypatch.setattr(cl.load, "compute_summaries", slow)

    def refresh() -> tuple[int, int]:
        with app.app_context():
            try:
                return cl.refresh_summaries(db.session)
            finally:
                db.session.remove()

    results = together(refresh, refresh)
    assert sum(redone for _, redone in results) == 6, results
    assert sorted(computed) == sorted(set(computed)) and len(computed) == 6
    assert all(seen for seen, _ in results), "both runs took a share"


def caseload_rows(page: str) -> list[str]:
    """The body rows of the caseload table."""
    return re.findall(r"<tr\b[^>]*>", re.split(r"<tbody\b[^>]*>", page, maxsplit=1)[1])


# ----------------------------------------------------------------------------- changing an item


def edit_form(item: ProgrammeItem, **changes: str) -> dict[str, str]:
    """The edit form as it comes, with some fields changed."""
    data = {
        "sets": "" if item.sets is None else str(item.sets),
        "reps": "" if item.reps is None else str(item.reps),
        "days_per_week": str(item.days_per_week),
        "start_date": item.start_date.isoformat(),
        "end_date": "" if item.end_date is None else item.end_date.isoformat(),
        "note": item.note or "",
    }
    return {**data, **changes}


def test_the_edit_form_shows_the_item_as_it_is(
    therapist_client: CsrfClient, people: People
) -> None:
    item = add_item(people.patient, slug="sit-to-stand", sets=2, reps=10, days_per_week=4)
    page = therapist_client.get(f"/therapist/programme/{item.id}/edit").get_data(as_text=True)
    assert "Change Sit to stand" in visible(page)
    assert re.search(r'<input[^>]*id="sets"[^>]*value="2"', page)
    assert re.search(r'<input[^>]*id="reps"[^>]*value="10"', page)
    assert re.search(r'<input[^>]*id="days_per_week"[^>]*value="4"', page)
    patient_page = therapist_client.get(f"/therapist/patients/{people.patient.id}")
    assert f'href="/therapist/programme/{item.id}/edit"' in patient_page.get_data(as_text=True)


def test_an_edit_changes_the_dose_and_reaches_the_patients_app(
    therapist_client: CsrfClient, people: People
) -> None:
    olive = people.patient
    item = add_item(olive, slug="sit-to-stand", sets=2, reps=10)
    client = sync.register_client(db.session, olive)
    db.session.commit()
    cursor = sync.pull_changes(db.session, olive, client.id, 0)["cursor"]
    before = item.change_seq

    end = (local_today(olive.timezone) + timedelta(days=30)).isoformat()
    data = edit_form(item, sets="3", reps="12", days_per_week="6", end_date=end, note="Slower.")
    response = therapist_client.post(f"/therapist/programme/{item.id}/edit", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/therapist/patients/{olive.id}"
    page = visible(therapist_client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Changed Olive Owner's Sit to stand." in page
    assert f"3 {TIMES} 12" in page

    db.session.refresh(item)
    assert (item.sets, item.reps, item.days_per_week, item.note) == (3, 12, 6, "Slower.")
    assert item.end_date is not None and item.end_date.isoformat() == end
    assert item.change_seq > before
    [change] = sync.pull_changes(db.session, olive, client.id, cursor)["changes"]
    assert (change["type"], change["id"], change["sets"], change["reps"]) == (
        "programme_item",
        item.id,
        3,
        12,
    )
    assert change["days_per_week"] == 6 and change["note"] == "Slower."
    today = section(client_for_patient(therapist_client, olive), "programme-h")
    assert f"3 {TIMES} 12" in today


def client_for_patient(client: CsrfClient, patient: User) -> str:
    """The patient's Today page, from a browser of their own."""
    return client_for(client.application, patient).get("/today").get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reps": "-1"}, "reps", "0"),
        ({"reps": "ten"}, "reps", "whole number"),
        ({"days_per_week": "8"}, "days_per_week", "from 1 to 7"),
        ({"days_per_week": ""}, "days_per_week", "Enter days a week."),
        ({"start_date": ""}, "start_date", "Enter a start date."),
        ({"end_date": "2000-01-01"}, "end_date", "on or after the start date"),
        ({"note": "a\x00b"}, "note", "control"),
        ({"note": "n" * 1001}, "note", "1000"),
    ],
    ids=[
        "reps-negative",
        "reps-words",
        "days-8",
        "days-empty",
        "start-empty",
        "end-early",
        "note-nul",
        "note-long",
    ],
)
def test_a_bad_edit_says_why_next_to_the_field_and_stores_nothing(
    therapist_client: CsrfClient, people: People, changes: dict[str, str], field: str, message: str
) -> None:
    item = add_item(people.patient, slug="sit-to-stand", sets=2, reps=10)
    before = (
        item.sets,
        item.reps,
        item.days_per_week,
        item.start_date,
        item.end_date,
        item.note,
        item.change_seq,
    )
    # A valid change to sets rides along with the bad field: it must not be stored either.
    data = edit_form(item, sets="4", **changes)
    response = therapist_client.post(f"/therapist/programme/{item.id}/edit", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert error is not None and message in visible(error.group(1))
    assert f'aria-describedby="{field}-error"' in page or f"{field}-error" in page
    db.session.refresh(item)
    assert (
        item.sets,
        item.reps,
        item.days_per_week,
        item.start_date,
        item.end_date,
        item.note,
        item.change_seq,
    ) == before


def test_a_stopped_item_is_not_changed(therapist_client: CsrfClient, people: People) -> None:
    item = add_item(people.patient, name="Old exercise", stopped=True, reps=5)
    response = therapist_client.post(
        f"/therapist/programme/{item.id}/edit", data=edit_form(item, reps="50")
    )
    assert response.status_code == 302
    page = visible(therapist_client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Old exercise was stopped and is kept as it was: prescribe it again." in page
    db.session.refresh(item)
    assert item.reps == 5
    assert f"/therapist/programme/{item.id}/edit" not in therapist_client.get(
        f"/therapist/patients/{people.patient.id}"
    ).get_data(as_text=True)


# ----------------------------------------------------------------------------- approval

WAITING = "Your account is waiting for approval"


def unapproved(name: str = "Nat Newcomer", email: str = "nat@example.test") -> User:
    """A therapist who has signed up and whom no one has vouched for yet."""
    user = make_user("therapist", email, name)
    user.approved_at = None
    db.session.commit()
    return user


def test_an_unapproved_therapist_logs_in_to_a_waiting_page(app: Flask) -> None:
    nat = unapproved()
    browser: CsrfClient = app.test_client()  # type: ignore[assignment]

    response = browser.post("/login", data={"email": nat.email, "password": PASSWORD})
    assert response.status_code == 302
    landing = browser.get(response.headers["Location"])

    assert landing.status_code == 403
    page = visible(landing.get_data(as_text=True))
    assert WAITING in page
    assert "No one has linked you yet" not in page
    assert "Make a link code" not in page


def test_every_therapist_route_refuses_an_unapproved_therapist(app: Flask, people: People) -> None:
    """Today's therapist routes and any added later: the waiting page, nothing stored or shown."""
    nat = unapproved()
    link(nat, people.patient)  # even a link made somehow shows nothing
    item = ProgrammeItem(
        patient_id=people.patient.id,
        therapist_id=nat.id,
        custom_name="Heel raises",
        discipline="physio",
        days_per_week=3,
        start_date=local_today("Europe/London"),
    )
    db.session.add(item)
    today = local_today("Europe/London")
    note = notes.write(db.session, nat, people.patient, today, "A note made somehow", today)
    db.session.commit()
    browser = client_for(app, nat)
    # A template id names no row: the refusal comes before anything is looked up.
    values = {
        "patient_id": people.patient.id,
        "item_id": item.id,
        "note_id": note.id,
        "template_id": 1,
    }
    rules = [
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/therapist")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]
    assert len(rules) >= 10
    for rule, method in rules:
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule)
        if method == "POST":
            written = {"seen_on": today.isoformat(), "text": "Let me write this"}
            response = browser.post(path, data={"sets": "9", "days_per_week": "7", **written})
        else:
            response = browser.get(path)
        assert response.status_code == 403, (rule, method)
        page = visible(response.get_data(as_text=True))
        assert WAITING in page, (rule, method)
        assert people.patient.display_name not in page
    from rehab_app.models import AccessEvent, LinkCode

    assert db.session.scalar(select(func.count()).select_from(LinkCode)) == 0
    assert db.session.scalar(select(func.count()).select_from(AccessEvent)) == 0
    assert [n.text for n in notes.for_patient(db.session, people.patient.id)] == [note.text]
    db.session.refresh(item)
    assert (item.sets, item.days_per_week, item.stopped_at) == (None, 3, None)
    assert browser.post("/api/v1/clients", json={}, headers={"X-CSRFToken": "x"}).status_code in (
        400,
        403,
    )


def test_approve_therapist_lists_those_waiting_and_approves_one(
    app: Flask, runner: Any, people: People
) -> None:
    nat = unapproved()
    unapproved("Vic Waiting", "vic@example.test")

    listed = runner.invoke(args=["approve-therapist", "--waiting"])
    assert listed.exit_code == 0, listed.output
    assert "2 therapist accounts waiting for approval." in listed.output
    assert "nat@example.test" in listed.output and "Vic Waiting" in listed.output
    assert "linked@example.test" not in listed.output

    approved = runner.invoke(args=["approve-therapist", "NAT@example.test"])
    assert approved.exit_code == 0, approved.output
    assert "Approved nat@example.test" in approved.output
    browser = client_for(app, nat)
    assert browser.get("/therapist").status_code == 200
    assert new_code(browser)
    assert "1 therapist accounts waiting" in runner.invoke(args=["approve-therapist"]).output


@pytest.mark.parametrize("email", ["nobody@example.test", "owner@example.test"])
def test_approve_therapist_refuses_what_is_not_a_therapist(
    runner: Any, people: People, email: str
) -> None:
    result = runner.invoke(args=["approve-therapist", email])

    assert result.exit_code != 0
    assert f"There is no therapist account for {email}." in result.output
    assert db.session.scalar(select(User.approved_at).where(User.email == email)) is None


# ----------------------------------------------------------------------------- link codes: consent


def test_the_patient_sees_who_the_code_is_from_and_can_cancel(app: Flask, people: People) -> None:
    code = new_code(client_for(app, people.other_therapist))
    otto = client_for(app, people.other_patient)

    checked = otto.post("/account/links", data={"code": code})

    assert checked.status_code == 200
    page = visible(checked.get_data(as_text=True))
    assert "Una Unlinked" in page and "unlinked@example.test" in page
    assert "Share my logs with Una Unlinked" in page
    assert 'href="/account">Cancel</a>' in checked.get_data(as_text=True)
    assert (
        care_links.active_link(db.session, people.other_therapist.id, people.other_patient.id)
        is None
    )
    # Cancelling (going back) leaves the code usable.
    assert redeem(otto, code).status_code == 302


def test_an_unapproved_therapists_code_links_no_one(app: Flask, people: People) -> None:
    nat = unapproved()
    code = care_links.make_code(db.session, nat).code
    db.session.commit()
    otto = client_for(app, people.other_patient)

    checked = otto.post("/account/links", data={"code": code})
    confirmed = otto.post("/account/links/confirm", data={"code": code})

    for response in (checked, confirmed):
        assert response.status_code == 400
        assert NOT_VALID in visible(response.get_data(as_text=True))
        assert "Nat Newcomer" not in response.get_data(as_text=True)
    assert care_links.active_link(db.session, nat.id, people.other_patient.id) is None


def test_wrong_codes_are_limited_per_person(app: Flask, people: People) -> None:
    app.config["LINK_CODE_LIMIT_PER_PERSON"] = 3
    code = new_code(client_for(app, people.other_therapist))
    otto = client_for(app, people.other_patient)
    for _ in range(3):
        assert otto.post("/account/links", data={"code": "ZZZZ-ZZZZ"}).status_code == 400

    refused = otto.post("/account/links", data={"code": code})
    assert refused.status_code == 429
    assert "Too many codes that did not work" in visible(refused.get_data(as_text=True))
    assert otto.post("/account/links/confirm", data={"code": code}).status_code == 429
    assert (
        care_links.active_link(db.session, people.other_therapist.id, people.other_patient.id)
        is None
    )
    # Someone else is not held up by Otto's guesses (addresses differ in real life).
    app.config["LINK_CODE_LIMIT_PER_ADDRESS"] = 100
    assert redeem(client_for(app, people.patient), code).status_code == 302


def test_wrong_codes_are_limited_per_address(app: Flask, people: People) -> None:
    app.config["LINK_CODE_LIMIT_PER_ADDRESS"] = 4
    for user in (people.patient, people.other_patient):
        browser = client_for(app, user)
        for _ in range(2):
            assert browser.post("/account/links", data={"code": "ZZZZ-ZZZZ"}).status_code == 400
    third = client_for(app, make_user("patient"))
    assert third.post("/account/links", data={"code": "ZZZZ-ZZZZ"}).status_code == 429


def test_a_search_never_travels_in_an_address(therapist_client: CsrfClient, people: People) -> None:
    """A name or email typed in the search is posted, never put in a URL (access logs, history)."""
    page = therapist_client.get("/therapist").get_data(as_text=True)
    form = page.split('class="caseload-search"')[0].rsplit("<form", 1)[1]
    assert 'method="post"' in form
    response = therapist_client.post("/therapist", data={"q": "owner@example", "order": "name-asc"})
    assert response.status_code == 302
    assert "owner" not in response.headers["Location"]
    assert "q=" not in response.headers["Location"]
    shown = therapist_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "matching “owner@example”" in shown
    assert "Olive Owner" in shown
    hrefs = re.findall(r'href="([^"]*)"', shown) + re.findall(r'action="([^"]*)"', shown)
    assert not [h for h in hrefs if "owner" in h or "q=" in h]
    # The search stays while sorting; "Show everyone" ends it.
    sorted_again = therapist_client.get("/therapist?sort=name&dir=desc").get_data(as_text=True)
    assert "matching “owner@example”" in sorted_again
    therapist_client.post("/therapist", data={"q": "owner@example", "everyone": "1"})
    assert "matching" not in therapist_client.get("/therapist").get_data(as_text=True)
    # No one matches: the page's own "Show everyone" link ends the search too.
    therapist_client.post("/therapist", data={"q": "Nobody at all"})
    page = therapist_client.get("/therapist").get_data(as_text=True)
    assert "No one who shares their log with you matches “Nobody at all”" in page
    link = re.search(r'matches “Nobody at all”\. <a href="([^"]+)">Show everyone', page)
    assert link is not None
    everyone = therapist_client.get(html.unescape(link.group(1)), follow_redirects=True)
    assert "Olive Owner" in everyone.get_data(as_text=True)
