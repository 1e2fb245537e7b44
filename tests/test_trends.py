"""Trend maths: Mann-Kendall, Theil-Sen, weekly medians, relapses, and a simulated cohort."""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rehab_app import trends
from rehab_app.trends import (
    ExerciseSample,
    PatientSeries,
    excluded_days,
    mann_kendall,
    review,
    theil_sen_slope,
    weekly_medians,
)

DAY0 = date(2024, 1, 1)


def _day(k: int) -> date:
    return DAY0 + timedelta(days=k)


# --- Mann-Kendall on hand-checkable series -------------------------------------------------
# [1, 2, 3, 4, 5]: all 10 pairs rise, S = 10; Var = 5*4*15/18 = 16.667;
#   Z = (10 - 1)/sqrt(16.667) = 2.2045; p = erfc(2.2045/sqrt 2) = 0.0275.
# [5, 4, 3, 2, 1]: the mirror image, S = -10, Z = -2.2045, same p.
# [1, 2, 2, 3]: 5 pairs rise, the (2, 2) pair is tied, S = 5; one tie group of t = 2:
#   Var = (4*3*13 - 2*1*9)/18 = 138/18 = 7.667; Z = 4/2.7689 = 1.4446; p = 0.1486.
# [1, 1, 1, 2]: 3 pairs rise, 3 tied, S = 3; one tie group of t = 3:
#   Var = (156 - 3*2*11)/18 = 90/18 = 5.0 (8.667 without the correction); Z = 2/sqrt 5 = 0.8944;
#   p = 0.3711.
# [3, 1, 2]: two falls and one rise, S = -1; Z = (S + 1)/sd = 0; p = 1.
# [2, 2, 2, 2]: everything tied, S = 0, Var = 0; Z = 0; p = 1 (a flat series, no trend).
@pytest.mark.parametrize(
    ("values", "s", "z", "p"),
    [
        ([1, 2, 3, 4, 5], 10, 2.2045, 0.0275),
        ([5, 4, 3, 2, 1], -10, -2.2045, 0.0275),
        ([1, 2, 2, 3], 5, 1.4446, 0.1486),
        ([1, 1, 1, 2], 3, 0.8944, 0.3711),
        ([3, 1, 2], -1, 0.0, 1.0),
        ([2, 2, 2, 2], 0, 0.0, 1.0),
    ],
)
def test_mann_kendall_matches_hand_computation(
    values: list[float], s: int, z: float, p: float
) -> None:
    got_s, got_z, got_p = mann_kendall(values)
    assert got_s == s
    assert got_z == pytest.approx(z, abs=1e-4)
    assert got_p == pytest.approx(p, abs=1e-4)


@given(st.lists(st.integers(0, 10), min_size=2, max_size=40))
def test_mann_kendall_reversal_flips_the_sign(values: list[int]) -> None:
    s, z, p = mann_kendall(values)
    s_rev, z_rev, p_rev = mann_kendall(values[::-1])
    assert s_rev == -s
    assert z_rev == pytest.approx(-z)
    assert p_rev == pytest.approx(p)
    assert 0 <= p <= 1


# --- Theil-Sen -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("slope", "noise", "tolerance"),
    [
        (0.0, 0.0, 1e-12),
        (0.5, 0.0, 1e-12),
        (-2.0, 0.0, 1e-12),
        (0.05, 1.0, 0.02),
        (-0.1, 1.5, 0.03),
    ],
)
def test_theil_sen_recovers_known_slopes(slope: float, noise: float, tolerance: float) -> None:
    rng = random.Random(7)
    xs = list(range(60))
    ys = [3 + slope * x + rng.gauss(0, noise) for x in xs]
    assert theil_sen_slope(xs, ys) == pytest.approx(slope, abs=tolerance)


def test_theil_sen_ignores_outliers() -> None:
    xs = list(range(20))
    ys = [2.0 * x for x in xs]
    ys[3], ys[15] = 100.0, -100.0
    assert theil_sen_slope(xs, ys) == pytest.approx(2.0)


