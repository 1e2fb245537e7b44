"""The slow-change signals on the independent cohort (issue 12), on the held-out seed.

A small slice of `python -m bench.signals` (bench/signals.py; the full table is in
docs/trends.md): the issue's targets, checked on people the limits were never chosen on.
Where the method does not meet a target yet, the test says so (xfail, strict: it fails the day
the target is met, so that the docs and this file are updated).
"""

from __future__ import annotations

import pytest

from bench.signal_cohort import Scenario, cohort
from bench.signals import CASES, HELD_OUT_SEED, Case, evaluate

pytestmark = pytest.mark.no_database


def _case(name: str) -> Case:
    return next(c for c in CASES if c.scenario.name == name)


def test_the_battery_is_independent_of_the_tuning_seed() -> None:
    # Same seed, same people; another seed, other people.
    one, again = cohort(Scenario("stable"), 3, HELD_OUT_SEED), cohort(Scenario("stable"), 3, 2)
    other = cohort(Scenario("stable"), 3, 1)
    assert [p.series.fatigue for p in one] == [p.series.fatigue for p in again]
    assert [p.series.fatigue for p in one] != [p.series.fatigue for p in other]


def test_an_unlogged_relapse_is_in_the_battery() -> None:
    people = cohort(Scenario("u", unlogged_relapses=1.0, relapses_per_year=2), 5, 3)
    assert all(p.relapse_days and not p.series.relapses for p in people)


NOT_YET = pytest.mark.xfail(strict=True, reason="issue 12 target not met: docs/trends.md")


@pytest.mark.parametrize(
    ("name", "size"),
    [
        # <= 5%: met with free relapse levels (4.7% of 150), missed with fatigue's pooled
        # ones (8.0% of 150; 8 of these 100).
        pytest.param("stable", 100, marks=NOT_YET),
        pytest.param("+1/yr", 60, marks=NOT_YET),  # >= 85% asked
        pytest.param("+2/yr", 60, marks=NOT_YET),  # >= 60% asked
        pytest.param("+1/yr, a relapse in follow-up", 40, marks=NOT_YET),  # >= 70% asked
        # <= 8%: 4 of these 60 now that a spell's untagged days are left out too (9 before).
        ("stable, summer heat tagged", 60),
        ("stable, logging fades, worst days skipped", 60),  # <= 8%
        ("stable walker, all measures", 30),  # <= 8%, five measures reviewed together
        ("walking decline (aid, distance, falls, effort, walk)", 20),  # >= 95%
    ],
)
def test_held_out_targets(name: str, size: int) -> None:
    row = evaluate(_case(name), size, HELD_OUT_SEED)
    assert row.meets, (row.hits, row.n)


def test_a_decline_in_walking_is_found_within_four_months_of_the_aid_step() -> None:
    row = evaluate(_case("walking decline (aid, distance, falls, effort, walk)"), 20, HELD_OUT_SEED)
    assert row.median_months is not None and row.median_months <= 4
