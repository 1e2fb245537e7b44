"""A therapist's form sent again (its answer lost on the way, a reload that posts it again, a
second tab) is acted on once: the key each page's form is drawn with (core/sent_forms.py)."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from rehab_app.core import sent_forms
from rehab_app.core.timeutil import local_today
from rehab_app.extensions import db
from rehab_app.models import AppointmentNote, ProgrammeItem, SentForm, utcnow
from tests.helpers.accounts import CsrfClient, People, login
from tests.helpers.api import together

KEY_RE = re.compile(
    r'name="sent_key"[^>]*value="([0-9a-f-]{36})"|value="([0-9a-f-]{36})"[^>]*name="sent_key"'
)


def therapist(app: Any, people: People) -> CsrfClient:
    client: CsrfClient = app.test_client()
    login(client, people.therapist)
    return client


def drawn_keys(client: CsrfClient, patient_id: int) -> list[str]:
    """The keys the patient's page drew its forms with (prescribing, then the note)."""
    page = client.get(f"/therapist/patients/{patient_id}").get_data(as_text=True)
    return [a or b for a, b in KEY_RE.findall(page)]


def count(model: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_each_form_is_drawn_with_a_key_of_its_own(app: Any, people: People) -> None:
    client = therapist(app, people)
    first, second = drawn_keys(client, people.patient.id), drawn_keys(client, people.patient.id)
    assert len(first) == 2 and len(set(first + second)) == 4


def test_a_note_sent_again_is_kept_once_and_says_so(app: Any, people: People) -> None:
    client = therapist(app, people)
    _, key = drawn_keys(client, people.patient.id)
    today = local_today("Europe/London").isoformat()
    data = {"seen_on": today, "text": "Stairs with the rail.", "sent_key": key}
    path = f"/therapist/patients/{people.patient.id}/notes"
    assert client.post(path, data=data).status_code == 302
    again = client.post(path, data=data, follow_redirects=True)
    assert again.status_code == 200
    assert "saved the first time it was sent: it is not saved twice" in again.get_data(as_text=True)
    assert count(AppointmentNote) == 1
    # A new page's form is a new note, with the same words.
    _, fresh = drawn_keys(client, people.patient.id)
    assert client.post(path, data={**data, "sent_key": fresh}).status_code == 302
    assert count(AppointmentNote) == 2


def test_a_refused_form_keeps_its_key_for_when_it_is_put_right(app: Any, people: People) -> None:
    """A note refused (no text) saved nothing, so its key was not used up: the same form,
    put right, is kept."""
    client = therapist(app, people)
    _, key = drawn_keys(client, people.patient.id)
    path = f"/therapist/patients/{people.patient.id}/notes"
    today = local_today("Europe/London").isoformat()
    refused = client.post(path, data={"seen_on": today, "text": "", "sent_key": key})
    assert refused.status_code == 400
    assert key in refused.get_data(as_text=True)  # drawn again with the form
    long_ago = (local_today("Europe/London") - timedelta(days=900)).isoformat()
    assert (
        client.post(path, data={"seen_on": long_ago, "text": "x", "sent_key": key}).status_code
        == 400
    )
    assert (
        client.post(path, data={"seen_on": today, "text": "x", "sent_key": key}).status_code == 302
    )
    assert count(AppointmentNote) == 1


def test_an_exercise_prescribed_again_is_added_once(app: Any, people: People) -> None:
    client = therapist(app, people)
    key, _ = drawn_keys(client, people.patient.id)
    today = local_today(people.patient.timezone).isoformat()
    data = {
        "exercise_id": "",
        "custom_name": "Step-ups onto the bottom stair",
        "discipline": "physio",
        "days_per_week": "3",
        "start_date": today,
        "sets": "2",
        "reps": "8",
        "sent_key": key,
    }
    path = f"/therapist/patients/{people.patient.id}/programme"
    assert client.post(path, data=data).status_code == 302
    assert client.post(path, data=data).status_code == 302
    assert count(ProgrammeItem) == 1


def test_keys_are_kept_a_week_and_a_form_without_one_is_acted_on(app: Any, people: People) -> None:
    user_id = people.therapist.id
    key = "0b6f3c52-8f1e-4c5e-9d7a-1a2b3c4d5e6f"
    now = utcnow()
    assert sent_forms.first_time(db.session, user_id, key, now)
    assert not sent_forms.first_time(db.session, user_id, key.upper(), now)
    assert not sent_forms.first_time(db.session, user_id, key, now + timedelta(days=6))
    # A week on, this person's old keys go as a new one comes; the old form is a new one.
    later = now + sent_forms.KEPT_FOR + timedelta(seconds=1)
    assert sent_forms.first_time(db.session, user_id, "1b6f3c52-8f1e-4c5e-9d7a-1a2b3c4d5e6f", later)
    assert count(SentForm) == 1
    assert sent_forms.first_time(db.session, user_id, key, later)
    # Another person's key is theirs; no key, or not a key: no way to tell, so acted on.
    assert sent_forms.first_time(db.session, people.patient.id, key, later)
    for not_a_key in (None, "", "twice", 42, key + "x"):
        assert sent_forms.first_time(db.session, user_id, not_a_key, later)


def test_the_same_form_sent_twice_at_once_is_acted_on_once(app: Any, people: People) -> None:
    """Two tabs, or a retry racing its original: the first lingers before its commit, with its
    key written; the second waits for it, then finds the key."""
    clients = [therapist(app, people) for _ in range(2)]
    _, key = drawn_keys(clients[0], people.patient.id)
    path = f"/therapist/patients/{people.patient.id}/notes"
    data = {"seen_on": local_today("Europe/London").isoformat(), "text": "Once.", "sent_key": key}
    lingered: list[bool] = []

    def before_commit(session: Session) -> None:
        if has_request_context() and request.path == path and not lingered:
            lingered.append(True)
            time.sleep(0.4)

    event.listen(Session, "before_commit", before_commit)
    try:
        answers = together(*(lambda c=c: c.post(path, data=data).status_code for c in clients))
    finally:
        event.remove(Session, "before_commit", before_commit)
    assert answers == [302, 302]
    db.session.expire_all()
    assert count(AppointmentNote) == 1