@given(
    st.lists(st.floats(-100, 100), min_size=2, max_size=30),
    st.floats(-50, 50),
    st.floats(0.1, 10),
)
def test_theil_sen_shifts_and_scales_with_the_data(
    ys: list[float], shift: float, scale: float
) -> None:
    xs = list(range(len(ys)))
    base = theil_sen_slope(xs, ys)
    moved = theil_sen_slope(xs, [scale * y + shift for y in ys])
    assert moved == pytest.approx(scale * base, abs=1e-6)


# --- Weekly medians and relapses -----------------------------------------------------------
def test_weekly_medians_need_enough_logged_days() -> None:
    end = _day(13)  # two weeks: days 0-6 and 7-13
    daily = {_day(0): 1.0, _day(1): 5.0, _day(2): 3.0, _day(9): 4.0, _day(10): 6.0}
    assert weekly_medians(daily, end, 2) == [3.0, None]
    assert weekly_medians(daily, end, 2, min_days=2) == [3.0, 5.0]


def test_relapse_exclusion_removes_the_relapse_day_and_the_30_after() -> None:
    gone = excluded_days([date(2024, 3, 1)])
    assert min(gone) == date(2024, 3, 1)
    assert max(gone) == date(2024, 3, 31)
    assert len(gone) == 31
    assert date(2024, 2, 29) not in gone
    assert date(2024, 4, 1) not in gone


def test_excluded_days_do_not_count_towards_a_week() -> None:
    daily = {_day(k): 9.0 for k in range(7)}
    assert weekly_medians(daily, _day(6), 1, excluded=excluded_days([_day(2)])) == [None]


# --- review --------------------------------------------------------------------------------
def _fatigue_series(level: list[float], logged: float = 1.0, seed: int = 3) -> PatientSeries:
    rng = random.Random(seed)
    return PatientSeries(
        fatigue={_day(k): [v] for k, v in enumerate(level) if rng.random() < logged}
    )


