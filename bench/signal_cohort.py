"""An independent cohort for the slow-change signals (issue 12), written from the issues' words.

Nothing here is shared with `rehab_app.core.trends` or with the old generator in
tests/test_trends.py: people are drawn from the descriptions in issues 4 and 12 and DOMAIN.md
(several ratings a day, relapses that recover slowly and are sometimes never logged, summer heat,
logging that fades and skips the worst days, heavy tails, slow wandering, steps and S-curves,
short histories, walking decline across aid, distance, falls, effort and walk time) and turned
into the `PatientSeries` that the app's own `series.patient_series` would build.

Each person has a history of `history_days` before follow-up. Stable people are reviewed at
each month end for a year after that; worsening people start to worsen at `onset` (within the
month after the history) and are reviewed at each month end up to 12 months after it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from rehab_app.core.trends import ExerciseSample, PatientSeries

DAY0 = date(2022, 1, 3)
FOLLOW_UP_DAYS = 365
AIDS = ("none", "stick", "two_sticks", "wheelchair")  # one per rung of the ladder (vocab)


@dataclass(frozen=True)
class Scenario:
    """One group of people: how their logs are made."""

    name: str
    fatigue_per_year: float = 0.0  # worsening after onset
    shape: str = "linear"  # "linear", "step" (all at onset), "s-curve" (over a year)
    relapses_per_year: float = 0.4
    relapse_in_follow_up: bool = False
    unlogged_relapses: float = 0.0  # share of relapses never logged
    late_relapses: float = 0.0  # share logged 3-10 days late
    recovery_days: tuple[float, float] = (10.0, 40.0)  # time constant of recovery
    lasting_share: tuple[float, float] = (0.0, 0.3)  # of a relapse's peak, left for good
    heat: bool = False  # a summer spell of +1 point for 8 weeks, each year
    heat_logged: bool = False  # and the person tags those days "heat"
    fading: bool = False  # logging fades from 90% to 40% of days, worst days skipped
    heavy_tails: bool = False  # t(3) noise, AR 0.6, baselines near 0 or 10
    slow_wander: bool = False  # a season and a months-long wander on top of AR(1)
    history_days: int = 730
    walking: str = "none"  # "none", "stable", "decline" (aid step, distance, falls, effort, walk)


@dataclass
class Person:
    """A simulated person: their log, when they started to worsen and the review days."""

    series: PatientSeries
    onset: date | None
    reviews: list[date]
    aid_step: date | None = None
    relapse_days: list[int] = field(default_factory=list)


def month_ends(first: date, last: date) -> list[date]:
    """The last day of each month from `first` to `last`, both included."""
    out = []
    year, month = first.year, first.month
    while True:
        nxt = date(year + month // 12, month % 12 + 1, 1)
        end = nxt - timedelta(days=1)
        if end > last:
            return out
        if end >= first:
            out.append(end)
        year, month = nxt.year, nxt.month


def _drift(scenario: Scenario, k: int, onset: int) -> float:
    """Worsening in points at day k (0 before onset)."""
    t = (k - onset) / 365.25
    if t <= 0 or not scenario.fatigue_per_year:
        return 0.0
    if scenario.shape == "step":
        return scenario.fatigue_per_year * 0.5
    if scenario.shape == "s-curve":
        return scenario.fatigue_per_year / (1 + math.exp(-10 * (t - 0.5)))
    return scenario.fatigue_per_year * t


def _relapses(rng: random.Random, scenario: Scenario, days: int, onset: int) -> list[int]:
    out: list[int] = []
    k = 0
    while scenario.relapses_per_year > 0:
        k += max(60, round(rng.expovariate(scenario.relapses_per_year / 365.25)))
        if k >= days:
            break
        out.append(k)
    if scenario.relapse_in_follow_up and not any(onset < r < onset + 300 for r in out):
        r = onset + rng.randint(30, 300)
        out = sorted([x for x in out if abs(x - r) >= 60] + [r])
    return out


def _noise(rng: random.Random, heavy: bool) -> float:
    if not heavy:
        return rng.gauss(0, 1)
    # Student t with 3 degrees of freedom, scaled to unit variance.
    return rng.gauss(0, 1) / math.sqrt(sum(rng.gauss(0, 1) ** 2 for _ in range(3)) / 3) / 3**0.5


def simulate(rng: random.Random, scenario: Scenario) -> Person:
    """One person's log under a scenario."""
    history = scenario.history_days
    worsening = scenario.fatigue_per_year > 0 or scenario.walking == "decline"
    onset = history + rng.randint(0, 30) if worsening else history + FOLLOW_UP_DAYS + 1
    days = history + (FOLLOW_UP_DAYS + 31 if worsening else FOLLOW_UP_DAYS + 1)
    start = DAY0 + timedelta(days=rng.randint(0, 364))
    if scenario.heavy_tails:
        base = rng.choice((rng.uniform(0.3, 1.5), rng.uniform(8.5, 9.7)))
        phi, sd = 0.6, 1.2
    else:
        base, phi, sd = rng.uniform(3, 6), 0.3, 1.2
    rhythm_phase = rng.uniform(0, 2 * math.pi)
    relapses = _relapses(rng, scenario, days, onset)
    relapse_shape = [
        (
            r,
            rng.uniform(1.5, 3.5),
            rng.uniform(*scenario.recovery_days),
            rng.uniform(*scenario.lasting_share),
        )
        for r in relapses
    ]
    heat_start = {y: rng.randint(150, 200) for y in range(DAY0.year, DAY0.year + 6)}
    wander_phase = rng.uniform(0, 2 * math.pi)
    ar = rng.gauss(0, sd)
    slow = rng.gauss(0, 0.5)
    fatigue: dict[date, list[float]] = {}
    heat_days: set[date] = set()
    latent: list[float] = []
    for k in range(days):
        day = start + timedelta(days=k)
        ar = phi * ar + sd * math.sqrt(1 - phi**2) * _noise(rng, scenario.heavy_tails)
        value = base + ar + 0.5 * math.sin(2 * math.pi * k / 7 + rhythm_phase)
        value += _drift(scenario, k, onset)
        for r, peak, tau, residual in relapse_shape:
            if k >= r:
                value += peak * (residual + (1 - residual) * math.exp(-(k - r) / tau))
        hot = scenario.heat and 0 <= day.timetuple().tm_yday - heat_start[day.year] < 56
        if hot:
            value += 1
        if scenario.slow_wander:
            slow = 0.995 * slow + 0.5 * math.sqrt(1 - 0.995**2) * rng.gauss(0, 1)
            value += slow + 0.4 * math.sin(2 * math.pi * k / 365.25 + wander_phase)
        latent.append(value)
        share = 0.7
        if scenario.fading:
            share = 0.9 - 0.5 * k / days
            if value > base + 1.5:
                share *= 0.4  # the worst days are the ones not logged
        if rng.random() >= share:
            continue
        ratings = [
            float(min(10, max(0, round(value + rng.gauss(0, 0.6)))))
            for _ in range(rng.choice((1, 1, 2, 3)))
        ]
        fatigue[day] = ratings
        if hot and scenario.heat_logged and rng.random() < 0.7:
            heat_days.add(day)
    logged_relapses = []
    for r in relapses:
        u = rng.random()
        if u < scenario.unlogged_relapses:
            continue
        late = rng.randint(3, 10) if u < scenario.unlogged_relapses + scenario.late_relapses else 0
        logged_relapses.append(start + timedelta(days=r + late))
    series = PatientSeries(
        fatigue=fatigue, relapses=logged_relapses, heat_or_infection_days=frozenset(heat_days)
    )
    aid_step = None
    if scenario.walking != "none":
        series, aid_step = _walking(rng, scenario, series, start, days, onset, latent, base)
    first = start + timedelta(days=onset if worsening else history)
    last = first + timedelta(days=FOLLOW_UP_DAYS)
    return Person(
        series=series,
        onset=start + timedelta(days=onset) if worsening else None,
        reviews=month_ends(first, last),
        aid_step=start + timedelta(days=aid_step) if aid_step is not None else None,
        relapse_days=relapses,
    )


