"""The fatigue chart: daily ratings and their rolling mean."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from statistics import fmean

from markupsafe import Markup

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
    tag,
)
from .periods import MIN_ROLLING_DAYS, ROLLING_DAYS, Period, fmt, long_day, plural
from .shading import Shade, _shade_layer, _shade_legend, _shade_marks, _swatch, _with_shading


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
