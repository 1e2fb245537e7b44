"""Charts of a person's log, drawn on the server as SVG, each with a summary and a data table.

No Flask and no database here: pure functions of plain data (dates and numbers) that return
the SVG markup (every piece of text escaped), a one-paragraph summary in words and the rows of
a data table, so that a chart reads the same to someone who cannot see it.

Colours come from CSS classes (static/css/dashboard.css), never from style attributes (the CSP
forbids them), so that charts follow light and dark mode and print black on white. Bad days
and relapses are shaded on every chart: a bad day on its day, a relapse on its day and the
RELAPSE_SHADE_DAYS after it, when changes may still recover (DOMAIN.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import fmean
from typing import Final

from markupsafe import Markup, escape

from .trends import RELAPSE_EXCLUSION_DAYS
from .vocab import AID_LEVEL, AID_SHORT, AIDS, BAD_DAY_REASONS, DISCIPLINES, SETTINGS
from .walks import walk_change

# ----------------------------------------------------------------------------- ranges


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


# ----------------------------------------------------------------------------- what charts return


@dataclass(frozen=True)
class LegendItem:
    """One key of a legend: a small drawing of the mark and its words."""

    label: str
    swatch: Markup


@dataclass(frozen=True)
class Table:
    """A chart's data as a table, for screen readers and anyone who wants the numbers."""

    caption: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass(frozen=True)
class Chart:
    """A drawn chart: its SVG in one or more sizes, its legend, summary and data table.

    When there is nothing to draw, `empty` says so in plain words and `svgs` is empty.
    """

    key: str
    title: str
    summary: str
    table: Table
    svgs: dict[str, Markup] = field(default_factory=dict)
    legend: list[LegendItem] = field(default_factory=list)
    empty: str | None = None


@dataclass(frozen=True)
class Size:
    """A chart's drawing box (SVG user units) and its text size: wide, narrow or print."""

    name: str
    width: int
    height: int
    font: int
    left: int
    right: int
    top: int
    bottom: int


# Wide suits a desktop column (about 560 px); narrow a phone held upright, drawn at about 1:1
# so that its text stays readable; print an A4 page's width.
WIDE: Final = Size("wide", 560, 240, 13, 34, 10, 16, 36)
NARROW: Final = Size("narrow", 340, 250, 12, 30, 6, 16, 36)
PRINT: Final = Size("print", 720, 170, 11, 30, 8, 12, 30)
SCREEN_SIZES: Final = (WIDE, NARROW)


# ----------------------------------------------------------------------------- SVG building


def _attrs(attrs: Mapping[str, object]) -> str:
    return "".join(
        f' {name}="{escape(_value(value))}"' for name, value in attrs.items() if value is not None
    )


def _value(value: object) -> str:
    if isinstance(value, float):
        return fmt(value, 2)
    return str(value)


def tag(name: str, attrs: Mapping[str, object], content: str | None = None) -> str:
    """One SVG element; `content` must already be markup (text goes through `text`)."""
    if content is None:
        return f"<{name}{_attrs(attrs)}/>"
    return f"<{name}{_attrs(attrs)}>{content}</{name}>"


def text(x: float, y: float, words: str, cls: str = "c-text", **extra: object) -> str:
    """An SVG <text> whose words are escaped."""
    attrs: dict[str, object] = {"x": x, "y": y, "class": cls, "fill": "currentColor"}
    attrs.update({k.replace("_", "-"): v for k, v in extra.items()})
    return tag("text", attrs, str(escape(words)))


def _svg(size: Size, height: int, uid: str, parts: Iterable[str], defs: str = "") -> Markup:
    body = "".join(parts)
    inner = (f"<defs>{defs}</defs>" if defs else "") + body
    # The page gives each chart a heading "<key>-h" and a summary "<key>-sum": together they
    # name the drawing for a screen reader, which skips its marks (role img).
    key = uid.rsplit("-", 1)[0]
    root = {
        "xmlns": "http://www.w3.org/2000/svg",
        "viewBox": f"0 0 {size.width} {height}",
        "class": f"chart-svg chart-{size.name}",
        "font-size": size.font,
        "id": uid,
        "role": "img",
        "aria-labelledby": f"{key}-h {key}-sum",
        "focusable": "false",
    }
    return Markup(tag("svg", root, inner))  # noqa: S704 - every part is built escaped


@dataclass(frozen=True)
class Plot:
    """Where the data go in a drawing: the plot area and the day-to-x scale."""

    size: Size
    period: Period
    left: float
    top: float
    bottom: float  # y of the x axis

    @property
    def right(self) -> float:
        """x of the plot's right edge."""
        return self.size.width - self.size.right

    @property
    def day_width(self) -> float:
        """How wide one day is."""
        return (self.right - self.left) / self.period.days

    def x(self, day: date) -> float:
        """x of the start of a day (days outside the period are clamped to its edges)."""
        offset = min(max((day - self.period.first).days, 0), self.period.days)
        return self.left + offset * self.day_width

    def mid(self, day: date) -> float:
        """x of the middle of a day."""
        return self.x(day) + self.day_width / 2


def _plot(size: Size, period: Period, height: int, left: int | None = None) -> Plot:
    return Plot(size, period, left or size.left, size.top, height - size.bottom)


def date_ticks(period: Period, max_labels: int) -> list[tuple[date, str, str]]:
    """Where the x axis is labelled: (day, label, a second line such as the year or '')."""
    if period.days <= 16 * 7:
        candidates = [first for first, _ in period.weeks()]
        step = max(1, math.ceil(len(candidates) / max_labels))
        # Keep the latest week labelled: the newest data matter most.
        picked = candidates[::-1][::step][::-1]
        return [(d, short_day(d), "") for d in picked]
    months = []
    day = date(period.first.year, period.first.month, 1)
    if day < period.first:
        day = _next_month(day)
    while day <= period.last:
        months.append(day)
        day = _next_month(day)
    step = 1
    while math.ceil(len(months) / step) > max_labels:
        step = {1: 2, 2: 3, 3: 6, 6: 12}.get(step, step + 12)
    picked = [m for m in months if (m.month - 1) % step == 0] or months[:1]
    out = []
    for i, m in enumerate(picked):
        year = f"{m:%Y}" if i == 0 or m.month <= step or m.year != picked[i - 1].year else ""
        out.append((m, f"{m:%b}", year))
    return out


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def text_width(words: str, font: float) -> float:
    """About how wide a line of text is drawn (an average glyph is ~0.58 em)."""
    return len(words) * font * 0.58


