"""The demo's clinic (Sam its admin, Priya in Sam's team, Lee waiting to be let in) and Sam's
notes of appointments."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from rehab_app.models import AppointmentNote, Clinic, ClinicMember, Team, TeamMember, User

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


# The MS team's template, saved from the stable patient's programme.
TEMPLATE_NAME = "MS balance, early"

# (patient's email, days before today, what Sam wrote after the appointment)
NOTES = (
    (
        "worsening@demo.rehablog.test",
        40,
        "Good session. Keep the sit-to-stands at 2 x 10 and add the heel raises on good days.\n"
        "Rest between sets; stop if your legs start to shake.",
    ),
    (
        "worsening@demo.rehablog.test",
        12,
        "We talked about the frame for outdoors. Use it for longer walks; the two sticks are "
        "fine at home. Log your walks so we can see how it goes.",
    ),
    (
        "relapse@demo.rehablog.test",
        50,
        "After the relapse: half the usual programme for two weeks, then build back up. "
        "Log the bad days; they help us see the recovery.",
    ),
)


def demo_notes(session: Session, therapist: User, patients: list[User], today: date) -> None:
    """Sam's notes of a few appointments, for the patients to read under Progress."""
    by_email = {p.email: p for p in patients}
    session.add_all(
        AppointmentNote(
            patient_id=by_email[email].id,
            therapist_id=therapist.id,
            therapist_name=therapist.display_name,
            seen_on=today - timedelta(days=days_ago),
            text=text,
            created_at=datetime.combine(today - timedelta(days=days_ago), datetime.min.time()),
        )
        for email, days_ago, text in NOTES
    )
