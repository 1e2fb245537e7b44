"""How often the slow-change signals are right, on the independent cohort (issue 12).

    python -m bench.signals                     # held-out seed, 300 people a group
    python -m bench.signals --size 1000 --seed 2
    python -m bench.signals --tune              # the grid of limits, on the tuning seed
    python -m bench.signals --seed 1 --relapse-step free     # fatigue's stretch levels free
    python -m bench.signals --seed 1 --relapse-step 0.4,0.25 # pooled toward another step
    python -m bench.signals --seed 1 --heat-spell 0,0        # only the tagged days left out
    python -m bench.signals --seed 1 --baseline-days 365     # a year before each window

Prints a Markdown table: for each scenario the share of people flagged (any measure, one
decision per review) with its 95% Wilson interval, and the issue's target. The limits in
`rehab_app.core.trends.WINDOWS` were chosen with `--tune` on TUNING_SEED only; HELD_OUT_SEED is
never used for choosing anything.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import math
import statistics
import time
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from unittest import mock

from rehab_app.core import trends
from rehab_app.core.trends import series as trend_series

from .signal_cohort import Person, Scenario, cohort

# The module, which the package's `review` function hides.
trend_review = importlib.import_module("rehab_app.core.trends.review")

TUNING_SEED = 1
HELD_OUT_SEED = 2


@dataclass(frozen=True)
class Case:
    """A scenario, what is counted and the issue's target for it."""

    scenario: Scenario
    horizon_months: int = 12  # worsening: flagged within this long after onset
    at_most: float | None = None  # stable: the largest share ever flagged in a year
    at_least: float | None = None  # worsening: the smallest share flagged in the horizon


def stable(name: str, at_most: float = 0.08, **how: Any) -> Case:
    """Stable people (no worsening), reviewed monthly for a year."""
    return Case(Scenario(f"stable{name}", **how), at_most=at_most)


def worse(name: str, at_least: float | None = None, months: int = 12, **how: Any) -> Case:
    """Worsening people, reviewed monthly for `months` after onset."""
    return Case(Scenario(name, **how), horizon_months=months, at_least=at_least)


CASES = (
    stable("", at_most=0.05),
    stable(", a quarter of relapses unlogged", unlogged_relapses=0.25),
    stable(", a third of relapses logged late", late_relapses=0.33),
    stable(", summer heat not tagged", heat=True),
    stable(", summer heat tagged", heat=True, heat_logged=True),
    stable(", logging fades, worst days skipped", fading=True),
    stable(", heavy tails, AR 0.6, near 0 or 10", heavy_tails=True),
    stable(", slow wander and seasons", slow_wander=True),
    stable(", 3 months of history", history_days=91),
    stable(", 6 months of history", history_days=182),
    stable(" walker, all measures", walking="stable"),
    worse("+1/yr", 0.85, fatigue_per_year=1),
    worse("+1/yr, a relapse in follow-up", 0.70, fatigue_per_year=1, relapse_in_follow_up=True),
    worse("+1/yr, a quarter of relapses unlogged", fatigue_per_year=1, unlogged_relapses=0.25),
    worse("+1/yr, summer heat not tagged", fatigue_per_year=1, heat=True),
    worse("+1/yr, summer heat tagged", fatigue_per_year=1, heat=True, heat_logged=True),
    worse("+1/yr, logging fades, worst days skipped", fatigue_per_year=1, fading=True),
    worse("+1/yr, heavy tails", fatigue_per_year=1, heavy_tails=True),
    worse("+1/yr as an S-curve", fatigue_per_year=1, shape="s-curve"),
    worse("+0.5 step at onset", fatigue_per_year=1, shape="step"),
    worse("+2/yr", 0.60, months=6, fatigue_per_year=2),
    worse("walking decline (aid, distance, falls, effort, walk)", 0.95, walking="decline"),
)


def flagged(series: trends.PatientSeries, today: date) -> bool:
    """One decision per person and review: any signal at all."""
    return bool(trends.review(series, today))


@dataclass(frozen=True)
class Outcome:
    """What happened to one person: flagged or not, and months from the aid step to a flag."""

    flagged: bool
    months_after_aid_step: float | None = None


def run_person(person: Person, case: Case) -> Outcome:
    """Review one person at each month end of their follow-up, up to the first flag."""
    reviews = person.reviews
    if person.onset is not None:
        last = person.onset + timedelta(days=round(case.horizon_months * 30.44))
        reviews = [d for d in reviews if d <= last]
    for day in reviews:
        if flagged(person.series, day):
            months = None
            if person.aid_step is not None:
                months = max(0.0, (day - person.aid_step).days / 30.44)
            return Outcome(True, months)
    return Outcome(False)


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval for a share."""
    if n == 0:
        return (0.0, 1.0)
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    case: Case
    hits: int
    n: int
    median_months: float | None

    @property
    def share(self) -> float:
        """The share flagged."""
        return self.hits / self.n

    @property
    def meets(self) -> bool | None:
        """Whether the point estimate meets the issue's target (None: no target)."""
        if self.case.at_most is not None:
            return self.share <= self.case.at_most
        if self.case.at_least is not None:
            return self.share >= self.case.at_least
        return None


