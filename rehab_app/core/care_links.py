"""Care links: one-time codes from therapists, consent and revocation by patients."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, exists, select, update
from sqlalchemy.orm import Session

from rehab_app.models import CareLink, LinkCode, User, utcnow

# No 0/O, 1/I/L: a code is read aloud across a clinic room and typed with unsteady hands.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_DAYS = 7
NOT_VALID = "That code is not valid. Codes work once and for 7 days: ask for a new one."


class LinkCodeError(ValueError):
    """A code that links no one: unknown, used, expired, or of a therapist not approved."""

    def __init__(self) -> None:
        super().__init__(NOT_VALID)


def normalise_code(text: str) -> str:
    """Upper-case a typed code and drop spaces and dashes."""
    return re.sub(r"[\s\-]", "", text).upper()


def format_code(code: str) -> str:
    """Show a code as two groups of four: ABCD-EFGH."""
    return f"{code[:4]}-{code[4:]}"


def make_code(session: Session, therapist: User) -> LinkCode:
    """Create a new one-time link code for a therapist."""
    code = LinkCode(
        code="".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)),
        therapist_id=therapist.id,
        expires_at=utcnow() + timedelta(days=CODE_DAYS),
    )
    session.add(code)
    return code


def _usable(code: str, now: datetime) -> list[Any]:
    """The conditions of a code that may still be redeemed: unused, unexpired, approved."""
    approved = (
        exists()
        .where(
            User.id == LinkCode.therapist_id,
            User.role == "therapist",
            User.approved_at.is_not(None),  # as approval.is_approved: no unvouched therapist
        )
        .correlate_except(User)
    )
    return [LinkCode.code == code, LinkCode.used_at.is_(None), LinkCode.expires_at > now, approved]


def code_therapist(session: Session, typed: str) -> User:
    """The therapist a code would link, for the patient to see before consenting."""
    therapist: User | None = session.scalar(
        select(User)
        .join(LinkCode, LinkCode.therapist_id == User.id)
        .where(*_usable(normalise_code(typed), utcnow()))
    )
    if therapist is None:
        raise LinkCodeError
    return therapist


def redeem_code(session: Session, patient_id: int, typed: str) -> CareLink:
    """Link the patient to the code's therapist, using the code up; LinkCodeError if it cannot.

    One UPDATE takes the code, and only while it is unused and valid: of any number of
    redemptions at once, on SQLite or PostgreSQL, exactly one changes the row (rowcount 1)
    and the others find it used. Nothing is read first that another request could change.
    """
    code = normalise_code(typed)
    now = utcnow()
    taken = cast(
        CursorResult[Any],
        session.execute(
            update(LinkCode)
            .where(*_usable(code, now))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if taken.rowcount != 1:
        raise LinkCodeError
    therapist_id = session.scalar(select(LinkCode.therapist_id).where(LinkCode.code == code))
    assert therapist_id is not None  # the row just updated
    existing = active_link(session, therapist_id, patient_id)
    if existing is not None:
        return existing
    link = CareLink(therapist_id=therapist_id, patient_id=patient_id)
    session.add(link)
    return link


def active_link(session: Session, therapist_id: int, patient_id: int) -> CareLink | None:
    """The standing link between a therapist and a patient, if any."""
    return session.scalars(
        select(CareLink).where(
            CareLink.therapist_id == therapist_id,
            CareLink.patient_id == patient_id,
            CareLink.revoked_at.is_(None),
        )
    ).first()


def patient_links(session: Session, patient_id: int) -> Sequence[CareLink]:
    """A patient's standing links, oldest first."""
    return session.scalars(
        select(CareLink)
        .where(CareLink.patient_id == patient_id, CareLink.revoked_at.is_(None))
        .order_by(CareLink.created_at)
    ).all()


def linked_patients(session: Session, therapist_id: int) -> Sequence[User]:
    """The patients who have linked a therapist, by name."""
    return session.scalars(
        select(User)
        .join(CareLink, CareLink.patient_id == User.id)
        .where(CareLink.therapist_id == therapist_id, CareLink.revoked_at.is_(None))
        .order_by(User.display_name, User.id)
        .distinct()
    ).all()


def revoke(link: CareLink) -> None:
    """End a link: the therapist no longer sees the patient."""
    link.revoked_at = utcnow()
