"""Sending the due reminders: the push payload, delivery with retries, and the loop."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session

from rehab_app.models import (
    PushSubscription,
    ReminderSend,
    ReminderSettings,
    User,
    utcnow,
)

from .schedule import (
    BACKOFF,
    DETAILS,
    GRACE,
    MAX_ATTEMPTS,
    OPENS,
    PLAIN_BODY,
    PLAIN_TITLE,
    Sender,
    already_done,
    claim,
    due_slots,
)

log = logging.getLogger(__name__)


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
