"""The demo's clinic: Sam its admin, Priya in Sam's team, Lee waiting to be let in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from rehab_app.models import Clinic, ClinicMember, Team, TeamMember, User

from ..clinics import new_join_code
from .people import (
    CLINIC_NAME,
    COLLEAGUE_EMAIL,
    COLLEAGUE_NAME,
    DEMO_TZ,
    NEWCOMER_EMAIL,
    NEWCOMER_NAME,
    TEAM_NAME,
)


def demo_clinic(session: Session, admin: User, hashed: str, opened: datetime) -> Team:
    """The demo clinic: Sam its admin, Priya in Sam's team, Lee waiting to be let in."""
    colleague, newcomer = (
        User(
            email=email,
            password_hash=hashed,
            display_name=name,
            role="therapist",
            timezone=DEMO_TZ,
            created_at=opened,
            email_confirmed_at=opened,
            approved_at=opened if email == COLLEAGUE_EMAIL else None,
        )
        for email, name in ((COLLEAGUE_EMAIL, COLLEAGUE_NAME), (NEWCOMER_EMAIL, NEWCOMER_NAME))
    )
    clinic = Clinic(name=CLINIC_NAME, join_code=new_join_code(), created_at=opened)
    session.add_all([colleague, newcomer, clinic])
    session.flush()
    team = Team(clinic_id=clinic.id, name=TEAM_NAME, created_at=opened)
    session.add(team)
    session.add_all(
        [
            ClinicMember(clinic_id=clinic.id, user_id=admin.id, is_admin=True, approved_at=opened),
            ClinicMember(clinic_id=clinic.id, user_id=colleague.id, approved_at=opened),
            ClinicMember(clinic_id=clinic.id, user_id=newcomer.id),
        ]
    )
    session.flush()
    session.add_all(
        TeamMember(team_id=team.id, user_id=u.id, created_at=opened) for u in (admin, colleague)
    )
    session.flush()
    return team
