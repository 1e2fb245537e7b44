"""Reasons worth reviewing in words a physiotherapist reads in two seconds (reasons.py)."""

from __future__ import annotations

import importlib
import random
import re
from dataclasses import replace
from datetime import date, timedelta
from unittest import mock

import pytest

from rehab_app.core import reasons, trends
from rehab_app.core.reasons import Reason, found
from rehab_app.core.trends import ExerciseSample, PatientSeries

# The module, which the package's `review` function hides.
trend_review = importlib.import_module("rehab_app.core.trends.review")

pytestmark = pytest.mark.no_database

TODAY = date(2026, 12, 4)


def _day(days_ago: int) -> date:
    return TODAY - timedelta(days=days_ago)


def _level(days_ago: int, start: int, per_year: float) -> float:
    """A steady level, then a straight change from `start` days ago."""
    return per_year * max(0, start - days_ago) / 365.25


def _reason(series: PatientSeries, measure: str) -> Reason:
    by_measure = {r.measure: r for r in found(series, TODAY)}
    assert measure in by_measure, [r.sentence for r in by_measure.values()]
    return by_measure[measure]


# ----------------------------------------------------------------------------- hand-made series


def test_a_rise_in_fatigue_reads_in_whole_points_and_a_month() -> None:
    rng = random.Random(1)
    # A year at 4, then rising 2.5 points a year over the last 9 months (since 8 March).
    fatigue = {
        _day(k): [round(4 + _level(k, 270, 2.5) + rng.gauss(0, 0.7))] for k in range(729, -1, -1)
    }
    reason = _reason(PatientSeries(fatigue=fatigue), "fatigue")
    # The 6-month window shows it more clearly (p-value), so it gives the words.
    assert reason.sentence == "Fatigue up from about 4 to 6 since June"
    assert "p" not in reason.sentence.replace("up", "")  # no statistics in the sentence
    how = " ".join(reason.details)
    assert "one-sided p < 0.001" in how and "weeks with data in the window" in how
    assert "points a year" in how


def _two_years_rising() -> dict[date, list[float]]:
    """Two years of daily fatigue, rising by 2.5 points over the last 270 days."""
    rng = random.Random(1)
    return {
        _day(k): [float(round(4 + _level(k, 270, 2.5) + rng.gauss(0, 0.7)))]
        for k in range(729, -1, -1)
    }


def test_the_details_say_how_much_log_came_before_the_window() -> None:
    # Two years: the year before the 6-month window's data is counted in weeks.
    fatigue = _two_years_rising()
    how = " ".join(_reason(PatientSeries(fatigue=fatigue), "fatigue").details)
    assert re.search(r"weeks with data in the window, \d+ in the two years before it;", how)
    # Six months, all of them the window: nothing before it, said in words rather than "0".
    recent = {day: ratings for day, ratings in fatigue.items() if day > _day(182)}
    how = " ".join(_reason(PatientSeries(fatigue=recent), "fatigue").details)
    assert "weeks with data in the window, none before it;" in how


def test_the_details_name_the_baseline_the_trends_read() -> None:
    # The words follow trends.BASELINE_DAYS: a year read before the window is "the year".
    fatigue = _two_years_rising()
    with (
        mock.patch.object(trend_review, "BASELINE_DAYS", 365),
        mock.patch.object(trends, "BASELINE_DAYS", 365),
    ):
        how = " ".join(_reason(PatientSeries(fatigue=fatigue), "fatigue").details)
    assert re.search(r"weeks with data in the window, \d+ in the year before it;", how)


def test_a_rise_with_a_relapse_in_its_window_says_what_the_relapse_may_hold() -> None:
    # A therapist reading a fatigue rise is told where part of it may be a relapse's lasting
    # step larger than the trend allows for (docs/trends.md, "What the power would need").
    fatigue = _two_years_rising()
    logged = PatientSeries(fatigue=fatigue, relapses=[_day(120)])
    how = _reason(logged, "fatigue").details
    assert how[-1] == (
        f"In this window, a relapse is logged on {reasons.day_text(_day(120), TODAY)}. The trend "
        "allows for the lasting step a relapse usually leaves (about 0.5 points); if it left more "
        "behind, part of this change may be that."
    )
    # None in the window (one long before it): nothing said of relapses having happened.
    for series in (PatientSeries(fatigue=fatigue), replace(logged, relapses=[_day(600)])):
        assert not any("relapse is logged" in line for line in _reason(series, "fatigue").details)


