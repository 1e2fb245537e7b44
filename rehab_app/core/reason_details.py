"""How a reason was found, in words: the lines behind a "How this was found" disclosure.

`details(reason)` gives the window, the levels, the slope, the one-sided p-value, the weeks of
data and the relapses within the window, a line each, for `reasons.Reason.details`; the one
short sentence stays in reasons.py.
"""

from __future__ import annotations

from . import trends
from .charts import spoken_list
from .reasons import LOGGED, UNLOGGED, Reason, day_text, last_quarter_first

# How the levels read in the details, where the measure's own words would not do.
DETAIL_LABELS = {
    "aid_level": "Walking-aid rung (0 no aid, 1 one-sided, 2 two-sided, 3 wheelchair)",
    "effort": "Effort at the usual dose, above the usual effort",
}
DETAIL_UNITS = {"aid_level": "", "outdoor_distance": " m a day", "capacity": "% of usual"}


def _p_text(p: float) -> str:
    if p < 0.001:
        return "p < 0.001"
    if p < 0.01:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"


def _number(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}"


def _baseline_words() -> str:
    """How long before a window the trends read (trends.BASELINE_DAYS), in words."""
    days = trends.BASELINE_DAYS
    years, rest = divmod(days, 365)
    if rest or not 1 <= years <= 3:
        return f"the {days} days"
    return ("the year", "the two years", "the three years")[years - 1]


def details(r: Reason) -> list[str]:
    """How the reason was found, a line each: for the "How this was found" disclosure."""
    if r.measure == UNLOGGED:
        return [
            f"Fatigue jumped well above its level of the 8 weeks before on "
            f"{day_text(r.since, r.today)}, and no relapse is logged near that day.",
            f"The trends treat it as a relapse: the {trends.RELAPSE_EXCLUSION_DAYS} days after it "
            "are left out, and the lasting step a relapse usually leaves is not read as a trend.",
        ]
    measure = trends.MEASURES[r.measure]
    first = r.reference_first
    last = r.reference_last
    period = ""
    if first is not None and last is not None:
        period = f" ({day_text(first, r.today)} to {day_text(last, r.today)})"
    way = "rising" if r.slope_per_year > 0 else "falling"
    recent_first = last_quarter_first(r.window_months, r.today)
    label = DETAIL_LABELS.get(r.measure, measure.label)
    unit = DETAIL_UNITS.get(r.measure, f" {measure.unit}")
    before = (
        f"{r.baseline_weeks} in {_baseline_words()} before it"
        if r.baseline_weeks
        else "none before it"
    )
    return [
        f"Trend over the last {r.window_months} months, from {day_text(r.since, r.today)}: "
        f"{way} about {_number(abs(r.slope_per_year))} {measure.slope_unit} "
        f"(one-sided {_p_text(r.p_value)}).",
        f"{label}: {_number(r.before)}{unit} in the reference period{period}, "
        f"{_number(r.now)}{unit} since {day_text(recent_first, r.today)}.",
        f"{r.weeks} weeks with data in the window, {before}; "
        f"the {trends.RELAPSE_EXCLUSION_DAYS} days after each relapse are left out.",
        *_relapses_within(r),
    ]


def _relapses_within(r: Reason) -> list[str]:
    """What the relapses within a pooled measure's window may hold of its change, a line.

    The trend allows for the lasting step a relapse usually leaves; one that left more
    behind is read in part as a trend (docs/trends.md): the therapist is told where that may be.
    """
    measure = trends.MEASURES[r.measure]
    if not r.relapses or measure.relapse_step is None:
        return []
    logged = [day_text(d, r.today) for d, how in r.relapses if how == LOGGED]
    jumps = [day_text(d, r.today) for d, how in r.relapses if how != LOGGED]
    said = []
    if logged:
        were = "relapses are" if len(logged) > 1 else "a relapse is"
        said.append(f"{were} logged on {spoken_list(logged)}")
    if jumps:
        said.append(f"fatigue jumped as after a relapse on {spoken_list(jumps)}")
    step = _number(measure.relapse_step.mean * measure.scale)
    they = "they" if len(r.relapses) > 1 else "it"
    return [
        f"In this window, {'; '.join(said)}. The trend allows for the lasting step a relapse "
        f"usually leaves (about {step} {measure.unit}); if {they} left more behind, part of "
        "this change may be that."
    ]
