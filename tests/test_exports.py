"""A person's own data: JSON and CSV exports, and deleting the account."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func, select

from rehab_app.core import care_links, sync
from rehab_app.core.exports import ENTRY_COLUMNS
from rehab_app.extensions import db
from rehab_app.models import (
    CareLink,
    Entry,
    LinkCode,
    LoginAttempt,
    ProgrammeItem,
    User,
    UserSession,
    utcnow,
)
from tests.helpers.accounts import PASSWORD, CsrfClient, People, link, login
from tests.helpers.entries import add_entry, add_item
from tests.helpers.pages import visible

ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"
)


@dataclass
class Log:
    """The owner's log as stored: the ids of live entries, and one deleted."""

    live: set[str]
    deleted: str


@pytest.fixture
def log(people: People) -> Log:
    """A log of every kind for the owner, one deleted entry, and entries of someone else."""
    owner = people.patient
    prescribed = add_item(owner, slug="sit-to-stand", sets=2, reps=10)
    prescribed.therapist_id = people.therapist.id
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


def test_the_spreadsheet_leaves_deleted_entries_out(patient_client: CsrfClient, log: Log) -> None:
    body = patient_client.get("/account/export.csv").get_data(as_text=True)
    assert "Deleted by mistake" not in body


def test_json_export_holds_everything_of_mine(patient_client: CsrfClient, log: Log) -> None:
    document = json.loads(patient_client.get("/account/export.json").get_data(as_text=True))

    assert document["account"]["email"] == "owner@example.test"
    assert document["account"]["display_name"] == "Olive Owner"
    assert document["account"]["timezone"] == "Europe/London"
    by_id = {e["id"]: e for e in document["entries"]}
    # Deleted entries are still held (until wiped), so the export has them, marked deleted.
    assert set(by_id) == log.live | {log.deleted}
    assert by_id[log.deleted]["deleted"] is True
    assert by_id[log.deleted]["deleted_at_utc"].endswith("Z")
    assert by_id[log.deleted]["note"] == "Deleted by mistake"
    assert not any(by_id[i]["deleted"] for i in log.live)
    by_kind = {e["kind"]: e for e in document["entries"] if not e["deleted"]}
    assert by_kind["exercise"]["name"] == "Garden steps"
    assert (by_kind["exercise"]["reps"], by_kind["exercise"]["effort"]) == (8, 6)
    assert by_kind["exercise"]["note"] == "Windy"
    assert (by_kind["fatigue"]["fatigue"], by_kind["fatigue"]["context"]) == (7, "heat")
    assert by_kind["fatigue"]["by_carer"] is True
    assert (by_kind["mobility"]["aid"], by_kind["mobility"]["distance_m"]) == ("frame", 250)
    assert by_kind["mobility"]["falls"] == 1
    assert by_kind["bad_day"]["reason"] == "relapse"
    for entry in document["entries"]:
        assert set(entry) == {*ENTRY_COLUMNS, "deleted", "deleted_at_utc"}
        assert entry["occurred_at_utc"].endswith("Z")
    assert [(i["name"], i["dose"], i["prescribed_by"]) for i in document["programme"]] == [
        ("Sit to stand", {"sets": 2, "reps": 10}, "Lin Linked")
    ]
    assert [c["therapist"] for c in document["care_links"]] == ["Lin Linked"]


def test_json_export_holds_my_devices_and_who_looked(
    app: Flask, patient_client: CsrfClient, people: People, log: Log
) -> None:
    phone = app.test_client()
    phone.environ_base["HTTP_USER_AGENT"] = ANDROID
    login(phone, people.patient)
    client_id = sync.register_client(db.session, people.patient).id
    db.session.commit()
    therapist = app.test_client()
    login(therapist, people.therapist)
    assert therapist.get(f"/therapist/patients/{people.patient.id}").status_code == 200

    document = json.loads(patient_client.get("/account/export.json").get_data(as_text=True))
    devices = document["devices"]
    assert len(devices["logins"]) == 2
    assert "Chrome on Android" in [d["device"] for d in devices["logins"]]
    assert all(d["started_at_utc"].endswith("Z") for d in devices["logins"])
    assert [c["id"] for c in devices["sync_clients"]] == [client_id]
    assert "token" not in json.dumps(devices)
    assert [(a["therapist"], a["what"]) for a in document["access_record"]] == [
        ("Lin Linked", "patient_page")
    ]


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
    code = care_links.make_code(db.session, people.therapist)
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


