"""Slow-change signals: robust trends in a person's own log, shown as "worth reviewing".

Pure Python and Flask-free. Daily values are reduced to weekly medians, the 30 days after
each recorded relapse are left out, and a Mann-Kendall test (stratified by the stretches
between relapses) with a Theil-Sen slope says whether a measure has drifted the worse way.
A signal also needs enough weeks of data and a sustained change. See docs/trends.md.
It never diagnoses: a signal only says that the numbers are worth a therapist's look.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median

from .vocab import AID_LEVEL

DAYS_PER_YEAR = 365.25
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7
# The day of a relapse and the 30 days after it are left out: changes then may recover.
RELAPSE_EXCLUSION_DAYS = 30
# A week counts only with at least this many logged (and not excluded) days.
MIN_DAYS_PER_WEEK = 3
# Windows looked at: months -> (weeks, minimum weeks with data, two-sided Mann-Kendall p-value
# below which a trend counts). Tuned on the simulated cohort (docs/trends.md) to keep stable
# people's flags under 5% over a year of monthly reviews; the short window is stricter
# because its monthly looks overlap less and so add more chances of a flag by chance.
WINDOWS: dict[int, tuple[int, int, float]] = {6: (26, 12, 0.002), 12: (52, 20, 0.01)}
# Each quarter used by the sustained-change rule needs at least this many weeks of data.
MIN_WEEKS_PER_QUARTER = 2
# Sessions of one exercise needed before capacity at similar effort is followed.
MIN_SESSIONS_PER_EXERCISE = 8
# "Similar effort": within this many points of the person's usual effort for that exercise.
EFFORT_TOLERANCE = 1


@dataclass(frozen=True)
class ExerciseSample:
    """One exercise session as the trend maths sees it: how much was done at what effort."""

    day: date
    exercise: str
    amount: float  # e.g. reps per set, hold seconds or minutes: one unit per exercise
    effort: int


@dataclass(frozen=True)
class PatientSeries:
    """One person's log, reduced to what the trend maths needs, by local date."""

    fatigue: Mapping[date, Sequence[float]] = field(default_factory=dict)
    aids: Mapping[date, Sequence[str]] = field(default_factory=dict)
    outdoor_distance_m: Mapping[date, float] = field(default_factory=dict)
    falls: Mapping[date, int] = field(default_factory=dict)  # falls + near-falls, logged days
    exercises: Sequence[ExerciseSample] = ()
    relapses: Sequence[date] = ()


@dataclass(frozen=True)
class Signal:
    """A slow change worth reviewing, with the numbers behind it."""

    measure: str
    window_months: int
    slope_per_year: float
    p_value: float
    weeks: int
    change: float
    reason: str


@dataclass(frozen=True)
class Measure:
    """How one measure is read: its words, its worse direction and its smallest change."""

    key: str
    label: str
    unit: str
    direction: int  # +1 when higher is worse, -1 when lower is worse
    min_change: float  # smallest first-to-last-quarter change that counts as sustained
    relative: bool = False  # min_change is a fraction of the first quarter's level
    rate: bool = False  # weekly value is a rate per week, not a median of days


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("fatigue", "Fatigue", "points", +1, 0.4),
        Measure("aid_level", "Walking-aid level", "steps on the walking-aid ladder", +1, 0.5),
        Measure("outdoor_distance", "Outdoor walking distance", "m", -1, 0.15, relative=True),
        Measure("falls", "Falls and near-falls", "a week", +1, 0.5, rate=True),
        Measure("capacity", "Capacity at similar effort", "% of usual", -1, 10.0),
    )
}


def mann_kendall(values: Sequence[float]) -> tuple[int, float, float]:
    """Mann-Kendall S, Z and two-sided p-value, with the correction for ties."""
    s, var = _mk_s_var(values)
    z = _z_score(s, var)
    return s, z, _two_sided_p(z)


def stratified_mann_kendall(blocks: Sequence[Sequence[float]]) -> tuple[int, float, float]:
    """Mann-Kendall over several blocks: S and variance summed, no pairs across blocks."""
    s_total, var_total = 0, 0.0
    for block in blocks:
        s, var = _mk_s_var(block)
        s_total += s
        var_total += var
    z = _z_score(s_total, var_total)
    return s_total, z, _two_sided_p(z)


