"""Clinics and teams: admins approve the therapists who ask to join; teams share a caseload.

A therapist asks to join a clinic with the clinic's code (from an admin), and waits; an admin
of that clinic lets them in, which also vouches for the account if no one has yet (the user's
`approved_at`, the one rule every page checks: rehab_app/core/approval.py), or declines.
An admin makes teams of the clinic's therapists.
A patient who links a team gives one consent (care_links.redeem_code with a team's code) and
every member holds a care link that points at it: a member who joins later gets one, a member
who leaves loses theirs, and a patient who stops sharing with one member is never shared with
that member again through the team.

No Flask here: the web layer calls these and commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rehab_app.models import (
    CareLink,
    Clinic,
    ClinicMember,
    Team,
    TeamLink,
    TeamMember,
    User,
    utcnow,
)

from .care_links import (
    ALPHABET,
    CODE_LENGTH,
    format_code,
    give_link,
    normalise_code,
    team_therapists,
)

NAME_LENGTH = 80
CLINIC_CODE_NOT_VALID = "That clinic code is not valid: ask your clinic's admin for it again."


class ClinicError(ValueError):
    """A request the clinic cannot take, with words for the person who made it."""


@dataclass(frozen=True)
class TeamView:
    """A team and its members, by name, for a page."""

    team: Team
    members: Sequence[User]


def new_join_code() -> str:
    """A clinic code: the link codes' alphabet, read aloud across a room just as well."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(clinic: Clinic) -> str:
    """A clinic's code as people read it: ABCD-EFGH."""
    return format_code(clinic.join_code)


def create_clinic(session: Session, name: str, admin: User) -> Clinic:
    """A new clinic with its first admin, a therapist it vouches for (approved if not yet)."""
    name = name.strip()
    if not name:
        raise ClinicError("A clinic needs a name.")
    if not admin.is_therapist:
        raise ClinicError(f"{admin.email} is not a therapist account.")
    if membership(session, admin.id) is not None:
        raise ClinicError(f"{admin.email} is already in a clinic.")
    clinic = Clinic(name=name[:120], join_code=new_join_code())
    session.add(clinic)
    session.flush()
    now = utcnow()
    session.add(ClinicMember(clinic_id=clinic.id, user_id=admin.id, is_admin=True, approved_at=now))
    if admin.approved_at is None:
        admin.approved_at = now
    return clinic


def membership(session: Session, user_id: int) -> ClinicMember | None:
    """A therapist's place in a clinic, waiting or approved; None outside any clinic."""
    return session.scalar(select(ClinicMember).where(ClinicMember.user_id == user_id))


def ask_to_join(session: Session, therapist: User, typed: str) -> Clinic:
    """Ask to join the clinic whose code this is; its admins then see the request."""
    if not therapist.is_therapist:
        raise ClinicError("Only therapist accounts join a clinic.")
    clinic = session.scalar(select(Clinic).where(Clinic.join_code == normalise_code(typed)))
    if clinic is None:
        raise ClinicError(CLINIC_CODE_NOT_VALID)
    mine = membership(session, therapist.id)
    if mine is not None:
        if mine.clinic_id == clinic.id:
            return clinic  # asked twice: one request
        raise ClinicError(f"You are already in {mine.clinic.name}.")
    session.add(ClinicMember(clinic_id=clinic.id, user_id=therapist.id))
    try:
        session.flush()
    except IntegrityError:  # the same request from another tab, a moment earlier
        session.rollback()
        raise ClinicError("Your request to join is already with a clinic.") from None
    return clinic


def waiting(session: Session, clinic_id: int) -> Sequence[User]:
    """The therapists who asked to join and wait for an admin, oldest request first."""
    return session.scalars(
        select(User)
        .join(ClinicMember, ClinicMember.user_id == User.id)
        .where(ClinicMember.clinic_id == clinic_id, ClinicMember.approved_at.is_(None))
        .order_by(ClinicMember.created_at, User.id)
    ).all()


def members(session: Session, clinic_id: int) -> Sequence[tuple[User, bool]]:
    """The clinic's approved therapists by name, each with whether they are an admin."""
    return [
        (user, is_admin)
        for user, is_admin in session.execute(
            select(User, ClinicMember.is_admin)
            .join(ClinicMember, ClinicMember.user_id == User.id)
            .where(ClinicMember.clinic_id == clinic_id, ClinicMember.approved_at.is_not(None))
            .order_by(User.display_name, User.id)
        )
    ]


def _member(session: Session, clinic_id: int, user_id: int, *, waiting: bool) -> ClinicMember:
    """A therapist's place in this clinic, waiting or let in (LookupError when not so)."""
    let_in = (
        ClinicMember.approved_at.is_(None) if waiting else ClinicMember.approved_at.is_not(None)
    )
    found = session.scalar(
        select(ClinicMember).where(
            ClinicMember.clinic_id == clinic_id, ClinicMember.user_id == user_id, let_in
        )
    )
    if found is None:
        raise LookupError(user_id)
    return found


def approve(session: Session, clinic_id: int, user_id: int) -> User:
    """Let a therapist waiting to join into this clinic, and vouch for their account if no one
    has yet (LookupError for anyone not waiting here)."""
    member = _member(session, clinic_id, user_id, waiting=True)
    member.approved_at = utcnow()
    if member.user.approved_at is None:
        member.user.approved_at = member.approved_at
    return member.user


