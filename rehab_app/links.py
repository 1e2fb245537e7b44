"""Care links: one-time codes from therapists, consent and revocation by patients."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import CareLink, LinkCode, User, utcnow

# No 0/O, 1/I/L: a code is read aloud across a clinic room and typed with unsteady hands.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
CODE_DAYS = 7


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


def redeem_code(session: Session, patient: User, typed: str) -> CareLink | str:
    """Link the patient to the code's therapist; return the link or a message saying why not."""
    code = session.scalars(
        select(LinkCode).where(LinkCode.code == normalise_code(typed)).with_for_update()
    ).first()
    if code is None or code.used_at is not None or code.expires_at < utcnow():
        return "That code is not valid. Codes work once and for 7 days: ask for a new one."
    code.used_at = utcnow()
    existing = active_link(session, code.therapist_id, patient.id)
    if existing is not None:
        return existing
    link = CareLink(therapist_id=code.therapist_id, patient_id=patient.id)
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
