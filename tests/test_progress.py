"""My progress: the person's own week in kind words, and their own charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from rehab_app.core.progress import Week, this_week
from tests.helpers.accounts import CsrfClient, People
from tests.helpers.entries import add_entry
from tests.helpers.pages import visible

FRIDAY = date(2026, 12, 4)


@dataclass(frozen=True)
class Logged:
    kind: str
    local_date: date
    discipline: str | None = None
    fatigue: int | None = None
    distance_m: int | None = None


def ago(days: int, kind: str, **fields: object) -> Logged:
    return Logged(kind, FRIDAY - timedelta(days=days), **fields)  # type: ignore[arg-type]


def test_a_week_runs_monday_to_sunday() -> None:
    week = Week.of(FRIDAY)
    assert (week.first, week.last) == (date(2026, 11, 30), date(2026, 12, 6))
    assert week.before() == Week(date(2026, 11, 23), date(2026, 11, 29))


def test_the_week_counts_sessions_by_therapy_and_compares_fatigue_gently() -> None:
    entries = [
        ago(0, "exercise", discipline="physio"),
        ago(0, "exercise", discipline="slt"),
        ago(2, "exercise", discipline="physio"),
        ago(1, "fatigue", fatigue=4),
        ago(3, "fatigue", fatigue=5),
        ago(7, "fatigue", fatigue=7),  # last week
        ago(9, "fatigue", fatigue=6),
        ago(1, "mobility", distance_m=400),
        ago(2, "mobility", distance_m=1200),
        ago(5, "exercise", discipline="physio"),  # Sunday of last week: not this week
    ]
    assert this_week(entries, FRIDAY) == [
        "You logged 3 exercise sessions on 2 days this week "
        "(2 physiotherapy and 1 speech and language therapy).",
        "Your fatigue was lower than last week: 4.5 out of 10 on average, 6.5 last week.",
        "You logged 2 walks, 1,600 metres in all.",
    ]


@pytest.mark.parametrize(
    ("now", "then", "words"),
    [
        (5, 5, "about the same as last week"),
        (6, 4, "higher than last week"),
        (3, 4, "lower than last week"),
    ],
)
def test_fatigue_is_compared_in_words(now: int, then: int, words: str) -> None:
    said = this_week([ago(0, "fatigue", fatigue=now), ago(7, "fatigue", fatigue=then)], FRIDAY)
    assert any(words in s for s in said), said


def test_a_quiet_week_is_never_scolded() -> None:
    said = this_week([ago(8, "exercise", discipline="ot")], FRIDAY)
    assert said == ["No exercise logged yet this week. Whatever you manage counts."]
    joined = " ".join(said).lower()
    for word in ("missed", "should", "only", "failed", "worse"):
        assert word not in joined


def test_my_progress_shows_my_week_and_my_charts(
    patient_client: CsrfClient, people: People
) -> None:
    add_entry(people.patient, "fatigue", fatigue=4)
    add_entry(people.patient, "exercise", discipline="physio", name="Heel raises", sets=2)
    page = visible(patient_client.get("/progress").get_data(as_text=True))
    assert "You logged 1 exercise session on 1 day this week (1 physiotherapy)." in page
    assert "Your fatigue was 4.0 out of 10 on average this week." in page
    assert "Fatigue" in page and "4 weeks" in page
    three = patient_client.get("/progress?range=3m").get_data(as_text=True)
    assert 'range=3m" aria-current="page"' in three
    # Any other period asked for shows the default, not an error.
    assert patient_client.get("/progress?range=nonsense").status_code == 200
