"""The slow-change signals on the independent cohort (issue 12), on the held-out seed.

A small slice of `python -m bench.signals` (bench/signals.py; the full table is in
docs/trends.md): the issue's targets, checked on people the limits were never chosen on.
Where the method does not meet a target yet, the test says so (xfail, strict: it fails the day
the target is met, so that the docs and this file are updated). A slice is small: it can land
on the other side of a target than the larger groups of docs/trends.md, which give the verdict;
each such case says so beside it.
"""

from __future__ import annotations

from datetime import timedelta

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


def test_people_without_relapses_have_none_but_the_one_forced_into_the_follow_up() -> None:
    # The oracles of docs/trends.md ("What the power would need") run with no relapses.
    none = cohort(Scenario("n", relapses_per_year=0), 5, 3)
    assert all(not p.relapse_days and not p.series.relapses for p in none)
    how = {"fatigue_per_year": 1, "relapses_per_year": 0, "relapse_in_follow_up": True}
    for person in cohort(Scenario("f", **how), 5, 3):
        [relapse] = person.series.relapses
        assert person.onset is not None
        assert person.onset < relapse <= person.onset + timedelta(days=300)


NOT_YET = pytest.mark.xfail(strict=True, reason="issue 12 target not met: docs/trends.md")
# A slice this small can miss a target that the larger groups of docs/trends.md meet.
UNLUCKY_SLICE = pytest.mark.xfail(
    strict=True, reason="this slice misses a target met on larger groups: docs/trends.md"
)


@pytest.mark.parametrize(
    ("name", "size"),
    [
        # <= 5%: 4 of these 100 since each window's baseline is two years (8 with one year).
        ("stable", 100),
        pytest.param("+1/yr", 60, marks=NOT_YET),  # >= 85% asked: 49 of 60
        pytest.param("+2/yr", 60, marks=NOT_YET),  # >= 60% asked: 33 of 60
        # >= 70%: 29 of these 40 since the two-year baseline, but the slice is the lucky end:
        # 60.8% of 400 on fresh seed 6, so docs/trends.md says not met.
        ("+1/yr, a relapse in follow-up", 40),
        # <= 8%: none of these 60 since the two-year baseline (4 with one year, 9 before a
        # spell's untagged days were left out too).
        ("stable, summer heat tagged", 60),
        ("stable, logging fades, worst days skipped", 60),  # <= 8%
        # <= 8%, five measures reviewed together: 3 of these 30 since the two-year baseline
        # (1 with one year), the unlucky end: 5.0% of 400 on fresh seed 6 (3.8% with one
        # year), 4.5% of 200 on tuning seed 1 (3.5%), so docs/trends.md says met.
        pytest.param("stable walker, all measures", 30, marks=UNLUCKY_SLICE),
        ("walking decline (aid, distance, falls, effort, walk)", 20),  # >= 95%
    ],
)
def test_held_out_targets(name: str, size: int) -> None:
    row = evaluate(_case(name), size, HELD_OUT_SEED)
    assert row.meets, (row.hits, row.n)


def test_a_decline_in_walking_is_found_within_four_months_of_the_aid_step() -> None:
    row = evaluate(_case("walking decline (aid, distance, falls, effort, walk)"), 20, HELD_OUT_SEED)
    assert row.median_months is not None and row.median_months <= 4
