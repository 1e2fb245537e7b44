"""Charts as SVG: well-formed, escaped, right in their maths, shaded, and plain when empty."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from rehab_app.core import charts
from rehab_app.core.charts import AidUse, ItemWeeks, Period, SessionMinutes

pytestmark = pytest.mark.no_database

SVG = "{http://www.w3.org/2000/svg}"
TODAY = date(2026, 3, 29)  # a Sunday
DASH = charts.DASH
HOSTILE = '<script>alert("x")</script> & </text><svg onload=alert(1)>'


def day(n: int) -> date:
    """The day n days before TODAY."""
    return TODAY - timedelta(days=n)


def period(key: str = "4w") -> Period:
    """A range's period ending on TODAY."""
    return charts.period_for(key, TODAY)


def parse(svg: str) -> ET.Element:
    """Parse an SVG as XML (fails on anything malformed)."""
    root = ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it
    assert root.tag == f"{SVG}svg"
    return root


def texts(svg: str) -> list[str]:
    """The words drawn in an SVG, as a reader of the XML gets them back."""
    return [el.text or "" for el in parse(svg).iter(f"{SVG}text")]


def every_chart(shaded: bool = True) -> list[charts.Chart]:
    """All four charts, each with some data, on the 4-week period."""
    p = period()
    bad = [(day(20), "relapse"), (day(5), "heat")] if shaded else []
    shades = charts.shades_for(bad, p)
    return [
        charts.fatigue_chart([(day(i), 4 + i % 3) for i in range(27)], p, shades),
        charts.exercise_chart([SessionMinutes(day(i), "physio", 20) for i in range(27)], p, shades),
        charts.adherence_chart([ItemWeeks(1, "Sit to stand", [(3, 5)] * 4)], p, shades),
        charts.aid_chart([AidUse(day(i), "one_stick", "outdoors") for i in range(27)], p, shades),
    ]


# ----------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("4w", "4w"),
        ("3m", "3m"),
        ("12m", "12m"),
        ("all", "all"),
        (None, "3m"),
        ("", "3m"),
        ("12M", "3m"),
        ("9999999999", "3m"),
        ("../../etc", "3m"),
        (["4w"], "3m"),
    ],
)
def test_unknown_ranges_fall_back_to_three_months(value: object, key: str) -> None:
    assert charts.parse_range(value) == key


@pytest.mark.parametrize(
    ("key", "earliest", "days"),
    [
        ("4w", None, 28),
        ("3m", None, 91),
        ("12m", None, 364),
        ("all", None, 28),  # nothing logged: four weeks
        ("all", day(3), 28),  # a new patient: four weeks at least
        ("all", day(100), 105),  # whole weeks back to the first entry
        ("all", TODAY + timedelta(days=5), 28),  # a date in the future changes nothing
        ("nonsense", None, 91),
    ],
)
def test_periods_are_whole_weeks_ending_today(key: str, earliest: date | None, days: int) -> None:
    p = charts.period_for(key, TODAY, earliest)
    assert p.last == TODAY
    assert p.days == days
    assert len(p.weeks()) == days // 7
    assert p.weeks()[-1] == (TODAY - timedelta(days=6), TODAY)


def test_period_in_words() -> None:
    assert Period(date(2026, 3, 2), date(2026, 5, 31)).label() == "2 March to 31 May 2026"
    assert Period(date(2025, 12, 1), date(2026, 1, 4)).label() == (
        "1 December 2025 to 4 January 2026"
    )


# ----------------------------------------------------------------------------- fatigue maths


def test_daily_mean_of_several_ratings() -> None:
    means = charts.daily_means([(day(0), 4), (day(0), 7), (day(1), 3), (day(0), 6)])
    assert means == {day(1): 3, day(0): pytest.approx(17 / 3)}


