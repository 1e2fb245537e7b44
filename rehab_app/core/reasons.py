"""Why a person is worth reviewing, in words a physiotherapist reads in two seconds (no Flask).

`found(series, today)` turns trends.review()'s signals (and the jumps in fatigue it takes for a
relapse nobody logged) into `Reason`s: plain data, stored as such with the caseload's summaries
(so new wording never leaves stale sentences behind). The words are made when shown:
`Reason.sentence` ("Fatigue up from about 4 to 6 since June") and `Reason.details`
(reason_details.py: the slope, p-value and weeks of data, behind a "How this was found"
disclosure). Numbers are rounded the way a clinician says them: whole points, about a third,
month names.
"""

from __future__ import annotations

import calendar
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from . import trends
from .vocab import AID_LEVEL, AID_SHORT

# A jump in fatigue read as a relapse nobody logged is worth asking about for this many days.
UNLOGGED_RELAPSE_DAYS = 90
# Today's aid is the one used most on the days with an aid logged in these last days.
AID_NOW_DAYS = 28
DAYS_PER_MONTH = 30.44
UNLOGGED = "unlogged_relapse"  # Reason.measure of a possible relapse nobody logged
LOGGED = "logged"  # a relapse the person logged, as Reason.relapses names it

# Aids said with an article after "uses" (the others are plural or "no aid").
ARTICLES = {"afo": "an", "frame": "a", "manual_wheelchair": "a", "powered_wheelchair": "a"}
# Shares as a clinician says them, nearest first.
SHARES = (
    (0.1, "a tenth"),
    (0.2, "a fifth"),
    (0.25, "a quarter"),
    (1 / 3, "a third"),
    (0.5, "half"),
    (2 / 3, "two thirds"),
    (0.75, "three quarters"),
    (0.9, "nine tenths"),
)


@dataclass(frozen=True)
class Reason:
    """One reason worth reviewing, as data: a measure's signal or a possible unlogged relapse.

    Levels are in the measure's reported units (trends.MEASURES), as logged.
    """

    measure: str  # a trends.MEASURES key, or UNLOGGED
    since: date  # a signal's window's first day; the day of the jump
    today: date
    window_months: int = 0
    slope_per_year: float = 0.0
    p_value: float = 1.0
    weeks: int = 0
    baseline_weeks: int = 0
    before: float = 0.0
    now: float = 0.0
    reference_first: date | None = None
    reference_last: date | None = None
    # Walking aid: today's main aid, the one before it and its last day, and where ("outdoors"
    # or None for anywhere).
    aid_now: str | None = None
    aid_before: str | None = None
    aid_until: date | None = None
    aid_setting: str | None = None
    # Fatigue: the relapses the trend read as such within its window, logged or (UNLOGGED)
    # read from a jump, as (day, how) pairs: its details say what they may hold of the rise.
    relapses: tuple[tuple[date, str], ...] = ()

    @property
    def sentence(self) -> str:
        """The reason in one short plain sentence, no statistics in it."""
        return sentence(self)

    @property
    def details(self) -> list[str]:
        """How it was found: the window, levels, slope, p-value and weeks of data."""
        from .reason_details import details  # the details' words, which read this module

        return details(self)

    def to_dict(self) -> dict[str, Any]:
        """As stored (JSON): dates as ISO text."""
        out = {
            k: v.isoformat() if isinstance(v, date) else v
            for k, v in asdict(self).items()
            if v is not None and k != "relapses"
        }
        if self.relapses:
            out["relapses"] = [[day.isoformat(), how] for day, how in self.relapses]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        """A stored reason back (see to_dict)."""
        dates = {"since", "today", "reference_first", "reference_last", "aid_until"}
        fields: dict[str, Any] = {
            k: date.fromisoformat(v) if k in dates else v for k, v in data.items()
        }
        if "relapses" in fields:
            fields["relapses"] = tuple(
                (date.fromisoformat(day), how) for day, how in fields["relapses"]
            )
        return cls(**fields)


def found(series: trends.PatientSeries, today: date) -> list[Reason]:
    """The reasons worth reviewing on `today`: trends.review()'s signals, then any recent jump
    in fatigue that looks like a relapse nobody logged."""
    unlogged = trends.possible_unlogged_relapses(series, today)
    out = [from_signal(s, series, today, unlogged) for s in trends.review(series, today)]
    out += [
        Reason(UNLOGGED, day, today)
        for day in unlogged
        if (today - day).days <= UNLOGGED_RELAPSE_DAYS
    ]
    return out


