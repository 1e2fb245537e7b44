"""Chart ranges and periods, and the words for days, weeks and numbers that charts print."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from ..trends import RELAPSE_EXCLUSION_DAYS


@dataclass(frozen=True)
class Range:
    """A choice of how far back the charts look: whole 7-day weeks ending today."""

    key: str
    label: str
    weeks: int | None  # None: from the first entry


RANGES: Final = {
    r.key: r
    for r in (
        Range("4w", "4 weeks", 4),
        Range("3m", "3 months", 13),
        Range("12m", "12 months", 52),
        Range("all", "All", None),
    )
}

DEFAULT_RANGE: Final = "3m"

DASH: Final = "\N{EN DASH}"

ROLLING_DAYS: Final = 28  # the fatigue chart's rolling mean, and its "last 28 days"

MIN_ROLLING_DAYS: Final = 7  # logged days needed in the window for a rolling mean

RELAPSE_SHADE_DAYS: Final = RELAPSE_EXCLUSION_DAYS  # shaded after the day of a relapse

# Days before a period that its charts need: the rolling mean's window, the 28 days the
# summary compares with, and relapses whose shading reaches into the period.
LOOKBACK_DAYS: Final = max(2 * ROLLING_DAYS - 1, RELAPSE_SHADE_DAYS)


def parse_range(value: object) -> str:
    """A range key from a query parameter: a known key, or the default for anything else."""
    return value if isinstance(value, str) and value in RANGES else DEFAULT_RANGE


@dataclass(frozen=True)
class Period:
    """The days a chart shows: whole 7-day weeks ending on `last` (today)."""

    first: date
    last: date

    @property
    def days(self) -> int:
        """How many days the period spans."""
        return (self.last - self.first).days + 1

    def weeks(self) -> list[tuple[date, date]]:
        """The period's 7-day weeks, oldest first, as (first day, last day)."""
        return [
            (self.first + timedelta(days=7 * w), self.first + timedelta(days=7 * w + 6))
            for w in range(self.days // 7)
        ]

    def label(self) -> str:
        """The period in words, like '3 March to 1 June 2026'."""
        if self.first.year == self.last.year:
            return f"{self.first.day} {self.first:%B} to {long_day(self.last)}"
        return f"{long_day(self.first)} to {long_day(self.last)}"


def period_for(key: str, today: date, earliest: date | None = None) -> Period:
    """The period of a range ending today; "all" starts at the earliest entry (4 weeks at least)."""
    weeks = RANGES[parse_range(key)].weeks
    if weeks is None:
        span = (today - earliest).days + 1 if earliest is not None and earliest < today else 1
        weeks = max(4, math.ceil(span / 7))
    return Period(today - timedelta(days=7 * weeks - 1), today)


def short_day(day: date) -> str:
    """A date like '3 Mar'."""
    return f"{day.day} {day:%b}"


def long_day(day: date) -> str:
    """A date like '3 March 2026'."""
    return f"{day.day} {day:%B %Y}"


def week_label(first: date, last: date) -> str:
    """A week like '3 to 9 Mar 2026' (an en dash in place of 'to')."""
    if first.month == last.month:
        return f"{first.day}{DASH}{last.day} {last:%b %Y}"
    return f"{short_day(first)}{DASH}{short_day(last)} {last:%Y}"


def fmt(value: float | None, digits: int = 1) -> str:
    """A number with at most `digits` decimals ('5.2', '5'), or a dash for none."""
    if value is None:
        return DASH
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 fall', '3 falls'."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def spoken_list(parts: Sequence[str]) -> str:
    """Parts as said aloud: "a", "a and b", "a, b and c"."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
