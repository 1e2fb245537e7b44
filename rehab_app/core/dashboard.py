"""A patient's charts and appointment summary, from one load of their log (no Flask here).

The views load a patient's live entries for the period once (plus the days before it that the
rolling mean and relapse shading need) and pass them here; everything else is arithmetic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from rehab_app.models import Entry, ProgrammeItem, walk_score

from . import adherence, charts
from . import entries as log
from .caseload import AID_CHANGE_DAYS, AID_DAYS, Flag, aid_history
from .charts import Chart, ItemWeeks, Period, Size
from .vocab import AID_SHORT, BAD_DAY_REASONS

SUMMARY_RANGE = "3m"  # an appointment summary covers the last three months
# What the summary loads: its period and the days before it that the charts need, or that a
# change of main walking aid needs (caseload.aid_history), whichever reaches further back.
SUMMARY_LOAD_DAYS = max(
    7 * (charts.RANGES[SUMMARY_RANGE].weeks or 0) + charts.LOOKBACK_DAYS,
    AID_CHANGE_DAYS + AID_DAYS,
)


def load_entries(
    session: Session, patient_id: int, range_key: str, today: date, extra_days: int = 0
) -> tuple[Period, list[Entry]]:
    """The period of a range and the live entries the charts need for it, in one query."""
    if range_key == "all":
        entries = list(log.entries_between(session, patient_id, None, today))
        earliest = min((e.local_date for e in entries), default=None)
        return charts.period_for(range_key, today, earliest), entries
    period = charts.period_for(range_key, today)
    back = max(charts.LOOKBACK_DAYS, extra_days - period.days)
    first = period.first - timedelta(days=back)
    return period, list(log.entries_between(session, patient_id, first, today))


def log_data(entries: Iterable[Entry]) -> charts.LogData:
    """The entries reduced to the plain values the charts draw."""
    fatigue, sessions, aids, bad, walks = [], [], [], [], []
    for e in entries:
        if e.kind == "fatigue" and e.fatigue is not None:
            fatigue.append((e.local_date, e.fatigue))
        elif e.kind == "exercise":
            sessions.append(charts.SessionMinutes(e.local_date, e.discipline or "", e.minutes))
        elif e.kind == "mobility":
            aids.append(
                charts.AidUse(e.local_date, e.aid, e.setting, e.falls or 0, e.near_falls or 0)
            )
        elif e.kind == "bad_day":
            bad.append((e.local_date, e.reason))
        elif e.kind == "walk_test":
            score = walk_score(e.trial_1_seconds, e.trial_2_seconds)
            if score is not None:
                walks.append(charts.WalkTime(e.local_date, score, e.aid, e.setting))
    return charts.LogData(fatigue, sessions, aids, bad, walks)


def programme_weeks(
    entries: Iterable[Entry],
    programme: Sequence[ProgrammeItem],
    period: Period,
    tz: str,
) -> list[ItemWeeks]:
    """Each programme item's done and planned sessions per week of the period (adherence.py)."""
    entries = list(entries)
    plans = [adherence.plan_from_item(item, tz) for item in programme]
    done = adherence.done_days(
        (e.programme_item_id, e.local_date) for e in entries if e.kind == "exercise"
    )
    bad = adherence.BadDays.from_reasons(
        (e.local_date, e.reason) for e in entries if e.kind == "bad_day"
    )
    weekly = adherence.weekly_adherence(plans, done, bad, period.last, len(period.weeks()))
    recent = adherence.adherence(plans, done, bad, period.last, 28).by_item
    return [
        ItemWeeks(
            item.id,
            item.name,
            [week.by_item.get(item.id, (0, 0)) for week in weekly],
            recent.get(item.id, (0, 0)),
        )
        for item in programme
    ]


