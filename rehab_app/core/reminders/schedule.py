"""Which reminders are due for a person now, in their own time zone, each claimed once."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rehab_app.models import (
    Entry,
    PushSubscription,
    ReminderSend,
    ReminderSettings,
    User,
)

from ..timeutil import to_utc, zone

log = logging.getLogger(__name__)


KINDS = ("programme", "fatigue", "walking")

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

EVERY_DAY = 0b1111111

# A reminder still goes out this long after its time (a sender stopped for a while).
GRACE = timedelta(minutes=30)

# Failed sends (the push service down, a network error) are tried again after 1, 2, 4, 8 min.
MAX_ATTEMPTS = 5

BACKOFF = timedelta(minutes=1)

# What a notification says. Without details it names nothing about health, since a locked
# phone shows it to whoever is near.
PLAIN_TITLE = "Rehab Log"

PLAIN_BODY = "Your reminder. Tap to open Rehab Log."

DETAILS = {
    "programme": ("Your exercises", "Time for today's programme. Tap to log it."),
    "fatigue": ("Fatigue check-in", "How is your energy right now? One tap to log it."),
    "walking": ("Walking this week", "How did walking go this week? Tap to log it."),
}

MAX_ENDPOINT = 2048

OPENS = {"programme": "/today", "fatigue": "/log/fatigue", "walking": "/log/mobility"}


@dataclass(frozen=True)
class Slot:
    """One reminder: a kind at a local time ("HH:MM") on the days of a bit mask (Monday = 1)."""

    kind: str
    at: str
    days: int

    def on(self, day: date) -> bool:
        """True when the reminder is set for this weekday."""
        return bool(self.days & (1 << day.weekday()))


@dataclass(frozen=True)
class Due:
    """A slot due for one person on one local date."""

    user_id: int
    kind: str
    slot: str
    local_date: date


class Sender:
    """Where reminders go: Web Push in the app, anything with `send` in tests."""

    def send(self, subscription: PushSubscription, payload: dict[str, Any]) -> str:
        """Send one payload to one device; answer 'ok', 'gone' (delete it) or 'retry'."""
        raise NotImplementedError


def parse_time(text: str) -> time:
    """'HH:MM' as a time; ValueError for anything else."""
    hours, minutes = text.split(":")
    if len(hours) != 2 or len(minutes) != 2 or not (hours + minutes).isdigit():
        raise ValueError(text)
    return time(int(hours), int(minutes))


def days_mask(days: Iterable[int]) -> int:
    """Weekday numbers (0 Monday ... 6 Sunday) as a bit mask."""
    mask = 0
    for d in days:
        mask |= 1 << d
    return mask


def mask_days(mask: int) -> list[int]:
    """A bit mask as weekday numbers."""
    return [d for d in range(7) if mask & (1 << d)]


def in_quiet_hours(at: str, quiet_from: str | None, quiet_until: str | None) -> bool:
    """True when a local time falls in the quiet hours (which may run past midnight)."""
    if not quiet_from or not quiet_until:
        return False
    t, start, end = parse_time(at), parse_time(quiet_from), parse_time(quiet_until)
    if start <= end:
        return start <= t < end
    return t >= start or t < end


def settings_for(session: Session, user_id: int) -> ReminderSettings:
    """A person's reminder settings: their saved row, or a new one with everything off."""
    found = session.get(ReminderSettings, user_id)
    if found is not None:
        return found
    fresh = ReminderSettings(
        user_id=user_id,
        paused=False,
        show_details=False,
        programme_on=False,
        programme_time="10:00",
        programme_days=EVERY_DAY,
        fatigue_on=False,
        fatigue_times="15:00",
        fatigue_days=EVERY_DAY,
        walking_on=False,
        walking_time="18:00",
        walking_day=6,
    )
    return fresh


def slots(settings: ReminderSettings) -> list[Slot]:
    """The reminders a person has switched on (none while paused), quiet hours left out."""
    if settings.paused:
        return []
    found: list[Slot] = []
    if settings.programme_on:
        found.append(Slot("programme", settings.programme_time, settings.programme_days))
    if settings.fatigue_on:
        for at in settings.fatigue_times.split(","):
            found.append(Slot("fatigue", at, settings.fatigue_days))
    if settings.walking_on:
        found.append(Slot("walking", settings.walking_time, 1 << settings.walking_day))
    return [s for s in found if not in_quiet_hours(s.at, settings.quiet_from, settings.quiet_until)]


def due_at(slot: Slot, day: date, tz: str) -> datetime:
    """The UTC moment a slot comes on a local date.

    A wall time that the clock repeats (autumn) comes the first time; one that it skips
    (spring) comes as long after the change as it was meant to be after the hour before it
    (01:30 on a night that jumps from 01:00 to 02:00 comes at 02:30): zoneinfo's fold=0.
    """
    return to_utc(datetime.combine(day, parse_time(slot.at)), tz)


def due_slots(settings: ReminderSettings, tz: str, now: datetime) -> list[Due]:
    """The person's reminders due at `now` (naive UTC): came in the last GRACE."""
    found: list[Due] = []
    local_day = now.replace(tzinfo=zone("UTC")).astimezone(zone(tz)).date()
    for slot in slots(settings):
        for day in (local_day - timedelta(days=1), local_day):
            if not slot.on(day):
                continue
            at = due_at(slot, day, tz)
            if at <= now < at + GRACE:
                found.append(Due(settings.user_id, slot.kind, slot.at, day))
    return found


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def claim(session: Session, due: Due, now: datetime) -> int | None:
    """Insert the row of a due reminder; its id if this process claimed it, else None.

    Commits, so that the claim stands before anything is sent.
    """
    stmt = (
        _insert(session)(ReminderSend)
        .values(
            user_id=due.user_id,
            kind=due.kind,
            slot=due.slot,
            local_date=due.local_date,
            claimed_at=now,
            status="claimed",
            attempts=0,
            delivered=0,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "kind", "slot", "local_date"])
        .returning(ReminderSend.id)
    )
    claimed = session.execute(stmt).scalar_one_or_none()
    session.commit()
    return claimed


def already_done(session: Session, user: User, kind: str, day: date) -> bool:
    """True when what the reminder asks for is logged already (so it would only nag)."""
    from ..entries import active_programme, programme_progress

    if kind == "programme":
        items = active_programme(session, user.id, day)
        if not items:
            return True  # nothing prescribed today: nothing to remind of
        progress = programme_progress(session, user.id, items, day)
        return all(done for done, _week in progress.values())
    if kind == "walking":
        logged = select(Entry.id).where(
            Entry.user_id == user.id,
            Entry.kind == "mobility",
            Entry.deleted_at.is_(None),
            Entry.local_date > day - timedelta(days=7),
            Entry.local_date <= day,
        )
        return session.execute(select(exists(logged))).scalar_one()
    return False  # a fatigue check-in asks how it is now, however often it was logged
