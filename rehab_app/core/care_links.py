"""Care links: one-time codes from therapists, consent and revocation by patients.

A code is a therapist's own, or one of their team's (rehab_app/core/clinics.py): a team's code
links the patient to every member with one consent (a TeamLink), each member holding a care
link of their own that points at it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rehab_app.models import CareLink, LinkCode, Team, TeamLink, TeamMember, User, utcnow

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


def make_code(session: Session, therapist: User, team: Team | None = None) -> LinkCode:
    """Create a new one-time link code for a therapist, or for a team they are in."""
    if team is not None and not in_team(session, team.id, therapist.id):
        raise LookupError(team.id)
    code = LinkCode(
        code="".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH)),
        therapist_id=therapist.id,
        team_id=team.id if team is not None else None,
        expires_at=utcnow() + timedelta(days=CODE_DAYS),
    )
    session.add(code)
    return code


def in_team(session: Session, team_id: int, therapist_id: int) -> bool:
    """True when the therapist is a member of the team."""
    return (
        session.scalar(
            select(TeamMember.id).where(
                TeamMember.team_id == team_id, TeamMember.user_id == therapist_id
            )
        )
        is not None
    )


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
    # A team's code works while the therapist who made it is still in the team.
    still_in_team = or_(
        LinkCode.team_id.is_(None),
        exists()
        .where(TeamMember.team_id == LinkCode.team_id, TeamMember.user_id == LinkCode.therapist_id)
        .correlate_except(TeamMember),
    )
    return [
        LinkCode.code == code,
        LinkCode.used_at.is_(None),
        LinkCode.expires_at > now,
        approved,
        still_in_team,
    ]


@dataclass(frozen=True)
class Offer:
    """Who a code would share the patient's log with, shown before they consent."""

    therapist: User  # who made the code
    team: Team | None  # a team's code: every member sees the log
    members: Sequence[User]  # the therapists who would see it, by name


def said_together(people: Sequence[User]) -> str:
    """People's names as a sentence lists them: "Ann", "Ann and Bo", "Ann, Bo and Cy"."""
    names = [p.display_name for p in people]
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def code_offer(session: Session, typed: str) -> Offer:
    """Who a code would link, for the patient to see before consenting."""
    found = session.execute(
        select(User, LinkCode.team_id)
        .join(LinkCode, LinkCode.therapist_id == User.id)
        .where(*_usable(normalise_code(typed), utcnow()))
    ).first()
    if found is None:
        raise LinkCodeError
    therapist, team_id = found
    if team_id is None:
        return Offer(therapist, None, [therapist])
    return Offer(therapist, session.get(Team, team_id), team_therapists(session, team_id))


def team_therapists(session: Session, team_id: int) -> Sequence[User]:
    """A team's members, by name."""
    return session.scalars(
        select(User)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == team_id)
        .order_by(User.display_name, User.id)
    ).all()


def redeem_code(session: Session, patient_id: int, typed: str) -> CareLink | TeamLink:
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
    therapist_id, team_id = session.execute(
        select(LinkCode.therapist_id, LinkCode.team_id).where(LinkCode.code == code)
    ).one()  # the row just updated
    if team_id is not None:
        return link_team(session, team_id, patient_id)
    return active_link(session, therapist_id, patient_id) or _new_link(
        session, therapist_id, patient_id
    )


def _new_link(
    session: Session, therapist_id: int, patient_id: int, team_link_id: int | None = None
) -> CareLink:
    """A standing link made now, or the one another request made at the same moment.

    Two of a therapist's codes entered at once (two phones, a double tap) each find no link
    and make one: the unique index on standing links makes the second wait for the first and
    fail, and that first link is then this one.
    """
    try:
        with session.begin_nested():
            link = CareLink(
                therapist_id=therapist_id, patient_id=patient_id, team_link_id=team_link_id
            )
            session.add(link)
        return link
    except IntegrityError:
        made = active_link(session, therapist_id, patient_id)
        if made is None:  # the index failed for another reason: not ours to hide
            raise
        return made


def link_team(session: Session, team_id: int, patient_id: int) -> TeamLink:
    """The patient's consent for a team (the standing one, or a new one), and a care link for
    each member who has none."""
    standing = select(TeamLink).where(
        TeamLink.team_id == team_id,
        TeamLink.patient_id == patient_id,
        TeamLink.revoked_at.is_(None),
    )
    team_link = session.scalar(standing)
    if team_link is None:
        try:
            with session.begin_nested():
                team_link = TeamLink(team_id=team_id, patient_id=patient_id)
                session.add(team_link)
        except IntegrityError:
            # Another of the team's codes, entered at the same moment, made it first (the
            # unique index on standing consents waited for it): that one is this consent.
            team_link = session.scalars(standing).one()
    for member in team_therapists(session, team_id):
        give_link(session, team_link, member.id)
    session.flush()
    return team_link


def give_link(session: Session, team_link: TeamLink, therapist_id: int) -> None:
    """A care link for one member under a team's consent, unless one stands already or the
    patient stopped sharing with this member under this consent."""
    patient_id = team_link.patient_id
    if active_link(session, therapist_id, patient_id) is not None:
        return
    stopped_here = session.scalar(
        select(CareLink.id).where(
            CareLink.therapist_id == therapist_id,
            CareLink.team_link_id == team_link.id,
            CareLink.revoked_at.is_not(None),
        )
    )
    if stopped_here is None:
        _new_link(session, therapist_id, patient_id, team_link.id)


def patient_team_links(session: Session, patient_id: int) -> Sequence[TeamLink]:
    """A patient's standing team consents, oldest first."""
    return session.scalars(
        select(TeamLink)
        .where(TeamLink.patient_id == patient_id, TeamLink.revoked_at.is_(None))
        .order_by(TeamLink.created_at, TeamLink.id)
    ).all()


def stop_team(session: Session, team_link: TeamLink) -> None:
    """End a team consent: every member's link under it ends with it."""
    now = utcnow()
    team_link.revoked_at = now
    for link in session.scalars(
        select(CareLink).where(CareLink.team_link_id == team_link.id, CareLink.revoked_at.is_(None))
    ):
        link.revoked_at = now


def still_sharing(session: Session, team_link: TeamLink) -> list[User]:
    """The team's members who still see the patient's log after the team consent ends: those
    the patient linked on their own."""
    members = {user.id for user in team_therapists(session, team_link.team_id)}
    return [
        link.therapist
        for link in patient_links(session, team_link.patient_id)
        if link.therapist_id in members
    ]


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
