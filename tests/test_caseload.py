"""The caseload's domain: summary rows, walking aids, the rules of "worth reviewing", sorting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rehab_app.core import caseload as cl
from rehab_app.core import reasons
from rehab_app.core.daily_series import LogRow
from rehab_app.models import ProgrammeItem, User
from tests.helpers.entries import TODAY, ago, row

PATIENT = User(id=1, email="p@example.test", display_name="Pat", timezone="Europe/London")


def summary(
    rows: list[LogRow], items: list[ProgrammeItem] | None = None, **kw: Any
) -> cl.CaseloadRow:
    """A summary row for PATIENT on TODAY."""
    last = kw.get("last_sync", datetime.combine(TODAY, datetime.min.time()))
    return cl.summarise(PATIENT, rows, items or [], last, TODAY)


def texts(r: cl.CaseloadRow) -> list[str]:
    """The reasons a row is worth reviewing."""
    return [f.text for f in r.flags]


# ----------------------------------------------------------------------------- walking aids


@pytest.mark.parametrize(
    ("uses", "main"),
    [
        ([], None),
        (["none", "none", "one_stick"], "none"),
        (["one_stick", "frame"], "frame"),  # a tie: the higher rung
        (["afo", "none"], "none"),  # the same rung: the later name, always the same answer
        (["hoverboard", "one_stick"], "one_stick"),  # unknown aids are left out
    ],
)
def test_main_aid_is_the_most_used_ties_up_the_ladder(uses: list[str], main: str | None) -> None:
    assert cl.main_aid(uses) == main


def test_an_aid_change_is_dated_and_keeps_the_aids_in_between() -> None:
    rows = [row("mobility", d, aid="one_stick", setting="outdoors") for d in range(70, 90)]
    rows += [row("mobility", d, aid="two_sticks", setting="outdoors") for d in range(30, 50)]
    rows += [row("mobility", d, aid="frame", setting="outdoors") for d in range(0, 10)]
    rows += [row("mobility", d, aid="none", setting="indoors") for d in range(0, 90, 2)]
    aids = cl.aid_history(rows, TODAY)
    assert (aids.outdoors, aids.indoors) == ("frame", "none")
    assert aids.text == "frame outdoors, no aid indoors"
    [change] = aids.changes
    assert change.path == ("one_stick", "two_sticks", "frame")
    assert change.on == ago(9)  # the 14 days ending then held more frame than anything else
    assert change.text == "outdoors: one stick → two sticks → frame"
    assert change.rises


@pytest.mark.parametrize(
    ("rows", "text", "changes"),
    [
        ([], "—", 0),
        ([row("mobility", 3, aid="one_stick", setting="indoors")], "one stick indoors", 0),
        # The same aid both places reads once.
        (
            [row("mobility", 3, aid="frame", setting=s) for s in ("indoors", "outdoors")],
            "frame",
            0,
        ),
        # Used only before the last 14 days: no main aid now, so no change either.
        ([row("mobility", 30, aid="frame", setting="outdoors")], "—", 0),
        # Back down the ladder: a change, but not a reason to review.
        (
            [row("mobility", d, aid="frame", setting="outdoors") for d in range(60, 80)]
            + [row("mobility", d, aid="one_stick", setting="outdoors") for d in range(0, 10)],
            "one stick outdoors",
            1,
        ),
    ],
    ids=["nothing", "indoors-only", "same-both", "stale", "down-the-ladder"],
)
def test_aid_summaries(rows: list[LogRow], text: str, changes: int) -> None:
    aids = cl.aid_history(rows, TODAY)
    assert (aids.text, len(aids.changes)) == (text, changes)
    assert not any("Walking aid" in t for t in texts(summary(rows)))


# ----------------------------------------------------------------------------- the simple rules


def near_falls(recent: int, before: int) -> list[LogRow]:
    """Near-falls spread over the last 28 days and the 28 before."""
    return [
        row("mobility", 1 + 5 * i, aid="none", setting="indoors", near_falls=1)
        for i in range(recent)
    ] + [
        row("mobility", 30 + 5 * i, aid="none", setting="indoors", near_falls=1)
        for i in range(before)
    ]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [row("mobility", 27, aid="none", setting="indoors", falls=1)],
            ["1 fall in the last 28 days"],
        ),
        ([row("mobility", 28, aid="none", setting="indoors", falls=1)], []),  # 29 days ago
        (
            [row("mobility", 2, aid="none", setting="indoors", falls=2, near_falls=1)],
            ["2 falls and 1 near-fall in the last 28 days"],
        ),
        (near_falls(3, 1), ["3 near-falls in the last 28 days (1 in the 28 days before)"]),
        (near_falls(2, 0), []),  # too few
        (near_falls(4, 4), []),  # as many as before: not new
        (near_falls(4, 6), []),
    ],
    ids=["fall", "fall-too-long-ago", "falls-and-near", "near-falls-up", "few", "same", "fewer"],
)
def test_falls_and_near_falls(rows: list[LogRow], expected: list[str]) -> None:
    assert texts(summary(rows)) == expected


def fatigue(
    recent: float, before: float, recent_days: int = 4, before_days: int = 10
) -> list[LogRow]:
    """Daily ratings: some of the last 7 days, some of the 28 before."""
    return [row("fatigue", d, fatigue=round(recent)) for d in range(recent_days)] + [
        row("fatigue", 8 + 2 * d, fatigue=round(before)) for d in range(before_days)
    ]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            fatigue(6, 4),
            ["Fatigue up 2.0 points this week: mean 6.0, against 4.0 in the 4 weeks before"],
        ),
        (fatigue(5, 4), []),  # a point: within the everyday ups and downs
        (fatigue(3, 6), []),  # better
        (fatigue(8, 4, recent_days=2), []),  # too few days this week
        (fatigue(8, 4, before_days=6), []),  # too few days before
    ],
    ids=["up-2", "up-1", "down", "few-now", "few-before"],
)
def test_a_rise_in_fatigue(rows: list[LogRow], expected: list[str]) -> None:
    assert texts(summary(rows)) == expected


def test_the_fatigue_mean_is_of_days_not_of_ratings() -> None:
    rows = [row("fatigue", 0, fatigue=9)] + [row("fatigue", 1, fatigue=1) for _ in range(5)]
    rows += [row("fatigue", 2, fatigue=5)]
    assert summary(rows).fatigue_mean == 5.0


def daily_item(start_ago: int = 60) -> ProgrammeItem:
    """A daily programme item started some days ago."""
    return ProgrammeItem(id=7, days_per_week=7, start_date=ago(start_ago), stopped_at=None)


def sessions(days: range) -> list[LogRow]:
    """Sessions of item 7 on these days ago."""
    return [row("exercise", d, programme_item_id=7) for d in days]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # All done in the 4 weeks before, none in the last 2.
        (
            sessions(range(14, 42)),
            [
                "Exercise programme done less: 0% in the last 2 weeks, "
                "against 100% in the 4 weeks before"
            ],
        ),
        (sessions(range(1, 42)), []),  # kept up
        # Steady at half: no drop, but seldom done (it read "Nothing flagged").
        (
            sessions(range(1, 42, 2)),
            ["Exercise programme done seldom: 52% in the last 28 days (14 of 27 sessions)"],
        ),
        ([s for s in sessions(range(1, 42)) if s.local_date.day % 4], []),  # steady at 3 in 4
        # The last 2 weeks were bad days: nothing missed, nothing flagged.
        (sessions(range(14, 42)) + [row("bad_day", d, reason="relapse") for d in range(14)], None),
    ],
    ids=["dropped", "kept-up", "steady-low", "steady-high", "bad-days"],
)
def test_a_drop_in_adherence(rows: list[LogRow], expected: list[str] | None) -> None:
    found = texts(summary(rows, [daily_item()]))
    if expected is None:  # only the relapse is worth a look
        assert not any("done less" in t for t in found)
        assert found[0].startswith("Relapse or flare-up logged on")
    else:
        assert found == expected


def test_a_relapse_in_the_last_four_weeks_is_listed() -> None:
    rows = [row("bad_day", 3, reason="relapse"), row("bad_day", 40, reason="relapse")]
    rows.append(row("bad_day", 5, reason="heat"))
    assert texts(summary(rows)) == [f"Relapse or flare-up logged on {ago(3).day} Mar"]


@pytest.mark.parametrize(
    ("last_sync", "expected"),
    [
        (datetime(2026, 3, 14, 9), ["Nothing logged or synced for 14 days"]),
        (datetime(2026, 3, 15, 9), []),
        (None, []),  # never logged anything: nothing to miss yet
    ],
)
def test_weeks_without_entries(last_sync: datetime | None, expected: list[str]) -> None:
    assert texts(cl.summarise(PATIENT, [], [], last_sync, TODAY)) == expected


# ----------------------------------------------------------------------------- sorting


def plain(name: str, **changes: Any) -> cl.CaseloadRow:
    """A summary row with nothing in it but a name and the changes."""
    base = cl.summarise(PATIENT, [], [], None, TODAY)
    return cl.CaseloadRow(**{**base.__dict__, "name": name, **changes})


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_rows_without_a_value_go_last_either_way(direction: str) -> None:
    rows = [plain("A"), plain("B", fatigue_mean=3.0), plain("C", fatigue_mean=7.0), plain("D")]
    names = [r.name for r in cl.sort_rows(rows, "fatigue", direction)]
    assert names == (["B", "C", "A", "D"] if direction == "asc" else ["C", "B", "A", "D"])


@pytest.mark.parametrize(
    ("key", "direction", "expected"),
    [
        (None, None, ("review", "desc")),
        ("garbage", "asc", ("review", "desc")),
        ("name", None, ("name", "asc")),
        ("falls", "sideways", ("falls", "desc")),
        ("week", "desc", ("week", "desc")),
    ],
)
def test_sort_parameters_are_checked(
    key: str | None, direction: str | None, expected: tuple[str, str]
) -> None:
    assert cl.parse_sort(key, direction) == expected


flag = st.builds(cl.Flag, st.sampled_from(["trend", "recent"]), st.text(max_size=5))
any_row = st.builds(
    plain,
    st.text(max_size=5),
    fatigue_mean=st.none() | st.floats(0, 10),
    fatigue_before=st.none() | st.floats(0, 10),
    falls=st.integers(0, 5),
    near_falls=st.integers(0, 5),
    last_sync=st.none() | st.datetimes(datetime(2025, 1, 1), datetime(2026, 3, 28)),
    aids=st.builds(
        cl.Aids, st.none() | st.sampled_from(["none", "frame"]), st.none() | st.just("afo")
    ),
    flags=st.lists(flag, max_size=3).map(tuple),
)


@given(
    rows=st.lists(any_row, max_size=8),
    key=st.sampled_from(list(cl.SORT_KEYS)),
    direction=st.sampled_from(["asc", "desc"]),
)
def test_any_rows_sort_by_any_column(rows: list[cl.CaseloadRow], key: str, direction: str) -> None:
    ordered = cl.sort_rows(rows, key, direction)
    assert sorted(map(id, ordered)) == sorted(map(id, rows))


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("  Olive ", "Olive"), ("Ol\x00ive\n", "Olive"), ("x" * 500, "x" * cl.QUERY_MAX), (None, "")],
)
def test_a_search_is_cleaned(typed: str | None, kept: str) -> None:
    assert cl.clean_query(typed) == kept


# ----------------------------------------------------------------------------- words


@pytest.mark.parametrize(
    ("when", "tz", "text"),
    [
        (None, "Europe/London", "Never"),
        (datetime(2026, 3, 28, 8, 5), "Europe/London", "Today, 08:05"),
        (datetime(2026, 3, 27, 23, 30), "Europe/London", "Yesterday, 23:30"),
        (datetime(2026, 3, 27, 23, 30), "Europe/Berlin", "Today, 00:30"),  # an hour ahead
        (datetime(2026, 3, 20, 9, 0), "Europe/London", "8 days ago"),
        (datetime(2025, 12, 1, 9, 0), "Europe/London", "1 Dec 2025"),
    ],
)
def test_last_activity_reads_in_the_therapists_time(
    when: datetime | None, tz: str, text: str
) -> None:
    assert cl.last_activity_text(when, tz, datetime(2026, 3, 28, 12)) == text


@pytest.mark.parametrize(
    ("change", "text"), [(None, "—"), (0.04, "no change"), (1.25, "up 1.2"), (-0.5, "down 0.5")]
)
def test_fatigue_change_words(change: float | None, text: str) -> None:
    assert cl.fatigue_change_text(change) == text


def test_a_stored_summary_keeps_a_reasons_data_and_words_it_when_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """New wording never leaves stale sentences in the stored caseload summaries."""
    rising = [row("fatigue", k, fatigue=round(3 + 4 * (300 - k) / 300)) for k in range(300, -1, -1)]
    computed = summary(rising)
    [trend] = [f for f in computed.flags if f.kind == "trend"]
    assert trend.text.startswith("Fatigue up from about 3 to ")
    stored = cl.summary_to_json(computed)
    assert "Fatigue up" not in stored and '"measure":"fatigue"' in stored
    assert cl.summary_from_json(stored, PATIENT).flags == computed.flags
    monkeypatch.setattr(reasons, "sentence", lambda r: f"New words for {r.measure}")
    assert texts(cl.summary_from_json(stored, PATIENT))[0] == "New words for fatigue"