def _walking(
    rng: random.Random,
    scenario: Scenario,
    series: PatientSeries,
    start: date,
    days: int,
    onset: int,
    latent: list[float],
    base: float,
) -> tuple[PatientSeries, int | None]:
    """Aid, outdoor distance, falls, exercise sessions and timed walks for the same person."""
    decline = scenario.walking == "decline"
    rung = rng.choice((0, 0, 1, 1, 2))
    aid_step = onset + rng.randint(0, 120) if decline else None
    distance = rng.uniform(300, 2500)
    walk_s = rng.uniform(6, 14)
    exercises = [(f"#{i}", rng.choice((8, 10, 12, 15)), rng.randint(3, 6)) for i in range(3)]
    log_noise = rng.gauss(0, 0.3)
    aids: dict[date, list[str]] = {}
    outdoor: dict[date, float] = {}
    falls: dict[date, int] = {}
    walks: dict[date, float] = {}
    sessions: list[ExerciseSample] = []
    for k in range(days):
        day = start + timedelta(days=k)
        years = max(0.0, (k - onset) / 365.25) if decline else 0.0
        bad = latent[k] > base + 2
        log_noise = 0.3 * log_noise + 0.3 * math.sqrt(1 - 0.09) * rng.gauss(0, 1)
        if rng.random() < 0.5:
            level = rung + (1 if aid_step is not None and k >= aid_step else 0)
            if bad and rng.random() < 0.3:
                level += 1
            aids[day] = [AIDS[min(level, 3)]]
            metres = distance * math.exp(log_noise) * (1 - 0.2 * years) * (0.8 if bad else 1)
            outdoor[day] = float(round(metres))
            rate = 0.04 * (1 + 1.5 * years) * (2 if bad else 1)
            falls[day] = sum(rng.random() < rate for _ in range(2))
        if rng.random() < 0.12:
            walks[day] = round(walk_s * (1 + 0.2 * years) * math.exp(rng.gauss(0, 0.08)), 1)
        for name, reps, effort in exercises:
            if rng.random() < 0.35:
                felt = effort + 1.5 * years + (1 if bad else 0) + rng.gauss(0, 0.8)
                sessions.append(ExerciseSample(day, name, reps, int(min(10, max(0, round(felt))))))
    return (
        replace(
            series,
            aids=aids,
            outdoor_distance_m=outdoor,
            falls=falls,
            exercises=sessions,
            walk_seconds=walks,
        ),
        aid_step,
    )


def cohort(scenario: Scenario, size: int, seed: int) -> list[Person]:
    """`size` people of one scenario; the same seed gives the same people."""
    rng = random.Random(f"{seed}:{scenario.name}")
    return [simulate(rng, scenario) for _ in range(size)]


Flagger = Callable[[PatientSeries, date], bool]