def decline(session: Session, clinic_id: int, user_id: int) -> User:
    """Turn down a request to join: the request goes, the account is as it was (and may ask
    another clinic)."""
    member = _member(session, clinic_id, user_id, waiting=True)
    user = member.user
    session.delete(member)
    return user


def create_team(session: Session, clinic_id: int, name: str) -> Team:
    """A new, empty team in the clinic; two teams of a clinic never share a name."""
    name = " ".join(name.split())
    if not name:
        raise ClinicError("Give the team a name.")
    if len(name) > NAME_LENGTH:
        raise ClinicError(f"A team's name is at most {NAME_LENGTH} characters.")
    taken = session.scalar(select(Team.id).where(Team.clinic_id == clinic_id, Team.name == name))
    if taken is not None:
        raise ClinicError(f"There is already a team called {name}.")
    team = Team(clinic_id=clinic_id, name=name)
    session.add(team)
    session.flush()
    return team


def clinic_team(session: Session, clinic_id: int, team_id: int) -> Team:
    """One of the clinic's teams (LookupError for another clinic's)."""
    team = session.get(Team, team_id)
    if team is None or team.clinic_id != clinic_id:
        raise LookupError(team_id)
    return team


def team_views(session: Session, clinic_id: int) -> list[TeamView]:
    """The clinic's teams by name, each with its members by name."""
    teams = session.scalars(
        select(Team).where(Team.clinic_id == clinic_id).order_by(Team.name, Team.id)
    ).all()
    return [TeamView(team, team_therapists(session, team.id)) for team in teams]


def teams_of(session: Session, therapist_id: int) -> Sequence[Team]:
    """The teams a therapist is in, by name."""
    return session.scalars(
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == therapist_id)
        .order_by(Team.name, Team.id)
    ).all()


def add_to_team(session: Session, team: Team, user_id: int) -> User:
    """Put one of the clinic's approved therapists in a team, and give them its patients.

    Each patient who linked the team gets a care link to the newcomer under that consent,
    unless the patient already shares with them, or once stopped sharing with them there.
    """
    user = session.scalar(
        select(User)
        .join(ClinicMember, ClinicMember.user_id == User.id)
        .where(
            User.id == user_id,
            ClinicMember.clinic_id == team.clinic_id,
            ClinicMember.approved_at.is_not(None),
        )
    )
    if user is None:
        raise LookupError(user_id)
    already = session.scalar(
        select(TeamMember.id).where(TeamMember.team_id == team.id, TeamMember.user_id == user_id)
    )
    if already is not None:
        return user
    session.add(TeamMember(team_id=team.id, user_id=user_id))
    standing = session.scalars(
        select(TeamLink).where(TeamLink.team_id == team.id, TeamLink.revoked_at.is_(None))
    ).all()
    for team_link in standing:
        give_link(session, team_link, user_id)
    session.flush()
    return user


def remove_from_team(session: Session, team: Team, user_id: int) -> User:
    """Take a therapist out of a team: the links its patients' consent gave them end."""
    member = session.scalar(
        select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == user_id)
    )
    if member is None:
        raise LookupError(user_id)
    user = member.user
    session.delete(member)
    # The consent was given to the team, not to them: their links under it go (deleted, not
    # revoked, so that a revoked link under a team always means the patient stopped it).
    for link in session.scalars(
        select(CareLink)
        .join(TeamLink, TeamLink.id == CareLink.team_link_id)
        .where(
            TeamLink.team_id == team.id,
            CareLink.therapist_id == user_id,
            CareLink.revoked_at.is_(None),
        )
    ):
        session.delete(link)
    return user


def make_admin(session: Session, clinic_id: int, user_id: int) -> User:
    """Make one of the clinic's therapists an admin too (LookupError for anyone else)."""
    member = _member(session, clinic_id, user_id, waiting=False)
    member.is_admin = True
    return member.user


def remove_member(session: Session, clinic_id: int, user_id: int) -> User:
    """Take a therapist out of the clinic and out of each of its teams.

    The links the teams' consents gave them go; the links patients made to them alone stay
    (those patients chose them, not the clinic). The clinic's last admin cannot be removed:
    someone must be left to let people in.
    """
    member = _member(session, clinic_id, user_id, waiting=False)
    if member.is_admin:
        admins = session.scalar(
            select(func.count())
            .select_from(ClinicMember)
            .where(ClinicMember.clinic_id == clinic_id, ClinicMember.is_admin)
        )
        if admins == 1:
            raise ClinicError(
                f"{member.user.display_name} is the clinic's only admin: make someone else an "
                "admin first."
            )
    for team in session.scalars(
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(Team.clinic_id == clinic_id, TeamMember.user_id == user_id)
    ).all():
        remove_from_team(session, team, user_id)
    user = member.user
    session.delete(member)
    return user


def hand_on(session: Session, user_id: int) -> None:
    """Before a therapist's account goes: a clinic they are the only admin of gets another.

    The longest-standing of its other therapists becomes an admin, so that someone is always
    left to let people in (a clinic with no one else left needs none).
    """
    mine = membership(session, user_id)
    if mine is None or not mine.is_admin:
        return
    others = select(ClinicMember).where(
        ClinicMember.clinic_id == mine.clinic_id,
        ClinicMember.user_id != user_id,
        ClinicMember.approved_at.is_not(None),
    )
    if session.scalar(others.where(ClinicMember.is_admin).limit(1)) is not None:
        return
    heir = session.scalar(others.order_by(ClinicMember.approved_at, ClinicMember.id).limit(1))
    if heir is not None:
        heir.is_admin = True