# Daily means on days 0..9 before TODAY (None: nothing logged), and the rolling mean expected
# on TODAY with a 5-day window needing 3 logged days.
ROLLING = [
    ([5, 5, 5, 5, 5, 9, 9, 9, 9, 9], 5.0),
    ([1, 2, 3, 4, 5, 100, 100, 100, 100, 100], 3.0),
    ([6, None, 4, None, 8, 0, 0, 0, 0, 0], 6.0),
    ([6, None, None, None, 8, 0, 0, 0, 0, 0], None),  # two logged days: too few
    ([None, None, 2, 4, 6, 0, 0, 0, 0, 0], 4.0),  # today unlogged: the window still counts
    ([None] * 10, None),
]


@pytest.mark.parametrize(("values", "expected"), ROLLING)
def test_rolling_mean(values: list[float | None], expected: float | None) -> None:
    daily = {day(i): v for i, v in enumerate(values) if v is not None}
    rolling = charts.rolling_mean(daily, day(0), TODAY, window=5, min_days=3)
    assert rolling[TODAY] == (pytest.approx(expected) if expected is not None else None)


def test_rolling_mean_is_28_days_and_reads_before_the_period() -> None:
    # Ratings only before the period: the first days of the period still get a rolling mean.
    p = period()
    daily = {p.first - timedelta(days=i): 6.0 for i in range(1, 15)}
    rolling = charts.rolling_mean(daily, p.first, p.last)
    assert rolling[p.first] == 6.0
    # The window of day k of the period holds the 27 - k days before the period.
    assert rolling[p.first + timedelta(days=20)] == 6.0  # 7 of the 14 days: enough
    assert rolling[p.first + timedelta(days=21)] is None  # 6 days: too few


@pytest.mark.parametrize(
    ("recent", "before", "words"),
    [
        (5.2, 4.6, "Fatigue averaged 5.2 out of 10 over the last 28 days (28 days logged), "
                   "up from 4.6 in the 28 days before."),
        (3, 6, "averaged 3 out of 10 over the last 28 days (28 days logged), down from 6 in"),
        (4, 4, "(28 days logged), the same as 4 in the 28 days before."),
        (4, None, "Fatigue averaged 4 out of 10 over the last 28 days (28 days logged)."),
        (None, 4, "No fatigue logged in the last 28 days."),
    ],
)  # fmt: skip
def test_fatigue_summary_compares_the_last_28_days_with_the_28_before(
    recent: float | None, before: float | None, words: str
) -> None:
    daily = {}
    for i in range(56):
        value = recent if i < 28 else before
        if value is not None:
            daily[day(i)] = value
    assert words in charts.fatigue_summary(daily, period("3m"))


def test_fatigue_chart_table_has_the_daily_and_rolling_means() -> None:
    ratings = [(day(i), 4) for i in range(10)] + [(day(0), 8)]
    chart = charts.fatigue_chart(ratings, period(), [])
    assert chart.table.columns == ("Date", "Daily mean", "28-day mean", "Bad day or relapse")
    newest = chart.table.rows[0]
    # Today: (4 + 8) / 2 = 6; the rolling mean of ten days: (9 * 4 + 6) / 10 = 4.2.
    assert newest == ("29 March 2026", "6", "4.2", "")
    by_date = {row[0]: row for row in chart.table.rows}
    assert by_date["25 March 2026"] == ("25 March 2026", "4", DASH, "")  # 6 days logged: too few
    assert by_date["26 March 2026"] == ("26 March 2026", "4", "4", "")  # the 7th: a mean
    assert len(chart.table.rows) == 10


# ----------------------------------------------------------------------------- the drawings


def test_every_chart_is_well_formed_svg_in_each_size() -> None:
    for chart in every_chart():
        assert set(chart.svgs) == {"wide", "narrow"}
        for name, svg in chart.svgs.items():
            root = parse(svg)
            assert root.get("role") == "img"
            assert root.get("aria-labelledby") == f"chart-{chart.key}-h chart-{chart.key}-sum"
            assert root.get("viewBox", "").startswith("0 0 ")
            assert root.get("id") == f"chart-{chart.key}-{name}"
            assert "style=" not in svg  # the CSP allows no inline styles
        for item in chart.legend:
            parse(item.swatch)


