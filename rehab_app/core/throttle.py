"""Password guessing slowed down, never locked out: failures counted in the database.

Each attempt is one INSERT per key it counts against (one row a failure), made before its
password is checked and taken back if the password was right, so parallel attempts are all
counted on SQLite and PostgreSQL alike, and each sees those ahead of it: nothing is read and
then written back. Keys name no one: an account by its id, an address by a hash.

- The (account, address) pair: after `free_per_pair` failures in the window, each attempt
  waits 1 s, then 2, 4, ... up to `max_delay` seconds; even the right password is asked to
  wait that long, never longer. Someone guessing from elsewhere does not slow the person down.
- The address alone, with a higher bar: a clinic's shared address slows only attempts for
  accounts never logged into from there before, so the people behind it are never held up.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from rehab_app.models import LoginAttempt, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """How many failures are free, how long the window is, and the longest wait."""

    free_per_pair: int = 5
    free_per_address: int = 20
    window_seconds: int = 900
    max_delay: int = 30


@dataclass(frozen=True)
class Attempt:
    """The keys one password attempt counts against."""

    pair: str
    address: str
    trusted: str | None  # set once this account logged in from this address

    @classmethod
    def of(cls, address: str | None, user_id: int | None, email: str = "") -> Attempt:
        """An attempt at an account (by id; an unknown one by its email's hash) from an address."""
        where = _digest(address or "")
        if user_id is None:
            unknown = f"pair:?{_digest(email)}:{where}"
            return cls(pair=unknown, address=f"address:{where}", trusted=None)
        return cls(
            pair=f"pair:{user_id}:{where}",
            address=f"address:{where}",
            trusted=f"trusted:{user_id}:{where}",
        )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def delay_for(failures: int, free: int, max_delay: int) -> int:
    """Seconds to wait after `failures` failures: none while free, then 1, 2, 4, ... max."""
    if failures < free:
        return 0
    return min(1 << (failures - free), max_delay)


def _failures(session: Session, key: str, since: datetime) -> tuple[int, datetime | None]:
    count, last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            LoginAttempt.key == key, LoginAttempt.at > since
        )
    ).one()
    return count or 0, last


class PleaseWait(Exception):
    """A password attempt that must wait this many seconds before it is checked."""

    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def count_attempt(
    session: Session, attempt: Attempt, limits: Limits, now: datetime | None = None
) -> dict[str, int]:
    """Count an attempt as a failure before its password is checked; return its rows' ids.

    The caller commits before `wait_ahead`, so that parallel guesses see each other: a burst
    is slowed down like the same guesses one after another.
    """
    now = now or utcnow()
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.at < now - timedelta(seconds=limits.window_seconds),
            ~LoginAttempt.key.startswith("trusted:"),
        )
    )
    rows = [LoginAttempt(key=k, at=now) for k in (attempt.pair, attempt.address)]
    session.add_all(rows)
    session.flush()
    return {row.key: row.id for row in rows}


def wait_ahead(
    session: Session,
    attempt: Attempt,
    limits: Limits,
    mine: dict[str, int],
    now: datetime | None = None,
) -> int:
    """How long this attempt must wait, given the failures counted before it (0: go ahead)."""
    now = now or utcnow()
    since = now - timedelta(seconds=limits.window_seconds)
    keys = [(attempt.pair, limits.free_per_pair)]
    if not _is_trusted(session, attempt):
        keys.append((attempt.address, limits.free_per_address))
    wait = 0
    for key, free in keys:
        count, last = session.execute(
            select(func.count(), func.max(LoginAttempt.at)).where(
                LoginAttempt.key == key, LoginAttempt.at > since, LoginAttempt.id < mine[key]
            )
        ).one()
        if last is None:
            continue
        if count == free:
            log.warning("Password guessing slowed down: %d failures (key %s)", count, attempt.pair)
        until = last + timedelta(seconds=delay_for(count, free, limits.max_delay))
        wait = max(wait, int((until - now).total_seconds() + 0.999))
    if wait > 0:
        log.warning("Password attempt asked to wait %d s (key %s)", wait, attempt.pair)
    return wait


