"""The adherence chart: a programme item's sessions done against planned, week by week."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .kit import SCREEN_SIZES, Chart, LegendItem, Size, Table, _plot, _svg, _x_axis, tag, text
from .periods import DASH, Period, plural, week_label
from .shading import Shade, _shade_layer, _shade_legend, _swatch, _with_shading


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
