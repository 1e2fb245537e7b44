"""Adherence to a prescribed programme: sessions done against sessions planned (no Flask here).

The rules, in the person's own local dates:

- A programme item is *planned* on the days from its start date to its end date, up to the day
  it was stopped. Those days are grouped in 7-day weeks ending on `today` (a window that is not
  a whole number of weeks starts with a short week). In each week the item is planned
  `days_per_week * available days / 7` times, rounded half up: pro rata per day, so an item
  that starts, ends or stops mid-week, or a week with bad days, asks for proportionally less.
- *Bad days* (any BadDay entry, relapses included) are not missed days: they are taken out of
  the available days, and shown apart as a count. A session done on a bad day still counts.
- A day that is not over for the item (today, and the day the item was stopped) is available
  only once the item was done on it: a therapist looking at 9 am sees no session missed today.
- *Done*: the days with at least one session of the item (one a day at most), on its planned
  days, counted up to that week's plan, so doing more one week does not make up for another.
- *Percent* is done / planned, or None when nothing was planned.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from rehab_app.models import ProgrammeItem

from .timeutil import to_local

WEEK = 7


@dataclass(frozen=True)
class Plan:
    """A programme item as adherence sees it, with its stop as a local date."""

    item_id: int
    days_per_week: int
    start: date
    end: date | None = None
    stopped_on: date | None = None  # the local date the item was stopped, if it was

    def last_day(self, today: date) -> date:
        """The last day the item may be planned on, up to `today`."""
        days = [today]
        if self.end is not None:
            days.append(self.end)
        if self.stopped_on is not None:
            days.append(self.stopped_on)
        return min(days)


@dataclass(frozen=True)
class BadDays:
    """A person's bad days by local date, and which of them were relapses."""

    days: frozenset[date] = frozenset()
    relapses: frozenset[date] = frozenset()

    @classmethod
    def from_reasons(cls, entries: Iterable[tuple[date, str | None]]) -> BadDays:
        """Bad days from (local date, reason) pairs of BadDay entries."""
        pairs = list(entries)
        return cls(
            frozenset(d for d, _r in pairs), frozenset(d for d, r in pairs if r == "relapse")
        )

    def between(self, first: date, last: date) -> BadDays:
        """Only the days from `first` to `last`, inclusive."""
        return BadDays(
            frozenset(d for d in self.days if first <= d <= last),
            frozenset(d for d in self.relapses if first <= d <= last),
        )


@dataclass(frozen=True)
class Adherence:
    """Sessions done and planned over a stretch of days, and the bad days in it."""

    first: date
    last: date
    done: int
    planned: int
    bad_days: int
    relapse_days: int
    by_item: Mapping[int, tuple[int, int]] = field(default_factory=dict)  # id -> done, planned

    @property
    def percent(self) -> float | None:
        """Done as a percentage of planned, or None when nothing was planned."""
        return None if self.planned == 0 else 100 * self.done / self.planned


def plan_from_item(item: ProgrammeItem, tz: str) -> Plan:
    """A Plan from a programme item, with its stop as a date in the person's time zone."""
    return Plan(
        item_id=item.id,
        days_per_week=item.days_per_week,
        start=item.start_date,
        end=item.end_date,
        stopped_on=None if item.stopped_at is None else to_local(item.stopped_at, tz).date(),
    )


def done_days(sessions: Iterable[tuple[int | None, date]]) -> dict[int, set[date]]:
    """The local dates each programme item was done on, from (item id, local date) pairs."""
    out: dict[int, set[date]] = {}
    for item_id, day in sessions:
        if item_id is not None:
            out.setdefault(item_id, set()).add(day)
    return out


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def _week_starts(first: date, last: date) -> list[tuple[date, date]]:
    """7-day weeks ending on `last`, back to `first` (the oldest may be shorter), oldest first."""
    weeks = []
    end = last
    while end >= first:
        start = max(first, end - timedelta(days=WEEK - 1))
        weeks.append((start, end))
        end = start - timedelta(days=1)
    return weeks[::-1]


def _item_week(
    plan: Plan, done: Collection[date], bad: Collection[date], start: date, end: date, today: date
) -> tuple[int, int]:
    """Done and planned for one item in one week."""
    first = max(start, plan.start)
    last = min(end, plan.last_day(today))
    if last < first:
        return 0, 0
    unfinished = {today, plan.stopped_on}
    available = 0
    sessions = 0
    day = first
    while day <= last:
        did = day in done
        sessions += did
        if day not in bad and (did or day not in unfinished):
            available += 1
        day += timedelta(days=1)
    planned = _round_half_up(plan.days_per_week * available / WEEK)
    return min(sessions, planned), planned


def adherence(
    plans: Sequence[Plan],
    done: Mapping[int, Collection[date]],
    bad: BadDays,
    today: date,
    window_days: int,
) -> Adherence:
    """Adherence over the `window_days` days ending on `today`, all items together."""
    first = today - timedelta(days=window_days - 1)
    return adherence_between(plans, done, bad, first, today, today)


def weekly_adherence(
    plans: Sequence[Plan],
    done: Mapping[int, Collection[date]],
    bad: BadDays,
    today: date,
    weeks: int,
) -> list[Adherence]:
    """Adherence in each of the last `weeks` 7-day weeks ending on `today`, oldest first."""
    first = today - timedelta(days=WEEK * weeks - 1)
    return [adherence_between(plans, done, bad, s, e, today) for s, e in _week_starts(first, today)]


def adherence_between(
    plans: Sequence[Plan],
    done: Mapping[int, Collection[date]],
    bad: BadDays,
    first: date,
    last: date,
    today: date,
) -> Adherence:
    """Adherence from `first` to `last` (weeks ending on `last`), as seen on `today`."""
    last = min(last, today)
    in_window = bad.between(first, last)
    by_item: dict[int, tuple[int, int]] = {}
    for plan in plans:
        item_done = done.get(plan.item_id, ())
        total_done = total_planned = 0
        for start, end in _week_starts(first, last):
            d, p = _item_week(plan, item_done, in_window.days, start, end, today)
            total_done += d
            total_planned += p
        by_item[plan.item_id] = (total_done, total_planned)
    return Adherence(
        first=first,
        last=last,
        done=sum(d for d, _p in by_item.values()),
        planned=sum(p for _d, p in by_item.values()),
        bad_days=len(in_window.days),
        relapse_days=len(in_window.relapses),
        by_item=by_item,
    )
