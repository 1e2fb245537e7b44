"""Appointment notes (issue 14): a therapist writes what was agreed; the person reads it.

Through the pages: the note appears on the person's Progress page with who wrote it and the
appointment's day; no other therapist and no other person sees it; bad input is refused next
to its field and stores nothing; only its writer takes it back; the person's export holds it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from rehab_app.core import accounts, notes
from rehab_app.core.timeutil import local_today
from rehab_app.extensions import db
from rehab_app.models import AppointmentNote, CareLink
from tests.helpers.accounts import CsrfClient, People, link, login, make_user
from tests.helpers.pages import section, visible

AGREED = "Keep the sit-to-stands at 2 x 10.\nAdd the heel raises on good days."


def as_user(app: Any, user: Any) -> CsrfClient:
    client: CsrfClient = app.test_client()
    login(client, user)
    return client


def write(
    client: CsrfClient, patient_id: int, text: str = AGREED, follow: bool = False, **data: str
) -> Any:
    today = local_today("Europe/London").isoformat()
    return client.post(
        f"/therapist/patients/{patient_id}/notes",
        data={"seen_on": today, "text": text, **data},
        follow_redirects=follow,
    )


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(AppointmentNote)) or 0


def test_the_person_reads_the_note_and_no_one_else_does(app: Any, people: People) -> None:
    colleague = make_user("therapist", name="Colin Colleague")
    link(colleague, people.patient)
    link(people.therapist, people.other_patient)
    kept = write(as_user(app, people.therapist), people.patient.id, follow=True)
    assert "Note kept. Olive Owner can read it in their app" in visible(kept.get_data(as_text=True))

    progress = as_user(app, people.patient).get("/progress").get_data(as_text=True)
    shown = visible(section(progress, "notes-h"))
    today = local_today("Europe/London")
    assert "Lin Linked" in shown and "Add the heel raises on good days." in shown
    assert str(today.day) in shown  # the appointment's day, in words
    assert "2 x 10.\nAdd" in progress  # kept as written, line break and all (pre-line)

    theirs = as_user(app, colleague).get(f"/therapist/patients/{people.patient.id}")
    assert "heel raises on good days" not in theirs.get_data(as_text=True)
    other = as_user(app, people.other_patient).get("/progress").get_data(as_text=True)
    assert "heel raises" not in other and 'id="notes-h"' not in other


def test_a_note_is_shown_as_text_never_as_markup(app: Any, people: People) -> None:
    write(as_user(app, people.therapist), people.patient.id, text="<script>alert(1)</script> ok")
    page = as_user(app, people.patient).get("/progress").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_bad_notes_are_refused_next_to_their_field_and_nothing_is_kept(
    app: Any, people: People
) -> None:
    therapist = as_user(app, people.therapist)
    today = local_today("Europe/London")
    cases = [
        ({"text": "   "}, "Write the note."),
        ({"text": "x" * (notes.TEXT_MAX + 1)}, f"At most {notes.TEXT_MAX} characters."),
        ({"text": "a\x00b"}, "invisible"),
        ({"seen_on": ""}, "Enter the day."),
        ({"seen_on": "2026-02-31"}, "Enter a date."),
        ({"seen_on": (today + timedelta(days=3)).isoformat()}, "cannot be in the future"),
        ({"seen_on": (today - timedelta(days=400)).isoformat()}, "within the last year"),
    ]
    for data, message in cases:
        text = data.pop("text", AGREED)
        answer = write(therapist, people.patient.id, text=text, **data)
        assert answer.status_code == 400, data
        notes_part = visible(section(answer.get_data(as_text=True), "notes-h"))
        assert message.lower() in notes_part.lower(), (data, notes_part[:300])
    assert count() == 0


def test_only_the_writer_takes_a_note_back(app: Any, people: People) -> None:
    colleague = make_user("therapist", name="Colin Colleague")
    link(colleague, people.patient)
    write(as_user(app, people.therapist), people.patient.id)
    note = db.session.scalars(select(AppointmentNote)).one()
    assert as_user(app, colleague).post(f"/therapist/notes/{note.id}/delete").status_code == 404
    assert (
        as_user(app, people.patient).post(f"/therapist/notes/{note.id}/delete").status_code == 403
    )
    assert count() == 1
    taken = as_user(app, people.therapist).post(
        f"/therapist/notes/{note.id}/delete", follow_redirects=True
    )
    assert "Olive Owner no longer sees it" in visible(taken.get_data(as_text=True))
    assert count() == 0
    assert 'id="notes-h"' not in as_user(app, people.patient).get("/progress").get_data(
        as_text=True
    )


def test_a_note_stays_with_the_person_after_the_link_ends(app: Any, people: People) -> None:
    write(as_user(app, people.therapist), people.patient.id)
    note = db.session.scalars(select(AppointmentNote)).one()
    care_link = db.session.scalars(select(CareLink)).one()
    as_user(app, people.patient).post(f"/account/links/{care_link.id}/revoke")
    # The therapist no longer reaches the person, nor the note; the person still reads it.
    assert (
        as_user(app, people.therapist).post(f"/therapist/notes/{note.id}/delete").status_code == 404
    )
    assert write(as_user(app, people.therapist), people.patient.id).status_code == 404
    assert "heel raises" in as_user(app, people.patient).get("/progress").get_data(as_text=True)


def test_the_latest_three_notes_are_open_and_the_rest_folded(app: Any, people: People) -> None:
    today = local_today("Europe/London")
    for days_ago in range(5):
        notes.write(
            db.session,
            people.therapist,
            people.patient,
            today - timedelta(days=7 * days_ago),
            f"Week {days_ago} note",
            today,
        )
    db.session.commit()
    page = as_user(app, people.patient).get("/progress").get_data(as_text=True)
    shown = visible(section(page, "notes-h"))
    assert shown.index("Week 0 note") < shown.index("Week 2 note") < shown.index("Older notes (2)")
    assert shown.index("Older notes (2)") < shown.index("Week 3 note")


def test_the_export_holds_the_notes_and_they_outlive_the_writer_account(
    app: Any, people: People
) -> None:
    write(as_user(app, people.therapist), people.patient.id)
    document = as_user(app, people.patient).get("/account/export.json").get_json()
    [exported] = document["appointment_notes"]
    assert exported["therapist"] == "Lin Linked" and exported["note"] == AGREED
    theirs = as_user(app, people.therapist).get("/account/export.json").get_json()
    assert [n["patient"] for n in theirs["appointment_notes"]] == ["Olive Owner"]

    accounts.delete_account(db.session, people.therapist)
    db.session.commit()
    kept = db.session.scalars(select(AppointmentNote)).one()
    assert kept.therapist_id is None and kept.therapist_name == "Lin Linked"
    assert "Lin Linked" in as_user(app, people.patient).get("/progress").get_data(as_text=True)
    accounts.delete_account(db.session, people.patient)
    db.session.commit()
    assert count() == 0


def test_the_note_form_says_what_happened_where_it_is(app: Any, people: People) -> None:
    """Far down a long page: the answer, kept or refused, opens at the notes, not at the top."""
    therapist = as_user(app, people.therapist)
    page = therapist.get(f"/therapist/patients/{people.patient.id}").get_data(as_text=True)
    action = re.search(r'action="/therapist/patients/\d+/notes#([\w-]+)"', page)
    assert action is not None
    refused = write(therapist, people.patient.id, text=" ")
    assert f'id="{action.group(1)}"' in refused.get_data(as_text=True)

    kept = write(therapist, people.patient.id)
    assert kept.headers["Location"].endswith("#notes-h")
    shown = therapist.get(kept.headers["Location"]).get_data(as_text=True)
    assert "Note kept. Olive Owner can read it" in section(shown, "notes-h")
    note = db.session.scalars(select(AppointmentNote)).one()
    taken = therapist.post(f"/therapist/notes/{note.id}/delete", follow_redirects=True)
    assert "Olive Owner no longer sees it" in section(taken.get_data(as_text=True), "notes-h")