def test_relapses_within_a_window_read_as_a_list() -> None:
    reason = Reason(
        "fatigue",
        date(2026, 6, 8),
        TODAY,
        window_months=6,
        relapses=(
            (date(2026, 7, 1), reasons.LOGGED),
            (date(2026, 9, 2), reasons.LOGGED),
            (date(2026, 10, 3), reasons.UNLOGGED),
        ),
    )
    assert reason.details[-1].startswith(
        "In this window, relapses are logged on 1 Jul and 2 Sep; fatigue jumped as after a "
        "relapse on 3 Oct. The trend allows for"
    )
    assert reason.details[-1].endswith("if they left more behind, part of this change may be that.")
    # Stored with the summary and read back, the same.
    assert Reason.from_dict(reason.to_dict()) == reason
    # Measures whose levels are free at each relapse (walking): no such words, whatever is stored.
    assert not any(
        "In this window" in line for line in replace(reason, measure="aid_level").details
    )


def test_a_fall_in_outdoor_distance_reads_as_a_share() -> None:
    rng = random.Random(2)
    # 1500 m a day for a year, then a third less by today (a straight decline over 9 months).
    distance = {
        _day(k): max(0.0, 1500 * (1 - _level(k, 270, 0.45)) + rng.gauss(0, 120))
        for k in range(729, -1, -1)
    }
    reason = _reason(PatientSeries(outdoor_distance_m=distance), "outdoor_distance")
    # The 6-month window, with the 18 months before it as its baseline, is the clearer, and its
    # last quarter (the last six weeks) is the nearest to today's third less.
    assert reason.sentence == "Walks about a third less outdoors than before June"


def test_a_step_up_the_aid_ladder_names_the_aids_and_the_last_day() -> None:
    # One stick outdoors, two sticks from 150 days ago, a frame for the last 40; no aid indoors.
    aids: dict[date, list[str]] = {}
    outdoors: dict[date, list[str]] = {}
    for k in range(729, -1, -1):
        aid = "one_stick" if k > 150 else "two_sticks" if k > 40 else "frame"
        outdoors[_day(k)] = [aid]
        aids[_day(k)] = [aid, "none"]
    series = PatientSeries(aids=aids, outdoor_aids=outdoors)
    reason = _reason(series, "aid_level")
    assert reason.sentence == "Now uses a frame outdoors (two sticks until 24 Oct)"
    # Without knowing where: the aid of any setting.
    assert (
        _reason(PatientSeries(aids=aids), "aid_level").sentence
        == "Now uses a frame (two sticks until 24 Oct)"
    )


def test_walking_less_at_the_usual_effort_and_harder_effort_at_the_usual_dose() -> None:
    rng = random.Random(4)
    sessions = []
    for k in range(729, -1, -1):
        if k % 2:
            continue
        # Sit to stand: 12 reps for a year then fewer, at the same effort.
        reps = round(12 * (1 - _level(k, 300, 0.3)) + rng.gauss(0, 0.6))
        sessions.append(ExerciseSample(_day(k), "sit_to_stand", reps, 5))
        # Heel raises: 10 reps throughout, feeling harder.
        effort = min(10, round(4 + _level(k, 300, 2.0) + rng.gauss(0, 0.6)))
        sessions.append(ExerciseSample(_day(k), "heel_raises", 10, effort))
    series = PatientSeries(exercises=sessions)
    assert (
        _reason(series, "capacity").sentence
        == "Does about a fifth less at the usual effort than before December 2025"
    )
    assert _reason(series, "effort").sentence == (
        "Usual exercises feel harder: effort at the usual dose up about 1 point since December 2025"
    )


def test_a_rise_in_falls_reads_as_counts_a_month_over_calendar_days() -> None:
    rng = random.Random(5)
    # Mobility logged every other day only; falls and near-falls from 1 a month to about 6.
    falls = {
        _day(k): int(rng.random() < 2 * (1 + _level(k, 270, 7)) / 30.44)
        for k in range(729, -1, -1)
        if k % 2 == 0
    }
    reason = _reason(PatientSeries(falls=falls), "falls")
    assert reason.sentence.startswith("Falls and near-falls up from about 1 to about ")
    assert reason.sentence.endswith(" a month since June")
    after = int(reason.sentence.split("to about ")[1].split()[0])
    assert 4 <= after <= 8  # counted over calendar days, not only the logged ones (2x)


def test_a_slower_timed_walk_reads_in_seconds_and_a_share() -> None:
    rng = random.Random(6)
    walks = {_day(k): 8 * (1 + _level(k, 270, 0.4)) + rng.gauss(0, 0.3) for k in range(729, -1, -7)}
    walks |= {_day(k): 8 * (1 + _level(k, 270, 0.4)) + rng.gauss(0, 0.3) for k in range(0, 270, 3)}
    reason = _reason(PatientSeries(walk_seconds=walks), "walk_time")
    assert reason.sentence == (
        "Timed walk up from about 8 to 10 seconds since December 2025 (about a quarter slower)"
    )


