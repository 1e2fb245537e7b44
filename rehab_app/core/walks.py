"""The timed 7.6 m walk's own rule of a real change (no Flask here).

For the timed 25-foot walk in MS a slowing of 20% or more is taken as a real change, and only
when it holds on two walks in a row: one slow walk can be a bad day, a hot room, a stumble.
The slow trend of `trends` (the `walk_time` measure) reads the same series over months;
this rule answers sooner, from a handful of walks. See docs/trends.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from statistics import fmean
from typing import Final

REAL_SLOWING: Final = 0.20  # 20% slower than the reference
HELD_ON: Final = 2  # walks in a row that must each be that much slower
REFERENCE_WALKS: Final = 3  # the walks before those, whose mean is the reference


@dataclass(frozen=True)
class WalkChange:
    """A real slowing: the reference, the walks that held it, and the smaller of their slowings."""

    reference_seconds: float
    slow_days: tuple[date, ...]
    slowing: float  # 0.25 is 25% slower than the reference


def walk_change(walk_seconds: Mapping[date, float]) -> WalkChange | None:
    """The latest walks' real slowing, if each of the last two is 20% slower than those before.

    The reference is the mean of up to three walks before the last two; None with fewer than
    three walks in all, or when either of the last two is less than 20% slower.
    """
    days = sorted(d for d, v in walk_seconds.items() if v > 0)
    if len(days) < HELD_ON + 1:
        return None
    latest, before = days[-HELD_ON:], days[:-HELD_ON][-REFERENCE_WALKS:]
    reference = fmean(walk_seconds[d] for d in before)
    slowing = min(walk_seconds[d] / reference - 1 for d in latest)
    # A hair under 20% from float division (12.0 / 10.0 - 1) still counts as 20%.
    if round(slowing, 9) < REAL_SLOWING:
        return None
    return WalkChange(reference, tuple(latest), slowing)