def from_signal(
    signal: trends.Signal,
    series: trends.PatientSeries,
    today: date,
    unlogged: Sequence[date] | None = None,
) -> Reason:
    """A signal as a reason, with the aids behind a walking-aid one and the relapses within a
    fatigue trend's window. `unlogged`: the relapses read from jumps (found when not given)."""
    aid: dict[str, Any] = {}
    if signal.measure == "aid_level":
        aid = aid_step(series, today)
    relapses: tuple[tuple[date, str], ...] = ()
    if trends.MEASURES[signal.measure].relapse_step is not None and signal.since is not None:
        if unlogged is None:
            unlogged = trends.possible_unlogged_relapses(series, today)
        relapses = tuple(
            sorted(
                [(d, LOGGED) for d in series.relapses if signal.since <= d <= today]
                + [(d, UNLOGGED) for d in unlogged if signal.since <= d <= today]
            )
        )
    before, now = signal.before, signal.now
    if signal.measure == "falls" and signal.reference_first and signal.reference_last:
        # Said as a count a month, over calendar days rather than logged days (as the trend
        # test reads them): days without a mobility entry would otherwise swell the rate.
        before = 7 * calendar_rate(series.falls, signal.reference_first, signal.reference_last)
        now = 7 * calendar_rate(
            series.falls, last_quarter_first(signal.window_months, today), today
        )
    return Reason(
        measure=signal.measure,
        since=signal.since or today,
        today=today,
        window_months=signal.window_months,
        slope_per_year=signal.slope_per_year,
        p_value=signal.p_value,
        weeks=signal.weeks,
        baseline_weeks=signal.baseline_weeks,
        before=before if before is not None else 0.0,
        now=now if now is not None else signal.change,
        reference_first=signal.reference_first,
        reference_last=signal.reference_last,
        relapses=relapses,
        **aid,
    )


def last_quarter_first(window_months: int, today: date) -> date:
    """The first day of a window's last quarter, whose level a signal calls "now"."""
    window = trends.WINDOWS.get(window_months)
    quarter = math.ceil(window.days / 4) if window else 1
    return today - timedelta(days=quarter - 1)


def calendar_rate(counts: Mapping[date, int], first: date, last: date) -> float:
    """Events a calendar day from `first` (or the first day logged after it) to `last`."""
    logged = [d for d in counts if first <= d <= last]
    if not logged:
        return 0.0
    days = (last - min(logged)).days + 1
    return sum(counts[d] for d in logged) / days


def aid_step(series: trends.PatientSeries, today: date) -> dict[str, Any]:
    """Today's main aid, the one before it and its last day: outdoors if the step shows there."""
    for setting, days in (("outdoors", series.outdoor_aids), (None, series.aids)):
        tops = {d: _top_aid(a) for d, a in days.items() if d <= today}
        recent = [a for d, a in tops.items() if a and (today - d).days < AID_NOW_DAYS]
        if not recent:
            continue
        counts = Counter(recent)
        now = max(counts, key=lambda a: (counts[a], AID_LEVEL[a]))
        earlier = [
            (d, a)
            for d, a in tops.items()
            if a and a != now and AID_LEVEL[a] <= AID_LEVEL[now] and d < today
        ]
        if earlier:
            until, before = max(earlier)
            return {
                "aid_now": now,
                "aid_before": before,
                "aid_until": until,
                "aid_setting": setting,
            }
        if setting is None:
            return {"aid_now": now}
    return {}


def _top_aid(aids: Sequence[str]) -> str | None:
    known = [a for a in aids if a in AID_LEVEL]
    return max(known, key=lambda a: (AID_LEVEL[a], a)) if known else None


# ----------------------------------------------------------------------------- rounding


def whole(x: float) -> int:
    """Rounded half up, as people round (2.5 -> 3, not Python's 2)."""
    return math.floor(x + 0.5)


def share(x: float) -> str:
    """A share as said aloud: 0.3 -> "a third", 0.5 -> "half"."""
    return min(SHARES, key=lambda s: abs(s[0] - x))[1]


def points(x: float) -> str:
    """A change in points as said aloud: "about half a point", "about 2 points"."""
    x = abs(x)
    if x < 0.75:
        return "about half a point"
    n = whole(x)
    return f"about {n} point{'' if n == 1 else 's'}"


def seconds(a: float, b: float) -> tuple[str, str]:
    """Two times in seconds, whole unless that would make them read the same."""
    if whole(a) != whole(b):
        return str(whole(a)), str(whole(b))
    return f"{a:.1f}", f"{b:.1f}"


