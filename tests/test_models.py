"""The data model: kinds of entry, constraints the database itself enforces, cascades."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from rehab_app.extensions import db
from rehab_app.models import (
    BadDay,
    CareLink,
    Entry,
    ExerciseSession,
    FatigueRating,
    MobilityUse,
    ProgrammeItem,
)
from tests.helpers.accounts import make_user

WHEN = {"occurred_at": datetime(2026, 3, 1, 9, 30), "local_date": date(2026, 3, 1)}


def test_each_kind_is_one_table_with_its_own_class(app: Flask) -> None:
    user = make_user()
    db.session.add_all(
        [
            ExerciseSession(user_id=user.id, discipline="physio", name="Sit to stand", **WHEN),
            FatigueRating(user_id=user.id, fatigue=6, **WHEN),
            MobilityUse(user_id=user.id, aid="one_stick", setting="outdoors", **WHEN),
            BadDay(user_id=user.id, reason="relapse", **WHEN),
        ]
    )
    db.session.commit()
    entries = db.session.scalars(select(Entry).order_by(Entry.kind)).all()
    assert [type(e).__name__ for e in entries] == [
        "BadDay",
        "ExerciseSession",
        "FatigueRating",
        "MobilityUse",
    ]
    assert all(len(e.id) == 36 and e.deleted_at is None and e.by_carer is False for e in entries)
    assert all(e.created_at is not None and e.updated_at is not None for e in entries)


@pytest.mark.parametrize(
    ("cls", "fields"),
    [
        (FatigueRating, {"fatigue": 11}),
        (FatigueRating, {"fatigue": -1}),
        (ExerciseSession, {"effort": 12}),
        (ExerciseSession, {"pain": -3}),
        (ExerciseSession, {"reps": 100_000}),
        (MobilityUse, {"falls": -1}),
    ],
)
def test_the_database_refuses_out_of_range_values(app: Flask, cls: type, fields: dict) -> None:
    user = make_user()
    db.session.add(cls(user_id=user.id, **WHEN, **fields))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_an_unknown_kind(app: Flask) -> None:
    user = make_user()
    insert = Entry.__table__.insert().values(id="x" * 36, user_id=user.id, kind="mood", **WHEN)
    with pytest.raises(IntegrityError):
        db.session.execute(insert)
    db.session.rollback()


def test_programme_end_before_start_is_refused(app: Flask) -> None:
    patient = make_user()
    db.session.add(
        ProgrammeItem(
            patient_id=patient.id,
            custom_name="Walk",
            discipline="physio",
            days_per_week=3,
            start_date=date(2026, 5, 1),
            end_date=date(2026, 4, 1),
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_deleting_a_user_deletes_their_entries_and_links(app: Flask) -> None:
    patient, therapist = make_user(), make_user("therapist")
    db.session.add(FatigueRating(user_id=patient.id, fatigue=3, **WHEN))
    db.session.add(CareLink(therapist_id=therapist.id, patient_id=patient.id))
    db.session.commit()
    db.session.delete(patient)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
    assert db.session.scalar(select(func.count()).select_from(CareLink)) == 0
