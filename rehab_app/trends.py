"""Slow-change signals: trends in a person's own log, shown as "worth reviewing".

Pure Python and Flask-free. For each measure and for the last 12 and 6 months, the daily values
of the window and of up to a year before it are fitted by least squares with a level for each
stretch between recorded relapses, a weekday rhythm and a hinge: flat before the window, a
straight line within it. The slope is tested one-sided, the worse way, with a variance that
allows for day-to-day correlation (AR(1)). The 30 days after each relapse are left out, and a
relapse may shift the level without that counting as a trend. A signal also needs enough weeks
of data and a sustained change. See docs/trends.md.
It never diagnoses: a signal only says that the numbers are worth a therapist's look.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from statistics import median
from typing import NamedTuple

from .vocab import AID_LEVEL

DAYS_PER_YEAR = 365.25
# The day of a relapse and the 30 days after it are left out: changes then may recover.
RELAPSE_EXCLUSION_DAYS = 30
# A jump in fatigue that looks like a relapse nobody logged (unlogged_relapses): the mean of a
# week at least SPIKE_POINTS above that of the SPIKE_BEFORE_DAYS before it, and beyond
# SPIKE_SPREAD robust standard deviations of the person's own week-to-weeks jumps.
SPIKE_POINTS = 1.5
SPIKE_SPREAD = 4.0
SPIKE_BEFORE_DAYS = 56
# The level before a window is read from up to a year of data before it.
BASELINE_DAYS = 365
# The baseline is the reference level only with at least this many weeks of data in it;
# otherwise the first quarter of the window is.
MIN_BASELINE_WEEKS = 8
# Each period compared by the sustained-change rule needs at least this many weeks of data.
MIN_WEEKS_PER_PART = 2
# Days of data a fit needs beyond its number of parameters.
MIN_RESIDUAL_DF = 20
# The day-to-day correlation is estimated from the data, and capped.
MAX_LAG1_CORRELATION = 0.9
# The noise model (AR(1) plus white noise) is fitted to the residuals' autocovariances at
# lags of 1 to this many days; its AR coefficient is kept at or under MAX_PHI.
NOISE_MAX_LAG = 14
MAX_PHI = 0.97
# The level of a period leaves out its lowest and highest tenth of days (rates excepted).
TRIM = 0.1
# For counts such as falls, the rise from the reference period to the last half of the window
# must also pass an exact test at this level: a few events in a bad patch say little about a
# slow change, whatever the trend test says.
MAX_COUNT_P = 0.01
# Sessions of one exercise needed before capacity at similar effort is followed.
MIN_SESSIONS_PER_EXERCISE = 8
# "Similar effort": within this many points of the person's usual effort for that exercise.
EFFORT_TOLERANCE = 1
# "The usual dose": within this share of the usual amount of that exercise.
USUAL_DOSE = 0.15


class Window(NamedTuple):
    """A look-back window: its length, the data it needs and its one-sided p-value limit."""

    weeks: int
    min_weeks: int  # weeks with at least one logged day inside the window
    max_p: float  # one-sided p-value below which the trend counts

    @property
    def days(self) -> int:
        """The window's length in days."""
        return 7 * self.weeks