def patient_charts(
    entries: Sequence[Entry],
    programme: Sequence[ProgrammeItem],
    period: Period,
    tz: str,
    sizes: Sequence[Size] = charts.SCREEN_SIZES,
    judged: bool = False,
) -> list[Chart]:
    """The five charts of a patient's page, in the order a therapist reads them.

    `judged` is for a therapist's pages: the walk chart then says when its 20% rule holds.
    """
    data = log_data(entries)
    shades = charts.shades_for(data.bad_days, period)
    return [
        charts.fatigue_chart(data.fatigue, period, shades, sizes),
        charts.exercise_chart(data.sessions, period, shades, sizes),
        charts.adherence_chart(
            programme_weeks(entries, programme, period, tz), period, shades, sizes
        ),
        charts.aid_chart(data.aids, period, shades, sizes),
        charts.walk_chart(data.walks, period, shades, sizes, judged),
    ]


@dataclass(frozen=True)
class Summary:
    """What the printable appointment summary shows."""

    period: Period
    charts: dict[str, Chart]
    items: list[tuple[ProgrammeItem, ItemWeeks]]
    bad_days: list[tuple[date, str]]  # (day, reason in words), oldest first
    bad_day_counts: list[tuple[str, int]]  # reason in words, how many
    reasons: tuple[Flag, ...]  # worth reviewing: the caseload's reasons, word for word
    events: list[tuple[date, str]]  # falls, near-falls and new walking aids, oldest first
    entries_in_period: int


def recent_events(entries: Iterable[Entry], period: Period) -> list[tuple[date, str]]:
    """Falls, near-falls and changes of main walking aid in the period, oldest first."""
    entries = list(entries)
    events = []
    for e in entries:
        if e.kind != "mobility" or not period.first <= e.local_date <= period.last:
            continue
        counts = [
            f"{n} {word if n == 1 else word + 's'}"
            for n, word in ((e.falls or 0, "fall"), (e.near_falls or 0, "near-fall"))
            if n
        ]
        if counts:
            where = [w for w in (e.setting, AID_SHORT.get(e.aid or "")) if w]
            text = " and ".join(counts).capitalize()
            events.append((e.local_date, text + (f" ({', '.join(where)})" if where else "")))
    for change in aid_history(entries, period.last).changes:
        if change.on >= period.first:
            now, before = (AID_SHORT.get(a, a) for a in (change.path[-1], change.path[-2]))
            events.append((change.on, f"Main walking aid {change.setting}: {now} (was {before})"))
    return sorted(events, key=lambda event: event[0])


def appointment_summary(
    entries: Sequence[Entry],
    programme: Sequence[ProgrammeItem],
    today: date,
    tz: str,
    reasons: Sequence[Flag] = (),
) -> Summary:
    """The last three months for an appointment: charts, programme, bad days, events and the
    reasons worth reviewing (the caseload's, `reasons`).

    `entries` should reach back SUMMARY_LOAD_DAYS.
    """
    period = charts.period_for(SUMMARY_RANGE, today)
    drawn = patient_charts(
        entries, programme, period, tz, sizes=(charts.PRINT, charts.NARROW), judged=True
    )
    weeks = {w.item_id: w for w in programme_weeks(entries, programme, period, tz)}
    # The programme as it stands, and whatever else was planned in the period.
    items = [
        (item, weeks[item.id])
        for item in programme
        if weeks[item.id].planned
        or (item.stopped_at is None and (item.end_date is None or item.end_date >= today))
    ]
    bad = sorted(
        (e.local_date, BAD_DAY_REASONS.get(e.reason or "", "Bad day"))
        for e in entries
        if e.kind == "bad_day" and period.first <= e.local_date <= period.last
    )
    counts = Counter(reason for _, reason in bad)
    return Summary(
        period=period,
        charts={c.key: c for c in drawn},
        items=items,
        bad_days=bad,
        bad_day_counts=counts.most_common(),
        reasons=tuple(reasons),
        events=recent_events(entries, period),
        entries_in_period=sum(1 for e in entries if period.first <= e.local_date <= period.last),
    )
