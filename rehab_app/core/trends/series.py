"""Daily values of each measure, from a person's series, and the relapses nobody logged."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, timedelta
from itertools import pairwise
from statistics import median

from ..vocab import AID_LEVEL
from .model import (
    EFFORT_TOLERANCE,
    HEAT_AFTER_DAYS,
    HEAT_SPELL_GAP_DAYS,
    MIN_SESSIONS_PER_EXERCISE,
    RELAPSE_EXCLUSION_DAYS,
    SPIKE_BEFORE_DAYS,
    SPIKE_POINTS,
    SPIKE_SPREAD,
    TRIM,
    USUAL_DOSE,
    ExerciseSample,
    PatientSeries,
)


def excluded_days(relapses: Iterable[date], days: int = RELAPSE_EXCLUSION_DAYS) -> set[date]:
    """The days left out of trends: each relapse day and the `days` days after it."""
    return {r + timedelta(days=k) for r in relapses for k in range(days + 1)}


def heat_or_infection_spells(tagged: Collection[date]) -> set[date]:
    """The days left out for heat or infection: each spell of tagged days and the days after it.

    Tagged days at most HEAT_SPELL_GAP_DAYS apart are one spell, the untagged days inside it
    included (a person tags some of a hot week's days, not all); the HEAT_AFTER_DAYS after
    each spell are left out too.
    """
    days = sorted(tagged)
    out = set(days)
    for a, b in pairwise(days):
        if (b - a).days <= HEAT_SPELL_GAP_DAYS:
            out.update(a + timedelta(days=k) for k in range(1, (b - a).days))
    for d in days:
        out.update(d + timedelta(days=k) for k in range(1, HEAT_AFTER_DAYS + 1))
    return out


def daily_values(series: PatientSeries, measure: str, today: date) -> dict[date, float]:
    """One value per logged day up to `today` for a measure (see MEASURES)."""
    if measure == "fatigue":
        return {
            d: v[0] if len(v) == 1 else median(v)
            for d, v in series.fatigue.items()
            if v and d <= today
        }
    if measure == "aid_level":
        return {
            d: float(max(AID_LEVEL[a] for a in v))
            for d, v in series.aids.items()
            if v and d <= today and all(a in AID_LEVEL for a in v)
        }
    if measure == "outdoor_distance":
        return {d: float(v) for d, v in series.outdoor_distance_m.items() if d <= today}
    if measure == "falls":
        return {d: float(v) for d, v in series.falls.items() if d <= today}
    if measure == "capacity":
        return capacity_at_similar_effort(series.exercises, today)
    if measure == "effort":
        return effort_at_usual_dose(series.exercises, today)
    if measure == "walk_time":
        return {d: float(v) for d, v in series.walk_seconds.items() if d <= today and v > 0}
    raise KeyError(measure)


def repeated_exercises(
    sessions: Sequence[ExerciseSample], today: date
) -> list[list[ExerciseSample]]:
    """Sessions up to today with an amount, by exercise, for each exercise done repeatedly
    enough (MIN_SESSIONS_PER_EXERCISE) to have a "usual"."""
    by_exercise: dict[str, list[ExerciseSample]] = {}
    for s in sessions:
        if s.day <= today and s.amount > 0:
            by_exercise.setdefault(s.exercise, []).append(s)
    return [v for v in by_exercise.values() if len(v) >= MIN_SESSIONS_PER_EXERCISE]


def capacity_at_similar_effort(
    sessions: Sequence[ExerciseSample], today: date
) -> dict[date, float]:
    """Per day, the median amount done as % of usual, over sessions at the usual effort ±1."""
    per_day: dict[date, list[float]] = {}
    for samples in repeated_exercises(sessions, today):
        usual_effort = median(s.effort for s in samples)
        similar = [s for s in samples if abs(s.effort - usual_effort) <= EFFORT_TOLERANCE]
        if len(similar) < MIN_SESSIONS_PER_EXERCISE:
            continue
        usual_amount = median(s.amount for s in similar)
        for s in similar:
            per_day.setdefault(s.day, []).append(100 * s.amount / usual_amount)
    return {d: median(v) for d, v in per_day.items()}


def effort_at_usual_dose(sessions: Sequence[ExerciseSample], today: date) -> dict[date, float]:
    """Per day, the mean effort above usual, over sessions within USUAL_DOSE of the usual amount.

    The mirror of capacity at similar effort: a decline often shows first as the same dose
    feeling harder, and those sessions are the ones capacity leaves out.
    """
    per_day: dict[date, list[float]] = {}
    for samples in repeated_exercises(sessions, today):
        usual_amount = median(s.amount for s in samples)
        at_dose = [s for s in samples if abs(s.amount / usual_amount - 1) <= USUAL_DOSE]
        if len(at_dose) < MIN_SESSIONS_PER_EXERCISE:
            continue
        usual_effort = median(s.effort for s in at_dose)
        for s in at_dose:
            per_day.setdefault(s.day, []).append(s.effort - usual_effort)
    return {d: _mean(v) for d, v in per_day.items()}


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def trimmed_mean(values: Sequence[float], cut: float = TRIM) -> float:
    """Mean of the values left when the lowest and highest `cut` share are set aside."""
    ordered = sorted(values)
    k = int(len(ordered) * cut)
    return _mean(ordered[k : len(ordered) - k])


def possible_unlogged_relapses(series: PatientSeries, today: date) -> list[date]:
    """The days review() treats as relapses nobody logged, from fatigue off heat and infection."""
    logged = sorted(r for r in series.relapses if r <= today)
    set_aside = heat_or_infection_spells(series.heat_or_infection_days)
    fatigue = {
        d: v for d, v in daily_values(series, "fatigue", today).items() if d not in set_aside
    }
    return unlogged_relapses(fatigue, logged)


def unlogged_relapses(fatigue: Mapping[date, float], logged: Sequence[date]) -> list[date]:
    """Days that look like a relapse nobody logged: fatigue jumps well above its recent level.

    A jump is the mean of a day and the 6 after it (at least 3 logged) less the mean of the 8
    weeks before (at least 20 logged). It counts when it is at least SPIKE_POINTS and beyond
    SPIKE_SPREAD robust standard deviations of the person's own jumps, and no relapse is logged
    within RELAPSE_EXCLUSION_DAYS of it (a relapse logged late is still the same relapse).
    Such days are then treated as relapses: a stretch of their own and the 30 days left out.
    """
    if len(fatigue) < 60:
        return []
    first = min(fatigue).toordinal()
    span = max(fatigue).toordinal() - first + 1
    total = [0.0] * (span + 1)
    count = [0] * (span + 1)
    for d, v in fatigue.items():
        total[d.toordinal() - first + 1] += v
        count[d.toordinal() - first + 1] += 1
    for k in range(span):
        total[k + 1] += total[k]
        count[k + 1] += count[k]

    def mean(lo: int, hi: int, least: int) -> float | None:
        lo, hi = max(lo, 0), min(hi, span)
        n = count[hi] - count[lo] if hi > lo else 0
        return (total[hi] - total[lo]) / n if n >= least else None

    jumps: list[tuple[int, float]] = []
    for k in range(SPIKE_BEFORE_DAYS, span):
        after, before = mean(k, k + 7, 3), mean(k - SPIKE_BEFORE_DAYS, k, 20)
        if after is not None and before is not None:
            jumps.append((k, after - before))
    if len(jumps) < 30:
        return []
    centre = median(j for _, j in jumps)
    spread = 1.4826 * median(abs(j - centre) for _, j in jumps)
    limit = max(SPIKE_POINTS, centre + SPIKE_SPREAD * spread)
    logged_days = [r.toordinal() - first for r in logged]
    found: list[int] = []
    for k, j in jumps:
        if j < limit or (found and k - found[-1] < 60):
            continue
        if any(abs(k - r) <= RELAPSE_EXCLUSION_DAYS for r in logged_days):
            continue
        found.append(k)
    return [date.fromordinal(first + k) for k in found]