# Months -> window. A signal when either window shows the change (the clearer one gives the
# numbers). The p-value limits were chosen on simulated cohorts with other seeds than the
# test's (docs/trends.md) to keep stable people's flags under 5% over a year of monthly
# reviews; the short window is stricter because its monthly looks overlap less, so they add
# more chances of a flag by chance.
WINDOWS: dict[int, Window] = {12: Window(52, 20, 0.01), 6: Window(26, 12, 0.003)}
# How far back review() reads: the longest window and the year before it. Callers should pass
# at least this many days of log; with less, the earlier level is read from less data.
HISTORY_DAYS = max(w.days for w in WINDOWS.values()) + BASELINE_DAYS


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
    # Days tagged "heat" or "infection": symptoms worse for a while, not a slow change.
    heat_or_infection_days: Collection[date] = frozenset()
    # Self-timed 7.6 m walk: seconds (mean of the two timings) by day, when the person does it.
    walk_seconds: Mapping[date, float] = field(default_factory=dict)
    # The aids of `aids` logged outdoors, by day: only the words of a reason read it.
    outdoor_aids: Mapping[date, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Signal:
    """A slow change worth reviewing, with the numbers behind it."""

    measure: str
    window_months: int
    slope_per_year: float
    p_value: float  # one-sided, the worse way
    weeks: int  # weeks with data in the window
    # Level of the window's last quarter minus the reference level: that of the year before the
    # window, or of the window's first quarter when that year holds under 8 weeks of data.
    change: float
    baseline_weeks: int = 0  # weeks with data in the year before the window
    # What the words of a reason (rehab_app/reasons.py) read, in reported units: the level of
    # the reference period (`reference_first` to `reference_last`) and of the window's last
    # quarter, as logged (before the fit's adjustments), and the window's first day.
    since: date | None = None
    before: float | None = None
    now: float | None = None
    reference_first: date | None = None
    reference_last: date | None = None


@dataclass(frozen=True)
class Measure:
    """How one measure is read: its words, its worse direction and its smallest change."""

    key: str
    label: str
    unit: str  # the unit of a level and of Signal.change: "points", "m"
    slope_unit: str  # how a yearly slope reads after its number: "points a year"
    direction: int  # +1 when higher is worse, -1 when lower is worse
    min_change: float  # smallest sustained change, in reported units
    relative: bool = False  # min_change is a fraction of the reference level
    rate: bool = False  # a period's level is its mean (a rate), not a trimmed mean
    scale: float = 1.0  # reported units per daily unit (falls: a day's count -> a week's rate)


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure("fatigue", "Fatigue", "points", "points a year", +1, 0.4),
        Measure(
            "aid_level",
            "Walking-aid level",
            "steps on the walking-aid ladder",
            "steps on the walking-aid ladder a year",
            +1,
            0.5,
        ),
        Measure(
            "outdoor_distance", "Outdoor walking distance", "m", "m a year", -1, 0.15, relative=True
        ),
        Measure(
            "falls",
            "Falls and near-falls",
            "a week",
            "a week per year",
            +1,
            0.5,
            rate=True,
            scale=7,
        ),
        Measure(
            "capacity", "Capacity at similar effort", "% of usual", "% of usual a year", -1, 10
        ),
        Measure("effort", "Effort at the usual dose", "points", "points a year", +1, 0.5),
        Measure("walk_time", "Timed 7.6 m walk", "s", "s a year", +1, 0.1, relative=True),
    )
}


@dataclass(frozen=True)
class NoiseModel:
    """Day-to-day noise as AR(1) plus white noise (ARMA(1,1)), as fitted to a fit's residuals.

    Covariance of two days k > 0 apart: ar_variance x phi^k; of a day with itself: variance.
    Daily medians of ratings rounded to whole points are exactly this: a slowly wandering
    level (AR(1)) read through rounding and day-to-day scatter (white). A lag-1 correlation
    alone (pure AR(1)) mistakes the scatter for a fast decay and makes the slope look surer
    than it is.
    """

    variance: float
    ar_variance: float
    phi: float

    @property
    def lag1(self) -> float:
        """The lag-1 correlation the model implies."""
        return self.ar_variance * self.phi / self.variance if self.variance > 0 else 0.0

    def slope_variance(self, days: Sequence[int], weights: Sequence[float]) -> float:
        """Variance of sum(w_i x value_i) under this noise, gaps and all."""
        white = self.variance - self.ar_variance
        return self.ar_variance * ar1_sum(days, weights, self.phi) + white * sum(
            w * w for w in weights
        )


@dataclass(frozen=True)
class TrendFit:
    """A hinge fitted to daily values: the slope after the hinge and how sure it is."""

    slope_per_day: float
    se_per_day: float
    z: float
    lag1_correlation: float
    # Each day's value less its stretch's level and its weekday effect: one common scale
    # across relapses, about zero before the hinge and about slope x days after it.
    adjusted: tuple[float, ...]
    noise: NoiseModel | None = None


@dataclass(frozen=True)
class WindowAssessment:
    """What one window says about one measure, whether or not it is worth a signal."""

    months: int
    window: Window
    direction: int
    fit: TrendFit
    p_value: float  # one-sided, the worse way
    weeks: int
    baseline_weeks: int
    reference: float  # levels on the fit's adjusted scale, in daily units
    third: float
    last: float
    needed: float  # smallest change that counts, in daily units
    # For counts (falls): one-sided exact p-value for the count in the last half of the window
    # at the reference period's rate. None for other measures.
    count_p_value: float | None = None
    # For the words only: the window's first day and the reference period's first and last
    # (day numbers), and the levels of the reference period and of the last quarter as logged.
    hinge: int = 0
    reference_days: tuple[int, int] = (0, 0)
    logged_reference: float = 0.0
    logged_last: float = 0.0

    @property
    def sustained(self) -> bool:
        """Last quarter worse than the reference by `needed`, the third by half of it."""
        return (
            self.direction * (self.last - self.reference) >= self.needed
            and self.direction * (self.third - self.reference) >= self.needed / 2
        )

    @property
    def flagged(self) -> bool:
        """Worth reviewing when this is the only measure looked at (see review())."""
        return self.passes(self.window.max_p)

    def passes(self, max_p: float) -> bool:
        """Significant the worse way at `max_p`, sustained and (counts) beyond chance."""
        chance_count = self.count_p_value is not None and self.count_p_value >= MAX_COUNT_P
        return self.p_value < max_p and self.sustained and not chance_count


