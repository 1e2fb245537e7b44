"""The exercise chart: minutes a week by discipline, hatched so colour is never the only cue."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from markupsafe import Markup, escape

from ..vocab import DISCIPLINES
from .kit import (
    SCREEN_SIZES,
    Chart,
    LegendItem,
    Size,
    Table,
    _count_ceiling,
    _plot,
    _svg,
    _x_axis,
    _y,
    _y_axis,
    tag,
    text,
)
from .periods import Period, fmt, plural, week_label
from .shading import Shade, _shade_layer, _shade_legend, _swatch, _with_shading

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