def per_month(per_week: float) -> str:
    """A weekly rate as a monthly count: "under 1", "about 3"."""
    n = per_week * DAYS_PER_MONTH / 7
    return "under 1" if n < 0.75 else f"about {whole(n)}"


def month(day: date, today: date) -> str:
    """Like "June", or "December 2025" when not this year."""
    name = calendar.month_name[day.month]
    return name if day.year == today.year else f"{name} {day.year}"


def day_text(day: date, today: date) -> str:
    """Like "19 Nov", or "19 Nov 2025" when not this year."""
    text = f"{day.day} {calendar.month_abbr[day.month]}"
    return text if day.year == today.year else f"{text} {day.year}"


def compared_with(r: Reason) -> str:
    """The reference period as said aloud: "before June" or "in June to August"."""
    if r.baseline_weeks >= trends.MIN_BASELINE_WEEKS or r.reference_first is None:
        return f"before {month(r.since, r.today)}"
    first, last = r.reference_first, r.reference_last or r.reference_first
    months_apart = 12 * (last.year - first.year) + last.month - first.month
    if months_apart == 0:
        return f"in {month(first, r.today)}"
    joined = "and" if months_apart == 1 else "to"
    return f"in {month(first, r.today)} {joined} {month(last, r.today)}"


def _ratio(r: Reason) -> float | None:
    return r.now / r.before if r.before > 0 else None


# ----------------------------------------------------------------------------- words


def sentence(r: Reason) -> str:
    """The reason in words (see the module's docstring)."""
    since = month(r.since, r.today)
    up = r.now >= r.before
    way = "up" if up else "down"
    if r.measure == UNLOGGED:
        return f"Possible relapse not logged, around {day_text(r.since, r.today)} — ask"
    if r.measure == "fatigue":
        first, last = whole(r.before), whole(r.now)
        if first != last:
            return f"Fatigue {way} from about {first} to {last} since {since}"
        return f"Fatigue {way} {points(r.now - r.before)} since {since} (now about {last})"
    if r.measure == "effort":
        return (
            f"Usual exercises feel {'harder' if up else 'easier'}: effort at the usual dose "
            f"{way} {points(r.now - r.before)} since {since}"
        )
    if r.measure == "aid_level":
        return _aid_sentence(r, since)
    if r.measure == "outdoor_distance":
        ratio = _ratio(r)
        if ratio is None or ratio >= 1:
            return f"Walks more outdoors than {compared_with(r)}"
        return f"Walks {_less(1 - ratio, 'outdoors')} {compared_with(r)}"
    if r.measure == "capacity":
        ratio = _ratio(r)
        if ratio is None or ratio >= 1:
            return f"Does more at the usual effort than {compared_with(r)}"
        return f"Does {_less(1 - ratio, 'at the usual effort')} {compared_with(r)}"
    if r.measure == "walk_time":
        start, end = seconds(r.before, r.now)
        text = f"Timed walk {way} from about {start} to {end} seconds since {since}"
        ratio = _ratio(r)
        if ratio is not None and ratio > 1:
            slower = "about twice as long" if ratio >= 1.85 else f"about {share(ratio - 1)} slower"
            text += f" ({slower})"
        return text
    if r.measure == "falls":
        was, is_ = per_month(r.before), per_month(r.now)
        if was != is_:
            return f"Falls and near-falls {way} from {was} to {is_} a month since {since}"
        return f"Falls and near-falls more often since {since} ({is_} a month)"
    label = trends.MEASURES[r.measure].label if r.measure in trends.MEASURES else r.measure
    return f"{label} {way} since {since}"


def _less(drop: float, where: str) -> str:
    """ "about a third less outdoors than", or "about half as much outdoors as" (a drop of half)."""
    said = share(drop)
    if said == "half":
        return f"about half as much {where} as"
    return f"about {said} less {where} than"


def aid_words(aid: str) -> str:
    """An aid as the object of "uses": "a frame", "two sticks", "no aid"."""
    short = AID_SHORT.get(aid, aid)
    return f"{ARTICLES[aid]} {short}" if aid in ARTICLES else short


def _aid_sentence(r: Reason, since: str) -> str:
    if r.aid_now is None:
        return f"Uses more walking aid since {since}"
    where = f" {r.aid_setting}" if r.aid_setting else ""
    text = f"Now uses {aid_words(r.aid_now)}{where}"
    if r.aid_before is not None and r.aid_until is not None:
        before = AID_SHORT.get(r.aid_before, r.aid_before)
        text += f" ({before} until {day_text(r.aid_until, r.today)})"
    return text
