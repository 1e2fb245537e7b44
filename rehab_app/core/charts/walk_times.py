"""The timed 7.6 m walk chart: seconds per walk test, and whether a change is real."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import fmean

from markupsafe import Markup

from ..vocab import AID_SHORT, SETTINGS
from ..walks import walk_change
from .kit import (
    SCREEN_SIZES,
    Chart,
    LegendItem,
    Size,
    Table,
    _plot,
    _svg,
    _x_axis,
    _y,
    _y_axis,
    nice_ceiling,
)
from .periods import Period, fmt, long_day, plural
from .shading import Shade, _shade_layer, _shade_legend, _shade_marks, _swatch, _with_shading


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
