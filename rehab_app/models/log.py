"""A person's log: the exercise catalogue, programme items and entries of each kind."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import (
    Mapped,
    mapped_column,
    relationship,
)

from rehab_app.core.kinds import KINDS, all_fields
from rehab_app.core.vocab import DOSE_FIELDS

from .base import Model
from .people import NEVER_REUSE_IDS, User, new_id, utcnow


class Exercise(Model):
    """An exercise of the catalogue, saying what to record for it."""

    __tablename__ = "exercises"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    discipline: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    # Comma-separated dose field names, in display order.
    records: Mapped[str] = mapped_column(String(200))

    @property
    def record_fields(self) -> list[str]:
        """The dose fields a person records for this exercise."""
        return [f for f in self.records.split(",") if f]


DOSE_COLUMNS = DOSE_FIELDS


class DoseColumns:
    """The dose a therapist sets (DOSE_COLUMNS): a programme item's, a template's exercise's."""

    sets: Mapped[int | None] = mapped_column(Integer)
    reps: Mapped[int | None] = mapped_column(Integer)
    hold_seconds: Mapped[int | None] = mapped_column(Integer)
    minutes: Mapped[int | None] = mapped_column(Integer)
    distance_m: Mapped[int | None] = mapped_column(Integer)
    phonation_seconds: Mapped[int | None] = mapped_column(Integer)
    loudness_db: Mapped[int | None] = mapped_column(Integer)
    rests: Mapped[int | None] = mapped_column(Integer)


class ProgrammeItem(DoseColumns, Model):
    """An exercise a therapist prescribes to a patient, with a target dose."""

    __tablename__ = "programme_items"
    __table_args__ = (
        CheckConstraint("days_per_week BETWEEN 1 AND 7", name="days_per_week"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        Index("ix_programme_items_patient_change_seq", "patient_id", "change_seq"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"))
    custom_name: Mapped[str | None] = mapped_column(String(120))
    discipline: Mapped[str] = mapped_column(String(16))
    days_per_week: Mapped[int] = mapped_column(Integer, default=7)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Where this row's latest change sits in the change feed (see stamp_changes).
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))

    exercise: Mapped[Exercise | None] = relationship()
    # None once the prescribing therapist's account is deleted: the item stays the patient's.
    therapist: Mapped[User | None] = relationship(foreign_keys=[therapist_id])
    patient: Mapped[User] = relationship(foreign_keys=[patient_id])

    @property
    def name(self) -> str:
        """The exercise's name, from the catalogue or the therapist's own."""
        return self.exercise.name if self.exercise else (self.custom_name or "Exercise")

    def dose(self) -> dict[str, int]:
        """The prescribed dose fields that are set."""
        return {f: getattr(self, f) for f in DOSE_COLUMNS if getattr(self, f) is not None}

    def is_active_on(self, day: date) -> bool:
        """True when the item is part of the programme on that day."""
        if self.stopped_at is not None:
            return False
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


_FIELDS = all_fields()


def _range(column: str, low: int, high: int) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR {column} BETWEEN {low} AND {high}", name=column)


class Entry(Model):
    """One logged thing: an exercise session, a fatigue rating, mobility-aid use or a bad day.

    One table for every kind (single-table inheritance): one id space, one change feed
    for sync, one History. Ids are UUIDs a client may generate offline.
    """

    __tablename__ = "entries"
    __table_args__ = (
        # The database holds each kind's declared limits too (rehab_app/core/kinds.py).
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in KINDS)})", name="kind"),
        *(_range(f.name, 0, f.limit or 0) for f in _FIELDS.values() if f.type == "whole"),
        *(
            CheckConstraint(f"{c} IS NULL OR ({c} > 0 AND {c} <= {f.limit})", name=c)
            for c, f in _FIELDS.items()
            if f.type == "seconds"
        ),
        Index("ix_entries_user_date", "user_id", "local_date"),
        Index("ix_entries_user_kind_occurred", "user_id", "kind", "occurred_at"),
        Index("ix_entries_user_change_seq", "user_id", "change_seq"),
        # The caseload's last activity per person, read from the index alone (bench/README.md).
        Index("ix_entries_user_updated_created", "user_id", "updated_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    local_date: Mapped[date] = mapped_column(Date)  # the day in the person's own time zone
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    by_carer: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    # Where this entry's latest change sits in the change feed (see stamp_changes).
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))

    # Exercise sessions.
    discipline: Mapped[str | None] = mapped_column(String(16))
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"))
    programme_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_items.id", ondelete="SET NULL")
    )
    name: Mapped[str | None] = mapped_column(String(120))
    sets: Mapped[int | None] = mapped_column(Integer)
    reps: Mapped[int | None] = mapped_column(Integer)
    hold_seconds: Mapped[int | None] = mapped_column(Integer)
    phonation_seconds: Mapped[int | None] = mapped_column(Integer)
    loudness_db: Mapped[int | None] = mapped_column(Integer)
    rests: Mapped[int | None] = mapped_column(Integer)
    effort: Mapped[int | None] = mapped_column(Integer)
    pain: Mapped[int | None] = mapped_column(Integer)
    # Exercise sessions and mobility-aid use.
    minutes: Mapped[int | None] = mapped_column(Integer)
    distance_m: Mapped[int | None] = mapped_column(Integer)
    # Fatigue ratings.
    fatigue: Mapped[int | None] = mapped_column(Integer)
    context: Mapped[str | None] = mapped_column(String(32))
    # Mobility-aid use.
    aid: Mapped[str | None] = mapped_column(String(32))
    setting: Mapped[str | None] = mapped_column(String(16))
    falls: Mapped[int | None] = mapped_column(Integer)
    near_falls: Mapped[int | None] = mapped_column(Integer)
    # Bad days and relapses.
    reason: Mapped[str | None] = mapped_column(String(32))
    # Timed 7.6 m walks (with aid and setting): two trials in seconds, to a tenth.
    trial_1_seconds: Mapped[float | None] = mapped_column(Float)
    trial_2_seconds: Mapped[float | None] = mapped_column(Float)

    user: Mapped[User] = relationship(back_populates="entries")
    exercise: Mapped[Exercise | None] = relationship()
    programme_item: Mapped[ProgrammeItem | None] = relationship()

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "entry"}