# ----------------------------------------------------------------------------- therapists


def test_a_therapist_has_an_account_page(therapist_client: CsrfClient) -> None:
    response = therapist_client.get("/account")
    assert response.status_code == 200
    page = visible(response.get_data(as_text=True))
    assert "Download everything (JSON)" in page
    assert "Delete my account" in page
    assert "Security and devices" in page


def test_a_therapists_export_holds_their_links_prescriptions_and_looks(
    app: Flask, therapist_client: CsrfClient, people: People, log: Log
) -> None:
    assert therapist_client.get(f"/therapist/patients/{people.patient.id}").status_code == 200
    response = therapist_client.get("/account/export.json")
    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    assert document["account"]["email"] == "linked@example.test"
    assert document["account"]["role"] == "therapist"
    assert [c["patient"] for c in document["care_links"]] == ["Olive Owner"]
    assert [(i["patient"], i["name"], i["dose"]) for i in document["prescribed"]] == [
        ("Olive Owner", "Sit to stand", {"sets": 2, "reps": 10})
    ]
    assert [a["patient"] for a in document["access_record"]] == ["Olive Owner"]
    assert len(document["devices"]["logins"]) == 1
    body = response.get_data(as_text=True)
    # Nothing a patient logged, and nothing of a patient who never linked them.
    assert "Windy" not in body and "Otto" not in body

    text = therapist_client.get("/account/export.csv").get_data(as_text=True)
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["patient"], row["name"], row["sets"], row["reps"]) == (
        "Olive Owner",
        "Sit to stand",
        "2",
        "10",
    )


def test_deleting_a_therapist_keeps_the_patients_programme(
    app: Flask, therapist_client: CsrfClient, people: People, log: Log
) -> None:
    therapist_id, owner_id = people.therapist.id, people.patient.id
    assert therapist_client.get(f"/therapist/patients/{owner_id}").status_code == 200
    care_links.make_code(db.session, people.therapist)
    db.session.commit()
    owner_before = counts(owner_id)
    response = therapist_client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 302
    assert db.session.get(User, therapist_id) is None
    # The patient keeps their log and programme; only the link is gone.
    assert counts(owner_id) == {**owner_before, "links": 0}
    assert therapist_client.get("/therapist").status_code == 302

    owner = app.test_client()
    login(owner, people.patient)
    document = json.loads(owner.get("/account/export.json").get_data(as_text=True))
    assert [(i["name"], i["prescribed_by"]) for i in document["programme"]] == [
        ("Sit to stand", "a deleted account")
    ]
    # The access record still says who looked, by the name they had.
    assert [a["therapist"] for a in document["access_record"]] == ["Lin Linked"]
    assert "Sit to stand" in visible(owner.get("/today").get_data(as_text=True))


def test_deleting_an_account_ends_every_login_and_its_attempt_counts(
    app: Flask, patient_client: CsrfClient, people: People
) -> None:
    owner_id = people.patient.id
    other_device = app.test_client()
    login(other_device, people.patient)
    patient_client.post("/login", data={"email": "owner@example.test", "password": "wrong one"})
    patient_client.post("/account/delete", data={"password": "not it"})
    assert _count(LoginAttempt, LoginAttempt.key.contains(f":{owner_id}:")) > 0
    assert _count(UserSession, UserSession.user_id == owner_id) == 2

    assert patient_client.post("/account/delete", data={"password": PASSWORD}).status_code == 302
    assert _count(UserSession, UserSession.user_id == owner_id) == 0
    assert _count(LoginAttempt, LoginAttempt.key.contains(f":{owner_id}:")) == 0
    assert other_device.get("/today").status_code == 302


def _count(model: type, *where: object) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]
