"""Entries: create, change, delete and read a person's log (no Flask here)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.orm import Session

from .models import ENTRY_CLASSES, Entry, Exercise, ProgrammeItem, User, utcnow
from .timeutil import local_today, to_local, to_utc
from .validation import normal_uuid

# At most this many entries (not deleted) per person and local day, checked when an entry is
# made (forms and sync alike). Far above any real day (a busy day is some 20), it keeps a
# runaway script or a stuck button from filling the log and the therapist's charts
# (docs/sync.md, "Limits").
MAX_ENTRIES_PER_DAY = 200


class DailyCapReached(Exception):
    """A new entry would put more than MAX_ENTRIES_PER_DAY on one day; nothing is saved."""

    def __init__(self, day: date) -> None:
        self.day = day
        super().__init__(
            f"{day.day} {day:%B %Y} already has {MAX_ENTRIES_PER_DAY} entries, the most "
            "one day can hold. To save this one, delete some of that day's entries first."
        )


def day_count(session: Session, user_id: int, day: date) -> int:
    """How many live entries the person's day holds."""
    count = session.scalar(
        select(func.count())
        .select_from(Entry)
        .where(Entry.user_id == user_id, Entry.local_date == day, Entry.deleted_at.is_(None))
    )
    return count or 0


def check_daily_cap(session: Session, user_id: int, day: date) -> None:
    """Raise DailyCapReached when the person's day is full."""
    if day_count(session, user_id, day) >= MAX_ENTRIES_PER_DAY:
        raise DailyCapReached(day)


def catalogue_exercises(session: Session) -> list[Exercise]:
    """The exercise catalogue, by therapy and name, for logging and prescribing."""
    return list(session.scalars(select(Exercise).order_by(Exercise.discipline, Exercise.name)))


def get_own_entry(session: Session, user: User, entry_id: str) -> Entry | None:
    """The entry with that id if it belongs to the user, else None."""
    if normal_uuid(entry_id) is None:
        return None
    entry = session.get(Entry, entry_id)
    return entry if entry is not None and entry.user_id == user.id else None


def create_entry(
    session: Session,
    user: User,
    kind: str,
    fields: dict[str, Any],
    occurred_local: datetime,
    entry_id: str | None = None,
) -> tuple[Entry, bool]:
    """Add an entry; return it and whether it is new.

    A client-made id makes a retry harmless: sending the same form twice finds the entry
    made the first time instead of making a second one. A full day raises DailyCapReached.
    """
    if entry_id:
        existing = session.get(Entry, entry_id)
        if existing is not None:
            if existing.user_id == user.id:
                return existing, False
            entry_id = None  # someone else's id: never touch it, just make a fresh one
    check_daily_cap(session, user.id, occurred_local.date())
    entry = ENTRY_CLASSES[kind](id=entry_id or str(uuid.uuid4()), user_id=user.id)
    _apply(entry, fields, occurred_local, user.timezone)
    session.add(entry)
    return entry, True


def update_entry(entry: Entry, fields: dict[str, Any], occurred_local: datetime, tz: str) -> None:
    """Change an entry's fields and time."""
    _apply(entry, fields, occurred_local, tz)
    entry.updated_at = utcnow()


def delete_entry(entry: Entry) -> None:
    """Mark an entry deleted (a tombstone, so that other devices learn of it)."""
    entry.deleted_at = utcnow()
    entry.updated_at = entry.deleted_at


# What a deleted entry keeps once its content is wiped: which entry, whose, what kind and
# when (the times, the deletion's included): enough for every device to learn of the delete.
TOMBSTONE_KEEPS = frozenset(
    {"id", "user_id", "kind", "change_seq", "deleted_at"}
    | {"occurred_at", "local_date", "created_at", "updated_at"}
)
WIPE_BATCH = 500


def _wiped_values() -> dict[str, Any]:
    columns = Entry.__table__.columns
    values: dict[str, Any] = {c.name: None for c in columns if c.name not in TOMBSTONE_KEEPS}
    values["by_carer"] = False  # NOT NULL: "not by a carer" says nothing
    return values