def withdraw(session: Session, mine: dict[str, int]) -> None:
    """Take back an attempt's count: it waited, unchecked, so it must not lengthen the wait."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(mine.values())))


def _is_trusted(session: Session, attempt: Attempt) -> bool:
    if attempt.trusted is None:
        return False
    found = session.scalar(select(LoginAttempt.id).where(LoginAttempt.key == attempt.trusted))
    return found is not None


def record_success(
    session: Session, attempt: Attempt, mine: dict[str, int], now: datetime | None = None
) -> None:
    """The right password: forget the pair's failures, and trust this address for the account."""
    session.execute(
        delete(LoginAttempt).where(
            or_(LoginAttempt.key == attempt.pair, LoginAttempt.id.in_(mine.values()))
        )
    )
    if attempt.trusted is not None and not _is_trusted(session, attempt):
        session.add(LoginAttempt(key=attempt.trusted, at=now or utcnow()))


def forget_account(session: Session, user_id: int, email: str = "") -> None:
    """Delete an account's failure counts and trusted addresses (the account is going)."""
    session.execute(
        delete(LoginAttempt).where(
            or_(
                LoginAttempt.key.startswith(f"pair:{user_id}:"),
                LoginAttempt.key.startswith(f"trusted:{user_id}:"),
                LoginAttempt.key == f"account:{email}",  # as earlier versions kept counts
            )
        )
    )


# ----------------------------------------------------------------------------- link codes
# Guesses at a therapist's link code, counted per person and per address. A code is one of
# 31^8, so a few wrong tries are typos; many are someone guessing. Refused, not slowed: a
# person who mistyped waits a few minutes and no login depends on it.


@dataclass(frozen=True)
class CodeLimits:
    """Wrong codes allowed in the window per person and per address."""

    per_person: int = 10
    per_address: int = 30
    window_seconds: int = 900


def code_keys(person_id: int, address: str | None) -> tuple[str, str]:
    """The keys a wrong code counts against: the person, and their address (hashed)."""
    return f"code-person:{person_id}", f"code-address:{_digest(address or '')}"


def code_attempts_refused(
    session: Session, keys: tuple[str, str], limits: CodeLimits, now: datetime | None = None
) -> bool:
    """True when this person or address has typed too many wrong codes lately."""
    since = (now or utcnow()) - timedelta(seconds=limits.window_seconds)
    person, address = keys
    return (
        _failures(session, person, since)[0] >= limits.per_person
        or _failures(session, address, since)[0] >= limits.per_address
    )


def record_code_failure(
    session: Session, keys: tuple[str, str], limits: CodeLimits, now: datetime | None = None
) -> None:
    """Count a wrong code against the person and the address; forget this kind's old rows."""
    now = now or utcnow()
    session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.at < now - timedelta(seconds=limits.window_seconds),
            LoginAttempt.key.startswith("code-"),
        )
    )
    session.add_all(LoginAttempt(key=k, at=now) for k in keys)


# ----------------------------------------------------------------------------- emails asked for


def request_keys(kind: str, address: str | None, email: str | None = None) -> list[str]:
    """The keys an emailing request (kind 'reset' or 'signup') counts against: by hash only."""
    keys = [f"{kind}-address:{_digest(address or '')}"]
    if email is not None:
        keys.append(f"{kind}-email:{_digest(email)}")
    return keys


def allow_request(
    session: Session,
    limits: dict[str, int],
    window_seconds: int,
    now: datetime | None = None,
) -> int:
    """Count one request against each key of `limits` (key -> how many a window allows).

    Return 0 and count it when every key is under its limit; otherwise count nothing and
    return the seconds until the oldest request in the window leaves it.
    """
    now = now or utcnow()
    since = now - timedelta(seconds=window_seconds)
    session.execute(
        delete(LoginAttempt).where(LoginAttempt.key.in_(list(limits)), LoginAttempt.at <= since)
    )
    wait = 0
    for key, limit in limits.items():
        times = session.scalars(
            select(LoginAttempt.at)
            .where(LoginAttempt.key == key, LoginAttempt.at > since)
            .order_by(LoginAttempt.at.desc())
            .limit(max(limit, 1))
        ).all()
        if len(times) >= limit:
            oldest = times[-1] if times else now
            left = (oldest + timedelta(seconds=window_seconds) - now).total_seconds()
            wait = max(wait, int(left + 0.999), 1)
    if wait:
        log.warning("Emailing request asked to wait %d s", wait)
        return wait
    session.add_all(LoginAttempt(key=key, at=now) for key in limits)
    return 0
