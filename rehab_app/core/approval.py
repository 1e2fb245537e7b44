"""Therapist approval: a therapist account works only once someone vouches for it (no Flask here).

Anyone can sign up saying they are a therapist; patients share health data with therapists.
So a therapist account sees no one, and no one can link it, until it is approved. Today the
people who run the app approve (`flask approve-therapist`); the clinic issue adds a clinic's
admin, who changes `is_approved` and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rehab_app.models import User, utcnow


class ApprovalError(ValueError):
    """The account to approve is not a therapist's (or does not exist)."""


def is_approved(user: User) -> bool:
    """True when the account may do what its role allows: any patient, an approved therapist."""
    return not user.is_therapist or user.approved_at is not None


def approve(session: Session, email: str) -> User:
    """Approve the therapist with this email (approving twice changes nothing)."""
    user: User | None = session.scalar(
        select(User).where(func.lower(User.email) == email.strip().lower())
    )
    if user is None or not user.is_therapist:
        raise ApprovalError(f"There is no therapist account for {email.strip().lower()}.")
    if user.approved_at is None:
        user.approved_at = utcnow()
    return user


def waiting(session: Session) -> Sequence[User]:
    """The therapist accounts waiting for approval, oldest first."""
    return session.scalars(
        select(User)
        .where(User.role == "therapist", User.approved_at.is_(None))
        .order_by(User.created_at, User.id)
    ).all()
