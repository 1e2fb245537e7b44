"""The walking aid chart: the most support used each day, indoors and outdoors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from markupsafe import Markup

from ..vocab import AID_LEVEL, AIDS
from .kit import SCREEN_SIZES, Chart, LegendItem, Size, Table, _plot, _svg, _x_axis, tag, text
from .periods import DASH, ROLLING_DAYS, Period, fmt, long_day, plural, short_day
from .shading import Shade, _shade_layer, _shade_legend, _shade_marks, _swatch, _with_shading

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