def test_a_jump_nobody_logged_is_asked_about_not_read_as_a_rise() -> None:
    rng = random.Random(10)
    fatigue = {}
    for k in range(729, -1, -1):
        value = 4 + rng.gauss(0, 0.7)
        if k <= 40:
            value += 0.8 + 2.2 * 2.718 ** (-(40 - k) / 20)
        fatigue[_day(k)] = [value]
    said = [r.sentence for r in found(PatientSeries(fatigue=fatigue), TODAY)]
    # The jump is read from week means: a few days either side of the first bad day (25 Oct).
    assert said == ["Possible relapse not logged, around 22 Oct — ask"]
    # Logged, it is no reason at all.
    logged = PatientSeries(fatigue=fatigue, relapses=[_day(40)])
    assert found(logged, TODAY) == []


def test_a_steady_log_gives_no_reason() -> None:
    rng = random.Random(7)
    series = PatientSeries(
        fatigue={_day(k): [round(5 + rng.gauss(0, 0.8))] for k in range(729, -1, -1)},
        outdoor_distance_m={_day(k): 1200 + rng.gauss(0, 150) for k in range(729, -1, -1)},
    )
    assert found(series, TODAY) == []


# ----------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    ("drop", "said"),
    [
        (0.12, "a tenth"),
        (0.16, "a fifth"),
        (0.24, "a quarter"),
        (0.3, "a third"),
        (0.4, "a third"),  # nearer a third than half
        (0.45, "half"),
        (0.55, "half"),
        (0.6, "two thirds"),
        (0.72, "three quarters"),
        (0.95, "nine tenths"),
    ],
)
def test_shares_round_to_what_a_clinician_says(drop: float, said: str) -> None:
    assert reasons.share(drop) == said


@pytest.mark.parametrize(
    ("before", "now", "said"),
    [
        (3.5, 5.5, "Fatigue up from about 4 to 6 since June"),  # halves round up, not to even
        (4.49, 6.51, "Fatigue up from about 4 to 7 since June"),
        (4.6, 5.4, "Fatigue up about 1 point since June (now about 5)"),
        (4.6, 5.2, "Fatigue up about half a point since June (now about 5)"),
        (5.2, 7.3, "Fatigue up from about 5 to 7 since June"),
    ],
)
def test_fatigue_reads_in_whole_points(before: float, now: float, said: str) -> None:
    reason = Reason("fatigue", date(2026, 6, 8), TODAY, before=before, now=now, window_months=6)
    assert reason.sentence == said


@pytest.mark.parametrize(
    ("since", "said"),
    [
        (date(2026, 6, 8), "June"),
        (date(2026, 1, 1), "January"),
        (date(2025, 12, 5), "December 2025"),  # a year ago: never the same name as now
    ],
)
def test_since_when_is_a_month_name(since: date, said: str) -> None:
    assert reasons.month(since, TODAY) == said


@pytest.mark.parametrize(
    ("first", "last", "said"),
    [
        (date(2026, 3, 1), date(2026, 3, 31), "in March"),
        (date(2026, 6, 6), date(2026, 7, 20), "in June and July"),
        (date(2026, 3, 2), date(2026, 5, 31), "in March to May"),
        (date(2025, 12, 5), date(2026, 3, 5), "in December 2025 to March"),
    ],
)
def test_the_first_quarter_is_named_by_its_months(first: date, last: date, said: str) -> None:
    reason = Reason("capacity", first, TODAY, reference_first=first, reference_last=last)
    assert reasons.compared_with(reason) == said


@pytest.mark.parametrize(
    ("per_week", "said"), [(0.1, "under 1"), (0.2, "about 1"), (0.7, "about 3"), (3, "about 13")]
)
def test_falls_read_as_a_count_a_month(per_week: float, said: str) -> None:
    assert reasons.per_month(per_week) == said


def test_walking_half_as_much_is_not_half_less() -> None:
    reason = Reason("outdoor_distance", date(2026, 6, 1), TODAY, before=1000, now=480)
    assert reason.sentence == "Walks about half as much outdoors as before June"


def test_a_stored_reason_reads_the_same_after_a_round_trip() -> None:
    reason = Reason(
        "aid_level",
        date(2026, 6, 6),
        TODAY,
        window_months=6,
        slope_per_year=2.4,
        p_value=0.0004,
        weeks=25,
        before=0.8,
        now=1.5,
        reference_first=date(2026, 6, 6),
        reference_last=date(2026, 7, 20),
        aid_now="frame",
        aid_before="two_sticks",
        aid_until=date(2026, 11, 19),
        aid_setting="outdoors",
    )
    back = Reason.from_dict(reason.to_dict())
    assert back == reason
    assert back.sentence == "Now uses a frame outdoors (two sticks until 19 Nov)"
    assert back.details[0] == (
        "Trend over the last 6 months, from 6 Jun: rising about 2.4 steps on the walking-aid "
        "ladder a year (one-sided p < 0.001)."
    )


def test_every_measure_reviewed_has_its_own_words() -> None:
    """No measure of the trends falls through to the generic "<label> up since" words."""
    for key in trends.MEASURES:
        reason = Reason(key, date(2026, 6, 1), TODAY, before=4, now=6, aid_now="frame")
        assert reason.sentence != f"{trends.MEASURES[key].label} up since June", key