def evaluate(case: Case, size: int, seed: int) -> Row:
    """Simulate and review one scenario."""
    outcomes = [run_person(p, case) for p in cohort(case.scenario, size, seed)]
    months = [o.months_after_aid_step for o in outcomes if o.months_after_aid_step is not None]
    return Row(
        case,
        sum(o.flagged for o in outcomes),
        len(outcomes),
        statistics.median(months) if months else None,
    )


def table(rows: list[Row]) -> str:
    """The Markdown table of results."""
    out = [
        "| scenario | flagged | 95% CI | target | met |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lo, hi = wilson(r.hits, r.n)
        if r.case.at_most is not None:
            target = f"≤ {r.case.at_most:.0%} ever in a year"
        elif r.case.at_least is not None:
            target = f"≥ {r.case.at_least:.0%} within {r.case.horizon_months} months"
        else:
            target = f"(no target; within {r.case.horizon_months} months)"
        if r.median_months is not None:
            target += f"; median {r.median_months:.1f} months after the aid step"
        met = {True: "yes", False: "**no**", None: ""}[r.meets]
        out.append(
            f"| {r.case.scenario.name} | {r.share:.1%} ({r.hits}/{r.n}) | "
            f"{lo:.1%} to {hi:.1%} | {target} | {met} |"
        )
    return "\n".join(out)


def limits(p12: float, p6: float) -> AbstractContextManager[object]:
    """Run with other p-value limits for the two windows (tuning only)."""
    windows = trends.WINDOWS
    return mock.patch.dict(
        windows, {12: windows[12]._replace(max_p=p12), 6: windows[6]._replace(max_p=p6)}
    )


def relapse_step(how: str) -> AbstractContextManager[object]:
    """Run with fatigue's relapse step as "MEAN,SD", or "free" levels (tuning only)."""
    step = None if how == "free" else trends.RelapseStep(*map(float, how.split(",")))
    fatigue = dataclasses.replace(trends.MEASURES["fatigue"], relapse_step=step)
    return mock.patch.dict(trends.MEASURES, {"fatigue": fatigue})


def heat_spell(how: str) -> AbstractContextManager[object]:
    """Run with a heat or infection spell's gap and days after it as "GAP,AFTER" (tuning only).

    "0,0" leaves out only the tagged days, as before spells were read (issue 12).
    """
    gap, after = map(int, how.split(","))
    return mock.patch.multiple(trend_series, HEAT_SPELL_GAP_DAYS=gap, HEAT_AFTER_DAYS=after)


def baseline_days(days: int) -> AbstractContextManager[object]:
    """Run with another length of the baseline read before each window (tuning only)."""
    return mock.patch.object(trend_review, "BASELINE_DAYS", days)


def main() -> None:
    """Print the table for the held-out seed (or the tuning grid)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=300, help="people a scenario")
    parser.add_argument("--seed", type=int, default=HELD_OUT_SEED)
    parser.add_argument("--only", default="", help="scenarios whose name contains this")
    parser.add_argument("--tune", action="store_true", help="grid of limits on TUNING_SEED")
    parser.add_argument(
        "--relapse-step", default="", help='fatigue\'s relapse step "MEAN,SD" or "free"'
    )
    parser.add_argument(
        "--heat-spell", default="", help='a heat spell\'s "GAP,AFTER" days ("0,0": tags only)'
    )
    parser.add_argument(
        "--baseline-days", type=int, default=0, help="days of baseline before each window"
    )
    args = parser.parse_args()
    with ExitStack() as stack:
        if args.baseline_days:
            stack.enter_context(baseline_days(args.baseline_days))
        if args.relapse_step:
            stack.enter_context(relapse_step(args.relapse_step))
        if args.heat_spell:
            stack.enter_context(heat_spell(args.heat_spell))
        _run(args)


def _run(args: argparse.Namespace) -> None:
    cases = [c for c in CASES if args.only in c.scenario.name]
    started = time.perf_counter()
    if args.tune:
        tuned = [c for c in cases if c.at_most is not None or c.at_least is not None]
        for p12 in (0.005, 0.01, 0.02):
            for p6 in (0.001, 0.003, 0.006):
                with limits(p12, p6):
                    rows = [evaluate(c, args.size, TUNING_SEED) for c in tuned]
                shares = ", ".join(f"{r.share:.1%}" for r in rows)
                print(f"p12={p12} p6={p6}: {shares}", flush=True)
        return
    rows = []
    for c in cases:
        rows.append(evaluate(c, args.size, args.seed))
        print(f"  {c.scenario.name}: {rows[-1].share:.1%}", flush=True)
    step = trends.MEASURES["fatigue"].relapse_step
    print(f"\nSeed {args.seed}, {args.size} people a scenario, limits "
          f"p12 < {trends.WINDOWS[12].max_p}, p6 < {trends.WINDOWS[6].max_p}, "
          f"fatigue's relapse step {step if step else 'free'}, heat spells "
          f"{trend_series.HEAT_SPELL_GAP_DAYS},{trend_series.HEAT_AFTER_DAYS}, baseline "
          f"{trend_review.BASELINE_DAYS} days "
          f"({time.perf_counter() - started:.0f} s)\n")  # fmt: skip
    print(table(rows))


if __name__ == "__main__":
    main()
