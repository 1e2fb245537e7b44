"""Reminders: which are due for a person now, in their own time zone, and sending each once.

A reminder is a slot: a kind (the day's programme, a fatigue check-in, the weekly walking
entry) at a local wall-clock time on some days of the week. It is due on a local date from
the moment that time comes in the person's time zone until GRACE later, so a sender that
runs every minute (or was stopped for a few) sends it, and one started hours later does not
send a stale one. A local time that an autumn change repeats is still one (kind, time,
local date) row, so it is sent once.

Sending is claim, then send: the row in `reminder_sends` is inserted with ON CONFLICT DO
NOTHING, so whichever process inserts it sends, and every other one moves on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .models import (
    Entry,
    PushSubscription,
    ReminderSend,
    ReminderSettings,
    User,
    utcnow,
)
from .timeutil import to_utc, zone

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
    from .entries import active_programme, programme_progress

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


def payload(
    settings: ReminderSettings,
    kind: str,
    local_date: date,
    account: str | None = None,
    tz: str | None = None,
) -> dict[str, Any]:
    """What the notification shows and opens; no health words unless the person chose them.

    A programme reminder also offers "Done" (the phone logs today's programme items as done,
    from its own copy, for the account named by its opaque key) and, with the words shown,
    "Fatigue" (opens the check-in). Those the platform cannot show stay behind the tap.
    """
    title, body = DETAILS[kind] if settings.show_details else (PLAIN_TITLE, PLAIN_BODY)
    out: dict[str, Any] = {
        "title": title,
        "body": body,
        "url": OPENS[kind],
        "tag": f"reminder-{kind}-{local_date.isoformat()}",
    }
    if kind == "programme" and account is not None and tz is not None:
        out["actions"] = ["done", "fatigue"] if settings.show_details else ["done"]
        out["account"] = account
        out["tz"] = tz
    return out


@dataclass
class Report:
    """What one run of `send_due` did."""

    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    no_device: int = 0
    retrying: int = 0
    failed: int = 0
    gone: int = 0


def _deliver(
    session: Session,
    row: ReminderSend,
    sender: Sender,
    now: datetime,
    report: Report,
    account_of: Callable[[int], str] | None = None,
) -> None:
    """Send a claimed row to every device of its person; record the outcome and commit."""
    user = session.get(User, row.user_id)
    settings = session.get(ReminderSettings, row.user_id)
    if user is None or settings is None or settings.paused:
        row.status = "skipped"
        report.skipped += 1
        session.commit()
        return
    if already_done(session, user, row.kind, row.local_date):
        row.status = "skipped"
        report.skipped += 1
        session.commit()
        return
    devices: Sequence[PushSubscription] = session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == row.user_id)
    ).all()
    if not devices:
        row.status = "no_device"
        report.no_device += 1
        session.commit()
        return
    account = account_of(user.id) if account_of is not None else None
    body = payload(settings, row.kind, row.local_date, account, user.timezone)
    row.attempts += 1
    retry = False
    for device in devices:
        outcome = sender.send(device, body)
        if outcome == "ok":
            device.last_sent_at = now
            row.delivered += 1
        elif outcome == "gone":
            session.execute(delete(PushSubscription).where(PushSubscription.id == device.id))
            report.gone += 1
        else:
            retry = True
    if retry and row.attempts < MAX_ATTEMPTS:
        row.status = "retry"
        row.next_try_at = now + BACKOFF * (2 ** (row.attempts - 1))
        report.retrying += 1
        log.warning("A reminder could not be sent; trying again at %s", row.next_try_at)
    elif row.delivered:
        row.status = "sent"
        row.next_try_at = None
        report.sent += 1
    else:
        row.status = "failed" if retry else "no_device"
        row.next_try_at = None
        if retry:
            report.failed += 1
            log.error("A reminder could not be sent after %d attempts", row.attempts)
        else:
            report.no_device += 1
    session.commit()


def _retake(session: Session, row_id: int, seen: datetime | None, now: datetime) -> bool:
    """Take a row waiting for a retry, if no other sender took it first (compare-and-set)."""
    lease = now + GRACE  # another sender leaves it alone while this one tries
    taken = session.execute(
        update(ReminderSend)
        .where(
            ReminderSend.id == row_id,
            ReminderSend.status == "retry",
            ReminderSend.next_try_at == seen,
        )
        .values(next_try_at=lease)
    )
    session.commit()
    return bool(getattr(taken, "rowcount", 0) == 1)


def send_due(
    session: Session,
    sender: Sender,
    now: datetime | None = None,
    account_of: Callable[[int], str] | None = None,
) -> Report:
    """Claim and send every reminder due now, and retry those whose time to retry came.

    `account_of` names a person's store on the phone (sessions.account_key), for the
    notification's "Done"; without it the reminders offer no actions.
    """
    now = now or utcnow()
    report = Report()
    rows = session.execute(
        select(ReminderSettings, User.timezone)
        .join(User, User.id == ReminderSettings.user_id)
        .where(
            ReminderSettings.paused.is_(False),
            (ReminderSettings.programme_on | ReminderSettings.fatigue_on)
            | ReminderSettings.walking_on,
        )
    ).all()
    due = [d for settings, tz in rows for d in due_slots(settings, tz, now)]
    session.rollback()
    for item in due:
        row_id = claim(session, item, now)
        if row_id is None:
            continue
        report.claimed += 1
        row = session.get(ReminderSend, row_id)
        if row is not None:
            _deliver(session, row, sender, now, report, account_of)
    waiting = session.execute(
        select(ReminderSend.id, ReminderSend.next_try_at).where(
            and_(ReminderSend.status == "retry", ReminderSend.next_try_at <= now)
        )
    ).all()
    session.rollback()
    for row_id, seen in waiting:
        if _retake(session, row_id, seen, now):
            row = session.get(ReminderSend, row_id)
            if row is not None:
                _deliver(session, row, sender, now, report, account_of)
    return report


def run_forever(
    tick: Callable[[], Report], sleep: Callable[[float], None], clock: Callable[[], datetime]
) -> None:
    """Call `tick` at the start of every minute, for ever (`flask reminders run`)."""
    while True:
        try:
            tick()
        except Exception:  # a database that is down for a minute must not stop reminders
            log.exception("Sending reminders failed; trying again next minute")
        now = clock()
        sleep(60 - now.second - now.microsecond / 1_000_000 + 0.5)


class BadSubscription(ValueError):
    """A push subscription the server will not post to; the message says why, plainly."""


def _b64url_bytes(text: object, name: str) -> bytes:
    import base64
    import binascii

    if not isinstance(text, str) or not text or len(text) > 200:
        raise BadSubscription(f"keys.{name} is missing.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadSubscription(f"keys.{name} is not base64url.") from None


def check_subscription(
    body: dict[str, Any], hosts: Sequence[str], allow_http: bool = False
) -> tuple[str, str, str]:
    """A browser's PushSubscription JSON as (endpoint, p256dh, auth), or BadSubscription.

    The server will post to the endpoint, so it must be https on a known push service
    (not any address a script chose: the server's own network, for one).
    """
    from urllib.parse import urlsplit

    endpoint = body.get("endpoint")
    keys = body.get("keys")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise BadSubscription(f"endpoint must be a URL of at most {MAX_ENDPOINT} characters.")
    try:
        url = urlsplit(endpoint)
        host = (url.hostname or "").lower()
    except ValueError:
        raise BadSubscription("endpoint is not a URL.") from None
    secure = url.scheme == "https" or (allow_http and url.scheme == "http")
    known = any(host == h or host.endswith("." + h) for h in hosts)
    if not secure or not known or url.username or url.password:
        raise BadSubscription("endpoint is not the https address of a known push service.")
    if not isinstance(keys, dict):
        raise BadSubscription('Send {"endpoint": ..., "keys": {"p256dh": ..., "auth": ...}}.')
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    point = _b64url_bytes(p256dh, "p256dh")
    if len(point) != 65 or point[0] != 4:
        raise BadSubscription("keys.p256dh must be an uncompressed P-256 point (65 bytes).")
    if len(_b64url_bytes(auth, "auth")) != 16:
        raise BadSubscription("keys.auth must be 16 bytes.")
    return endpoint, str(p256dh), str(auth)


def subscribe(
    session: Session,
    user_id: int,
    login_id: int,
    endpoint: str,
    p256dh: str,
    auth: str,
    device: str,
) -> tuple[PushSubscription, bool]:
    """Keep a device's subscription for this login; (it, True when new).

    An endpoint names one browser: if another login (another person on a shared phone, or
    an earlier login) held it, it moves to this one, so only the person logged in gets it.
    """
    found = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if found is not None and found.user_id == user_id and found.login_id == login_id:
        found.p256dh, found.auth = p256dh, auth
        return found, False
    if found is not None:
        session.delete(found)
        session.flush()
    row = PushSubscription(
        user_id=user_id,
        login_id=login_id,
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
        device=device[:120],
    )
    session.add(row)
    session.flush()
    return row, True


def unsubscribe(session: Session, user_id: int, endpoint: object) -> bool:
    """Forget one of the person's devices; False when it was not theirs (or not there)."""
    if not isinstance(endpoint, str):
        return False
    gone = session.execute(
        delete(PushSubscription).where(
            PushSubscription.user_id == user_id, PushSubscription.endpoint == endpoint
        )
    )
    return bool(getattr(gone, "rowcount", 0))


def devices_of(session: Session, user_id: int) -> int:
    """How many devices get the person's reminders."""
    from sqlalchemy import func

    count = session.scalar(
        select(func.count())
        .select_from(PushSubscription)
        .where(PushSubscription.user_id == user_id)
    )
    return int(count or 0)


def reminders_on(session: Session, user_id: int) -> bool:
    """Whether a person gets any reminder (all a therapist is shown: never what or when)."""
    settings = session.get(ReminderSettings, user_id)
    return settings is not None and bool(slots(settings))
