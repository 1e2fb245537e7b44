"""Links sent by email (confirm a sign-up, reset a password): single use, short-lived, hashed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from rehab_app.models import EmailToken, User, utcnow

from .sessions import hash_token, new_token


class LinkInvalid(ValueError):
    """A link that is unknown, used, expired, or meant for something else."""


def issue(
    session: Session, user: User, purpose: str, lifetime: timedelta, now: datetime | None = None
) -> str:
    """Make a link token for a person; return it (only its hash is stored)."""
    now = now or utcnow()
    token = new_token()
    session.add(
        EmailToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def find(session: Session, token: str, purpose: str, now: datetime | None = None) -> EmailToken:
    """The standing token a link carries, or raise LinkInvalid."""
    row = session.scalar(
        select(EmailToken).where(
            EmailToken.token_hash == hash_token(token), EmailToken.purpose == purpose
        )
    )
    if row is None or row.used_at is not None or row.expires_at <= (now or utcnow()):
        raise LinkInvalid(token)
    return row


def use_up(session: Session, row: EmailToken, now: datetime | None = None) -> None:
    """Spend a token, and every other of its person for the same purpose (one wins a race)."""
    now = now or utcnow()
    spent = session.execute(
        update(EmailToken)
        .where(EmailToken.id == row.id, EmailToken.used_at.is_(None))
        .values(used_at=now)
    )
    if not cast("CursorResult[Any]", spent).rowcount:
        raise LinkInvalid("already used")
    session.execute(
        update(EmailToken)
        .where(
            EmailToken.user_id == row.user_id,
            EmailToken.purpose == row.purpose,
            EmailToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
