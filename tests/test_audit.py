"""The access record: every therapist look is written down, append-only, and shown to the person."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import delete, func, select, update

from rehab_app.core import access_log
from rehab_app.extensions import db
from rehab_app.models import AccessEvent, AppendOnlyError, User, utcnow
from tests.helpers.accounts import CsrfClient, People, link, login, make_user
from tests.helpers.pages import section


def events(patient: User | None = None) -> list[tuple[int | None, str, int, str]]:
    """The access record (of one person, or everyone's) as (therapist, name, patient, what)."""
    db.session.rollback()
    stmt = select(
        AccessEvent.therapist_id,
        AccessEvent.therapist_name,
        AccessEvent.patient_id,
        AccessEvent.what,
    ).order_by(AccessEvent.id)
    if patient is not None:
        stmt = stmt.where(AccessEvent.patient_id == patient.id)
    return [tuple(row) for row in db.session.execute(stmt)]  # type: ignore[misc]


def as_user(app: Flask, user: User) -> CsrfClient:
    """A browser of its own, logged in as the user."""
    client: CsrfClient = app.test_client()  # type: ignore[assignment]
    login(client, user)
    return client


# Each therapist view of one patient's data, and the code it writes (see access_log.ACCESS_KINDS).
VIEWS = [
    ("GET", "/therapist/patients/{patient}", "patient_page"),
    ("POST", "/therapist/patients/{patient}/programme", "patient_page"),  # the page, with errors
    ("GET", "/therapist/patients/{patient}/export.csv", "export_csv"),
    ("GET", "/therapist/patients/{patient}/export.fhir.json", "export_fhir"),
    ("GET", "/therapist/patients/{patient}/summary", "print_summary"),
]


@pytest.mark.parametrize(("method", "path", "what"), VIEWS, ids=[p for _m, p, _w in VIEWS])
def test_each_view_writes_one_row_with_who_whose_and_what(
    app: Flask, people: People, method: str, path: str, what: str
) -> None:
    pt = as_user(app, people.therapist)
    url = path.format(patient=people.patient.id)
    response = pt.get(url) if method == "GET" else pt.post(url, data={})
    assert response.status_code in (200, 400)
    assert events() == [(people.therapist.id, "Lin Linked", people.patient.id, what)]


@pytest.mark.parametrize(("method", "path", "what"), VIEWS, ids=[p for _m, p, _w in VIEWS])
def test_an_unlinked_therapists_attempt_writes_nothing(
    app: Flask, people: People, method: str, path: str, what: str
) -> None:
    stranger = as_user(app, people.other_therapist)
    url = path.format(patient=people.patient.id)
    response = stranger.get(url) if method == "GET" else stranger.post(url, data={})
    assert response.status_code == 404
    assert events() == []


def test_the_caseload_records_each_patient_once_a_day(app: Flask, people: People) -> None:
    second = make_user("patient", name="Sam Second")
    link(people.therapist, second)
    pt = as_user(app, people.therapist)
    assert pt.get("/therapist").status_code == 200
    assert pt.get("/therapist").status_code == 200  # the same day: nothing new
    assert sorted(events()) == sorted(
        [
            (people.therapist.id, "Lin Linked", people.patient.id, "caseload"),
            (people.therapist.id, "Lin Linked", second.id, "caseload"),
        ]
    )
    # Only those shown are recorded: a search for one patient records that one.
    db.session.execute(delete(AccessEvent.__table__))
    db.session.commit()
    assert pt.get("/therapist?q=Sam", follow_redirects=True).status_code == 200
    assert events() == [(people.therapist.id, "Lin Linked", second.id, "caseload")]


def test_caseload_views_on_another_local_day_are_recorded_again(app: Flask, people: People) -> None:
    noon = datetime(2026, 3, 2, 12, 0)
    for when in (noon - timedelta(days=1), noon, noon + timedelta(hours=3)):
        access_log.record_caseload_views(db.session, people.therapist, [people.patient], when)
        db.session.commit()
    assert [what for *_rest, what in events()] == ["caseload", "caseload"]


def test_the_patient_sees_who_looked_in_their_own_time(app: Flask, people: People) -> None:
    people.patient.timezone = "America/New_York"
    db.session.add(
        AccessEvent(
            at=datetime(2026, 1, 15, 3, 30),  # UTC: still the 14th, 22:30, in New York
            therapist_id=people.therapist.id,
            therapist_name="Lin Linked",
            patient_id=people.patient.id,
            what="patient_page",
        )
    )
    db.session.commit()
    as_user(app, people.therapist).get("/therapist")  # newer: their caseload

    olive = section(as_user(app, people.patient).get("/account").get_data(as_text=True), "access-h")
    assert "2 in all, newest first" in olive
    caseload = olive.index("Lin Linked saw your summary numbers on their list of patients")
    page = olive.index("Wednesday 14 January 2026, 22:30")  # New York time, not UTC
    assert caseload < page
    assert olive[page:].endswith("Lin Linked opened your page (programme, entries and charts)")

    otto = as_user(app, people.other_patient).get("/account").get_data(as_text=True)
    assert "No therapist has looked at your data yet." in section(otto, "access-h")


def test_the_account_page_lists_the_latest_and_says_how_many_in_all(
    app: Flask, people: People
) -> None:
    for _ in range(access_log.SHOWN + 3):
        access_log.record_access(db.session, people.therapist, people.patient, "patient_page")
    db.session.commit()
    text = section(as_user(app, people.patient).get("/account").get_data(as_text=True), "access-h")
    assert f"These are the latest {access_log.SHOWN} of {access_log.SHOWN + 3}" in text
    # The same look repeated on one day is one line, with how many times.
    assert text.count("Lin Linked opened your page") == 1
    assert f"({access_log.SHOWN} times, from " in text


def test_reloads_are_one_line_a_day_and_other_looks_stay_apart(app: Flask, people: People) -> None:
    """Ten reloads in two minutes listed ten lines and buried the rest of the record."""
    start = datetime(2026, 1, 15, 9, 0)
    looks = [(start + timedelta(seconds=12 * i), "patient_page") for i in range(10)]
    looks += [(start + timedelta(minutes=5), "export_csv")]
    looks += [(start + timedelta(days=1, minutes=1), "patient_page")]
    for at, what in looks:
        db.session.add(
            AccessEvent(
                at=at,
                therapist_id=people.therapist.id,
                therapist_name="Lin Linked",
                patient_id=people.patient.id,
                what=what,
            )
        )
    db.session.commit()
    text = section(as_user(app, people.patient).get("/account").get_data(as_text=True), "access-h")
    assert text.count("Lin Linked opened your page") == 2
    assert "Lin Linked opened your page (programme, entries and charts) (10 times, from 09:00)" in (
        text
    )
    assert text.count("downloaded your entries as a spreadsheet") == 1


def test_the_json_export_holds_the_whole_record(app: Flask, people: People) -> None:
    access_log.record_access(db.session, people.therapist, people.patient, "patient_page")
    db.session.commit()
    document = as_user(app, people.patient).get("/account/export.json").get_json()
    assert [(a["therapist"], a["what"]) for a in document["access_record"]] == [
        ("Lin Linked", "patient_page")
    ]


def test_an_unknown_kind_of_access_is_refused(app: Flask, people: People) -> None:
    with pytest.raises(ValueError, match="unknown kind of access"):
        access_log.record_access(db.session, people.therapist, people.patient, "peeked")


def _one_event(people: People) -> AccessEvent:
    access_log.record_access(db.session, people.therapist, people.patient, "patient_page")
    db.session.commit()
    return db.session.scalars(select(AccessEvent)).one()


@pytest.mark.parametrize(
    "change",
    [
        lambda e: setattr(e, "what", "caseload"),
        lambda e: setattr(e, "at", utcnow() - timedelta(days=400)),
        lambda e: setattr(e, "therapist_name", "Someone Else"),
        lambda e: db.session.delete(e),
    ],
    ids=["what", "when", "who", "delete"],
)
def test_rows_cannot_be_changed_or_deleted_through_the_orm(
    app: Flask, people: People, change: object
) -> None:
    event = _one_event(people)
    change(event)  # type: ignore[operator]
    with pytest.raises(AppendOnlyError):
        db.session.commit()
    db.session.rollback()
    assert events() == [(people.therapist.id, "Lin Linked", people.patient.id, "patient_page")]


@pytest.mark.parametrize(
    "statement",
    [
        update(AccessEvent).values(what="caseload"),
        delete(AccessEvent),
        delete(AccessEvent).where(AccessEvent.patient_id > 0),
    ],
    ids=["bulk-update", "bulk-delete", "bulk-delete-where"],
)
def test_bulk_changes_through_the_orm_are_refused(
    app: Flask, people: People, statement: object
) -> None:
    _one_event(people)
    with pytest.raises(AppendOnlyError):
        db.session.execute(statement)  # type: ignore[call-overload]
    db.session.rollback()
    assert len(events()) == 1


def test_deleting_the_account_deletes_the_record(app: Flask, people: People) -> None:
    access_log.record_access(db.session, people.therapist, people.patient, "patient_page")
    access_log.record_access(db.session, people.therapist, people.other_patient, "patient_page")
    db.session.commit()
    olive = as_user(app, people.patient)
    assert olive.post("/account/delete", data={"password": "correct horse battery"}).status_code
    assert [patient for _t, _n, patient, _w in events()] == [people.other_patient.id]


def test_a_deleted_therapist_is_still_named(app: Flask, people: People) -> None:
    access_log.record_access(db.session, people.therapist, people.patient, "patient_page")
    db.session.commit()
    therapist_id = people.therapist.id
    db.session.execute(delete(User).where(User.id == therapist_id))
    db.session.commit()
    assert events() == [(None, "Lin Linked", people.patient.id, "patient_page")]
    assert db.session.scalar(select(func.count()).select_from(AccessEvent)) == 1


# ----------------------------------------------------------------------------- links from elsewhere

AUDITED_GETS = [p for m, p, _w in VIEWS if m == "GET"] + ["/therapist"]


@pytest.mark.parametrize("started_by", ["cross-site", "same-site", "Cross-Site"])
@pytest.mark.parametrize("path", AUDITED_GETS)
def test_a_link_from_another_site_adds_nothing_to_the_record(
    app: Flask, people: People, path: str, started_by: str
) -> None:
    pt = as_user(app, people.therapist)

    response = pt.get(
        path.format(patient=people.patient.id), headers={"Sec-Fetch-Site": started_by}
    )

    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Opened from another site" in page
    assert people.patient.display_name not in page
    assert events() == []


@pytest.mark.parametrize("started_by", ["same-origin", "none", None])
@pytest.mark.parametrize("path", AUDITED_GETS)
def test_the_apps_own_links_bookmarks_and_old_browsers_still_work(
    app: Flask, people: People, path: str, started_by: str | None
) -> None:
    pt = as_user(app, people.therapist)
    headers = {"Sec-Fetch-Site": started_by} if started_by else {}

    response = pt.get(path.format(patient=people.patient.id), headers=headers)

    assert response.status_code == 200
    assert [what for *_rest, what in events()] in (
        [w for _m, p, w in VIEWS if p == path],
        ["caseload"],
    )


def test_every_therapist_page_refuses_a_cross_site_look(app: Flask, people: People) -> None:
    """Any GET under /therapist, today's or a future one, adds no row when another site asks."""
    pt = as_user(app, people.therapist)
    rules = [
        r.rule
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/therapist") and "GET" in (r.methods or ())
    ]
    assert len(rules) >= len(AUDITED_GETS)
    for rule in rules:
        path = rule.replace("<int:patient_id>", str(people.patient.id))
        if "<" in path:
            continue  # a programme item's page: no look at a patient's data is recorded there
        pt.get(path, headers={"Sec-Fetch-Site": "cross-site"})
    assert events() == []


def test_the_refusal_offers_the_same_page_from_here(app: Flask, people: People) -> None:
    pt = as_user(app, people.therapist)
    path = f"/therapist/patients/{people.patient.id}?range=12w"

    page = pt.get(path, headers={"Sec-Fetch-Site": "cross-site"}).get_data(as_text=True)

    assert f'href="{path}"' in page
    assert pt.get(path, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert [what for *_rest, what in events()] == ["patient_page"]
