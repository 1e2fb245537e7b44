"""One review of a person: each measure in each window, one family-wise decision."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from .fit import fit_trend
from .model import (
    BASELINE_DAYS,
    DAYS_PER_YEAR,
    MEASURES,
    MIN_BASELINE_WEEKS,
    MIN_WEEKS_PER_PART,
    WINDOWS,
    Measure,
    PatientSeries,
    Signal,
    WindowAssessment,
)
from .series import (
    _mean,
    daily_values,
    excluded_days,
    heat_or_infection_spells,
    possible_unlogged_relapses,
    trimmed_mean,
)


def assess_window(
    daily: Mapping[date, float],
    measure: Measure,
    today: date,
    months: int,
    relapses: Sequence[date] = (),
) -> WindowAssessment | None:
    """Fit and weigh one window for one measure; None when there is not enough data."""
    left_out = excluded_days(r for r in relapses if r <= today)
    points = sorted(
        (d.toordinal(), v) for d, v in daily.items() if d <= today and d not in left_out
    )
    relapse_days = sorted(r.toordinal() for r in relapses if r <= today)
    return _assess(points, relapse_days, measure, today.toordinal(), months)


def _assess(
    points: Sequence[tuple[int, float]],
    relapse_days: Sequence[int],
    measure: Measure,
    end: int,
    months: int,
) -> WindowAssessment | None:
    window = WINDOWS[months]
    hinge = end - window.days
    first = bisect_left(points, hinge - BASELINE_DAYS + 1, key=lambda p: p[0])
    days = [k for k, _ in points[first:]]
    values = [v for _, v in points[first:]]

    def span(lo: float, hi: float) -> slice:
        """The days whose offset from the hinge is in (lo, hi]."""
        return slice(bisect_right(days, hinge + lo), bisect_right(days, hinge + hi))

    def weeks_in(part: slice) -> int:
        return len({(end - k) // 7 for k in days[part]})

    weeks = weeks_in(span(0, window.days))
    if weeks < window.min_weeks:
        return None
    quarter = window.days / 4
    baseline_weeks = weeks_in(span(-BASELINE_DAYS, 0))
    reference = (
        span(-BASELINE_DAYS, 0) if baseline_weeks >= MIN_BASELINE_WEEKS else span(0, quarter)
    )
    parts = (reference, span(2 * quarter, 3 * quarter), span(3 * quarter, 4 * quarter))
    if min(weeks_in(part) for part in parts) < MIN_WEEKS_PER_PART:
        return None
    stretches = [bisect_right(relapse_days, k) for k in days]
    fit = fit_trend(days, values, stretches, hinge, measure.relapse_step)
    if fit is None:
        return None
    level: Callable[[Sequence[float]], float] = _mean if measure.rate else trimmed_mean
    ref, third, last = (level(fit.adjusted[part]) for part in parts)
    needed = measure.min_change / measure.scale
    if measure.relative:
        needed *= abs(level(values[reference]))
    count_p = None
    if measure.rate:
        recent = span(2 * quarter, 4 * quarter)
        count_p = count_rise_p_value(
            round(sum(values[reference])),
            len(values[reference]),
            round(sum(values[recent])),
            len(values[recent]),
        )
    return WindowAssessment(
        months=months,
        window=window,
        direction=measure.direction,
        fit=fit,
        p_value=0.5 * math.erfc(measure.direction * fit.z / math.sqrt(2)),
        weeks=weeks,
        baseline_weeks=baseline_weeks,
        reference=ref,
        third=third,
        last=last,
        needed=needed,
        count_p_value=count_p,
        hinge=hinge,
        reference_days=(hinge - BASELINE_DAYS + 1, hinge)
        if baseline_weeks >= MIN_BASELINE_WEEKS
        else (hinge + 1, hinge + math.floor(quarter)),
        logged_reference=level(values[reference]),
        logged_last=level(values[parts[2]]),
    )


def count_rise_p_value(before: int, days_before: int, after: int, days_after: int) -> float:
    """Exact one-sided p-value for `after` or more of all the events falling in the later days."""
    total = before + after
    share = days_after / (days_before + days_after)
    return min(
        1.0,
        sum(
            math.comb(total, k) * share**k * (1 - share) ** (total - k)
            for k in range(after, total + 1)
        ),
    )


def review(
    series: PatientSeries,
    today: date,
    measures: Iterable[str] | None = None,
) -> list[Signal]:
    """Slow-change signals worth reviewing on `today`, at most one per measure.

    One decision per person and review: each window's p-value limit (WINDOWS) is the budget for
    all the measures with enough data together, shared out by Holm's step-down rule.
    """
    logged = sorted(r for r in series.relapses if r <= today)
    set_aside = heat_or_infection_spells(series.heat_or_infection_days)
    relapses = sorted(logged + possible_unlogged_relapses(series, today))
    relapse_days = [r.toordinal() for r in relapses]
    left_out = excluded_days(relapses) | set_aside
    end = today.toordinal()
    by_window: dict[int, list[tuple[Measure, WindowAssessment]]] = {m: [] for m in WINDOWS}
    for key in measures if measures is not None else MEASURES:
        measure = MEASURES[key]
        daily = daily_values(series, key, today)
        points = sorted((d.toordinal(), v) for d, v in daily.items() if d not in left_out)
        if not points:
            continue
        for months in WINDOWS:
            assessed = _assess(points, relapse_days, measure, end, months)
            if assessed is not None:
                by_window[months].append((measure, assessed))
    best: dict[str, tuple[Measure, WindowAssessment]] = {}
    for months, candidates in by_window.items():
        for measure, a in holm(candidates, WINDOWS[months].max_p):
            if a.passes(1.0) and (
                measure.key not in best or a.p_value < best[measure.key][1].p_value
            ):
                # Where both windows show it, the clearer one gives the numbers.
                best[measure.key] = (measure, a)
    return [_signal(measure, a) for measure, a in best.values()]


def holm(
    found: Sequence[tuple[Measure, WindowAssessment]], alpha: float
) -> list[tuple[Measure, WindowAssessment]]:
    """The assessments whose p-values pass Holm's step-down rule at family-wise level alpha."""
    ordered = sorted(found, key=lambda f: f[1].p_value)
    passed = []
    for k, (measure, a) in enumerate(ordered):
        if a.p_value >= alpha / (len(ordered) - k):
            break
        passed.append((measure, a))
    return passed


def _signal(measure: Measure, found: WindowAssessment) -> Signal:
    slope = found.fit.slope_per_day * DAYS_PER_YEAR * measure.scale
    first, last = found.reference_days
    return Signal(
        measure=measure.key,
        window_months=found.months,
        slope_per_year=slope,
        p_value=found.p_value,
        weeks=found.weeks,
        change=(found.last - found.reference) * measure.scale,
        baseline_weeks=found.baseline_weeks,
        since=date.fromordinal(found.hinge + 1),
        before=found.logged_reference * measure.scale,
        now=found.logged_last * measure.scale,
        reference_first=date.fromordinal(first),
        reference_last=date.fromordinal(last),
    )
