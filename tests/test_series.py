"""A person's log as the daily series trends.review() reads."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from sqlalchemy import select

from rehab_app.core.daily_series import LOG_COLUMNS, LogRow, exercise_amount, patient_series
from rehab_app.core.trends import ExerciseSample, review
from rehab_app.extensions import db
from rehab_app.models import Entry
from tests.helpers.accounts import make_user
from tests.helpers.entries import row

D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


def test_each_kind_feeds_its_series() -> None:
    rows = [
        row("fatigue", 0, fatigue=6),
        row("fatigue", 0, fatigue=8),
        row("mobility", 0, aid="one_stick", setting="outdoors", distance_m=300, near_falls=1),
        row("mobility", 0, aid="frame", setting="outdoors", distance_m=200, falls=1),
        row("mobility", 0, aid="none", setting="indoors", minutes=30),
        row("mobility", 1, aid="none", setting="indoors", falls=0, near_falls=0),
        row("exercise", 0, exercise_id=4, reps=10, effort=5),
        row("exercise", 0, name=" Stairs ", minutes=12, effort=6),
        row("exercise", 0, name="No effort", reps=10),  # no effort: nothing to compare at
        row("bad_day", 2, reason="relapse"),
        row("bad_day", 3, reason="heat"),
    ]
    today, yesterday = rows[0].local_date, rows[5].local_date
    series = patient_series(rows)
    assert series.fatigue == {today: [6.0, 8.0]}
    assert series.aids == {today: ["one_stick", "frame", "none"], yesterday: ["none"]}
    assert series.outdoor_distance_m == {today: 500.0}
    # Falls and near-falls together, on every day with a mobility entry (none is a zero).
    assert series.falls == {today: 2, yesterday: 0}
    assert series.exercises == [
        ExerciseSample(today, "#4", 10.0, 5),
        ExerciseSample(today, "stairs", 12.0, 6),
    ]
    assert series.relapses == [rows[9].local_date]
    assert series.heat_or_infection_days == {rows[10].local_date}


def test_days_tagged_heat_or_infection_are_set_aside() -> None:
    rows = [
        row("fatigue", 0, fatigue=7, context="heat"),
        row("fatigue", 1, fatigue=7, context="infection"),
        row("fatigue", 2, fatigue=5, context="poor_sleep"),
        row("bad_day", 4, reason="infection"),
        row("bad_day", 5, reason="pain"),
    ]
    series = patient_series(rows)
    assert series.heat_or_infection_days == {r.local_date for r in rows[:2] + rows[3:4]}


def test_an_exercise_amount_is_its_first_recorded_unit() -> None:
    assert exercise_amount(row("exercise", 0, reps=8, hold_seconds=5)) == 8.0
    assert exercise_amount(row("exercise", 0, hold_seconds=20, minutes=3)) == 20.0
    assert exercise_amount(row("exercise", 0, phonation_seconds=12)) == 12.0
    assert exercise_amount(row("exercise", 0, reps=0)) is None


def test_orm_entries_and_log_rows_make_the_same_series(app: Flask) -> None:
    person = make_user()
    for day, fatigue in ((D1, 4), (D2, 5)):
        db.session.add(
            Entry(
                user_id=person.id,
                kind="fatigue",
                fatigue=fatigue,
                occurred_at=datetime.combine(day, datetime.min.time()),
                local_date=day,
            )
        )
    db.session.commit()
    entries = db.session.scalars(select(Entry)).all()
    rows = [LogRow._make(r) for r in db.session.execute(select(*LOG_COLUMNS))]
    assert patient_series(entries) == patient_series(rows)
    assert patient_series(rows).fatigue == {D1: [4.0], D2: [5.0]}


def test_a_year_of_steadily_rising_fatigue_is_worth_reviewing() -> None:
    """The series builder feeds review() what it needs to see a slow change."""
    rows = [
        row("fatigue", d, fatigue=round(3 + 4 * (364 - d) / 364))
        for d in range(364, -1, -1)
        if d % 7 not in (2, 5)
    ]
    today = rows[-1].local_date
    assert [s.measure for s in review(patient_series(rows), today)] == ["fatigue"]
    assert review(patient_series([r for r in rows if r.fatigue == 5]), today) == []