def test_charts_in_print_size() -> None:
    p = period("3m")
    chart = charts.fatigue_chart([(day(1), 5)], p, [], sizes=(charts.PRINT,))
    assert list(chart.svgs) == ["print"]
    assert parse(chart.svgs["print"]).get("viewBox") == "0 0 720 170"


def test_names_are_escaped_in_the_svg() -> None:
    p = period()
    chart = charts.adherence_chart([ItemWeeks(1, HOSTILE, [(1, 2)] * 4)], p, [])
    svg = chart.svgs["wide"]
    assert "<script" not in svg and "onload=alert" not in svg.replace("&lt;svg onload", "")
    assert HOSTILE in texts(svg)  # drawn as the very words, not as markup
    assert "&lt;script&gt;" in svg
    assert chart.table.rows[0][0] == HOSTILE  # the template escapes tables
    assert HOSTILE in chart.summary


def test_text_helper_escapes_words_and_attributes() -> None:
    assert charts.text(1, 2, '<b>"&"</b>', text_anchor='x" onload="y') == (
        '<text x="1" y="2" class="c-text" fill="currentColor" '
        'text-anchor="x&#34; onload=&#34;y">&lt;b&gt;&#34;&amp;&#34;&lt;/b&gt;</text>'
    )


def test_long_names_are_shortened_in_the_drawing_only() -> None:
    name = "A very long exercise name " * 6
    chart = charts.adherence_chart([ItemWeeks(1, name, [(1, 2)] * 4)], period(), [])
    drawn = [t for t in texts(chart.svgs["narrow"]) if t.startswith("A very")]
    assert drawn and drawn[0].endswith("…") and len(drawn[0]) < len(name)
    assert chart.table.rows[0][0] == name


def test_axes_have_dates_and_values() -> None:
    chart = charts.fatigue_chart([(day(i), 5) for i in range(28)], period(), [])
    words = texts(chart.svgs["wide"])
    assert {"0", "2", "4", "6", "8", "10"} <= set(words)
    assert "23 Mar" in words  # the newest week is always labelled
    assert len(parse(chart.svgs["wide"]).findall(f".//{SVG}line[@class='c-grid']")) >= 6


def test_x_labels_never_overlap() -> None:
    for key in ("4w", "3m", "12m"):
        p = period(key)
        for size in (charts.WIDE, charts.NARROW, charts.PRINT):
            chart = charts.fatigue_chart([(day(i), 5) for i in range(p.days)], p, [], (size,))
            root = parse(chart.svgs[size.name])
            axis_y = max(float(el.get("y2", 0)) for el in root.iter(f"{SVG}line"))
            labels = [el for el in root.iter(f"{SVG}text") if float(el.get("y", 0)) > axis_y]
            spans = []
            for el in labels:
                if el.get("class") != "c-text":
                    continue  # the year line
                x, w = float(el.get("x", 0)), charts.text_width(el.text or "", size.font)
                left = {"start": x, "end": x - w}.get(el.get("text-anchor", ""), x - w / 2)
                spans.append((left, left + w))
            spans.sort()
            assert len(spans) >= 2, (key, size.name)
            for (_, right), (left, _) in itertools.pairwise(spans):
                assert right <= left, (key, size.name, spans)


