"""A patient's programme through the core (rehab_app.core.programmes), as the views use it."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from rehab_app.core import programmes
from rehab_app.core.entries import catalogue_exercises
from rehab_app.extensions import db
from tests.helpers.accounts import People

NO_DOSE: dict[str, int | None] = {}


def test_prescribed_items_are_listed_current_first_and_stopped_ones_kept(
    app: Flask, people: People
) -> None:
    exercise = catalogue_exercises(db.session)[0]
    first = programmes.prescribe(
        db.session,
        patient_id=people.patient.id,
        therapist_id=people.therapist.id,
        exercise=exercise,
        custom_name="ignored for a catalogue exercise",
        discipline="slt",
        days_per_week=5,
        start_date=date(2026, 11, 2),
        end_date=None,
        note="",
        dose={"sets": 2, "reps": 10},
    )
    own = programmes.prescribe(
        db.session,
        patient_id=people.patient.id,
        therapist_id=people.therapist.id,
        exercise=None,
        custom_name="Stairs at home",
        discipline="physio",
        days_per_week=3,
        start_date=date(2026, 11, 3),
        end_date=None,
        note="Hold the rail",
        dose={"minutes": 5},
    )
    db.session.commit()
    assert (first.name, first.discipline, first.custom_name, first.note) == (
        exercise.name,
        exercise.discipline,
        None,
        None,
    )
    assert (first.sets, first.reps, own.minutes, own.name) == (2, 10, 5, "Stairs at home")

    assert programmes.stop_item(first) is True
    assert programmes.stop_item(first) is False  # stopped once, kept as it was
    db.session.commit()
    listed = programmes.programme_items(db.session, people.patient.id)
    assert [i.id for i in listed] == [own.id, first.id]  # the stopped item last, still there
    assert programmes.programme_items(db.session, people.other_patient.id) == []

    with pytest.raises(ValueError, match="stopped"):
        programmes.change_item(
            first,
            days_per_week=7,
            start_date=date(2026, 11, 2),
            end_date=None,
            note=None,
            dose=NO_DOSE,
        )
    programmes.change_item(
        own, days_per_week=4, start_date=date(2026, 11, 3), end_date=None, note="", dose={}
    )
    db.session.commit()
    assert (own.days_per_week, own.minutes, own.note) == (4, None, None)