def _mk_s_var(values: Sequence[float]) -> tuple[int, float]:
    n = len(values)
    s = 0
    for i in range(n - 1):
        v = values[i]
        for w in values[i + 1 :]:
            if w > v:
                s += 1
            elif w < v:
                s -= 1
    counts: dict[float, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    ties = sum(t * (t - 1) * (2 * t + 5) for t in counts.values() if t > 1)
    return s, (n * (n - 1) * (2 * n + 5) - ties) / 18


def _z_score(s: int, var: float) -> float:
    if var <= 0 or s == 0:
        return 0.0
    # Continuity correction: S moves in steps of 2.
    return (s - 1 if s > 0 else s + 1) / math.sqrt(var)


def _two_sided_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def theil_sen_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Theil-Sen slope: the median of the slopes between every pair of points."""
    return _segmented_theil_sen([(list(xs), list(ys))])


def _segmented_theil_sen(segments: Iterable[tuple[Sequence[float], Sequence[float]]]) -> float:
    slopes = [
        (ys[j] - ys[i]) / (xs[j] - xs[i])
        for xs, ys in segments
        for i in range(len(xs))
        for j in range(i + 1, len(xs))
        if xs[j] != xs[i]
    ]
    if not slopes:
        raise ValueError("a slope needs at least two points with different x")
    return median(slopes)


def excluded_days(relapses: Iterable[date], days: int = RELAPSE_EXCLUSION_DAYS) -> set[date]:
    """The days left out of trends: each relapse day and the `days` days after it."""
    return {r + timedelta(days=k) for r in relapses for k in range(days + 1)}


def weekly_medians(
    daily: Mapping[date, float],
    end: date,
    weeks: int,
    min_days: int = MIN_DAYS_PER_WEEK,
    excluded: Iterable[date] = (),
) -> list[float | None]:
    """Median of the logged days of each 7-day week ending on `end`, oldest first."""
    return _weekly(daily, end, weeks, min_days, set(excluded), rate=False)


def _weekly(
    daily: Mapping[date, float],
    end: date,
    weeks: int,
    min_days: int,
    excluded: set[date],
    rate: bool,
) -> list[float | None]:
    start = end - timedelta(days=7 * weeks - 1)
    out: list[float | None] = []
    for w in range(weeks):
        first = start + timedelta(days=7 * w)
        days = [first + timedelta(days=k) for k in range(7)]
        vals = [daily[d] for d in days if d in daily and d not in excluded]
        if len(vals) < min_days:
            out.append(None)
        elif rate:
            out.append(sum(vals) * 7 / len(vals))
        else:
            out.append(median(vals))
    return out


def daily_values(series: PatientSeries, measure: str, today: date) -> dict[date, float]:
    """One value per logged day up to `today` for a measure (see MEASURES)."""
    if measure == "fatigue":
        return {d: median(v) for d, v in series.fatigue.items() if v and d <= today}
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
    raise KeyError(measure)


def capacity_at_similar_effort(
    sessions: Sequence[ExerciseSample], today: date
) -> dict[date, float]:
    """Per day, the median amount done as % of usual, over sessions at the usual effort ±1."""
    by_exercise: dict[str, list[ExerciseSample]] = {}
    for s in sessions:
        if s.day <= today and s.amount > 0:
            by_exercise.setdefault(s.exercise, []).append(s)
    per_day: dict[date, list[float]] = {}
    for samples in by_exercise.values():
        if len(samples) < MIN_SESSIONS_PER_EXERCISE:
            continue  # not done repeatedly enough to have a "usual"
        usual_effort = median(s.effort for s in samples)
        similar = [s for s in samples if abs(s.effort - usual_effort) <= EFFORT_TOLERANCE]
        if len(similar) < MIN_SESSIONS_PER_EXERCISE:
            continue
        usual_amount = median(s.amount for s in similar)
        for s in similar:
            per_day.setdefault(s.day, []).append(100 * s.amount / usual_amount)
    return {d: median(v) for d, v in per_day.items()}


def _segment_labels(end: date, weeks: int, relapses: Sequence[date]) -> list[int]:
    """For each week, how many relapses came before it: the stretch it belongs to."""
    start = end - timedelta(days=7 * weeks - 1)
    ordered = sorted(relapses)
    # A week lies wholly on one side of a relapse once the excluded days are removed,
    # so the count at its last day names its stretch.
    return [sum(1 for r in ordered if r <= start + timedelta(days=7 * w + 6)) for w in range(weeks)]


def assess(
    weekly: Sequence[float | None],
    segments: Sequence[int],
    measure: Measure,
    window_months: int,
    min_weeks: int,
    p_threshold: float,
) -> Signal | None:
    """A signal when weekly values show a significant, sustained change the worse way."""
    points = [
        (w, v, g) for w, (v, g) in enumerate(zip(weekly, segments, strict=True)) if v is not None
    ]
    n_weeks = len(points)
    if n_weeks < min_weeks:
        return None
    blocks: dict[int, list[tuple[int, float]]] = {}
    for w, v, g in points:
        blocks.setdefault(g, []).append((w, v))
    s, _z, p = stratified_mann_kendall([[v for _w, v in b] for b in blocks.values()])
    if measure.direction * s <= 0 or p >= p_threshold:
        return None
    n = len(weekly)
    quarters = [[v for w, v, _g in points if q * n <= 4 * w < (q + 1) * n] for q in range(4)]
    if any(len(quarters[q]) < MIN_WEEKS_PER_QUARTER for q in (0, 2, 3)):
        return None
    first, third, last = (median(quarters[q]) for q in (0, 2, 3))
    needed = measure.min_change * (abs(first) if measure.relative else 1)
    # Sustained: the last quarter is worse by the minimum change and the third stays worse
    # too, so that one bad spell at the end is not read as a trend.
    if measure.direction * (last - first) < needed or measure.direction * (third - first) < (
        needed / 2
    ):
        return None
    slope = WEEKS_PER_YEAR * _segmented_theil_sen(
        ([w for w, _v in b], [v for _w, v in b]) for b in blocks.values() if len(b) > 1
    )
    if measure.direction * slope <= 0:
        return None
    return Signal(
        measure=measure.key,
        window_months=window_months,
        slope_per_year=slope,
        p_value=p,
        weeks=n_weeks,
        change=last - first,
        reason=_reason(measure, slope, window_months, n_weeks),
    )


def _reason(measure: Measure, slope: float, window_months: int, weeks: int) -> str:
    way = "rising" if slope > 0 else "falling"
    size = abs(slope)
    amount = f"{size:.0f}" if size >= 10 else f"{size:.1f}"
    if measure.unit == "m":
        what = f"{amount} m a day"
    elif measure.unit == "a week":
        what = f"{amount} a week"
    else:
        what = f"{amount} {measure.unit}"
    return (
        f"{measure.label} {way} about {what} a year over {window_months} months "
        f"({weeks} weeks of data)"
    )


def review(
    series: PatientSeries,
    today: date,
    measures: Iterable[str] | None = None,
) -> list[Signal]:
    """Slow-change signals worth reviewing on `today`, at most one per measure."""
    relapses = [r for r in series.relapses if r <= today]
    excluded = excluded_days(relapses)
    signals: list[Signal] = []
    for key in measures if measures is not None else MEASURES:
        measure = MEASURES[key]
        daily = daily_values(series, key, today)
        if not daily:
            continue
        found = _review_measure(daily, measure, today, excluded, relapses)
        if found is not None:
            signals.append(found)
    return signals


def _review_measure(
    daily: Mapping[date, float],
    measure: Measure,
    today: date,
    excluded: set[date],
    relapses: Sequence[date],
) -> Signal | None:
    # The longer window is tried first: more weeks make the stronger evidence.
    for months in sorted(WINDOWS, reverse=True):
        weeks, min_weeks, p_threshold = WINDOWS[months]
        weekly = _weekly(daily, today, weeks, MIN_DAYS_PER_WEEK, excluded, rate=measure.rate)
        segments = _segment_labels(today, weeks, relapses)
        found = assess(weekly, segments, measure, months, min_weeks, p_threshold)
        if found is not None:
            return found
    return None
