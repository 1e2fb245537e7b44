"""A person's own account as a whole: everything it holds (for export), and deleting it.

No Flask here: the account views and the tests call these directly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from rehab_app.models import (
    AccessEvent,
    AppointmentNote,
    CareLink,
    ChangeCounter,
    Entry,
    LinkCode,
    Passkey,
    ProgrammeItem,
    ReminderSettings,
    SyncClient,
    User,
    UserSession,
    utcnow,
)

from . import clinics, exports, sessions, throttle
from .notes import for_patient as notes_for_patient


def user_by_email(session: Session, email: str) -> User | None:
    """The account of an email (normalised by the caller: lower-cased, trimmed), if any."""
    return session.scalar(select(User).where(func.lower(User.email) == email))


def can_write(session: Session) -> bool:
    """Whether the database takes a write now: the change counter set to itself. The caller
    rolls back (a read-only file, a full disk or a dead connection answer False)."""
    try:
        session.execute(
            update(ChangeCounter).where(ChangeCounter.id == 1).values(value=ChangeCounter.value)
        )
    except Exception:
        return False
    return True


def entries_of(session: Session, user_id: int, *, deleted: bool = False) -> list[Entry]:
    """A person's entries, oldest first; with `deleted`, the deleted ones too."""
    query = select(Entry).where(Entry.user_id == user_id).order_by(Entry.occurred_at, Entry.id)
    if not deleted:
        query = query.where(Entry.deleted_at.is_(None))
    return list(session.scalars(query))


def prescribed_by(session: Session, therapist_id: int) -> list[ProgrammeItem]:
    """The programme items a therapist prescribed, to anyone, oldest first."""
    return list(
        session.scalars(
            select(ProgrammeItem)
            .where(ProgrammeItem.therapist_id == therapist_id)
            .order_by(ProgrammeItem.created_at, ProgrammeItem.id)
        )
    )


def _devices(session: Session, user: User) -> dict[str, Any]:
    logins = session.scalars(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.created_at)
    )
    clients = session.scalars(
        select(SyncClient).where(SyncClient.user_id == user.id).order_by(SyncClient.created_at)
    )
    passkeys = session.scalars(
        select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at)
    )
    return {
        "logins": [exports.login_record(row) for row in logins],
        "sync_clients": [exports.sync_client_record(c) for c in clients],
        "passkeys": [exports.passkey_record(p) for p in passkeys],
    }


def export_document(session: Session, user: User) -> dict[str, Any]:
    """Everything the account holds, as one JSON-ready document (patients and therapists)."""
    if user.is_therapist:
        return _therapist_document(session, user)
    programme = session.scalars(
        select(ProgrammeItem)
        .where(ProgrammeItem.patient_id == user.id)
        .order_by(ProgrammeItem.created_at, ProgrammeItem.id)
    )
    links = session.scalars(
        select(CareLink).where(CareLink.patient_id == user.id).order_by(CareLink.created_at)
    )
    accesses = session.scalars(
        select(AccessEvent).where(AccessEvent.patient_id == user.id).order_by(AccessEvent.at)
    )
    document = exports.export_json(
        user, entries_of(session, user.id, deleted=True), programme, links, accesses
    )
    document["devices"] = _devices(session, user)
    document["reminders"] = _reminders(session, user)
    document["appointment_notes"] = [
        _note_record(note) for note in reversed(notes_for_patient(session, user.id))
    ]
    return document


def _note_record(note: AppointmentNote) -> dict[str, Any]:
    """An appointment note as the person's export holds it."""
    return {
        "therapist": note.therapist_name,
        "appointment_day": note.seen_on.isoformat(),
        "note": note.text,
        "written_at_utc": exports.iso(note.created_at),
    }


def _reminders(session: Session, user: User) -> dict[str, Any]:
    """The person's reminder settings, and where reminders go (never a device's keys)."""
    from .calendar_feed import has_feed
    from .reminders import devices_of, mask_days

    row = session.get(ReminderSettings, user.id)
    settings: dict[str, Any] | None = None
    if row is not None:
        settings = {
            "paused": row.paused,
            "show_details": row.show_details,
            "quiet_hours": [row.quiet_from, row.quiet_until] if row.quiet_from else None,
            "programme": {
                "on": row.programme_on,
                "time": row.programme_time,
                "days": mask_days(row.programme_days),
            },
            "fatigue": {
                "on": row.fatigue_on,
                "times": row.fatigue_times.split(","),
                "days": mask_days(row.fatigue_days),
            },
            "walking": {"on": row.walking_on, "time": row.walking_time, "day": row.walking_day},
        }
    return {
        "settings": settings,
        "push_devices": devices_of(session, user.id),
        "calendar_feed": has_feed(session, user.id),
    }


def _therapist_document(session: Session, user: User) -> dict[str, Any]:
    links = session.scalars(
        select(CareLink).where(CareLink.therapist_id == user.id).order_by(CareLink.created_at)
    )
    # What this therapist looked at, with the name of whose data it was.
    looked = session.execute(
        select(AccessEvent, User.display_name)
        .join(User, User.id == AccessEvent.patient_id)
        .where(AccessEvent.therapist_id == user.id)
        .order_by(AccessEvent.at)
    )
    return {
        "format": exports.FORMAT,
        "exported_at_utc": exports.iso(utcnow()),
        "account": exports.account_record(user),
        "care_links": [
            {
                "patient": link.patient.display_name,
                "linked_at_utc": exports.iso(link.created_at),
                "revoked_at_utc": exports.iso(link.revoked_at),
            }
            for link in links
        ],
        "prescribed": [
            {"patient": item.patient.display_name, **exports.programme_record(item)}
            for item in prescribed_by(session, user.id)
        ],
        "access_record": [
            {"patient": name, "what": event.what, "at_utc": exports.iso(event.at)}
            for event, name in looked
        ],
        "appointment_notes": [
            {"patient": name, **_note_record(note)}
            for note, name in session.execute(
                select(AppointmentNote, User.display_name)
                .join(User, User.id == AppointmentNote.patient_id)
                .where(AppointmentNote.therapist_id == user.id)
                .order_by(AppointmentNote.seen_on, AppointmentNote.id)
            )
        ],
        "devices": _devices(session, user),
    }


def delete_account(session: Session, user: User) -> None:
    """Delete an account and everything in it; every login ends.

    A patient's entries, programme and links go. A therapist's prescriptions stay with each
    patient, showing a deleted account as the prescriber; their links end; the access record
    keeps the name they had; a clinic they were the only admin of gets another. The person's
    login-attempt counts go with the account.
    """
    user_id = user.id
    if user.is_therapist:
        clinics.hand_on(session, user_id)
    sessions.end_all(session, user_id)
    throttle.forget_account(session, user_id, user.email)
    session.execute(delete(Entry).where(Entry.user_id == user_id))
    session.execute(delete(ProgrammeItem).where(ProgrammeItem.patient_id == user_id))
    session.execute(
        update(ProgrammeItem)
        .where(ProgrammeItem.therapist_id == user_id)
        .values(therapist_id=None)
        .execution_options(synchronize_session=False)
    )
    either_side = or_(CareLink.patient_id == user_id, CareLink.therapist_id == user_id)
    session.execute(delete(CareLink).where(either_side))
    session.execute(delete(LinkCode).where(LinkCode.therapist_id == user_id))
    # The access record is append-only for the ORM: the database sets the therapist to NULL
    # (and deletes a patient's record) by its foreign keys when the user row goes.
    session.execute(delete(User).where(User.id == user_id))
