"""One link code redeemed by 8 patients at the same moment: exactly one link, on any database;
8 codes of one team entered by one patient at the same moment: one consent.

Real threads, each with a database connection of its own (as workers have), redeem through
`care_links.redeem_code` on the suite's database: SQLite by default, PostgreSQL when
TEST_DATABASE_URL is set. A barrier releases them together.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rehab_app.core import care_links, clinics
from rehab_app.extensions import db
from rehab_app.models import CareLink, LinkCode, TeamLink
from tests.helpers.accounts import make_user

RACERS = 8


def test_eight_redemptions_at_once_make_exactly_one_link(app: Flask) -> None:
    therapist = make_user("therapist", name="Pat Physio")
    patient_ids = [make_user("patient").id for _ in range(RACERS)]
    code = care_links.make_code(db.session, therapist).code
    db.session.commit()
    start = threading.Barrier(RACERS)

    def race(patient_id: int) -> str:
        with app.app_context(), Session(db.engine) as session:
            start.wait()
            try:
                care_links.redeem_code(session, patient_id, code)
                session.commit()
            except care_links.LinkCodeError:
                session.rollback()
                return "refused"
            return "linked"

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(race, patient_ids))

    assert sorted(outcomes) == ["linked"] + ["refused"] * (RACERS - 1)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CareLink)) == 1
    assert db.session.scalar(select(LinkCode.used_at).where(LinkCode.code == code)) is not None


def test_a_teams_codes_entered_at_once_by_one_person_make_one_consent(app: Flask) -> None:
    """Two phones, a double tap across two codes: one consent, one link for each member."""
    admin = make_user("therapist", name="Ada Admin")
    clinic = clinics.create_clinic(db.session, "Riverside", admin)
    team = clinics.create_team(db.session, clinic.id, "MS team")
    colleague = make_user("therapist", name="Col League")
    clinics.ask_to_join(db.session, colleague, clinic.join_code)
    clinics.approve(db.session, clinic.id, colleague.id)
    for member in (admin, colleague):
        clinics.add_to_team(db.session, team, member.id)
    patient_id = make_user("patient").id
    codes = [care_links.make_code(db.session, admin, team).code for _ in range(RACERS)]
    db.session.commit()
    start = threading.Barrier(RACERS)

    def race(code: str) -> None:
        with app.app_context(), Session(db.engine) as session:
            start.wait()
            care_links.redeem_code(session, patient_id, code)
            session.commit()

    with ThreadPoolExecutor(RACERS) as pool:
        list(pool.map(race, codes))

    db.session.rollback()
    consents = db.session.scalars(select(TeamLink.id).where(TeamLink.patient_id == patient_id))
    [consent] = consents.all()
    links = db.session.execute(
        select(CareLink.therapist_id, CareLink.team_link_id).where(
            CareLink.patient_id == patient_id
        )
    ).all()
    assert sorted(links) == sorted([(admin.id, consent), (colleague.id, consent)])


def test_one_therapists_codes_entered_at_once_by_one_person_make_one_link(app: Flask) -> None:
    """Two phones, or two codes from the same therapist typed at once: one standing link."""
    therapist = make_user("therapist", name="Pat Physio")
    patient_id = make_user("patient").id
    codes = [care_links.make_code(db.session, therapist).code for _ in range(RACERS)]
    db.session.commit()
    start = threading.Barrier(RACERS)

    def race(code: str) -> int:
        with app.app_context(), Session(db.engine) as session:
            start.wait()
            link = care_links.redeem_code(session, patient_id, code)
            session.commit()
            return link.id

    with ThreadPoolExecutor(RACERS) as pool:
        answered = set(pool.map(race, codes))

    db.session.rollback()
    stored = db.session.scalars(select(CareLink.id).where(CareLink.patient_id == patient_id))
    assert sorted(stored.all()) == sorted(answered)
    assert len(answered) == 1
