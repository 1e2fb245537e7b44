"""A person's log as daily series for the trend maths and charts (no Flask here).

`patient_series(entries)` takes live entries (ORM `Entry` objects, or the lighter `LogRow`s
that `LOG_COLUMNS` selects for many people at once) and returns a `trends.PatientSeries`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple, Protocol

from rehab_app.models import Entry, walk_score

from .trends import ExerciseSample, PatientSeries

# The dose fields that say "how much" of one exercise, in order of preference: one unit per
# exercise, since an exercise is always recorded in the same fields (its catalogue `records`).
# A fatigue context or bad-day reason that worsens symptoms for a while (DOMAIN.md): such days
# are left out of the trends.
TRYING_CONTEXTS = frozenset({"heat", "infection"})
AMOUNT_FIELDS = ("reps", "hold_seconds", "minutes", "distance_m", "phonation_seconds")


class LoggedEntry(Protocol):
    """What the series need of an entry (an `Entry` or a `LogRow`)."""

    @property
    def kind(self) -> str: ...
    @property
    def local_date(self) -> date: ...
    @property
    def fatigue(self) -> int | None: ...
    @property
    def aid(self) -> str | None: ...
    @property
    def setting(self) -> str | None: ...
    @property
    def distance_m(self) -> int | None: ...
    @property
    def falls(self) -> int | None: ...
    @property
    def near_falls(self) -> int | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def context(self) -> str | None: ...
    @property
    def exercise_id(self) -> int | None: ...
    @property
    def name(self) -> str | None: ...
    @property
    def reps(self) -> int | None: ...
    @property
    def hold_seconds(self) -> int | None: ...
    @property
    def minutes(self) -> int | None: ...
    @property
    def phonation_seconds(self) -> int | None: ...
    @property
    def effort(self) -> int | None: ...
    @property
    def trial_1_seconds(self) -> float | None: ...
    @property
    def trial_2_seconds(self) -> float | None: ...


class LogRow(NamedTuple):
    """One live entry, only the columns the dashboard reads (cheap to fetch for many people)."""

    user_id: int
    kind: str
    local_date: date
    fatigue: int | None
    aid: str | None
    setting: str | None
    distance_m: int | None
    falls: int | None
    near_falls: int | None
    reason: str | None
    exercise_id: int | None
    name: str | None
    reps: int | None
    hold_seconds: int | None
    minutes: int | None
    phonation_seconds: int | None
    effort: int | None
    programme_item_id: int | None
    context: str | None
    trial_1_seconds: float | None
    trial_2_seconds: float | None


# Select these, in this order, and make each row a LogRow with LogRow._make(row).
LOG_COLUMNS = tuple(getattr(Entry, name) for name in LogRow._fields)


def exercise_amount(entry: LoggedEntry) -> float | None:
    """How much of an exercise was done, in its one unit (reps per set, seconds, minutes…)."""
    for field in AMOUNT_FIELDS:
        value: int | None = getattr(entry, field)
        if value:
            return float(value)
    return None


def patient_series(entries: Iterable[LoggedEntry]) -> PatientSeries:
    """One person's live entries as the daily series that trends.review() reads."""
    fatigue: dict[date, list[float]] = {}
    aids: dict[date, list[str]] = {}
    outdoor_aids: dict[date, list[str]] = {}
    outdoor: dict[date, float] = {}
    falls: dict[date, int] = {}
    exercises: list[ExerciseSample] = []
    relapses: set[date] = set()
    heat_or_infection: set[date] = set()
    walks: dict[date, list[float]] = {}
    for e in entries:
        day = e.local_date
        if e.kind == "fatigue" and e.fatigue is not None:
            fatigue.setdefault(day, []).append(float(e.fatigue))
            if e.context in TRYING_CONTEXTS:
                heat_or_infection.add(day)
        elif e.kind == "mobility":
            if e.aid:
                aids.setdefault(day, []).append(e.aid)
                if e.setting == "outdoors":
                    outdoor_aids.setdefault(day, []).append(e.aid)
            if e.setting == "outdoors" and e.distance_m is not None:
                outdoor[day] = outdoor.get(day, 0.0) + e.distance_m
            # Every day with a mobility entry is a logged day for falls, with none or some.
            falls[day] = falls.get(day, 0) + (e.falls or 0) + (e.near_falls or 0)
        elif e.kind == "exercise" and e.effort is not None:
            amount = exercise_amount(e)
            key = f"#{e.exercise_id}" if e.exercise_id else (e.name or "").strip().casefold()
            if amount is not None and key:
                exercises.append(ExerciseSample(day, key, amount, e.effort))
        elif e.kind == "walk_test":
            score = walk_score(e.trial_1_seconds, e.trial_2_seconds)
            if score is not None:
                walks.setdefault(day, []).append(score)
        elif e.kind == "bad_day" and e.reason == "relapse":
            relapses.add(day)
        elif e.kind == "bad_day" and e.reason in TRYING_CONTEXTS:
            heat_or_infection.add(day)
    return PatientSeries(
        fatigue=fatigue,
        aids=aids,
        outdoor_distance_m=outdoor,
        falls=falls,
        exercises=exercises,
        relapses=sorted(relapses),
        heat_or_infection_days=frozenset(heat_or_infection),
        outdoor_aids=outdoor_aids,
        # A day's walk tests as one value, the mean of their scores.
        walk_seconds={d: sum(v) / len(v) for d, v in walks.items()},
    )