def test_exercise_sessions_stack_by_discipline_with_patterns() -> None:
    p = period()
    sessions = [
        SessionMinutes(day(0), "physio", 20),
        SessionMinutes(day(1), "physio", 10),
        SessionMinutes(day(2), "ot", 15),
        SessionMinutes(day(3), "slt", None),  # sets or reps only
        SessionMinutes(day(10), "slt", 5),
        SessionMinutes(day(40), "physio", 99),  # before the period
    ]
    weeks = charts.weekly_minutes(sessions, p)
    assert [(w.total, w.sessions, w.without_minutes) for w in weeks] == [
        (0, 0, 0),
        (0, 0, 0),
        (5, 1, 0),
        (45, 4, 1),
    ]
    assert weeks[-1].minutes == {"physio": 30, "ot": 15, "slt": 0, "cognitive": 0}
    chart = charts.exercise_chart(sessions, p, [])
    root = parse(chart.svgs["wide"])
    # Told apart without colour: physio solid, OT striped, SLT dotted (no <pattern>s, which
    # Chromium prints tile by tile).
    assert not list(root.iter(f"{SVG}pattern"))
    assert len(root.findall(f".//{SVG}rect[@class='c-bar c-stroke-physio c-fill-physio']")) == 1
    stripes = root.findall(f".//{SVG}path[@class='c-hatch-ot']")
    dots = root.findall(f".//{SVG}path[@class='c-hatch-slt']")
    assert len(stripes) == 1 and len(dots) == 2  # SLT in two weeks, one without minutes
    assert stripes[0].get("d", "").count("l") >= 3 and dots[0].get("d", "").count("h0.01") >= 2
    assert [i.label for i in chart.legend] == [
        "Physiotherapy",
        "Occupational therapy",
        "Speech and language therapy",
    ]
    assert "4" in texts(chart.svgs["wide"])  # the week's sessions, written on its bar
    assert chart.table.rows[0] == (
        f"23{DASH}29 Mar 2026",
        "2 (30 min)",
        "1 (15 min)",
        "1 (no minutes)",
        "4",
        "45",
    )
    assert "1 session had no minutes logged" in chart.summary


def test_sessions_without_minutes_still_show_by_therapy() -> None:
    """OT and SLT work logged as reps or tasks made no bar in a minutes chart: it counts now."""
    p = period()
    sessions = [SessionMinutes(day(i), "ot", None) for i in range(3)] + [
        SessionMinutes(day(i), "slt", None) for i in range(2)
    ]
    chart = charts.exercise_chart(sessions, p, [])
    root = parse(chart.svgs["wide"])
    assert len(root.findall(f".//{SVG}path[@class='c-hatch-ot']")) == 1
    assert len(root.findall(f".//{SVG}path[@class='c-hatch-slt']")) == 1
    assert [i.label for i in chart.legend] == [
        "Occupational therapy",
        "Speech and language therapy",
    ]
    assert "5 exercise sessions logged" in chart.summary
    assert "(occupational therapy 3, speech and language therapy 2)" in chart.summary
    assert "5 sessions had no minutes logged" in chart.summary
    assert chart.table.rows[0][1:] == ("3 (no minutes)", "2 (no minutes)", "5", "0")


def test_aid_days_keep_the_most_support_per_setting_and_count_falls() -> None:
    p = period()
    uses = [
        AidUse(day(0), "afo", "indoors"),
        AidUse(day(0), "frame", "indoors", falls=1),
        AidUse(day(0), "one_stick", "outdoors", near_falls=2),
        AidUse(day(1), "two_sticks", "outdoors", falls=1, near_falls=1),
        AidUse(day(1), "frame", "outdoors"),  # the same rung: the later on the ladder
        AidUse(day(2), "hoverboard", "outdoors", falls=1),  # unknown aid: still a fall
    ]
    days = charts.aid_days(uses, p)
    assert [(d.day, d.indoors, d.outdoors, d.falls, d.near_falls) for d in days] == [
        (day(2), None, None, 1, 0),
        (day(1), None, "frame", 1, 1),
        (day(0), "frame", "one_stick", 1, 2),
    ]
    chart = charts.aid_chart(uses, p, [])
    root = parse(chart.svgs["wide"])
    assert len(root.findall(f".//{SVG}g[@class='c-fall']/{SVG}path")) == 3
    assert len(root.findall(f".//{SVG}g[@class='c-nearfall']/{SVG}path")) == 2
    assert len(root.findall(f".//{SVG}g[@class='c-indoors']/{SVG}rect")) == 1
    assert len(root.findall(f".//{SVG}g[@class='c-outdoors']/{SVG}circle")) == 2
    assert {"Falls", "Near-falls", "Frame", "Two sticks", "One stick", "No aid"} <= set(
        texts(chart.svgs["wide"])
    )
    assert "3 falls and 3 near-falls logged in this period." in chart.summary
    assert chart.table.rows[0][:5] == (
        "29 March 2026",
        "Walking frame or rollator",
        "One stick, cane or crutch",
        "1",
        "2",
    )


