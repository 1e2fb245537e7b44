"""A person's own week in plain, kind words: what they did, never what they missed.

Nothing here judges or diagnoses: it counts what was logged and compares fatigue with the week
before in words a tired person can read at a glance. Flask-free, so it is type-checked strictly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean
from typing import Protocol

from .charts import plural, spoken_list
from .vocab import DISCIPLINES

# Average fatigue within this much of last week's reads as "about the same".
SAME_FATIGUE = 0.5


class Logged(Protocol):
    """What the words need of an entry."""

    @property
    def kind(self) -> str: ...
    @property
    def local_date(self) -> date: ...
    @property
    def discipline(self) -> str | None: ...
    @property
    def fatigue(self) -> int | None: ...
    @property
    def distance_m(self) -> int | None: ...


@dataclass(frozen=True)
class Week:
    """Monday to Sunday; this week ends today."""

    first: date
    last: date

    @classmethod
    def of(cls, day: date) -> Week:
        """The week (Monday to Sunday) holding a day."""
        first = day - timedelta(days=day.weekday())
        return cls(first, first + timedelta(days=6))

    def before(self) -> Week:
        """The week before this one."""
        return Week(self.first - timedelta(days=7), self.first - timedelta(days=1))

    def holds(self, day: date) -> bool:
        """Whether a day is in this week."""
        return self.first <= day <= self.last


def this_week(entries: Iterable[Logged], today: date) -> list[str]:
    """This week so far, in a few sentences, compared gently with last week."""
    week = Week.of(today)
    last = week.before()
    mine = [e for e in entries if week.holds(e.local_date) and e.local_date <= today]
    before = [e for e in entries if last.holds(e.local_date)]
    said: list[str] = []

    sessions = [e for e in mine if e.kind == "exercise"]
    if sessions:
        days = len({e.local_date for e in sessions})
        by = Counter(DISCIPLINES.get(e.discipline or "", "Other").lower() for e in sessions)
        kinds = spoken_list([f"{n} {name}" for name, n in sorted(by.items(), key=lambda x: -x[1])])
        said.append(
            f"You logged {plural(len(sessions), 'exercise session', 'exercise sessions')} "
            f"on {plural(days, 'day', 'days')} this week ({kinds})."
        )
    else:
        said.append("No exercise logged yet this week. Whatever you manage counts.")

    now = [e.fatigue for e in mine if e.kind == "fatigue" and e.fatigue is not None]
    then = [e.fatigue for e in before if e.kind == "fatigue" and e.fatigue is not None]
    if now:
        mean_now = fmean(now)
        if then:
            mean_then = fmean(then)
            if abs(mean_now - mean_then) <= SAME_FATIGUE:
                how = "about the same as last week"
            elif mean_now < mean_then:
                how = "lower than last week"
            else:
                how = "higher than last week"
            said.append(
                f"Your fatigue was {how}: {mean_now:.1f} out of 10 on average, "
                f"{mean_then:.1f} last week."
            )
        else:
            said.append(f"Your fatigue was {mean_now:.1f} out of 10 on average this week.")

    walks = [e for e in mine if e.kind == "mobility"]
    if walks:
        metres = sum(e.distance_m or 0 for e in walks)
        far = f", {metres:,} metres in all" if metres else ""
        said.append(f"You logged {plural(len(walks), 'walk', 'walks')}{far}.")
    return said