def _noisy_ramp(days: int, per_year: float, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [4 + per_year * k / 365.25 + rng.gauss(0, 0.8) for k in range(days)]


def test_a_clear_rise_in_fatigue_is_worth_reviewing() -> None:
    series = _fatigue_series(_noisy_ramp(365, 2.0))
    [signal] = review(series, _day(364))
    assert signal.measure == "fatigue"
    assert signal.window_months == 12
    assert signal.slope_per_year == pytest.approx(2.0, abs=0.5)
    assert signal.p_value < 0.01
    assert signal.weeks == 52
    assert signal.change > 1
    assert signal.reason.startswith("Fatigue rising about ")
    assert signal.reason.endswith(" a year over 12 months (52 weeks of data)")


def test_falling_fatigue_is_not_flagged() -> None:
    assert review(_fatigue_series(_noisy_ramp(365, -2.0)), _day(364)) == []


def test_a_flat_series_gives_no_signal() -> None:
    assert review(_fatigue_series([5.0] * 365), _day(364)) == []


def test_too_few_weeks_give_no_signal() -> None:
    # A steep rise, but only 11 weeks of data: fewer than either window asks for.
    level = _noisy_ramp(365, 4.0)
    series = PatientSeries(fatigue={_day(k): [level[k]] for k in range(365 - 77, 365)})
    assert review(series, _day(364)) == []


def test_one_bad_spell_at_the_end_is_not_a_sustained_change() -> None:
    rng = random.Random(4)
    level = [4 + rng.gauss(0, 0.5) for _ in range(365)]
    level[-35:] = [v + 3 for v in level[-35:]]  # five bad weeks at the end
    assert review(_fatigue_series(level), _day(364)) == []


def test_a_relapse_step_is_not_read_as_a_trend() -> None:
    rng = random.Random(5)
    relapse = 180
    level = [4 + (1.5 if k >= relapse else 0) + rng.gauss(0, 0.5) for k in range(365)]
    plain = _fatigue_series(level)
    assert [s.measure for s in review(plain, _day(364))] == ["fatigue"]
    with_relapse = PatientSeries(fatigue=plain.fatigue, relapses=[_day(relapse)])
    assert review(with_relapse, _day(364)) == []


def test_review_uses_only_data_up_to_today() -> None:
    series = _fatigue_series(_noisy_ramp(730, 1.5), logged=0.7)
    today = _day(400)
    cut = PatientSeries(fatigue={d: v for d, v in series.fatigue.items() if d <= today})
    assert review(series, today) == review(cut, today)


def test_other_measures_worse_way_round() -> None:
    rng = random.Random(9)
    days = range(365)
    aids = {_day(k): ["none" if k < 150 else "one_stick" if k < 270 else "frame"] for k in days}
    distance = {_day(k): max(0.0, 1500 - 3 * k + rng.gauss(0, 150)) for k in days}
    falls = {_day(k): int(rng.random() < 0.05 + k / 500) for k in days}
    exercises = [
        ExerciseSample(_day(k), "sit_to_stand", round(12 - k / 45 + rng.gauss(0, 0.7)), 5)
        for k in days
        if k % 2 == 0
    ]
    series = PatientSeries(aids=aids, outdoor_distance_m=distance, falls=falls, exercises=exercises)
    signals = {s.measure: s for s in review(series, _day(364))}
    assert set(signals) == {"aid_level", "outdoor_distance", "falls", "capacity"}
    assert signals["aid_level"].slope_per_year > 0
    assert signals["outdoor_distance"].slope_per_year < 0
    assert signals["falls"].slope_per_year > 0
    assert signals["capacity"].slope_per_year < 0
    assert signals["outdoor_distance"].reason.startswith("Outdoor walking distance falling")


def test_capacity_only_counts_sessions_at_similar_effort() -> None:
    # Same reps throughout at the usual effort; the hard sessions (effort 9) do fewer reps
    # but are not at similar effort, so they do not count as a loss of capacity.
    sessions = [ExerciseSample(_day(k), "bridge", 10, 4) for k in range(0, 365, 2)]
    sessions += [ExerciseSample(_day(k), "bridge", 4, 9) for k in range(200, 365, 2)]
    got = trends.capacity_at_similar_effort(sessions, _day(364))
    assert set(got.values()) == {100.0}


def test_signals_never_diagnose() -> None:
    [signal] = review(_fatigue_series(_noisy_ramp(365, 2.0)), _day(364))
    words = signal.reason.lower()
    for banned in ("progress", "diagnos", "relapse", "ms "):
        assert banned not in words


# --- The simulated cohort ------------------------------------------------------------------
COHORT_SEED = 20240601
COHORT_SIZE = int(os.environ.get("TRENDS_COHORT", "200"))  # patients per group
SIM_DAYS = 730  # two years: a year of history, then a year of monthly reviews
NOISE_SD = 1.2
NOISE_LAG1 = 0.3
UNLOGGED = 0.3
RHYTHM = 0.5  # points, weekly rhythm amplitude
RELAPSES_PER_YEAR = 0.4
RELAPSE_PEAK = (1.5, 3.5)  # points at the start of a relapse
RELAPSE_RESIDUAL = (0.0, 0.3)  # the share of the peak that never recovers
RELAPSE_RECOVERY_DAYS = 14  # time constant of the recovery
ONSET_DAYS = (180, 365)  # worsening starts after half a year to a year of history

# What the cohort run measured with the seed and sizes above (docs/trends.md); the floors
# the test holds the method to, a few points under the measured figures.
FLOORS = {"false_positive_max": 0.05, "sensitivity_1pt": 0.45, "sensitivity_2pt": 0.18}
# What issue 4 asks for.
TARGETS = {"false_positive_max": 0.05, "sensitivity_1pt": 0.80, "sensitivity_2pt": 0.50}


def simulate_patient(rng: random.Random, per_year: float, onset: int) -> PatientSeries:
    """A synthetic fatigue log: AR(1) noise, gaps, a weekly rhythm, relapses, a slow rise."""
    base = rng.uniform(3.0, 6.0)
    phase = rng.uniform(0, 2 * math.pi)
    relapses: list[tuple[int, float, float]] = []
    t = rng.expovariate(RELAPSES_PER_YEAR / 365.25)
    while t < SIM_DAYS:
        relapses.append((int(t), rng.uniform(*RELAPSE_PEAK), rng.uniform(*RELAPSE_RESIDUAL)))
        t += 60 + rng.expovariate(RELAPSES_PER_YEAR / 365.25)
    innovation = NOISE_SD * math.sqrt(1 - NOISE_LAG1**2)
    noise = rng.gauss(0, NOISE_SD)
    fatigue: dict[date, list[float]] = {}
    for k in range(SIM_DAYS):
        noise = NOISE_LAG1 * noise + rng.gauss(0, innovation)
        level = base + RHYTHM * math.sin(2 * math.pi * k / 7 + phase)
        if k > onset:
            level += per_year * (k - onset) / 365.25
        for start, peak, residual in relapses:
            if k >= start:
                level += peak * (residual + (1 - residual) * math.exp(-(k - start) / 14))
        if rng.random() < UNLOGGED:
            continue
        fatigue[_day(k)] = [float(min(10, max(0, round(level + noise))))]
    return PatientSeries(fatigue=fatigue, relapses=[_day(s) for s, _, _ in relapses])


def month_ends(after: date, until: date) -> list[date]:
    """The last day of each month in (after, until]."""
    ends = []
    year, month = after.year, after.month
    while True:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        end = date(year, month, 1) - timedelta(days=1)
        if end > until:
            return ends
        if end > after:
            ends.append(end)


def ever_flagged(series: PatientSeries, days: list[date]) -> bool:
    """True when any monthly review on these days flags fatigue as worth reviewing."""
    return any(review(series, d, measures=("fatigue",)) for d in days)


@dataclass(frozen=True)
class CohortResult:
    """Shares of each group flagged."""

    false_positive: float
    sensitivity_1pt: float
    sensitivity_2pt: float


@pytest.fixture(scope="module")
def cohort() -> CohortResult:
    """Run the monthly reviews over the three simulated groups."""
    rng = random.Random(COHORT_SEED)
    history_end = _day(364)
    stable_reviews = month_ends(history_end, _day(SIM_DAYS - 1))
    stable = sum(
        ever_flagged(simulate_patient(rng, 0.0, SIM_DAYS), stable_reviews)
        for _ in range(COHORT_SIZE)
    )
    found: dict[float, int] = {}
    for per_year, months in ((1.0, 12), (2.0, 6)):
        hits = 0
        for _ in range(COHORT_SIZE):
            onset = rng.randrange(*ONSET_DAYS)
            series = simulate_patient(rng, per_year, onset)
            horizon = _day(onset) + timedelta(days=round(months * 365.25 / 12))
            hits += ever_flagged(series, month_ends(_day(onset), horizon))
        found[per_year] = hits
    result = CohortResult(stable / COHORT_SIZE, found[1.0] / COHORT_SIZE, found[2.0] / COHORT_SIZE)
    print(f"\ncohort seed={COHORT_SEED} size={COHORT_SIZE}/group: {result}")
    return result


def test_cohort_generator_has_the_asked_for_noise() -> None:
    rng = random.Random(COHORT_SEED)
    series = simulate_patient(rng, 0.0, SIM_DAYS)
    logged = len(series.fatigue) / SIM_DAYS
    assert logged == pytest.approx(1 - UNLOGGED, abs=0.05)


def test_stable_patients_are_rarely_flagged(cohort: CohortResult) -> None:
    assert cohort.false_positive <= TARGETS["false_positive_max"]


def test_worsening_patients_are_flagged_at_least_as_often_as_measured(
    cohort: CohortResult,
) -> None:
    assert cohort.sensitivity_1pt >= FLOORS["sensitivity_1pt"]
    assert cohort.sensitivity_2pt >= FLOORS["sensitivity_2pt"]


@pytest.mark.xfail(
    strict=True,
    reason="issue 4's sensitivity targets are not reached at <= 5% false flags; "
    "see docs/trends.md, 'Limits'",
)
def test_worsening_patients_meet_the_issue_targets(cohort: CohortResult) -> None:
    assert cohort.sensitivity_1pt >= TARGETS["sensitivity_1pt"]
    assert cohort.sensitivity_2pt >= TARGETS["sensitivity_2pt"]
