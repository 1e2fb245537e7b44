"""Therapist pages: link codes and consent, prescribing and stopping, a patient's entries."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from rehab_app import links
from rehab_app.extensions import db
from rehab_app.models import CareLink, Exercise, ProgrammeItem, User, utcnow
from rehab_app.timeutil import local_today
from tests.conftest import CsrfClient, People, login, make_user
from tests.test_patient import TIMES, add_entry, add_item, section, visible

CODE_SHOWN = re.compile(r'<p class="code"[^>]*>([^<]+)</p>')
NOT_VALID = "That code is not valid. Codes work once and for 7 days: ask for a new one."


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
    response = rita.post("/account/links", data={"code": typed}, follow_redirects=True)
    page = visible(response.get_data(as_text=True))
    assert "Linked. Pat Physio can now see your log." in page
    assert "Pat Physio, since" in page

    assert "Rita Reader" in caseload(pt)
    assert pt.get(f"/therapist/patients/{patient.id}").status_code == 200

    # The code works once.
    late = client_for(app, latecomer).post("/account/links", data={"code": shown})
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
    response = other.post("/account/links", data={"code": typing(code)})
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
    code = links.make_code(db.session, people.other_therapist)
    code.expires_at = utcnow() + expires_in
    code.used_at = utcnow() if used else None
    db.session.commit()

    response = client_for(app, people.other_patient).post(
        "/account/links", data={"code": code.code}
    )
    assert response.status_code == 400
    assert NOT_VALID in visible(response.get_data(as_text=True))
    assert links.active_link(db.session, people.other_therapist.id, people.other_patient.id) is None
    assert "Otto Other" not in caseload(client_for(app, people.other_therapist))


def test_an_unknown_code_is_refused(app: Flask, people: People) -> None:
    response = client_for(app, people.other_patient).post(
        "/account/links", data={"code": "ABCD-EFGH"}
    )
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
    page = visible(pt.get(response.headers["Location"]).get_data(as_text=True))
    assert f"Added to Olive Owner's programme: {name}." in page
    assert name in page and dose_text in page

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
    assert "Choose a catalogue exercise or name a custom one." in visible(
        response.get_data(as_text=True)
    )
    assert db.session.scalar(select(func.count()).select_from(ProgrammeItem)) == 0


def test_stopped_item_leaves_the_patients_today(app: Flask, people: People) -> None:
    kept = add_item(people.patient, name="Seated marching")
    stopped = add_item(people.patient, name="Single-leg stand")
    olive = client_for(app, people.patient)
    before = section(olive.get("/today").get_data(as_text=True), "programme-h")
    assert "Seated marching" in before and "Single-leg stand" in before

    pt = client_for(app, people.therapist)
    response = pt.post(f"/therapist/programme/{stopped.id}/stop", follow_redirects=True)
    page = visible(response.get_data(as_text=True))
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
