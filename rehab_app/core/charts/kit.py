"""The SVG kit the charts share: sizes, escaped tags and text, the plot area, axes and ticks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from markupsafe import Markup, escape

from .periods import Period, fmt, short_day


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
