"""The trend method's limits and windows, the series it reads and what it answers."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from .noise import NoiseModel

DAYS_PER_YEAR = 365.25
# The day of a relapse and the 30 days after it are left out: changes then may recover.
RELAPSE_EXCLUSION_DAYS = 30
# A jump in fatigue that looks like a relapse nobody logged (unlogged_relapses): the mean of a
# week at least SPIKE_POINTS above that of the SPIKE_BEFORE_DAYS before it, and beyond
# SPIKE_SPREAD robust standard deviations of the person's own week-to-weeks jumps.
SPIKE_POINTS = 1.5
SPIKE_SPREAD = 4.0
SPIKE_BEFORE_DAYS = 56
# Days tagged "heat" or "infection" are left out, and so is the rest of their spell: a person
# tags some of a hot week's days, not all of them, and the untagged ones were as hot. Tagged
# days at most HEAT_SPELL_GAP_DAYS apart are one spell, and the HEAT_AFTER_DAYS after a spell
# are left out too, while the body cools down or the infection clears.
HEAT_SPELL_GAP_DAYS = 7
HEAT_AFTER_DAYS = 3
# The level before a window is read from up to two years of data before it. A year gave the
# same power on the battery's tuning seed, but a hot summer or a slow wander in that one year
# weighed more against the window (docs/trends.md, "Two years before the window").
BASELINE_DAYS = 730
# The baseline is the reference level only with at least this many weeks of data in it;
# otherwise the first quarter of the window is.
MIN_BASELINE_WEEKS = 8
# Each period compared by the sustained-change rule needs at least this many weeks of data.
MIN_WEEKS_PER_PART = 2
# Days of data a fit needs beyond its number of parameters.
MIN_RESIDUAL_DF = 20
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


class RelapseStep(NamedTuple):
    """What a relapse leaves behind for good in a measure: its lasting step's mean and SD.

    The stretch levels of a fit are pooled toward it (fit_trend) instead of being free.
    """

    mean: float
    sd: float


# Issue 4's relapses in fatigue: a peak of 1.5-3.5 points of which 0-30% stays for good, a
# lasting step of 0.375 points on average with an SD of 0.24. Assumed a little larger, 0.5 with
# an SD of 0.25, so that a larger step than usual is not read as a trend too readily: chosen on
# the battery's tuning seed as the step that kept stable people's false flags where the free
# levels had them (docs/trends.md); 0.4 took them from 3.3% to 5.0%, 0.3 to 9.3%.
FATIGUE_RELAPSE_STEP = RelapseStep(0.5, 0.25)
# Where the levels are pooled, each stretch after a relapse also gets a recovery tail of this
# time constant in days, from its first day with data, its size free.
RECOVERY_DAYS = 20


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
# How far back review() reads: the longest window and the two years before it. Callers should pass
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
    # Level of the window's last quarter minus the reference level: that of the two years before
    # the window, or of the window's first quarter when they hold under 8 weeks of data.
    change: float
    baseline_weeks: int = 0  # weeks with data in the two years before the window
    # What the words of a reason (rehab_app/core/reasons.py) read, in reported units: the level of
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
    # What a relapse leaves behind for good, when known: the fit's stretch levels are pooled
    # toward it. None: each stretch between relapses has a free level.
    relapse_step: RelapseStep | None = None


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "fatigue",
            "Fatigue",
            "points",
            "points a year",
            +1,
            0.4,
            relapse_step=FATIGUE_RELAPSE_STEP,
        ),
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
