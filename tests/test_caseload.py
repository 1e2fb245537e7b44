"""The caseload's domain: summary rows, walking aids, the rules of "worth reviewing", sorting,
and rows as stored and shown."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment
from markupsafe import Markup
from sqlalchemy import event, select, update

from rehab_app.core import caseload as cl
from rehab_app.core import reasons
from rehab_app.core.daily_series import LogRow
from rehab_app.extensions import db
from rehab_app.models import CaseloadSummary, Entry, ProgrammeItem, User, utcnow
from tests.helpers.accounts import CsrfClient, People
from tests.helpers.entries import TODAY, add_entry, ago, row
from tests.helpers.pages import visible

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


def plain(name: str, **changes: Any) -> cl.ShownRow:
    """A row as shown with nothing in it but a name and the changes."""
    base = cl.ShownRow(
        patient_id=1,
        name=name,
        email="p@example.test",
        timezone="Europe/London",
        last_sync=None,
        looked_at=None,
        week_percent=None,
        month_percent=None,
        fatigue_mean=None,
        fatigue_change=None,
        aid_level=None,
        aid_changes=0,
        falls=0,
        near_falls=0,
        reasons=0,
        slow_changes=0,
        cells=Markup(""),
        reasons_shown=Markup(""),
        reasons_more=Markup(""),
        more=0,
    )
    return base._replace(**changes)


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


any_row = st.builds(
    plain,
    st.text(max_size=5),
    week_percent=st.none() | st.floats(0, 100),
    month_percent=st.none() | st.floats(0, 100),
    fatigue_mean=st.none() | st.floats(0, 10),
    fatigue_change=st.none() | st.floats(-10, 10),
    falls=st.integers(0, 5),
    near_falls=st.integers(0, 5),
    last_sync=st.none() | st.datetimes(datetime(2025, 1, 1), datetime(2026, 3, 28)),
    aid_level=st.none() | st.integers(0, 3),
    aid_changes=st.integers(0, 2),
    reasons=st.integers(0, 5),
    slow_changes=st.integers(0, 2),
)


@given(
    rows=st.lists(any_row, max_size=8),
    key=st.sampled_from(list(cl.SORT_KEYS)),
    direction=st.sampled_from(["asc", "desc"]),
)
def test_any_rows_sort_by_any_column(rows: list[cl.ShownRow], key: str, direction: str) -> None:
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


@given(
    when=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31)),
    now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)),
    tz=st.sampled_from(["Europe/London", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
)
def test_the_tables_last_activity_reads_as_its_words(
    when: datetime, now: datetime, tz: str
) -> None:
    """The table works out each row's local time its own way (for speed): it must read as
    last_activity_text does, across summer time changes and in any zone."""
    body = str(cl.table_body([plain("Jo", last_sync=when)], "/p/", tz, now))
    assert f">{cl.last_activity_text(when, tz, now)}</time>" in body


def test_a_look_counts_for_today_in_each_persons_own_day() -> None:
    """One load's looks share a time: read once per zone, each still on its own day."""
    now, look = datetime(2026, 3, 28, 0, 30), datetime(2026, 3, 27, 23, 30)
    rows = [
        plain("London", patient_id=1, looked_at=look),  # 23:30 yesterday there
        plain("Berlin", patient_id=2, looked_at=look, timezone="Europe/Berlin"),  # 00:30 today
        plain("London again", patient_id=3, looked_at=look),
        plain("Never looked at", patient_id=4),
    ]
    assert [r.patient_id for r in cl.not_looked_at_today(rows, now)] == [1, 3, 4]


def test_the_table_escapes_who_the_person_is() -> None:
    body = str(cl.table_body([plain("<b>Jo</b>", email="a&b@x.test")], "/p/", "UTC", utcnow()))
    assert "<b>" not in body
    assert "&lt;b&gt;Jo&lt;/b&gt;" in body
    assert "a&amp;b@x.test" in body


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


# ----------------------------------------------------------------------------- rows as stored


