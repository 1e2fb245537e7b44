"""One link code redeemed by 8 patients at the same moment: exactly one link, on any database.

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

from rehab_app.core import care_links
from rehab_app.extensions import db
from rehab_app.models import CareLink, LinkCode
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