def wipe_deleted(session: Session, deleted_before: datetime, batch: int = WIPE_BATCH) -> int:
    """Wipe the content of up to `batch` entries deleted before a time; return how many.

    Only rows that still hold content are touched, so running it again does nothing. The
    tombstone's times and change sequence number stay as they were: the change feed has
    already carried the delete, and a device that pulls later still gets it.
    """
    table = cast(Table, Entry.__table__)  # the Table itself: a Core UPDATE below
    values = _wiped_values()
    content = [table.c[name].is_not(None) for name in values if name != "by_carer"]
    ids = session.scalars(
        select(Entry.id)
        .where(Entry.deleted_at < deleted_before, or_(Entry.by_carer.is_(True), *content))
        .order_by(Entry.deleted_at)
        .limit(batch)
    ).all()
    if ids:
        # A Core UPDATE: no flush, so no new change_seq, and updated_at kept (not onupdate).
        session.execute(
            update(table)
            .where(table.c.id.in_(ids))
            .values({**values, "updated_at": table.c.updated_at})
        )
    return len(ids)


def can_restore(entry: Entry, now: datetime, tombstone_days: int) -> bool:
    """True while a deleted entry may be brought back: within the window before its wipe."""
    return entry.deleted_at is not None and entry.deleted_at >= now - timedelta(days=tombstone_days)


def restore_entry(entry: Entry) -> None:
    """Undo a delete."""
    entry.deleted_at = None
    entry.updated_at = utcnow()


def _apply(entry: Entry, fields: dict[str, Any], occurred_local: datetime, tz: str) -> None:
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.occurred_at = to_utc(occurred_local, tz)
    entry.local_date = occurred_local.date()


def entries_between(
    session: Session, user_id: int, first: date | None = None, last: date | None = None
) -> Sequence[Entry]:
    """A person's live entries between two local dates (inclusive), newest first."""
    stmt = select(Entry).where(Entry.user_id == user_id, Entry.deleted_at.is_(None))
    if first is not None:
        stmt = stmt.where(Entry.local_date >= first)
    if last is not None:
        stmt = stmt.where(Entry.local_date <= last)
    stmt = stmt.order_by(Entry.occurred_at.desc(), Entry.created_at.desc())
    return session.scalars(stmt).all()


def last_entry(session: Session, user_id: int, kind: str) -> Entry | None:
    """A person's most recent live entry of one kind."""
    return session.scalars(
        select(Entry)
        .where(Entry.user_id == user_id, Entry.kind == kind, Entry.deleted_at.is_(None))
        .order_by(Entry.occurred_at.desc())
        .limit(1)
    ).first()


def active_programme(session: Session, patient_id: int, day: date) -> list[ProgrammeItem]:
    """The programme items that are in force on a day."""
    items = session.scalars(
        select(ProgrammeItem)
        .where(ProgrammeItem.patient_id == patient_id, ProgrammeItem.stopped_at.is_(None))
        .order_by(ProgrammeItem.created_at)
    ).all()
    return [i for i in items if i.is_active_on(day)]


def programme_progress(
    session: Session, patient_id: int, items: Sequence[ProgrammeItem], today: date
) -> dict[int, tuple[bool, int]]:
    """For each item: done today, and on how many days this week (Monday on) it was done."""
    monday = today - timedelta(days=today.weekday())
    rows = session.execute(
        select(Entry.programme_item_id, Entry.local_date)
        .where(
            Entry.user_id == patient_id,
            Entry.deleted_at.is_(None),
            Entry.programme_item_id.in_([i.id for i in items]),
            Entry.local_date >= monday,
            Entry.local_date <= today,
        )
        .distinct()
    ).all()
    days: dict[int | None, set[date]] = {}
    for item_id, day in rows:
        days.setdefault(item_id, set()).add(day)
    return {i.id: (today in days.get(i.id, set()), len(days.get(i.id, set()))) for i in items}


def log_programme_item(
    session: Session, user: User, item: ProgrammeItem, entry_id: str | None
) -> tuple[Entry, bool]:
    """Log a programme item as done now, at the prescribed dose."""
    fields: dict[str, Any] = {
        "discipline": item.discipline,
        "exercise_id": item.exercise_id,
        "programme_item_id": item.id,
        "name": item.name,
        **item.dose(),
    }
    now_local = to_local(utcnow(), user.timezone).replace(second=0, microsecond=0)
    return create_entry(session, user, "exercise", fields, now_local, entry_id)


def today_for(user: User) -> date:
    """The person's local date now."""
    return local_today(user.timezone)