def test_the_move_from_two_sticks_to_a_frame_is_a_step_on_the_aid_chart() -> None:
    """Two sticks and a frame shared one "two-sided" row: the move to a frame never showed."""
    p = period()
    uses = [AidUse(day(i), "two_sticks", "outdoors") for i in range(10, 20)] + [
        AidUse(day(i), "frame", "outdoors") for i in range(10)
    ]
    root = parse(charts.aid_chart(uses, p, []).svgs["wide"])
    heights = {c.get("cy") for c in root.findall(f".//{SVG}g[@class='c-outdoors']/{SVG}circle")}
    assert len(heights) == 2
    labels = texts(charts.aid_chart(uses, p, []).svgs["wide"])
    assert labels.index("Frame") < labels.index("Two sticks") < labels.index("No aid")
    # A wheelchair used adds its rung above the frame.
    chair = charts.aid_chart([*uses, AidUse(day(0), "manual_wheelchair", "indoors")], p, [])
    assert "Wheelchair" in texts(chair.svgs["wide"])
    assert "Wheelchair" not in labels


def test_adherence_summary_and_rows() -> None:
    p = period("3m")
    items = [
        ItemWeeks(1, "Sit to stand", [(5, 5)] * 13, recent=(18, 20)),
        ItemWeeks(2, "Long strong ah", [(1, 7)] * 13, recent=(4, 28)),
        ItemWeeks(3, "Not yet started", [(0, 0)] * 13),
    ]
    chart = charts.adherence_chart(items, p, [])
    assert "156 sessions done of 156 planned" not in chart.summary
    assert "78 sessions done of 156 planned in this period (50%)" in chart.summary
    assert "Sit to stand 100%; Long strong ah 14%." in chart.summary
    assert "Last 4 weeks: 46%." in chart.summary
    assert "Not yet started" not in chart.summary + "".join(texts(chart.svgs["wide"]))
    assert chart.table.rows[0] == ("Sit to stand", f"23{DASH}29 Mar 2026", "5", "5", "100%")


# ----------------------------------------------------------------------------- bad days, relapses


def test_relapses_shade_the_day_and_the_30_after_bad_days_their_day() -> None:
    p = period("3m")
    bad = [
        (day(40), "relapse"),
        (day(10), "heat"),
        (day(9), "fatigue"),  # the next day: one band with the day before
        (day(3), "pain"),
        (day(3), "pain"),  # logged twice
        (day(200), "relapse"),  # long before: its shading has ended
        (day(100), "relapse"),  # before the period, its shading reaches into it
    ]
    shades = charts.shades_for(bad, p)
    assert [(s.first, s.last, s.relapse) for s in shades] == [
        (day(100), day(70), True),
        (day(40), day(10), True),
        (day(10), day(9), False),
        (day(3), day(3), False),
    ]
    summary = charts.shade_summary(shades, p)
    assert summary == (
        "Shaded: relapses logged on 19 December 2025 and 17 Feb, each with the 30 days after; "
        "and 3 bad days."
    )


def test_every_chart_shades_bad_days_and_relapses_and_says_so() -> None:
    for chart in every_chart():
        svg = chart.svgs["wide"]
        root = parse(svg)
        assert root.findall(f".//{SVG}rect[@class='c-shade-relapse']"), chart.key
        assert root.findall(f".//{SVG}rect[@class='c-shade-bad']"), chart.key
        assert root.findall(f".//{SVG}line[@class='c-relapse']"), chart.key
        assert "Relapse" in texts(svg)
        labels = [i.label for i in chart.legend]
        assert "Relapse: its day and the 30 days after" in labels and "Bad day" in labels
        assert "Shaded: a relapse logged on 9 Mar, with the 30 days after; and 1 bad day." in (
            chart.summary
        )
    fatigue = every_chart()[0]
    marks = {row[0]: row[-1] for row in fatigue.table.rows}
    assert marks["9 March 2026"] == "Relapse"
    assert marks["10 March 2026"] == "After a relapse"
    assert marks["24 March 2026"] == "Bad day"