def excluded_days(relapses: Iterable[date], days: int = RELAPSE_EXCLUSION_DAYS) -> set[date]:
    """The days left out of trends: each relapse day and the `days` days after it."""
    return {r + timedelta(days=k) for r in relapses for k in range(days + 1)}


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


def fit_trend(
    days: Sequence[int],
    values: Sequence[float],
    stretches: Sequence[int],
    hinge: int,
) -> TrendFit | None:
    """Least-squares hinge with a level per stretch and a weekday rhythm; AR(1) variance.

    `days` are ascending day numbers (date.toordinal()); `stretches` say which stretch between
    relapses each day is in; the slope applies after day `hinge`. None when the data cannot
    carry the model, or do not vary at all.
    """
    n = len(days)
    level_of = {s: i for i, s in enumerate(sorted(set(stretches)))}
    n_levels = len(level_of)
    # Days fall into cells, one for each stretch and weekday; sums per cell give the normal
    # equations in one pass.
    cells = [7 * level_of[s] + d % 7 for s, d in zip(stretches, days, strict=True)]
    xs = [float(d - hinge) if d > hinge else 0.0 for d in days]
    count = [0] * (7 * n_levels)
    sum_x = [0.0] * (7 * n_levels)
    sum_y = [0.0] * (7 * n_levels)
    sxx = sxy = 0.0
    for c, x, y in zip(cells, xs, values, strict=True):
        count[c] += 1
        sum_x[c] += x
        sum_y[c] += y
        sxx += x * x
        sxy += x * y
    # Columns: a level per stretch, an effect per weekday present bar the first (the levels
    # carry that one), the slope.
    present = [w for w in range(7) if any(count[7 * a + w] for a in range(n_levels))]
    weekday_col = {w: n_levels + i for i, w in enumerate(present[1:])}
    slope_col = n_levels + len(weekday_col)
    size = slope_col + 1
    if n - size < MIN_RESIDUAL_DF:
        return None
    xtx = [[0.0] * size for _ in range(size)]
    xty = [0.0] * size
    for c in range(7 * n_levels):
        if not count[c]:
            continue
        cols = [c // 7]
        if c % 7 in weekday_col:
            cols.append(weekday_col[c % 7])
        for a in cols:
            xty[a] += sum_y[c]
            xtx[a][slope_col] += sum_x[c]
            xtx[slope_col][a] += sum_x[c]
            for b in cols:
                xtx[a][b] += count[c]
    xtx[slope_col][slope_col] = sxx
    xty[slope_col] = sxy
    unit = [0.0] * size
    unit[slope_col] = 1.0
    solved = _solve(xtx, [xty, unit])
    if solved is None:
        return None
    # coef: the fitted levels, weekday effects and slope; slope_row: the slope written as
    # a weighted sum of the days' values (the slope's row of the inverse).
    coef, slope_row = solved

    def per_cell(vector: list[float]) -> list[float]:
        return [
            vector[c // 7] + (vector[weekday_col[c % 7]] if c % 7 in weekday_col else 0.0)
            for c in range(7 * n_levels)
        ]

    offset, weight = per_cell(coef), per_cell(slope_row)
    slope, slope_weight = coef[slope_col], slope_row[slope_col]
    adjusted = [y - offset[c] for c, y in zip(cells, values, strict=True)]
    residuals = [a - slope * x for a, x in zip(adjusted, xs, strict=True)]
    if sum(r * r for r in residuals) / (n - size) <= 1e-12:
        return None  # no day-to-day variation: nothing to weigh a slope against
    noise = noise_model(days, residuals, n - size)
    weights = [weight[c] + slope_weight * x for c, x in zip(cells, xs, strict=True)]
    se = math.sqrt(noise.slope_variance(days, weights))
    return TrendFit(
        slope_per_day=slope,
        se_per_day=se,
        z=slope / se,
        lag1_correlation=noise.lag1,
        adjusted=tuple(adjusted),
        noise=noise,
    )


def _solve(matrix: list[list[float]], rhs: list[list[float]]) -> list[list[float]] | None:
    """Solve matrix @ x = b for each b in rhs (Gauss-Jordan); None when singular."""
    size = len(matrix)
    m = [row[:] + [b[i] for b in rhs] for i, row in enumerate(matrix)]
    width = size + len(rhs)
    tiny = 1e-10 * max(abs(v) for row in matrix for v in row)
    for c in range(size):
        pivot = max(range(c, size), key=lambda r: abs(m[r][c]))
        if abs(m[pivot][c]) <= tiny:
            return None
        m[c], m[pivot] = m[pivot], m[c]
        row_c = m[c]
        for r in range(size):
            f = m[r][c] / row_c[c] if r != c else 0.0
            if f:
                row_r = m[r]
                for k in range(c, width):
                    row_r[k] -= f * row_c[k]
    return [[m[i][size + j] / m[i][i] for i in range(size)] for j in range(len(rhs))]


def lag1_correlation(days: Sequence[int], residuals: Sequence[float]) -> float:
    """Correlation of residuals on consecutive calendar days, kept in [0, MAX_LAG1]."""
    num = left = right = 0.0
    for (d0, r0), (d1, r1) in pairwise(zip(days, residuals, strict=True)):
        if d1 - d0 == 1:
            num += r0 * r1
            left += r0 * r0
            right += r1 * r1
    if left <= 0 or right <= 0:
        return 0.0
    # A negative estimate counts as none: it could only narrow the variance.
    return min(max(num / math.sqrt(left * right), 0.0), MAX_LAG1_CORRELATION)


def autocovariances(
    days: Sequence[int], residuals: Sequence[float], max_lag: int
) -> list[tuple[float, int]]:
    """Mean product of residuals k calendar days apart, and how many pairs, for k = 0..max_lag."""
    first = days[0]
    by_day: list[float | None] = [None] * (days[-1] - first + 1)
    for d, r in zip(days, residuals, strict=True):
        by_day[d - first] = r
    out = []
    for k in range(max_lag + 1):
        pairs = zip(by_day[: max(0, len(by_day) - k)], by_day[k:], strict=True)
        products = [a * b for a, b in pairs if a is not None and b is not None]
        out.append((sum(products) / len(products) if products else 0.0, len(products)))
    return out


def noise_model(days: Sequence[int], residuals: Sequence[float], df: int) -> NoiseModel:
    """AR(1) plus white noise fitted to residuals' autocovariances at lags 1..NOISE_MAX_LAG.

    phi is chosen on a grid of 0.01 (coarse, then fine around the best) and the AR part's
    variance by least squares for each, weighting each lag by its number of pairs. Residuals of
    a fit sit a little closer to zero than the noise itself, so every autocovariance is scaled
    by n / df, as the variance is.
    """
    inflate = len(residuals) / df
    acov = autocovariances(days, residuals, NOISE_MAX_LAG)
    variance = acov[0][0] * inflate
    lags = [(k, c * inflate, float(pairs)) for k, (c, pairs) in enumerate(acov) if k and pairs]

    def fitted(step: int) -> tuple[float, NoiseModel]:
        phi = step / 100
        num = den = 0.0
        for k, c, pairs in lags:
            power = phi**k
            num += pairs * c * power
            den += pairs * power * power
        ar = min(num / den, variance) if den > 0 and num > 0 else 0.0
        loss = sum(pairs * (c - ar * phi**k) ** 2 for k, c, pairs in lags)
        return loss, NoiseModel(variance, ar, phi if ar else 0.0)

    top = round(MAX_PHI * 100)
    loss, best = min((fitted(step) for step in range(0, top + 1, 5)), key=lambda f: f[0])
    centre = round(best.phi * 100)
    fine = range(max(0, centre - 4), min(top, centre + 4) + 1)
    return min([(loss, best), *(fitted(step) for step in fine)], key=lambda f: f[0])[1]


def ar1_sum(days: Sequence[int], weights: Sequence[float], rho: float) -> float:
    """Sum over all pairs of days of w_i * w_j * rho^|day_i - day_j|, in one pass.

    Times the variance of one day, this is the variance of sum(w_i * value_i) when the
    day-to-day noise is AR(1) with lag-1 correlation rho, gaps and all.
    """
    decay: dict[int, float] = {}
    total = carried = 0.0
    previous = days[0] if days else 0
    for d, w in zip(days, weights, strict=True):
        gap = d - previous
        if gap not in decay:
            decay[gap] = rho**gap
        carried = w + decay[gap] * carried
        total += w * (2 * carried - w)
        previous = d
    return total


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
    fit = fit_trend(days, values, stretches, hinge)
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


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def trimmed_mean(values: Sequence[float], cut: float = TRIM) -> float:
    """Mean of the values left when the lowest and highest `cut` share are set aside."""
    ordered = sorted(values)
    k = int(len(ordered) * cut)
    return _mean(ordered[k : len(ordered) - k])


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
    set_aside = set(series.heat_or_infection_days)
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


def possible_unlogged_relapses(series: PatientSeries, today: date) -> list[date]:
    """The days review() treats as relapses nobody logged, from fatigue off heat and infection."""
    logged = sorted(r for r in series.relapses if r <= today)
    set_aside = set(series.heat_or_infection_days)
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
