"""Login throttling: failed attempts counted per account and per address, in the database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from .models import LoginAttempt, utcnow


def failures(session: Session, key: str, window_seconds: int, now: datetime | None = None) -> int:
    """How many failed logins for this key in the window."""
    since = (now or utcnow()) - timedelta(seconds=window_seconds)
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.key == key, LoginAttempt.at > since)
        )
        or 0
    )


def record_failure(session: Session, keys: list[str], window_seconds: int) -> None:
    """Count a failed login against each key, and forget attempts older than the window."""
    now = utcnow()
    session.execute(
        delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(seconds=window_seconds))
    )
    session.add_all(LoginAttempt(key=k, at=now) for k in keys)


def clear(session: Session, key: str) -> None:
    """Forget the failures of a key after a successful login."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))
