"""Adherence maths: sessions done against sessions planned, bad days apart, in local dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from flask import Flask

from rehab_app.core import entries as log
from rehab_app.core.adherence import (
    Adherence,
    BadDays,
    Plan,
    adherence,
    done_days,
    plan_from_item,
    weekly_adherence,
)
from rehab_app.extensions import db
from rehab_app.models import ProgrammeItem
from tests.helpers.accounts import make_user

TODAY = date(2026, 3, 28)  # a Saturday; the 28-day window starts on Sunday 1 March


def ago(n: int) -> date:
    """The date n days before TODAY."""
    return TODAY - timedelta(days=n)


def days(first: int, last: int = 0, step: int = 1) -> set[date]:
    """The dates from `first` days ago to `last` days ago, every `step` days."""
    return {ago(n) for n in range(last, first + 1, step)}


DAILY = Plan(1, 7, ago(100))
FIVE = Plan(2, 5, ago(100))
BAD_NONE = BadDays()


def result(a: Adherence) -> tuple[int, int, int, float | None]:
    """Done, planned, bad days and percent, rounded to one place."""
    return a.done, a.planned, a.bad_days, None if a.percent is None else round(a.percent, 1)


@pytest.mark.parametrize(
    ("plans", "done", "bad", "window", "expected"),
    [
        # Every day done, today included.
        ([DAILY], {1: days(6)}, BAD_NONE, 7, (7, 7, 0, 100.0)),
        # Not yet done today: today is not missed, the other six days are the plan.
        ([DAILY], {1: days(6, 1)}, BAD_NONE, 7, (6, 6, 0, 100.0)),
        ([DAILY], {1: days(6, 1, 2)}, BAD_NONE, 7, (3, 6, 0, 50.0)),
        # Nothing done at all.
        ([DAILY], {}, BAD_NONE, 7, (0, 6, 0, 0.0)),
        # Five a week: done on five of the seven days is everything.
        ([FIVE], {2: days(4)}, BAD_NONE, 7, (5, 5, 0, 100.0)),
        # Done every day does not go over 100%.
        ([FIVE], {2: days(6)}, BAD_NONE, 7, (5, 5, 0, 100.0)),
        # More in one week does not make up for none in another.
        ([FIVE], {2: days(6)}, BAD_NONE, 14, (5, 10, 0, 50.0)),
        # Two sessions on one day count once.
        ([DAILY], {1: {ago(1), ago(1)}}, BAD_NONE, 7, (1, 6, 0, 16.7)),
        # Four weeks of five a week, one week missed.
        ([FIVE], {2: days(20)}, BAD_NONE, 28, (15, 20, 0, 75.0)),
    ],
    ids=[
        "daily-all-done",
        "today-not-yet",
        "every-other-day",
        "nothing-done",
        "five-a-week-done",
        "over-done-capped",
        "capped-per-week",
        "one-a-day",
        "four-weeks",
    ],
)
def test_done_and_planned(
    plans: list[Plan],
    done: dict[int, set[date]],
    bad: BadDays,
    window: int,
    expected: tuple[int, int, int, float | None],
) -> None:
    assert result(adherence(plans, done, bad, TODAY, window)) == expected


@pytest.mark.parametrize(
    ("plans", "done", "bad", "window", "expected"),
    [
        # Two bad days out of a daily week: five planned, shown apart.
        (
            [DAILY],
            {1: days(6) - {ago(2), ago(3)}},
            BadDays(frozenset({ago(2), ago(3)})),
            7,
            (5, 5, 2, 100.0),
        ),
        # Five a week with two bad days: 5 x 5/7 = 3.6, so 4 planned.
        (
            [FIVE],
            {2: {TODAY, ago(1), ago(4)}},
            BadDays(frozenset({ago(2), ago(3)})),
            7,
            (3, 4, 2, 75.0),
        ),
        # A whole week of bad days (a relapse): nothing planned, no percentage.
        ([DAILY], {}, BadDays(frozenset(days(6)), frozenset({ago(6)})), 7, (0, 0, 7, None)),
        # A session done on a bad day still counts (within the plan).
        ([DAILY], {1: days(6)}, BadDays(frozenset({ago(3)})), 7, (6, 6, 1, 100.0)),
        # Bad days outside the window are not shown.
        ([DAILY], {1: days(6)}, BadDays(frozenset({ago(10)})), 7, (7, 7, 0, 100.0)),
    ],
    ids=["daily", "five-a-week", "whole-week", "done-anyway", "outside-window"],
)
def test_bad_days_are_shown_apart_not_missed(
    plans: list[Plan],
    done: dict[int, set[date]],
    bad: BadDays,
    window: int,
    expected: tuple[int, int, int, float | None],
) -> None:
    assert result(adherence(plans, done, bad, TODAY, window)) == expected


def test_relapse_days_are_counted_among_bad_days() -> None:
    bad = BadDays.from_reasons([(ago(1), "relapse"), (ago(2), "heat"), (ago(2), "relapse")])
    a = adherence([DAILY], {}, bad, TODAY, 7)
    assert (a.bad_days, a.relapse_days) == (2, 2)


@pytest.mark.parametrize(
    ("plan", "done", "window", "expected"),
    [
        # Started three days ago, done each day since: 3 of 3 (today done).
        (Plan(1, 7, ago(3)), days(3), 7, (4, 4, 0, 100.0)),
        # Starts in the future: nothing planned yet.
        (Plan(1, 7, ago(-3)), set(), 7, (0, 0, 0, None)),
        # Five a week, started two days ago, not done today: 5 x 2/7 = 1.4, so 1 planned.
        (Plan(1, 5, ago(2)), {ago(1)}, 7, (1, 1, 0, 100.0)),
        # Ended ten days ago: only its days in the window count.
        (Plan(1, 7, ago(60), end=ago(10)), days(13, 10), 28, (4, 18, 0, 22.2)),
        # Started and ended inside the window.
        (Plan(1, 7, ago(20), end=ago(15)), days(20, 15), 28, (6, 6, 0, 100.0)),
        # Ended before the window: nothing planned.
        (Plan(1, 7, ago(90), end=ago(40)), set(), 28, (0, 0, 0, None)),
        # Sessions before the start or after the end do not count.
        (Plan(1, 7, ago(3), end=ago(1)), days(6), 7, (3, 3, 0, 100.0)),
    ],
    ids=[
        "started-mid-window",
        "not-started",
        "started-five-a-week",
        "ended-mid-window",
        "inside-window",
        "ended-before",
        "outside-dates",
    ],
)
def test_programme_start_and_end(
    plan: Plan, done: set[date], window: int, expected: tuple[int, int, int, float | None]
) -> None:
    assert result(adherence([plan], {1: done}, BAD_NONE, TODAY, window)) == expected


@pytest.mark.parametrize(
    ("stopped_on", "done", "expected"),
    [
        # Stopped three days ago: the days before count, the stop day only if done on it.
        (ago(3), days(6, 4), (3, 3, 0, 100.0)),
        (ago(3), days(6, 3), (4, 4, 0, 100.0)),
        (ago(3), {ago(6)}, (1, 3, 0, 33.3)),
        # Stopped today, done earlier today.
        (TODAY, days(6), (7, 7, 0, 100.0)),
        # Stopped before the window: nothing planned.
        (ago(30), set(), (0, 0, 0, None)),
    ],
    ids=["stopped", "done-on-stop-day", "mostly-missed", "stopped-today", "stopped-long-ago"],
)
def test_stopped_items(
    stopped_on: date, done: set[date], expected: tuple[int, int, int, float | None]
) -> None:
    plan = Plan(1, 7, ago(100), stopped_on=stopped_on)
    assert result(adherence([plan], {1: done}, BAD_NONE, TODAY, 7)) == expected


def test_several_items_add_up_and_are_kept_apart() -> None:
    a = adherence(
        [DAILY, FIVE, Plan(3, 2, ago(100))],
        {1: days(6), 2: {ago(1)}, 3: set()},
        BAD_NONE,
        TODAY,
        7,
    )
    # Item 2 is not done today: 5 x 6/7 = 4.3, so 4 planned.
    assert a.by_item == {1: (7, 7), 2: (1, 4), 3: (0, 2)}
    assert result(a) == (8, 13, 0, 61.5)


def test_sessions_of_other_items_and_ad_hoc_sessions_do_not_count() -> None:
    done = done_days([(None, ago(1)), (99, ago(1)), (1, ago(2))])
    assert done == {99: {ago(1)}, 1: {ago(2)}}
    assert result(adherence([DAILY], done, BAD_NONE, TODAY, 7)) == (1, 6, 0, 16.7)


def test_no_programme_plans_nothing() -> None:
    a = adherence([], {}, BadDays(frozenset({ago(1)})), TODAY, 28)
    assert result(a) == (0, 0, 1, None)
    assert a.percent is None


def test_weekly_adherence_is_one_result_a_week_oldest_first() -> None:
    weeks = weekly_adherence([FIVE], {2: days(6) | days(20, 14)}, BAD_NONE, TODAY, 4)
    assert [(w.first, w.last) for w in weeks] == [
        (ago(27), ago(21)),
        (ago(20), ago(14)),
        (ago(13), ago(7)),
        (ago(6), TODAY),
    ]
    assert [result(w) for w in weeks] == [
        (0, 5, 0, 0.0),
        (5, 5, 0, 100.0),
        (0, 5, 0, 0.0),
        (5, 5, 0, 100.0),
    ]


def test_a_window_of_odd_length_starts_with_a_short_week() -> None:
    # 10 days: a 3-day week (3 days planned for a daily item), then a full one.
    assert result(adherence([DAILY], {1: days(9)}, BAD_NONE, TODAY, 10)) == (10, 10, 0, 100.0)


# ----------------------------------------------------------------------------- time zones


@pytest.mark.parametrize(
    ("tz", "stopped_utc", "stop_day"),
    [
        # 23:30 on the 25th in New York is 04:30 on the 26th in UTC: the stop is on the 25th.
        ("America/New_York", datetime(2026, 3, 26, 3, 30), date(2026, 3, 25)),
        # 00:30 on the 26th in Auckland is still the 25th in UTC: the stop is on the 26th.
        ("Pacific/Auckland", datetime(2026, 3, 25, 11, 30), date(2026, 3, 26)),
        ("Europe/London", datetime(2026, 3, 25, 23, 30), date(2026, 3, 25)),
    ],
    ids=["new-york", "auckland", "london"],
)
def test_the_stop_is_a_date_in_the_persons_own_time_zone(
    tz: str, stopped_utc: datetime, stop_day: date
) -> None:
    item = ProgrammeItem(
        id=5, days_per_week=7, start_date=ago(30), end_date=None, stopped_at=stopped_utc
    )
    assert plan_from_item(item, tz) == Plan(5, 7, ago(30), None, stop_day)


@pytest.mark.parametrize(
    ("tz", "local", "day", "planned"),
    [
        # Done on the 27th; today (the 28th) is not missed yet: 1 of 1.
        ("America/Los_Angeles", datetime(2026, 3, 27, 23, 30), date(2026, 3, 27), 1),
        # Done today, the 28th; the 27th was missed: 1 of 2.
        ("Asia/Tokyo", datetime(2026, 3, 28, 0, 30), date(2026, 3, 28), 2),
    ],
    ids=["late-evening-west", "just-after-midnight-east"],
)
def test_a_session_counts_on_the_persons_local_day(
    app: Flask, tz: str, local: datetime, day: date, planned: int
) -> None:
    """23:30 in Los Angeles is the next day in UTC; 00:30 in Tokyo is the day before."""
    person = make_user(timezone=tz)
    item = ProgrammeItem(
        patient_id=person.id,
        custom_name="Heel raises",
        discipline="physio",
        days_per_week=7,
        start_date=ago(10),
    )
    db.session.add(item)
    db.session.flush()
    entry, _ = log.create_entry(
        db.session, person, "exercise", {"programme_item_id": item.id, "name": "x"}, local
    )
    db.session.commit()
    assert entry.occurred_at.date() != day  # the UTC date differs
    done = done_days([(entry.programme_item_id, entry.local_date)])
    assert done == {item.id: {day}}
    a = adherence([plan_from_item(item, tz)], done, BAD_NONE, date(2026, 3, 28), 2)
    assert (a.done, a.planned) == (1, planned)
