"""A person's own data: JSON and CSV exports, and deleting the account."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func, select

from rehab_app import links
from rehab_app.exports import ENTRY_COLUMNS
from rehab_app.extensions import db
from rehab_app.models import CareLink, Entry, LinkCode, ProgrammeItem, User, utcnow
from tests.conftest import PASSWORD, CsrfClient, People, link, login
from tests.test_patient import add_entry, add_item, visible


@dataclass
class Log:
    """The owner's log as stored: the ids of live entries, and one deleted."""

    live: set[str]
    deleted: str


@pytest.fixture
def log(people: People) -> Log:
    """A log of every kind for the owner, one deleted entry, and entries of someone else."""
    owner = people.patient
    add_item(owner, slug="sit-to-stand", sets=2, reps=10)
    entries = [
        add_entry(
            owner,
            "exercise",
            days_ago=3,
            discipline="physio",
            name="Garden steps",
            reps=8,
            effort=6,
            note="Windy",
        ),
        add_entry(owner, "fatigue", days_ago=2, fatigue=7, context="heat", by_carer=True),
        add_entry(
            owner,
            "mobility",
            days_ago=1,
            aid="frame",
            setting="outdoors",
            distance_m=250,
            falls=1,
            near_falls=0,
        ),
        add_entry(owner, "bad_day", reason="relapse"),
    ]
    deleted = add_entry(owner, "fatigue", fatigue=9, note="Deleted by mistake")
    deleted.deleted_at = utcnow()
    add_entry(people.other_patient, "fatigue", fatigue=1, note="Otto's private note")
    add_item(people.other_patient, name="Otto's secret exercise")
    db.session.commit()
    return Log(live={e.id for e in entries}, deleted=deleted.id)


@pytest.mark.parametrize(
    ("url", "mimetype", "filename"),
    [
        ("/account/export.json", "application/json", "rehab-log-export.json"),
        ("/account/export.csv", "text/csv", "rehab-log-entries.csv"),
    ],
)
def test_exports_download_as_files(
    patient_client: CsrfClient, log: Log, url: str, mimetype: str, filename: str
) -> None:
    response = patient_client.get(url)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    body = response.get_data(as_text=True)
    assert "Otto" not in body and "other@example.test" not in body
    assert "Deleted by mistake" not in body


def test_json_export_holds_everything_of_mine(patient_client: CsrfClient, log: Log) -> None:
    document = json.loads(patient_client.get("/account/export.json").get_data(as_text=True))

    assert document["account"]["email"] == "owner@example.test"
    assert document["account"]["display_name"] == "Olive Owner"
    assert document["account"]["timezone"] == "Europe/London"
    by_id = {e["id"]: e for e in document["entries"]}
    assert set(by_id) == log.live
    assert log.deleted not in by_id
    by_kind = {e["kind"]: e for e in document["entries"]}
    assert by_kind["exercise"]["name"] == "Garden steps"
    assert (by_kind["exercise"]["reps"], by_kind["exercise"]["effort"]) == (8, 6)
    assert by_kind["exercise"]["note"] == "Windy"
    assert (by_kind["fatigue"]["fatigue"], by_kind["fatigue"]["context"]) == (7, "heat")
    assert by_kind["fatigue"]["by_carer"] is True
    assert (by_kind["mobility"]["aid"], by_kind["mobility"]["distance_m"]) == ("frame", 250)
    assert by_kind["mobility"]["falls"] == 1
    assert by_kind["bad_day"]["reason"] == "relapse"
    for entry in document["entries"]:
        assert set(entry) == set(ENTRY_COLUMNS)
        assert entry["occurred_at_utc"].endswith("Z")
    assert [(i["name"], i["dose"]) for i in document["programme"]] == [
        ("Sit to stand", {"sets": 2, "reps": 10})
    ]
    assert [c["therapist"] for c in document["care_links"]] == ["Lin Linked"]


def test_csv_export_has_a_header_and_a_row_per_entry(patient_client: CsrfClient, log: Log) -> None:
    text = patient_client.get("/account/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(ENTRY_COLUMNS)
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert {r["id"] for r in records} == log.live
    fatigue = next(r for r in records if r["kind"] == "fatigue")
    assert (fatigue["fatigue"], fatigue["context"], fatigue["by_carer"]) == ("7", "heat", "True")


@pytest.mark.parametrize(
    ("note", "cell"),
    [
        (
            '=HYPERLINK("http://evil.example","click")',
            '\'=HYPERLINK("http://evil.example","click")',
        ),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("Felt fine = good day", "Felt fine = good day"),
    ],
    ids=["equals", "plus", "minus", "at", "harmless"],
)
def test_csv_cells_cannot_run_as_formulas(
    patient_client: CsrfClient, people: People, note: str, cell: str
) -> None:
    add_entry(people.patient, "fatigue", fatigue=4, note=note)
    text = patient_client.get("/account/export.csv").get_data(as_text=True)
    (record,) = csv.DictReader(io.StringIO(text))
    assert record["note"] == cell


def counts(user_id: int) -> dict[str, int]:
    """How many rows of each kind a person has."""
    queries = {
        "user": select(func.count()).select_from(User).where(User.id == user_id),
        "entries": select(func.count()).select_from(Entry).where(Entry.user_id == user_id),
        "programme": select(func.count())
        .select_from(ProgrammeItem)
        .where(ProgrammeItem.patient_id == user_id),
        "links": select(func.count()).select_from(CareLink).where(CareLink.patient_id == user_id),
    }
    return {name: db.session.scalar(q) or 0 for name, q in queries.items()}


@pytest.mark.parametrize(
    ("password", "message"),
    [("not my password", "That is not your password."), ("", "Enter your password.")],
    ids=["wrong", "empty"],
)
def test_account_deletion_needs_the_right_password(
    patient_client: CsrfClient, people: People, log: Log, password: str, message: str
) -> None:
    before = counts(people.patient.id)
    response = patient_client.post("/account/delete", data={"password": password})
    assert response.status_code == 400
    assert message in visible(response.get_data(as_text=True))
    assert counts(people.patient.id) == before
    assert patient_client.get("/today").status_code == 200  # still logged in


def test_account_deletion_removes_me_and_keeps_the_therapist(
    app: Flask, patient_client: CsrfClient, people: People, log: Log
) -> None:
    owner_id, otto_id = people.patient.id, people.other_patient.id
    link(people.therapist, people.other_patient)
    code = links.make_code(db.session, people.therapist)
    db.session.commit()
    code_id = code.id
    assert counts(owner_id) == {"user": 1, "entries": 5, "programme": 1, "links": 1}
    otto_before = counts(otto_id)

    response = patient_client.post(
        "/account/delete", data={"password": PASSWORD}, follow_redirects=True
    )
    assert response.request.path == "/login"
    assert "Your account and everything in it have been deleted." in visible(
        response.get_data(as_text=True)
    )
    assert counts(owner_id) == {"user": 0, "entries": 0, "programme": 0, "links": 0}
    assert patient_client.get("/today").headers["Location"].startswith("/login")  # logged out
    failed = patient_client.post(
        "/login", data={"email": "owner@example.test", "password": PASSWORD}
    )
    assert failed.status_code == 400

    # Everyone else's data stays.
    assert counts(otto_id) == otto_before
    assert db.session.get(LinkCode, code_id) is not None
    therapist = app.test_client()
    login(therapist, people.therapist)  # type: ignore[arg-type]
    page = visible(therapist.get("/therapist").get_data(as_text=True))
    assert "Otto Other" in page and "Olive Owner" not in page
    assert therapist.get(f"/therapist/patients/{owner_id}").status_code == 404
