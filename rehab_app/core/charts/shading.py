"""Bad days and relapses, shaded on every chart, with their legend and words."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup

from .kit import LegendItem, Plot, tag, text, text_width
from .periods import RELAPSE_SHADE_DAYS, Period, long_day, plural, short_day


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
