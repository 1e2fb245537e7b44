"""Charts of a person's log, drawn on the server as SVG, each with a summary and a data table.

No Flask and no database here: pure functions of plain data (dates and numbers) that return
the SVG markup (every piece of text escaped), a one-paragraph summary in words and the rows of
a data table, so that a chart reads the same to someone who cannot see it.

Colours come from CSS classes (static/css/dashboard.css), never from style attributes (the CSP
forbids them), so that charts follow light and dark mode and print black on white. Bad days
and relapses are shaded on every chart: a bad day on its day, a relapse on its day and the
RELAPSE_SHADE_DAYS after it, when changes may still recover (DOMAIN.md).

The package: `periods` (ranges, periods and the words for dates and numbers), `kit` (the SVG
kit: sizes, tags, plots, axes, ticks), `shading` (bad days and relapses on every chart), then
one module a chart: `fatigue`, `exercise`, `adherence`, `aids`, `walk_times`; `log_data` is
what they draw. Every public name is importable from `rehab_app.core.charts`.
"""

from __future__ import annotations

from .adherence import ItemWeeks as ItemWeeks
from .adherence import adherence_chart as adherence_chart
from .adherence import percent as percent
from .aids import MIN_TOP_RUNG as MIN_TOP_RUNG
from .aids import RUNG_LABELS as RUNG_LABELS
from .aids import RUNG_OF as RUNG_OF
from .aids import RUNGS as RUNGS
from .aids import AidDay as AidDay
from .aids import AidUse as AidUse
from .aids import aid_chart as aid_chart
from .aids import aid_days as aid_days
from .aids import aid_rungs as aid_rungs
from .exercise import HATCH_STEP as HATCH_STEP
from .exercise import SessionMinutes as SessionMinutes
from .exercise import WeekMinutes as WeekMinutes
from .exercise import exercise_chart as exercise_chart
from .exercise import hatched_bar as hatched_bar
from .exercise import weekly_minutes as weekly_minutes
from .fatigue import daily_means as daily_means
from .fatigue import fatigue_chart as fatigue_chart
from .fatigue import fatigue_summary as fatigue_summary
from .fatigue import mean_between as mean_between
from .fatigue import rolling_mean as rolling_mean
from .kit import NARROW as NARROW
from .kit import PRINT as PRINT
from .kit import SCREEN_SIZES as SCREEN_SIZES
from .kit import WIDE as WIDE
from .kit import Chart as Chart
from .kit import LegendItem as LegendItem
from .kit import Plot as Plot
from .kit import Size as Size
from .kit import Table as Table
from .kit import date_ticks as date_ticks
from .kit import nice_ceiling as nice_ceiling
from .kit import tag as tag
from .kit import text as text
from .kit import text_width as text_width
from .log_data import LogData as LogData
from .log_data import bad_day_words as bad_day_words
from .periods import DASH as DASH
from .periods import DEFAULT_RANGE as DEFAULT_RANGE
from .periods import LOOKBACK_DAYS as LOOKBACK_DAYS
from .periods import MIN_ROLLING_DAYS as MIN_ROLLING_DAYS
from .periods import RANGES as RANGES
from .periods import RELAPSE_SHADE_DAYS as RELAPSE_SHADE_DAYS
from .periods import ROLLING_DAYS as ROLLING_DAYS
from .periods import Period as Period
from .periods import Range as Range
from .periods import fmt as fmt
from .periods import long_day as long_day
from .periods import parse_range as parse_range
from .periods import period_for as period_for
from .periods import plural as plural
from .periods import short_day as short_day
from .periods import spoken_list as spoken_list
from .periods import week_label as week_label
from .shading import Shade as Shade
from .shading import shade_summary as shade_summary
from .shading import shades_for as shades_for
from .walk_times import WalkTime as WalkTime
from .walk_times import walk_chart as walk_chart
from .walk_times import walk_summary as walk_summary
