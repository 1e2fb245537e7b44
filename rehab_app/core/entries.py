"""Entries: create, change, delete and read a person's log (no Flask here)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, func, or_, select, update
from sqlalchemy.orm import Session

from rehab_app.models import ENTRY_CLASSES, Entry, Exercise, ProgrammeItem, User, utcnow

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
    made the first time instead of making a second one. The same id with other content is
    not a retry but another entry (a page kept for offline use, sent before its script gave
    it new ids, carries the id it was kept with): it is stored under a fresh id. A full day
    raises DailyCapReached.
    """
    if entry_id:
        existing = session.get(Entry, entry_id)
        if existing is not None:
            if existing.user_id == user.id and _same_content(existing, kind, fields):
                return existing, False
            entry_id = None  # someone else's id, or another entry: make a fresh one
    check_daily_cap(session, user.id, occurred_local.date())
    entry = ENTRY_CLASSES[kind](id=entry_id or str(uuid.uuid4()), user_id=user.id)
    write_fields(entry, fields, user.timezone, occurred_local)
    session.add(entry)
    return entry, True


def _same_content(entry: Entry, kind: str, fields: dict[str, Any]) -> bool:
    """Whether the stored entry is what these fields would make (times aside: a retried quick
    action is timed when it arrives)."""

    def same(stored: Any, sent: Any) -> bool:
        numbers = (int, float, Decimal)
        if isinstance(stored, numbers) and isinstance(sent, numbers):
            return float(stored) == float(sent)
        return bool(stored == sent)

    return entry.kind == kind and all(same(getattr(entry, k, None), v) for k, v in fields.items())


def update_entry(entry: Entry, fields: dict[str, Any], occurred_local: datetime, tz: str) -> None:
    """Change an entry's fields and time."""
    write_fields(entry, fields, tz, occurred_local)
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


def write_fields(
    entry: Entry, fields: dict[str, Any], tz: str, occurred_local: datetime | None = None
) -> None:
    """The one place an entry's fields are written, by the forms and by sync alike: the
    columns as given, then its time and local date. The forms give the person's wall-clock
    time (`occurred_local`); sync gives `occurred_at` in UTC among the fields."""
    for name, value in fields.items():
        setattr(entry, name, value)
    if occurred_local is not None:
        entry.occurred_at = to_utc(occurred_local, tz)
        entry.local_date = occurred_local.date()
    elif "occurred_at" in fields:
        entry.local_date = local_date_of(fields["occurred_at"], tz)


def local_date_of(occurred_at: datetime, tz: str) -> date:
    """The person's own date of a time stored in UTC: the day an entry counts for."""
    return to_local(occurred_at, tz).date()


def entries_between(
    session: Session, user_id: int, first: date | None = None, last: date | None = None
) -> Sequence[Entry]:
    """A person's live entries between two local dates (inclusive), newest first."""
    stmt = select(Entry).where(Entry.user_id == user_id, Entry.deleted_at.is_(None))
    if first is not None:
        stmt = stmt.where(Entry.local_date >= first)
    if last is not None:
        stmt = stmt.where(Entry.local_date <= last)
    # A total order (the phone's copy is drawn in the same: static/js/store.js newestFirst).
    stmt = stmt.order_by(Entry.occurred_at.desc(), Entry.created_at.desc(), Entry.id.desc())
    return session.scalars(stmt).all()


def last_entry(session: Session, user_id: int, kind: str) -> Entry | None:
    """A person's most recent live entry of one kind."""
    return session.scalars(
        select(Entry)
        .where(Entry.user_id == user_id, Entry.kind == kind, Entry.deleted_at.is_(None))
        .order_by(Entry.occurred_at.desc())
        .limit(1)
    ).first()


# How many exercises done before "Same as last time" offers, the most recent first.
AGAIN_COUNT = 4


def done_before(session: Session, user_id: int) -> list[Entry]:
    """The person's latest entry of each of their most recent exercises, for one-tap repeats."""
    latest = session.scalars(
        select(Entry)
        .where(Entry.user_id == user_id, Entry.kind == "exercise", Entry.deleted_at.is_(None))
        .order_by(Entry.occurred_at.desc())
        .limit(50)
    )
    seen: set[tuple[int | None, str]] = set()
    again: list[Entry] = []
    for entry in latest:
        key = (entry.exercise_id, "" if entry.exercise_id else (entry.name or "").casefold())
        if key not in seen:
            seen.add(key)
            again.append(entry)
        if len(again) == AGAIN_COUNT:
            break
    return again


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


# How much of each set a dose asks (repetitions, seconds, minutes, metres): what a lighter day
# scales. Sets are counted apart ("one set fewer"); loudness and rests stay as prescribed.
AMOUNT_FIELDS = ("reps", "hold_seconds", "minutes", "distance_m", "phonation_seconds")
# The lighter versions Today offers under "Less today", in this order, by key.
LIGHTER = (("one_set_fewer", None), ("three_quarters", 0.75), ("half", 0.5))


def lighter_doses(dose: dict[str, int]) -> list[tuple[str, dict[str, int]]]:
    """The lighter versions of a prescribed dose a person may log in one tap, each once and
    none the same as the dose itself: one set fewer (from two sets up), and about three
    quarters and about half of each amount (a half rounded up, never below 1)."""
    found: list[tuple[str, dict[str, int]]] = []
    for key, share in LIGHTER:
        lighter = dict(dose)
        if share is None:
            if dose.get("sets", 0) < 2:
                continue
            lighter["sets"] = dose["sets"] - 1
        else:
            for name in AMOUNT_FIELDS:
                if dose.get(name):
                    lighter[name] = max(1, int(dose[name] * share + 0.5))
        if lighter != dose and all(lighter != other for _key, other in found):
            found.append((key, lighter))
    return found


class UnknownLighterDose(Exception):
    """A lighter version the item does not offer (its dose changed since the page was drawn)."""


def log_programme_item(
    session: Session,
    user: User,
    item: ProgrammeItem,
    entry_id: str | None,
    lighter: str | None = None,
) -> tuple[Entry, bool]:
    """Log a programme item as done now, at the prescribed dose or one of its lighter versions
    (`lighter_doses`, by key)."""
    dose = item.dose()
    if lighter:
        offered = dict(lighter_doses(dose))
        if lighter not in offered:
            raise UnknownLighterDose(lighter)
        dose = offered[lighter]
    fields: dict[str, Any] = {
        "discipline": item.discipline,
        "exercise_id": item.exercise_id,
        "programme_item_id": item.id,
        "name": item.name,
        **dose,
    }
    now_local = to_local(utcnow(), user.timezone).replace(second=0, microsecond=0)
    return create_entry(session, user, "exercise", fields, now_local, entry_id)


def today_for(user: User) -> date:
    """The person's local date now."""
    return local_today(user.timezone)