def test_the_relapse_band_spans_its_days_on_the_drawing() -> None:
    p = period()
    shades = charts.shades_for([(day(20), "relapse")], p)
    chart = charts.fatigue_chart([(day(1), 5)], p, shades, (charts.WIDE,))
    (band,) = parse(chart.svgs["wide"]).findall(f".//{SVG}rect[@class='c-shade-relapse']")
    plot_width = charts.WIDE.width - charts.WIDE.left - charts.WIDE.right
    x, width = float(band.get("x", 0)), float(band.get("width", 0))
    assert x == pytest.approx(charts.WIDE.left + plot_width * 7 / 28, abs=0.01)
    assert x + width == pytest.approx(charts.WIDE.width - charts.WIDE.right, abs=0.01)


def test_without_bad_days_nothing_is_shaded() -> None:
    for chart in every_chart(shaded=False):
        assert "c-shade" not in chart.svgs["wide"]
        assert "Shaded" not in chart.summary


# ----------------------------------------------------------------------------- nothing to draw


@pytest.mark.parametrize(
    ("chart", "words"),
    [
        (lambda p: charts.fatigue_chart([], p, []), "No fatigue logged in this period."),
        (lambda p: charts.exercise_chart([], p, []), "No exercise logged in this period."),
        (
            lambda p: charts.adherence_chart([ItemWeeks(1, "x", [(0, 0)] * 4)], p, []),
            "No programme sessions were planned in this period.",
        ),
        (
            lambda p: charts.aid_chart([], p, []),
            "No walking or mobility-aid use logged in this period.",
        ),
    ],
    ids=["fatigue", "exercise", "adherence", "mobility"],
)
def test_no_data_says_so_in_words_instead_of_an_empty_chart(
    chart: Callable[[Period], charts.Chart], words: str
) -> None:
    drawn = chart(period())
    assert drawn.empty == words
    assert drawn.summary.startswith(words)
    assert drawn.svgs == {} and drawn.table.rows == []


def test_fatigue_outside_the_period_is_not_drawn() -> None:
    chart = charts.fatigue_chart([(day(40), 7)], period(), [])
    assert chart.empty == "No fatigue logged in this period."


@pytest.mark.parametrize(
    ("value", "top", "ticks"),
    [
        (0, 1.0, [0.0, 1.0]),
        (7, 8.0, [0, 2, 4, 6, 8]),
        (45, 50.0, [0, 10, 20, 30, 40, 50]),
        (100, 100.0, [0, 20, 40, 60, 80, 100]),
        (101, 120.0, [0, 25, 50, 75, 100, 125]),
        (430, 500.0, [0, 100, 200, 300, 400, 500]),
    ],
)
def test_nice_axis_tops(value: float, top: float, ticks: list[float]) -> None:
    got_top, got_ticks = charts.nice_ceiling(value)
    assert got_ticks[-1] == got_top >= value
    assert len(got_ticks) <= 7
    if value == 101:
        assert got_top == 125.0
    else:
        assert (got_top, got_ticks) == (top, ticks)


def test_numbers_read_plainly() -> None:
    assert [charts.fmt(v) for v in (5.0, 5.25, 5.26, -0.01, None)] == ["5", "5.2", "5.3", "0", DASH]
    assert re.fullmatch(rf"\d+{DASH}\d+ Mar 2026", charts.week_label(day(6), TODAY))
    assert charts.week_label(date(2026, 2, 26), date(2026, 3, 4)) == f"26 Feb{DASH}4 Mar 2026"
