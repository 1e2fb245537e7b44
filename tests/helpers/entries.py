"""Making a person's data directly, without the forms."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from rehab_app.core.daily_series import LogRow
from rehab_app.core.entries import create_entry
from rehab_app.core.timeutil import local_now, local_today
from rehab_app.extensions import db
from rehab_app.models import Entry, Exercise, ProgrammeItem, User, utcnow


def add_item(
    patient: User,
    *,
    slug: str | None = None,
    name: str | None = None,
    start: int = 0,
    end: int | None = None,
    stopped: bool = False,
    days_per_week: int = 5,
    **dose: int,
) -> ProgrammeItem:
    """Prescribe an item directly; start and end are days from the patient's today."""
    today = local_today(patient.timezone)
    exercise = db.session.scalar(select(Exercise).where(Exercise.slug == slug)) if slug else None
    item = ProgrammeItem(
        patient_id=patient.id,
        exercise_id=exercise.id if exercise else None,
        custom_name=name,
        discipline=exercise.discipline if exercise else "physio",
        days_per_week=days_per_week,
        start_date=today + timedelta(days=start),
        end_date=None if end is None else today + timedelta(days=end),
        stopped_at=utcnow() if stopped else None,
        **dose,
    )
    db.session.add(item)
    db.session.commit()
    return item


def add_entry(user: User, kind: str, days_ago: int = 0, **fields: Any) -> Entry:
    """Log an entry directly, at the person's local time now, some days ago."""
    when = local_now(user.timezone) - timedelta(days=days_ago)
    entry, _ = create_entry(db.session, user, kind, fields, when)
    db.session.commit()
    return entry


def fill_day(user: User, day: date, n: int) -> None:
    """Log n fatigue ratings on one of the person's days, as the forms would."""
    from rehab_app.core.entries import MAX_ENTRIES_PER_DAY

    assert n <= MAX_ENTRIES_PER_DAY
    noon = datetime.combine(day, datetime.min.time()).replace(hour=12)
    for _ in range(n):
        create_entry(db.session, user, "fatigue", {"fatigue": 3}, noon)
    db.session.commit()


# Rows as the caseload's query returns them, dated from a fixed today (the caseload and series
# tests build logs in memory, without a database).
TODAY = date(2026, 3, 28)


def ago(n: int) -> date:
    """The date n days before TODAY."""
    return TODAY - timedelta(days=n)


def row(kind: str, days_ago: int, **fields: Any) -> LogRow:
    """A live entry as the caseload query returns it."""
    values: dict[str, Any] = dict.fromkeys(LogRow._fields)
    values.update(user_id=1, kind=kind, local_date=ago(days_ago))
    values.update(fields)
    return LogRow(**values)
