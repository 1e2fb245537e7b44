"""Appointment notes: a therapist writes what was agreed; the person reads it in their app.

People with MS-related memory changes forget what was said in a clinic room; a note in their
own words ("Keep the sit-to-stands at 2 x 10, add the heel raises on good days") is there when
they log. A note is between its writer and the person: other therapists who see the person's
log do not see it (it is not part of the log), and only its writer may take it back.
No Flask here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rehab_app.models import AppointmentNote, User

TEXT_MAX = 2000
# How far back and ahead an appointment's day may be: a note is written the same day or
# soon after, and never for a day long ago (or a day to come, bar a time-zone's difference).
DAYS_BACK = 366
DAYS_AHEAD = 1


class NoteError(ValueError):
    """A note that cannot be kept, with words for the therapist and the field they are about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field  # "seen_on" or "text"


def day_error(seen_on: date, today: date) -> str | None:
    """Why an appointment's day is refused, or None."""
    if seen_on > today + timedelta(days=DAYS_AHEAD):
        return "The appointment's day cannot be in the future."
    if seen_on < today - timedelta(days=DAYS_BACK):
        return "Enter an appointment within the last year."
    return None


def write(
    session: Session, therapist: User, patient: User, seen_on: date, text: str, today: date
) -> AppointmentNote:
    """Keep a note of an appointment for the patient to read."""
    text = text.strip()
    if not text:
        raise NoteError("text", "Write the note.")
    if len(text) > TEXT_MAX:
        raise NoteError("text", f"A note is at most {TEXT_MAX} characters.")
    problem = day_error(seen_on, today)
    if problem:
        raise NoteError("seen_on", problem)
    note = AppointmentNote(
        patient_id=patient.id,
        therapist_id=therapist.id,
        therapist_name=therapist.display_name,
        seen_on=seen_on,
        text=text,
    )
    session.add(note)
    return note


def for_patient(
    session: Session, patient_id: int, by: int | None = None
) -> Sequence[AppointmentNote]:
    """Every note written for a person (only those therapist `by` wrote, if given), newest
    appointment first."""
    query = select(AppointmentNote).where(AppointmentNote.patient_id == patient_id)
    if by is not None:
        query = query.where(AppointmentNote.therapist_id == by)
    return session.scalars(
        query.order_by(AppointmentNote.seen_on.desc(), AppointmentNote.id.desc())
    ).all()


def own_note(session: Session, therapist_id: int, note_id: int) -> AppointmentNote:
    """A note this therapist wrote (LookupError for anyone else's)."""
    note = session.get(AppointmentNote, note_id)
    if note is None or note.therapist_id != therapist_id:
        raise LookupError(note_id)
    return note