def statements_of(client: CsrfClient, path: str = "/therapist") -> list[str]:
    """The SQL statements one request runs, and the page's text kept on the client."""
    seen: list[str] = []

    def keep(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert response.status_code == 200
    client.page = response.get_data(as_text=True)  # type: ignore[attr-defined]
    return seen


def row_of(page: str, name: str) -> str:
    """The markup of one person's row of the caseload table."""
    rows = [r for r in re.findall(r"<tr\b.*?</tr>", page, re.S) if name in r]
    assert len(rows) == 1, f"no single row for {name}"
    return rows[0]


def reads_entries(statements: list[str]) -> bool:
    """True when one of the statements reads entries' contents (a summary computed)."""
    return any("entries.local_date >=" in s for s in statements)


def test_a_name_is_escaped_and_never_stored_with_the_row(
    therapist_client: CsrfClient, people: People
) -> None:
    olive = people.patient
    olive.display_name = '<img src=x onerror="alert(1)">Olive'
    db.session.commit()
    add_entry(olive, "mobility", 2, aid="frame", setting="outdoors", falls=1)
    statements_of(therapist_client)
    page = therapist_client.page  # type: ignore[attr-defined]
    assert "<img src=x" not in page and "&lt;img src=x onerror=" in page
    stored = db.session.scalars(select(CaseloadSummary)).one()
    for markup in (stored.cells, stored.reasons_shown, stored.reasons_more):
        assert "Olive" not in markup and "owner@example.test" not in markup
    # A new name shows at once, and no summary is computed for it.
    olive.display_name = "Olive Renamed"
    db.session.commit()
    assert not reads_entries(statements_of(therapist_client))
    row = row_of(therapist_client.page, "Olive Renamed")  # type: ignore[attr-defined]
    assert "Recent: 1 fall in the last 28 days" in visible(row)


def test_nothing_logged_is_added_live_after_the_stored_reasons(
    therapist_client: CsrfClient, people: People
) -> None:
    """Two stored reasons, then weeks of silence: the third folds under "1 more reason"."""
    olive = people.patient
    add_entry(olive, "mobility", 20, aid="one_stick", setting="outdoors", falls=1)
    add_entry(olive, "bad_day", 21, reason="relapse")
    weeks_ago = utcnow() - timedelta(days=20)
    db.session.execute(update(Entry).where(Entry.user_id == olive.id).values(updated_at=weeks_ago))
    db.session.commit()
    statements_of(therapist_client, "/therapist?sort=review")
    row = row_of(therapist_client.page, "Olive Owner")  # type: ignore[attr-defined]
    shown, folded = row.split("<details", 1)
    assert "1 fall in the last 28 days" in visible(shown)
    assert "Relapse or flare-up logged on" in visible(shown)
    assert "1 more reason for Olive Owner" in visible(folded)
    assert "Nothing logged or synced for 20 days" in visible(folded)
    assert '<li class="flag flag-recent"><strong>Recent:</strong> Nothing logged' in folded
    assert "&lt;" not in row, "stored markup escaped twice"
    stored = db.session.scalars(select(CaseloadSummary)).one()
    assert stored.reasons == 2 and "Nothing logged" not in stored.reasons_more


def test_new_templates_or_words_render_the_rows_again_without_reading_entries(
    therapist_client: CsrfClient, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_entry(people.patient, "mobility", 1, aid="frame", setting="outdoors", falls=2)
    assert reads_entries(statements_of(therapist_client))  # the first look computes it
    assert "2 falls" in row_of(therapist_client.page, "Olive Owner")  # type: ignore[attr-defined]
    assert not reads_entries(statements_of(therapist_client))
    # A deploy whose words differ: the stored rows are rendered again from their summaries.
    monkeypatch.setattr(cl.markup, "shown_with", lambda: "a later deploy")
    later = Environment(loader=cl.markup._env.loader, autoescape=True)
    later.globals.update(cl.markup._env.globals, falls_text=lambda r: f"{r.falls} tumbles")
    monkeypatch.setattr(cl.markup, "_env", later)
    statements = statements_of(therapist_client)
    assert not reads_entries(statements)
    assert "2 tumbles" in row_of(therapist_client.page, "Olive Owner")  # type: ignore[attr-defined]
    stored = db.session.scalars(select(CaseloadSummary)).one()
    assert stored.shown_with == "a later deploy" and "2 tumbles" in stored.cells


def test_the_stored_sort_keys_are_the_rows_own() -> None:
    """What the page sorts by, stored, is what the computed summary says."""
    rows = [row("mobility", 3, aid="frame", setting="outdoors", falls=1, near_falls=2)]
    rows += [row("fatigue", k, fatigue=7 if k < 7 else 4) for k in range(35)]
    computed = summary(rows)
    values = cl.stored.shown_values(computed)
    assert values["falls"] == 1 and values["near_falls"] == 2
    assert values["aid_level"] == computed.aids.level
    assert values["fatigue_change"] == computed.fatigue_change
    assert values["reasons"] == len(computed.flags) > 0
    assert values["slow_changes"] == sum(f.kind == "trend" for f in computed.flags)


def test_nothing_logged_joins_one_stored_reason_before_the_fold(
    therapist_client: CsrfClient, people: People
) -> None:
    olive = people.patient
    add_entry(olive, "mobility", 20, aid="one_stick", setting="outdoors", falls=1)
    weeks_ago = utcnow() - timedelta(days=20)
    db.session.execute(update(Entry).where(Entry.user_id == olive.id).values(updated_at=weeks_ago))
    db.session.commit()
    statements_of(therapist_client)
    row = row_of(therapist_client.page, "Olive Owner")  # type: ignore[attr-defined]
    assert "<details" not in row and "&lt;" not in row, "stored markup escaped twice"
    assert re.findall(r"<strong>Recent:</strong> ([^<]*?)\s*</li>", row) == [
        "1 fall in the last 28 days",
        "Nothing logged or synced for 20 days",
    ]
