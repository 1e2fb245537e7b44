"""A patient's programme: listing its items, prescribing, changing and stopping one (no Flask).

The therapist's views parse a form, call these and commit; nothing here commits. An item is
never deleted: a stopped one stays in the record (and in the patient's history), and a
stopped item is not changed (it is prescribed again instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from rehab_app.models import DOSE_COLUMNS, Exercise, ProgrammeItem, utcnow


def programme_items(
    session: Session, patient_id: int, *, newest_first: bool = True
) -> list[ProgrammeItem]:
    """Every item of a patient's programme, current ones first, with their exercises loaded."""
    created = ProgrammeItem.created_at.desc() if newest_first else ProgrammeItem.created_at
    return list(
        session.scalars(
            select(ProgrammeItem)
            .where(ProgrammeItem.patient_id == patient_id)
            .order_by(ProgrammeItem.stopped_at.is_not(None), created)
            .options(selectinload(ProgrammeItem.exercise))  # one query, not one an item
        )
    )


def prescribe(
    session: Session,
    *,
    patient_id: int,
    therapist_id: int,
    exercise: Exercise | None,
    custom_name: str | None,
    discipline: str | None,
    days_per_week: int,
    start_date: date,
    end_date: date | None,
    note: str | None,
    dose: Mapping[str, int | None],
) -> ProgrammeItem:
    """Add an item: a catalogue exercise (its discipline) or one named by the therapist."""
    item = ProgrammeItem(
        patient_id=patient_id,
        therapist_id=therapist_id,
        exercise_id=exercise.id if exercise else None,
        custom_name=None if exercise else custom_name,
        discipline=exercise.discipline if exercise else discipline,
        days_per_week=days_per_week,
        start_date=start_date,
        end_date=end_date,
        note=note or None,
        **{column: dose.get(column) for column in DOSE_COLUMNS},
    )
    session.add(item)
    return item


def change_item(
    item: ProgrammeItem,
    *,
    days_per_week: int,
    start_date: date,
    end_date: date | None,
    note: str | None,
    dose: Mapping[str, int | None],
) -> None:
    """Change a current item's dose, days, dates or note (the patient's app syncs it)."""
    if item.stopped_at is not None:
        raise ValueError("a stopped programme item is kept as it was")
    for column in DOSE_COLUMNS:
        setattr(item, column, dose.get(column))
    item.days_per_week = days_per_week
    item.start_date = start_date
    item.end_date = end_date
    item.note = note or None


def stop_item(item: ProgrammeItem, now: datetime | None = None) -> bool:
    """Stop an item (it stays in the record); False when it was stopped already."""
    if item.stopped_at is not None:
        return False
    item.stopped_at = now or utcnow()
    return True