def _x_axis(plot: Plot) -> list[str]:
    size = plot.size
    max_labels = max(2, int((plot.right - plot.left) // (size.font * 4.2)))
    ticks = date_ticks(plot.period, max_labels)
    parts = []
    labels: list[tuple[float, str, str, str]] = []  # x, anchor, label, second line
    edge = math.inf  # the left end of the label kept to the right
    for day, label, second in reversed(ticks):  # newest first: the newest labels matter most
        x = plot.x(day)
        parts.append(
            tag("line", {"class": "c-grid", "x1": x, "x2": x, "y1": plot.top, "y2": plot.bottom})
        )
        parts.append(
            tag(
                "line",
                {"class": "c-axis", "x1": x, "x2": x, "y1": plot.bottom, "y2": plot.bottom + 4},
            )
        )
        width = max(text_width(label, size.font), text_width(second, size.font))
        anchor, left = "middle", x - width / 2
        if left < plot.left - size.left / 2:
            anchor, left = "start", x
        if x + width / 2 > size.width:
            anchor, left = "end", x - width
        right = left + width if anchor != "end" else x
        if right + size.font * 0.6 < edge:
            labels.append((x, anchor, label, second))
            edge = left
    if labels and ticks and ticks[0][2] == "" and plot.period.days > 16 * 7:
        x, anchor, label, _ = labels[-1]  # the oldest label shown says the year
        day = next(d for d, la, _ in ticks if plot.x(d) == x)
        labels[-1] = (x, anchor, label, f"{day:%Y}")
    for x, anchor, label, second in labels:
        parts.append(text(x, plot.bottom + size.font + 4, label, text_anchor=anchor))
        if second:
            parts.append(
                text(
                    x, plot.bottom + 2 * size.font + 6, second, "c-text c-muted", text_anchor=anchor
                )
            )
    parts.append(
        tag(
            "line",
            {
                "class": "c-axis",
                "x1": plot.left,
                "x2": plot.right,
                "y1": plot.bottom,
                "y2": plot.bottom,
            },
        )
    )
    return parts


def _y_axis(plot: Plot, ticks: Sequence[float], top_value: float, unit: str = "") -> list[str]:
    parts = []
    for value in ticks:
        y = _y(plot, value, top_value)
        parts.append(
            tag("line", {"class": "c-grid", "x1": plot.left, "x2": plot.right, "y1": y, "y2": y})
        )
        label = fmt(value) + (unit if value == ticks[-1] else "")
        parts.append(text(plot.left - 5, y + plot.size.font * 0.35, label, text_anchor="end"))
    return parts


def _y(plot: Plot, value: float, top_value: float) -> float:
    return plot.bottom - (plot.bottom - plot.top) * (value / top_value if top_value else 0)


def nice_ceiling(value: float, max_ticks: int = 5) -> tuple[float, list[float]]:
    """A round top for an axis at or above `value`, and its gridline values from 0."""
    if value <= 0:
        return 1.0, [0.0, 1.0]
    raw = value / max_ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    top = step * math.ceil(value / step)
    return top, [step * i for i in range(round(top / step) + 1)]


def _count_ceiling(value: int) -> tuple[float, list[float]]:
    """Like nice_ceiling, with whole steps: a count has no half sessions."""
    top, ticks = nice_ceiling(value)
    if all(t == int(t) for t in ticks):
        return top, ticks
    step = math.ceil(ticks[1])
    top = step * math.ceil(value / step)
    return top, [float(step * i) for i in range(top // step + 1)]


# ----------------------------------------------------------------------------- bad days, relapses


@dataclass(frozen=True)
class Shade:
    """A stretch shaded on every chart: a bad day, or a relapse and the days after it."""

    first: date
    last: date
    relapse: bool
    day: date  # the day logged (for a relapse, where its line is drawn)


def shades_for(bad_days: Iterable[tuple[date, str | None]], period: Period) -> list[Shade]:
    """Shading for bad days and relapses that reach into the period, oldest first."""
    relapses = sorted({d for d, r in bad_days if r == "relapse"})
    others = sorted({d for d, r in bad_days if r != "relapse"})
    shades = [
        Shade(d, d + timedelta(days=RELAPSE_SHADE_DAYS), True, d)
        for d in relapses
        if d <= period.last and d + timedelta(days=RELAPSE_SHADE_DAYS) >= period.first
    ]
    run: list[date] = []
    for d in [*(d for d in others if period.first <= d <= period.last), None]:
        if run and (d is None or d != run[-1] + timedelta(days=1)):
            shades.append(Shade(run[0], run[-1], False, run[0]))
            run = []
        if d is not None:
            run.append(d)
    return sorted(shades, key=lambda s: (s.first, not s.relapse))


def _shade_layer(plot: Plot, shades: Sequence[Shade]) -> list[str]:
    """Pale bands behind the data, with a mark on the axis a person can see at 3:1 contrast."""
    parts = []
    for s in shades:
        x0, x1 = plot.x(s.first), plot.x(s.last + timedelta(days=1))
        if x1 <= x0:
            continue
        kind = "relapse" if s.relapse else "bad"
        parts.append(
            tag(
                "rect",
                {
                    "class": f"c-shade-{kind}",
                    "x": x0,
                    "y": plot.top,
                    "width": x1 - x0,
                    "height": plot.bottom - plot.top,
                },
            )
        )
        if not s.relapse:
            parts.append(
                tag(
                    "rect",
                    {
                        "class": "c-mark-bad",
                        "x": x0,
                        "y": plot.bottom + 1,
                        "width": max(x1 - x0, 1.5),
                        "height": 5,
                    },
                )
            )
    edge = -math.inf  # the right end of the last "Relapse" label drawn
    for s in shades:
        if s.relapse and plot.period.first <= s.day <= plot.period.last:
            x = plot.x(s.day)
            parts.append(
                tag(
                    "line",
                    {"class": "c-relapse", "x1": x, "x2": x, "y1": plot.top - 2, "y2": plot.bottom},
                )
            )
            width = text_width("Relapse", plot.size.font)
            anchor, left = "start", x + 3
            if left + width > plot.size.width:
                anchor, left = "end", x - 3 - width
            if left > edge:  # relapses logged close together get one label
                parts.append(
                    text(
                        x + (3 if anchor == "start" else -3),
                        plot.top - 4,
                        "Relapse",
                        "c-relapse-text",
                        text_anchor=anchor,
                    )
                )
                edge = left + width + 4
    return parts


def _shade_legend(shades: Sequence[Shade]) -> list[LegendItem]:
    items = []
    if any(s.relapse for s in shades):
        items.append(
            LegendItem(
                f"Relapse: its day and the {RELAPSE_SHADE_DAYS} days after",
                _swatch(
                    '<rect class="c-shade-relapse" x="0" y="0" width="24" height="16"/>'
                    '<line class="c-relapse" x1="2" x2="2" y1="0" y2="16"/>'
                ),
            )
        )
    if any(not s.relapse for s in shades):
        items.append(
            LegendItem(
                "Bad day",
                _swatch(
                    '<rect class="c-shade-bad" x="0" y="0" width="24" height="16"/>'
                    '<rect class="c-mark-bad" x="0" y="11" width="24" height="5"/>'
                ),
            )
        )
    return items


def _swatch(inner: str, defs: str = "") -> Markup:
    defs_part = f"<defs>{defs}</defs>" if defs else ""
    return Markup(  # noqa: S704 - fixed markup, no outside text
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart-swatch" viewBox="0 0 24 16" '
        'width="24" height="16" aria-hidden="true"'
        f' focusable="false">{defs_part}{inner}</svg>'
    )


def shade_summary(shades: Sequence[Shade], period: Period) -> str:
    """A sentence on what is shaded, or '' when nothing is."""
    relapse_days = [s.day for s in shades if s.relapse]
    bad = sum((s.last - s.first).days + 1 for s in shades if not s.relapse)
    parts = []
    if relapse_days:
        dates = [short_day(d) if d.year == period.last.year else long_day(d) for d in relapse_days]
        when = dates[0] if len(dates) == 1 else f"{', '.join(dates[:-1])} and {dates[-1]}"
        parts.append(
            f"a relapse logged on {when}, with the {RELAPSE_SHADE_DAYS} days after"
            if len(dates) == 1
            else f"relapses logged on {when}, each with the {RELAPSE_SHADE_DAYS} days after"
        )
    if bad:
        parts.append(plural(bad, "bad day"))
    return f"Shaded: {'; and '.join(parts)}." if parts else ""


def _shade_marks(shades: Sequence[Shade], day: date) -> str:
    """What a table row says about a day: 'Relapse', 'Bad day', 'After a relapse' or ''."""
    for s in shades:
        if s.relapse and s.day == day:
            return "Relapse"
    for s in shades:
        if not s.relapse and s.first <= day <= s.last:
            return "Bad day"
    for s in shades:
        if s.relapse and s.first <= day <= s.last:
            return "After a relapse"
    return ""


def _with_shading(summary: str, shades: Sequence[Shade], period: Period) -> str:
    note = shade_summary(shades, period)
    return f"{summary} {note}" if note else summary


# ----------------------------------------------------------------------------- fatigue


def daily_means(ratings: Iterable[tuple[date, int]]) -> dict[date, float]:
    """The mean of each day's fatigue ratings (several a day are normal)."""
    by_day: dict[date, list[int]] = {}
    for day, value in ratings:
        by_day.setdefault(day, []).append(value)
    return {day: fmean(values) for day, values in sorted(by_day.items())}


def rolling_mean(
    daily: Mapping[date, float],
    first: date,
    last: date,
    window: int = ROLLING_DAYS,
    min_days: int = MIN_ROLLING_DAYS,
) -> dict[date, float | None]:
    """For each day, the mean of the daily means in the `window` days ending on it.

    None where fewer than `min_days` of those days have ratings: too few to mean much.
    """
    out: dict[date, float | None] = {}
    day = first
    while day <= last:
        values = [daily[d] for d in (day - timedelta(days=i) for i in range(window)) if d in daily]
        out[day] = fmean(values) if len(values) >= min_days else None
        day += timedelta(days=1)
    return out


def mean_between(daily: Mapping[date, float], first: date, last: date) -> tuple[float | None, int]:
    """The mean of the daily means from `first` to `last`, and how many days had ratings."""
    values = [v for d, v in daily.items() if first <= d <= last]
    return (fmean(values) if values else None), len(values)


def fatigue_summary(daily: Mapping[date, float], period: Period) -> str:
    """The fatigue chart in words: the last 28 days against the 28 before, and the period."""
    recent_first = period.last - timedelta(days=ROLLING_DAYS - 1)
    before_first = recent_first - timedelta(days=ROLLING_DAYS)
    recent, recent_n = mean_between(daily, recent_first, period.last)
    before, _ = mean_between(daily, before_first, recent_first - timedelta(days=1))
    whole, whole_n = mean_between(daily, period.first, period.last)
    sentences = []
    if recent is None:
        sentences.append(f"No fatigue logged in the last {ROLLING_DAYS} days.")
    else:
        logged = f"{plural(recent_n, 'day')} logged"
        text_ = f"Fatigue averaged {fmt(recent)} out of 10 over the last {ROLLING_DAYS} days"
        if before is None:
            sentences.append(f"{text_} ({logged}).")
        else:
            r, b = round(recent, 1), round(before, 1)
            way = "up from" if r > b else "down from" if r < b else "the same as"
            sentences.append(
                f"{text_} ({logged}), {way} {fmt(before)} in the {ROLLING_DAYS} days before."
            )
    if whole is not None and period.days > ROLLING_DAYS:
        sentences.append(
            f"Over the whole period it averaged {fmt(whole)}, from {plural(whole_n, 'day')} "
            "with ratings."
        )
    return " ".join(sentences)


def fatigue_chart(
    ratings: Iterable[tuple[date, int]],
    period: Period,
    shades: Sequence[Shade],
    sizes: Sequence[Size] = SCREEN_SIZES,
) -> Chart:
    """Daily mean fatigue as dots, with the 28-day rolling mean as a line."""
    daily = daily_means(ratings)
    rolling = rolling_mean(daily, period.first, period.last)
    in_period = {d: v for d, v in daily.items() if period.first <= d <= period.last}
    title = "Fatigue: daily mean and 28-day mean"
    table = Table(
        "Fatigue by day (0 to 10)",
        ("Date", "Daily mean", "28-day mean", "Bad day or relapse"),
        [
            (long_day(d), fmt(v), fmt(rolling.get(d)), _shade_marks(shades, d))
            for d, v in sorted(in_period.items(), reverse=True)
        ],
    )
    if not in_period:
        return Chart(
            "fatigue",
            title,
            _with_shading("No fatigue logged in this period.", shades, period),
            table,
            empty="No fatigue logged in this period.",
        )
    summary = _with_shading(fatigue_summary(daily, period), shades, period)
    svgs = {s.name: _fatigue_svg(s, period, in_period, rolling, shades) for s in sizes}
    legend = [
        LegendItem("Daily mean", _swatch('<circle class="c-dot" cx="12" cy="8" r="4"/>')),
        LegendItem(
            f"{ROLLING_DAYS}-day mean",
            _swatch('<line class="c-line" x1="0" x2="24" y1="8" y2="8" fill="none"/>'),
        ),
        *_shade_legend(shades),
    ]
    return Chart("fatigue", title, summary, table, svgs, legend)


def _fatigue_svg(
    size: Size,
    period: Period,
    daily: Mapping[date, float],
    rolling: Mapping[date, float | None],
    shades: Sequence[Shade],
) -> Markup:
    plot = _plot(size, period, size.height)
    parts = _shade_layer(plot, shades)
    parts += _y_axis(plot, [0, 2, 4, 6, 8, 10], 10)
    parts += _x_axis(plot)
    r = min(max(plot.day_width * 0.4, 1.8), 3.5)
    dots = "".join(
        f'<circle cx="{fmt(plot.mid(d), 2)}" cy="{fmt(_y(plot, v, 10), 2)}" r="{fmt(r, 2)}"/>'
        for d, v in sorted(daily.items())
    )
    parts.append(f'<g class="c-dot">{dots}</g>')
    path = []
    pen_down = False
    for d, v in sorted(rolling.items()):
        if v is None:
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{fmt(plot.mid(d), 2)} {fmt(_y(plot, v, 10), 2)}")
        pen_down = True
    if path:
        parts.append(tag("path", {"class": "c-line", "d": " ".join(path), "fill": "none"}))
    return _svg(size, size.height, f"chart-fatigue-{size.name}", parts)


# ----------------------------------------------------------------------------- exercise minutes

# Fills tell disciplines apart without colour: solid, stripes, dots, a grid. They are drawn
# as plain lines and dots rather than SVG <pattern>s, which Chromium prints into PDFs tile by
# tile (megabytes for one page).
HATCH_STEP: Final = 6.0


def hatched_bar(x: float, y: float, width: float, height: float, discipline: str) -> str:
    """A bar filled the way its discipline is drawn, with an outline in its colour."""
    d = discipline
    outline = {"class": f"c-bar c-stroke-{d}", "x": x, "y": y, "width": width, "height": height}
    if d == "physio":
        return tag("rect", {**outline, "class": f"c-bar c-stroke-{d} c-fill-{d}"})
    marks = _hatch(x, y, width, height, d)
    out = tag("rect", {"class": f"c-soft-{d}", "x": x, "y": y, "width": width, "height": height})
    if marks:
        out += tag("path", {"class": f"c-hatch-{d}", "d": marks, "fill": "none"})
    return out + tag("rect", {**outline, "fill": "none"})


def _hatch(x: float, y: float, width: float, height: float, discipline: str) -> str:
    """The path of a bar's marks: diagonal stripes (ot), dots (slt) or a grid (cognitive)."""
    step, moves = HATCH_STEP, []
    if discipline == "ot":
        c = -height + step / 2
        while c < width:
            t0, t1 = max(0.0, -c), min(height, width - c)  # along a 45-degree line
            if t1 > t0:
                moves.append(
                    f"M{fmt(x + c + t0, 2)} {fmt(y + height - t0, 2)}"
                    f"l{fmt(t1 - t0, 2)} {fmt(t0 - t1, 2)}"
                )
            c += step
    elif discipline == "slt":
        row = y + step / 2
        while row < y + height:
            col = x + step / 2
            while col < x + width:
                moves.append(f"M{fmt(col, 2)} {fmt(row, 2)}h0.01")
                col += step
            row += step
    elif discipline == "cognitive":
        row = y + step / 2
        while row < y + height:
            moves.append(f"M{fmt(x, 2)} {fmt(row, 2)}h{fmt(width, 2)}")
            row += step
        col = x + step / 2
        while col < x + width:
            moves.append(f"M{fmt(col, 2)} {fmt(y, 2)}v{fmt(height, 2)}")
            col += step
    return "".join(moves)


@dataclass(frozen=True)
class SessionMinutes:
    """An exercise session as the minutes chart sees it."""

    day: date
    discipline: str
    minutes: int | None


@dataclass
class WeekMinutes:
    """One week of exercise: sessions and minutes by discipline, and sessions without minutes."""

    first: date
    last: date
    minutes: dict[str, int]
    sessions: int = 0
    without_minutes: int = 0
    by_discipline: dict[str, int] = field(default_factory=dict)  # sessions of each therapy

    @property
    def total(self) -> int:
        """All minutes of the week."""
        return sum(self.minutes.values())


def weekly_minutes(sessions: Iterable[SessionMinutes], period: Period) -> list[WeekMinutes]:
    """The period's weeks, oldest first, with the exercise logged in each."""
    weeks = [
        WeekMinutes(
            f, la, dict.fromkeys(DISCIPLINES, 0), by_discipline=dict.fromkeys(DISCIPLINES, 0)
        )
        for f, la in period.weeks()
    ]
    for s in sessions:
        if not period.first <= s.day <= period.last:
            continue
        week = weeks[(s.day - period.first).days // 7]
        week.sessions += 1
        if s.discipline in week.by_discipline:
            week.by_discipline[s.discipline] += 1
        if s.minutes:
            if s.discipline in week.minutes:
                week.minutes[s.discipline] += s.minutes
        else:
            week.without_minutes += 1
    return weeks


def _sessions_cell(week: WeekMinutes, discipline: str) -> str:
    """Like "3 (45 min)", "2 (no minutes)" or "0"."""
    n, minutes = week.by_discipline[discipline], week.minutes[discipline]
    if not n:
        return "0"
    return f"{n} ({minutes} min)" if minutes else f"{n} (no minutes)"


def exercise_chart(
    sessions: Iterable[SessionMinutes],
    period: Period,
    shades: Sequence[Shade],
    sizes: Sequence[Size] = SCREEN_SIZES,
) -> Chart:
    """Weekly exercise sessions, stacked by therapy (patterned, so not by colour alone).

    Sessions, not minutes, make the bars: OT and SLT work is often logged as reps or tasks
    without minutes, and a minutes chart made it vanish. Minutes are given where logged.
    """
    weeks = weekly_minutes(sessions, period)
    used = [d for d in DISCIPLINES if any(w.by_discipline[d] for w in weeks)]
    any_sessions = any(w.sessions for w in weeks)
    title = "Exercise sessions a week, by therapy"
    columns = ("Week", *(DISCIPLINES[d] for d in used), "Sessions", "Minutes logged")
    table = Table(
        "Exercise sessions by week, with the minutes logged",
        columns,
        [
            (
                week_label(w.first, w.last),
                *(_sessions_cell(w, d) for d in used),
                str(w.sessions),
                str(w.total),
            )
            for w in reversed(weeks)
        ],
    )
    if not any_sessions:
        table = Table(table.caption, table.columns, [])
        empty = "No exercise logged in this period."
        return Chart("exercise", title, _with_shading(empty, shades, period), table, empty=empty)
    summary = _with_shading(_exercise_summary(weeks, used), shades, period)
    svgs = {s.name: _exercise_svg(s, period, weeks, used, shades) for s in sizes}
    legend = [
        LegendItem(
            DISCIPLINES[d],
            _swatch(hatched_bar(1, 1, 22, 14, d)),
        )
        for d in used
    ] + _shade_legend(shades)
    return Chart("exercise", title, summary, table, svgs, legend)


def _exercise_summary(weeks: Sequence[WeekMinutes], used: Sequence[str]) -> str:
    total = sum(w.total for w in weeks)
    sessions = sum(w.sessions for w in weeks)
    without = sum(w.without_minutes for w in weeks)
    by = ", ".join(
        f"{DISCIPLINES[d].lower()} {sum(w.by_discipline[d] for w in weeks)}" for d in used
    )
    out = [
        f"{plural(sessions, 'exercise session')} logged over {plural(len(weeks), 'week')}, "
        f"{fmt(sessions / len(weeks), 1)} a week on average" + (f" ({by})." if by else ".")
    ]
    if len(weeks) > 4:
        last4 = sum(w.sessions for w in weeks[-4:])
        out.append(f"In the last 4 weeks: {plural(last4, 'session')}, {fmt(last4 / 4, 1)} a week.")
    with_minutes = sessions - without
    if with_minutes:
        by_minutes = ", ".join(
            f"{DISCIPLINES[d].lower()} {sum(w.minutes[d] for w in weeks)}"
            for d in used
            if any(w.minutes[d] for w in weeks)
        )
        out.append(
            f"Minutes were logged for {with_minutes} of {plural(sessions, 'session')}: "
            f"{plural(total, 'minute')} ({by_minutes})."
        )
    if without:
        out.append(
            f"{plural(without, 'session')} had no minutes logged (sets, reps or tasks only): "
            "they count as sessions."
        )
    return " ".join(out)


def _exercise_svg(
    size: Size,
    period: Period,
    weeks: Sequence[WeekMinutes],
    used: Sequence[str],
    shades: Sequence[Shade],
) -> Markup:
    uid = f"chart-exercise-{size.name}"
    plot = _plot(size, period, size.height)
    top, ticks = _count_ceiling(max(w.sessions for w in weeks))
    parts = _shade_layer(plot, shades)
    parts += _y_axis(plot, ticks, top)
    parts += _x_axis(plot)
    week_w = plot.day_width * 7
    bar_w = max(week_w * 0.72, 1.5)
    for week in weeks:
        by = week.by_discipline
        x = plot.x(week.first) + (week_w - bar_w) / 2
        base = 0
        words = []
        for d in used:
            if not by[d]:
                continue
            y_top, y_base = _y(plot, base + by[d], top), _y(plot, base, top)
            parts.append(hatched_bar(x, y_top, bar_w, max(y_base - y_top, 0.5), d))
            base += by[d]
            words.append(_sessions_cell(week, d).join((f"{DISCIPLINES[d].lower()} ", "")))
        if base and bar_w >= size.font * 2.2:
            parts.append(
                text(x + bar_w / 2, _y(plot, base, top) - 4, str(base), text_anchor="middle")
            )
        if base:
            hover = (
                f"{week_label(week.first, week.last)}: {plural(base, 'session')} "
                f"({', '.join(words)})"
            )
            parts.append(
                tag(
                    "rect",
                    {
                        "class": "c-hit",
                        "x": x,
                        "y": _y(plot, base, top),
                        "width": bar_w,
                        "height": plot.bottom - _y(plot, base, top),
                        "fill": "transparent",
                    },
                    tag("title", {}, str(escape(hover))),
                )
            )
    return _svg(size, size.height, uid, parts)


# ----------------------------------------------------------------------------- adherence


@dataclass(frozen=True)
class ItemWeeks:
    """One programme item's adherence: done and planned sessions in each week of the period."""

    item_id: int
    name: str
    weeks: Sequence[tuple[int, int]]  # (done, planned), one per week of the period, oldest first
    recent: tuple[int, int] = (0, 0)  # (done, planned) in the last 4 weeks

    @property
    def done(self) -> int:
        """Sessions done over the period (counted up to each week's plan)."""
        return sum(d for d, _ in self.weeks)

    @property
    def planned(self) -> int:
        """Sessions planned over the period."""
        return sum(p for _, p in self.weeks)


def percent(done: int, planned: int) -> str:
    """'85%', or a dash when nothing was planned."""
    return f"{round(100 * done / planned)}%" if planned else DASH


def adherence_chart(
    items: Sequence[ItemWeeks],
    period: Period,
    shades: Sequence[Shade],
    sizes: Sequence[Size] = SCREEN_SIZES,
) -> Chart:
    """Per programme item, a strip of weekly bars: the share of the week's plan that was done."""
    shown = [i for i in items if i.planned]
    weeks = period.weeks()
    title = "Programme: sessions done against planned, by week"
    table = Table(
        "Sessions done and planned by programme item and week",
        ("Exercise", "Week", "Done", "Planned", "Done of planned"),
        [
            (item.name, week_label(*weeks[w]), str(d), str(p), percent(d, p))
            for item in shown
            for w, (d, p) in reversed(list(enumerate(item.weeks)))
            if p or d
        ],
    )
    if not shown:
        empty = "No programme sessions were planned in this period."
        return Chart("adherence", title, _with_shading(empty, shades, period), table, empty=empty)
    done, planned = sum(i.done for i in shown), sum(i.planned for i in shown)
    parts = [
        f"{plural(done, 'session')} done of {planned} planned in this period "
        f"({percent(done, planned)}); bad days are not counted as missed."
    ]
    parts.append(
        "By exercise: " + "; ".join(f"{i.name} {percent(i.done, i.planned)}" for i in shown) + "."
    )
    r_done, r_planned = sum(i.recent[0] for i in shown), sum(i.recent[1] for i in shown)
    if len(weeks) > 4 and r_planned:
        parts.append(f"Last 4 weeks: {percent(r_done, r_planned)}.")
    summary = _with_shading(" ".join(parts), shades, period)
    svgs = {s.name: _adherence_svg(s, period, shown, shades) for s in sizes}
    legend = [
        LegendItem(
            "Share of the week's planned sessions done (full height: all of them)",
            _swatch(
                '<rect class="c-track" x="1" y="1" width="22" height="14" fill="none"/>'
                '<rect class="c-adh" x="1" y="6" width="22" height="9"/>'
            ),
        ),
        *_shade_legend(shades),
    ]
    return Chart("adherence", title, summary, table, svgs, legend)


def _adherence_svg(
    size: Size, period: Period, items: Sequence[ItemWeeks], shades: Sequence[Shade]
) -> Markup:
    uid = f"chart-adherence-{size.name}"
    label_h = size.font + 6
    strip_h = 26 if size.name != "print" else 18
    row_h = label_h + strip_h + 8
    height = size.top + row_h * len(items) + size.bottom
    plot = _plot(size, period, height)
    parts = _shade_layer(plot, shades)
    parts += _x_axis(plot)
    week_w = plot.day_width * 7
    bar_w = max(week_w - 2, 1)
    max_chars = int((plot.right - plot.left) / (size.font * 0.55)) - 12
    for row, item in enumerate(items):
        y0 = plot.top + row * row_h
        name = item.name if len(item.name) <= max_chars else item.name[: max_chars - 1] + "…"
        parts.append(text(plot.left, y0 + size.font, name, "c-text c-strong"))
        parts.append(
            text(
                plot.right,
                y0 + size.font,
                f"{percent(item.done, item.planned)} done",
                text_anchor="end",
            )
        )
        strip_top = y0 + label_h
        parts.append(
            tag(
                "line",
                {
                    "class": "c-grid",
                    "x1": plot.left,
                    "x2": plot.right,
                    "y1": strip_top + strip_h,
                    "y2": strip_top + strip_h,
                },
            )
        )
        for w, (done, planned) in enumerate(item.weeks):
            if not planned:
                continue
            x = plot.left + w * week_w + (week_w - bar_w) / 2
            share = min(done / planned, 1)
            hover = f"{week_label(*period.weeks()[w])}: {done} of {planned}"
            parts.append(
                tag(
                    "rect",
                    {
                        "class": "c-track",
                        "x": x,
                        "y": strip_top,
                        "width": bar_w,
                        "height": strip_h,
                        "fill": "none",
                    },
                    tag("title", {}, str(escape(hover))),
                )
            )
            if done:
                h = strip_h * share
                parts.append(
                    tag(
                        "rect",
                        {
                            "class": "c-adh",
                            "x": x,
                            "y": strip_top + strip_h - h,
                            "width": bar_w,
                            "height": h,
                        },
                    )
                )
    return _svg(size, height, uid, parts)


# ----------------------------------------------------------------------------- walking aids, falls

# The rungs the aid chart draws, one lane each, least support first: the aids of the ladder,
# with an orthosis alone drawn as no aid (DOMAIN.md).
RUNG_LABELS: Final = {
    "none": "No aid",
    "one_stick": "One stick",
    "two_sticks": "Two sticks",
    "frame": "Frame",
    "manual_wheelchair": "Wheelchair",
    "powered_wheelchair": "Powered chair",
}
RUNGS: Final = tuple(RUNG_LABELS)
RUNG_OF: Final = {aid: ("none" if aid == "afo" else aid) for aid in AIDS}
# The ladder is drawn at least from no aid to a frame, so that where a person stands on it reads.
MIN_TOP_RUNG: Final = "frame"


def aid_rungs(days: Sequence[AidDay]) -> list[str]:
    """The rungs to draw, least support first: no aid up to the highest used (a frame at least)."""
    used = [RUNGS.index(RUNG_OF[a]) for d in days for a in (d.indoors, d.outdoors) if a]
    top = max([RUNGS.index(MIN_TOP_RUNG), *used])
    return list(RUNGS[: top + 1])


@dataclass(frozen=True)
class AidUse:
    """A mobility entry as the aid chart sees it."""

    day: date
    aid: str | None
    setting: str | None
    falls: int = 0
    near_falls: int = 0


@dataclass(frozen=True)
class AidDay:
    """One day of the aid timeline: the most support used indoors and outdoors, and falls."""

    day: date
    indoors: str | None = None
    outdoors: str | None = None
    falls: int = 0
    near_falls: int = 0


def _more_support(a: str | None, b: str) -> str:
    if a is None:
        return b
    order = list(AIDS)
    return max(a, b, key=lambda x: (AID_LEVEL[x], order.index(x)))


def aid_days(uses: Iterable[AidUse], period: Period) -> list[AidDay]:
    """Each day of the period with mobility entries, oldest first."""
    days: dict[date, AidDay] = {}
    for u in uses:
        if not period.first <= u.day <= period.last:
            continue
        d = days.get(u.day, AidDay(u.day))
        indoors, outdoors = d.indoors, d.outdoors
        if u.aid in AID_LEVEL:
            if u.setting == "indoors":
                indoors = _more_support(indoors, u.aid)
            else:  # outdoors (a use with no setting is drawn as outdoors)
                outdoors = _more_support(outdoors, u.aid)
        days[u.day] = AidDay(
            u.day, indoors, outdoors, d.falls + (u.falls or 0), d.near_falls + (u.near_falls or 0)
        )
    return [days[d] for d in sorted(days)]


def _most_used(days: Sequence[AidDay], setting: str) -> tuple[str, int, int] | None:
    counts: dict[str, int] = {}
    for d in days:
        aid = getattr(d, setting)
        if aid is not None:
            counts[aid] = counts.get(aid, 0) + 1
    if not counts:
        return None
    aid = max(counts, key=lambda a: (counts[a], AID_LEVEL[a]))
    return aid, counts[aid], sum(counts.values())


def aid_chart(
    uses: Iterable[AidUse],
    period: Period,
    shades: Sequence[Shade],
    sizes: Sequence[Size] = SCREEN_SIZES,
) -> Chart:
    """Walking aid per day on the aid ladder, indoors and outdoors apart, with falls marked."""
    days = aid_days(uses, period)
    title = "Walking aid and falls"
    table = Table(
        "Walking aid (the most support used) and falls by day",
        ("Date", "Indoors", "Outdoors", "Falls", "Near-falls", "Bad day or relapse"),
        [
            (
                long_day(d.day),
                AIDS.get(d.indoors or "", DASH),
                AIDS.get(d.outdoors or "", DASH),
                str(d.falls),
                str(d.near_falls),
                _shade_marks(shades, d.day),
            )
            for d in reversed(days)
        ],
    )
    if not days:
        empty = "No walking or mobility-aid use logged in this period."
        return Chart("mobility", title, _with_shading(empty, shades, period), table, empty=empty)
    summary = _with_shading(_aid_summary(days, period), shades, period)
    svgs = {s.name: _aid_svg(s, period, days, shades) for s in sizes}
    legend = [
        LegendItem(
            "Indoors", _swatch('<rect class="c-indoors" x="7" y="3" width="10" height="10"/>')
        ),
        LegendItem(
            "Outdoors", _swatch('<circle class="c-outdoors" cx="12" cy="8" r="5" fill="none"/>')
        ),
        LegendItem("Fall", _swatch('<path class="c-fall" d="M12 2L18 14H6Z"/>')),
        LegendItem(
            "Near-fall", _swatch('<path class="c-nearfall" d="M12 2L18 8L12 14L6 8Z" fill="none"/>')
        ),
        *_shade_legend(shades),
    ]
    return Chart("mobility", title, summary, table, svgs, legend)


def _aid_summary(days: Sequence[AidDay], period: Period) -> str:
    out = []
    for setting in ("outdoors", "indoors"):
        most = _most_used(days, setting)
        if most is not None:
            aid, n, total = most
            out.append(
                f"{setting.title()}, the aid used most was {AIDS[aid].lower()} "
                f"(on {n} of {plural(total, 'day')} logged)."
            )
    recent_first = period.last - timedelta(days=ROLLING_DAYS - 1)
    if period.days > ROLLING_DAYS:
        recent_days = [d for d in days if d.day >= recent_first]
        changed = []
        for setting in ("outdoors", "indoors"):
            whole, latest = _most_used(days, setting), _most_used(recent_days, setting)
            if whole and latest and latest[0] != whole[0]:
                changed.append(f"{setting} mostly {AIDS[latest[0]].lower()}")
        if changed:
            out.append(f"In the last {ROLLING_DAYS} days: {' and '.join(changed)}.")
    rungs = [(RUNGS.index(RUNG_OF[a]), d.day) for d in days for a in (d.indoors, d.outdoors) if a]
    if rungs:
        top = max(r for r, _ in rungs)
        first = min(day for r, day in rungs if r == top)
        words = AIDS[RUNGS[top]].lower()
        out.append(f"The most support used: {words}, first on {short_day(first)}.")
    falls, near = sum(d.falls for d in days), sum(d.near_falls for d in days)
    recent = sum(d.falls for d in days if d.day >= recent_first)
    sentence = f"{plural(falls, 'fall')} and {plural(near, 'near-fall')} logged in this period"
    if period.days > ROLLING_DAYS:
        sentence += f" ({plural(recent, 'fall')} in the last {ROLLING_DAYS} days)"
    out.append(sentence + ".")
    return " ".join(out)


def _aid_svg(size: Size, period: Period, days: Sequence[AidDay], shades: Sequence[Shade]) -> Markup:
    uid = f"chart-mobility-{size.name}"
    left = {"wide": 86, "narrow": 74, "print": 78}.get(size.name, 86)
    plot = _plot(size, period, size.height, left)
    # Lanes, top to bottom: falls, near-falls, then each rung of the aid ladder used, most
    # support first, so that a move from two sticks to a frame shows as a step.
    rungs = aid_rungs(days)
    lanes = ["Falls", "Near-falls", *(RUNG_LABELS[r] for r in reversed(rungs))]
    lane_h = (plot.bottom - plot.top) / len(lanes)

    def lane_y(i: int) -> float:
        return plot.top + lane_h * (i + 0.5)

    def aid_y(aid: str) -> float:
        return lane_y(2 + (len(rungs) - 1 - rungs.index(RUNG_OF[aid])))

    parts = _shade_layer(plot, shades)
    for i, label in enumerate(lanes):
        y = lane_y(i)
        parts.append(
            tag("line", {"class": "c-grid", "x1": plot.left, "x2": plot.right, "y1": y, "y2": y})
        )
        cls = "c-text c-strong" if i < 2 else "c-text"
        parts.append(text(plot.left - 6, y + size.font * 0.35, label, cls, text_anchor="end"))
    sep = plot.top + 2 * lane_h
    parts.append(
        tag("line", {"class": "c-axis", "x1": plot.left, "x2": plot.right, "y1": sep, "y2": sep})
    )
    parts += _x_axis(plot)
    s = min(max(plot.day_width * 1.0, 4.5), min(9.0, lane_h * 0.42))
    offset = min(lane_h * 0.22, 5)
    indoors, outdoors, falls, near = [], [], [], []
    for d in days:
        x = plot.mid(d.day)
        if d.indoors is not None:
            y = aid_y(d.indoors) + offset
            indoors.append(
                f'<rect x="{fmt(x - s / 2, 2)}" y="{fmt(y - s / 2, 2)}" '
                f'width="{fmt(s, 2)}" height="{fmt(s, 2)}"/>'
            )
        if d.outdoors is not None:
            y = aid_y(d.outdoors) - offset
            outdoors.append(f'<circle cx="{fmt(x, 2)}" cy="{fmt(y, 2)}" r="{fmt(s / 2, 2)}"/>')
        if d.falls:
            y = lane_y(0)
            falls.append(
                f'<path d="M{fmt(x, 2)} {fmt(y - s * 0.6, 2)}l{fmt(s * 0.6, 2)} '
                f'{fmt(s * 1.1, 2)}h{fmt(-s * 1.2, 2)}Z"/>'
            )
        if d.near_falls:
            y = lane_y(1)
            h = s * 0.6
            near.append(
                f'<path d="M{fmt(x, 2)} {fmt(y - h, 2)}l{fmt(h, 2)} {fmt(h, 2)}'
                f'l{fmt(-h, 2)} {fmt(h, 2)}l{fmt(-h, 2)} {fmt(-h, 2)}Z"/>'
            )
        many = [(d.falls, 0), (d.near_falls, 1)]
        for count, lane in many:
            if count > 1 and plot.day_width >= size.font:
                parts.append(text(x + s * 0.7, lane_y(lane) + size.font * 0.35, str(count)))
    parts.append(f'<g class="c-indoors">{"".join(indoors)}</g>')
    parts.append(f'<g class="c-outdoors" fill="none">{"".join(outdoors)}</g>')
    parts.append(f'<g class="c-fall">{"".join(falls)}</g>')
    parts.append(f'<g class="c-nearfall" fill="none">{"".join(near)}</g>')
    return _svg(size, size.height, uid, parts)


# ----------------------------------------------------------------------------- timed walk


@dataclass(frozen=True)
class WalkTime:
    """One timed 7.6 m walk: its score (the mean of two trials), the aid used, and where."""

    day: date
    seconds: float
    aid: str | None
    setting: str | None


def walk_summary(walks: Sequence[WalkTime], judged: bool = False) -> str:
    """The timed-walk chart in words: the latest score, and the first of the period.

    `judged` (the therapist's pages) adds the 20% rule of walks.py when it holds; the person's
    own Progress page never judges a change (nothing diagnostic there).
    """
    latest, first = walks[-1], walks[0]
    text_ = (
        f"Latest timed 7.6 m walk: {fmt(latest.seconds)} s on {long_day(latest.day)}"
        f" ({plural(len(walks), 'test')} in this period)."
    )
    if len(walks) > 1:
        text_ += f" The first in the period took {fmt(first.seconds)} s on {long_day(first.day)}."
    if not judged:
        return text_
    by_day: dict[date, list[float]] = {}
    for w in walks:
        by_day.setdefault(w.day, []).append(w.seconds)
    change = walk_change({d: fmean(v) for d, v in by_day.items()})
    if change is not None:
        text_ += (
            f" The last two walks were each at least {round(change.slowing * 100)}% slower than"
            f" the ones before ({fmt(change.reference_seconds)} s): a real change."
        )
    return text_


def walk_chart(
    walks: Iterable[WalkTime],
    period: Period,
    shades: Sequence[Shade],
    sizes: Sequence[Size] = SCREEN_SIZES,
    judged: bool = False,
) -> Chart:
    """Each timed 7.6 m walk as a dot, in seconds: higher is slower (see walk_summary)."""
    in_period = sorted(
        (w for w in walks if period.first <= w.day <= period.last), key=lambda w: w.day
    )
    title = "Timed 7.6 m walk (seconds, mean of two trials)"
    table = Table(
        "Timed 7.6 m walks",
        ("Date", "Seconds", "Aid", "Where", "Bad day or relapse"),
        [
            (
                long_day(w.day),
                fmt(w.seconds),
                AID_SHORT.get(w.aid or "", ""),
                SETTINGS.get(w.setting or "", ""),
                _shade_marks(shades, w.day),
            )
            for w in reversed(in_period)
        ],
    )
    if not in_period:
        empty = "No timed walks logged in this period."
        return Chart("walk", title, _with_shading(empty, shades, period), table, empty=empty)
    summary = _with_shading(walk_summary(in_period, judged), shades, period)
    svgs = {s.name: _walk_svg(s, period, in_period, shades) for s in sizes}
    legend = [
        LegendItem("One walk test", _swatch('<circle class="c-dot" cx="12" cy="8" r="4"/>')),
        *_shade_legend(shades),
    ]
    return Chart("walk", title, summary, table, svgs, legend)


def _walk_svg(
    size: Size, period: Period, walks: Sequence[WalkTime], shades: Sequence[Shade]
) -> Markup:
    plot = _plot(size, period, size.height)
    top, ticks = nice_ceiling(max(w.seconds for w in walks))
    parts = _shade_layer(plot, shades)
    parts += _y_axis(plot, ticks, top, " s")
    parts += _x_axis(plot)
    r = min(max(plot.day_width * 0.4, 1.8), 3.5)
    dots = "".join(
        f'<circle cx="{fmt(plot.mid(w.day), 2)}" cy="{fmt(_y(plot, w.seconds, top), 2)}"'
        f' r="{fmt(r, 2)}"/>'
        for w in walks
    )
    parts.append(f'<g class="c-dot">{dots}</g>')
    return _svg(size, size.height, f"chart-walk-{size.name}", parts)


# ----------------------------------------------------------------------------- all of them


@dataclass(frozen=True)
class LogData:
    """A person's log reduced to what the charts draw, by local date."""

    fatigue: Sequence[tuple[date, int]] = ()
    sessions: Sequence[SessionMinutes] = ()
    aids: Sequence[AidUse] = ()
    bad_days: Sequence[tuple[date, str | None]] = ()
    walks: Sequence[WalkTime] = ()


def bad_day_words(reason: str | None) -> str:
    """A bad day's reason in words."""
    return BAD_DAY_REASONS.get(reason or "", "Bad day")