class ExerciseSession(Entry):
    """An exercise done: discipline, exercise or free name, dose, effort and pain."""

    __mapper_args__ = {"polymorphic_identity": "exercise"}


class FatigueRating(Entry):
    """A 0-10 fatigue rating with optional context."""

    __mapper_args__ = {"polymorphic_identity": "fatigue"}


class MobilityUse(Entry):
    """Walking-aid use: which aid, where, how far or long, falls and near-falls."""

    __mapper_args__ = {"polymorphic_identity": "mobility"}


class BadDay(Entry):
    """A bad day or a relapse, with its reason."""

    __mapper_args__ = {"polymorphic_identity": "bad_day"}


class WalkTest(Entry):
    """A self-timed 7.6 m walk: two trials, the aid used, indoors or outdoors."""

    __mapper_args__ = {"polymorphic_identity": "walk_test"}

    @property
    def walk_seconds(self) -> float | None:
        """The score: the mean of the two trials, to a tenth of a second."""
        return walk_score(self.trial_1_seconds, self.trial_2_seconds)


def walk_score(first: float | None, second: float | None) -> float | None:
    """A walk test's score: the mean of its two trials, to a tenth; None without both.

    Counted in tenths and a half rounded up, so that the phone (views.js `walkScore`) says
    the same: Python's round(8.25, 1) is 8.2, JavaScript's Math.round gives 8.3.
    """
    if not first or not second:
        return None
    tenths = round(first * 10) + round(second * 10)
    return (tenths + 1) // 2 / 10


ENTRY_CLASSES: dict[str, type[Entry]] = {
    "exercise": ExerciseSession,
    "fatigue": FatigueRating,
    "mobility": MobilityUse,
    "bad_day": BadDay,
    "walk_test": WalkTest,
}
