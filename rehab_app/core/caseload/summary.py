"""One patient's log summarised into a caseload row: adherence, fatigue, aids and flags."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from statistics import mean

from rehab_app.models import (
    Entry,
    ProgrammeItem,
    User,
)

from ..adherence import Adherence, BadDays, adherence, adherence_between, done_days, plan_from_item
from ..daily_series import LogRow, patient_series
from ..reasons import found
from ..vocab import AID_LEVEL
from .rows import (
    ADHERENCE_DROP,
    AID_CHANGE_DAYS,
    AID_DAYS,
    FALLS_DAYS,
    FATIGUE_BEFORE_DAYS,
    FATIGUE_DAYS,
    FATIGUE_RISE,
    LOW_ADHERENCE,
    MIN_FATIGUE_DAYS,
    MIN_PLANNED,
    NEAR_FALLS,
    SILENT_DAYS,
    AidChange,
    Aids,
    CaseloadRow,
    Flag,
)


def _days(today: date, n: int, end_offset: int = 0) -> tuple[date, date]:
    last = today - timedelta(days=end_offset)
    return last - timedelta(days=n - 1), last


def _fatigue_means(rows: Iterable[LogRow], today: date) -> tuple[float | None, float | None]:
    """Mean of daily means: this week's, and the 28 days before's (None without enough days)."""
    daily: dict[date, list[int]] = {}
    for r in rows:
        if r.kind == "fatigue" and r.fatigue is not None:
            daily.setdefault(r.local_date, []).append(r.fatigue)
    out: list[float | None] = []
    for (first, last), needed in zip(
        (_days(today, FATIGUE_DAYS), _days(today, FATIGUE_BEFORE_DAYS, FATIGUE_DAYS)),
        MIN_FATIGUE_DAYS,
        strict=True,
    ):
        days = [mean(v) for d, v in daily.items() if first <= d <= last]
        out.append(mean(days) if len(days) >= needed else None)
    return out[0], out[1]


def main_aid(uses: Iterable[str]) -> str | None:
    """The most used aid; a tie goes to the higher rung of the ladder (then the later name)."""
    return _most_used(Counter(u for u in uses if u in AID_LEVEL))


def _most_used(counts: Counter[str]) -> str | None:
    used = [a for a, n in counts.items() if n > 0]
    return max(used, key=lambda a: (counts[a], AID_LEVEL[a], a)) if used else None


def aid_history(rows: Iterable[LogRow] | Iterable[Entry], today: date) -> Aids:
    """The main aid outdoors and indoors (last 14 days), and their changes within 90 days.

    The main aid of a setting is followed day by day over a sliding 14-day window. A change
    is shown when today's differs from the one at the start of the 90 days, with the aids
    in between and the day today's took over.
    """
    start = today - timedelta(days=AID_CHANGE_DAYS + AID_DAYS)
    by_day: dict[str, dict[date, list[str]]] = {"outdoors": {}, "indoors": {}}
    for r in rows:
        if r.kind == "mobility" and r.aid and start <= r.local_date <= today:
            setting = "outdoors" if r.setting == "outdoors" else "indoors"
            by_day[setting].setdefault(r.local_date, []).append(r.aid)
    current: dict[str, str | None] = {}
    changes: list[AidChange] = []
    for setting, days in by_day.items():
        runs: list[tuple[str, date]] = []  # (main aid, first day), consecutive runs
        main: str | None = None
        window: Counter[str] = Counter()  # aid uses in the 14 days ending on `day`
        for k in range(AID_CHANGE_DAYS + AID_DAYS - 1, -1, -1):
            day = today - timedelta(days=k)
            window.update(a for a in days.get(day, ()) if a in AID_LEVEL)
            window.subtract(
                a for a in days.get(day - timedelta(days=AID_DAYS), ()) if a in AID_LEVEL
            )
            if k > AID_CHANGE_DAYS:
                continue  # still filling the first window
            main = _most_used(window)
            if main is not None and (not runs or runs[-1][0] != main):
                runs.append((main, day))
        current[setting] = main
        if main is not None and len(runs) > 1 and runs[0][0] != main:
            path = tuple(a for a, _d in runs)[-4:]
            changes.append(AidChange(setting, path, runs[-1][1]))
    return Aids(current["outdoors"], current["indoors"], tuple(changes))


def summarise(
    patient: User,
    rows: Sequence[LogRow],
    items: Sequence[ProgrammeItem],
    last_sync: datetime | None,
    today: date,
) -> CaseloadRow:
    """One patient's caseload row from their live entries and programme items."""
    plans = [plan_from_item(i, patient.timezone) for i in items]
    done = done_days((r.programme_item_id, r.local_date) for r in rows if r.kind == "exercise")
    bad = BadDays.from_reasons((r.local_date, r.reason) for r in rows if r.kind == "bad_day")
    week = adherence(plans, done, bad, today, 7)
    month = adherence(plans, done, bad, today, 28)
    fatigue_now, fatigue_before = _fatigue_means(rows, today)
    aids = aid_history(rows, today)
    first_fall = today - timedelta(days=FALLS_DAYS - 1)
    first_before = first_fall - timedelta(days=FALLS_DAYS)
    recent_mobility = [r for r in rows if r.kind == "mobility" and r.local_date >= first_fall]
    falls = sum(r.falls or 0 for r in recent_mobility)
    near_falls = sum(r.near_falls or 0 for r in recent_mobility)
    near_falls_before = sum(
        r.near_falls or 0
        for r in rows
        if r.kind == "mobility" and first_before <= r.local_date < first_fall
    )

    flags = [Flag.of(reason) for reason in found(patient_series(rows), today)]
    recent = _days(today, 14)
    before = _days(today, 28, 14)
    flags += _recent_flags(
        today=today,
        falls=falls,
        near_falls=(near_falls, near_falls_before),
        fatigue=(fatigue_now, fatigue_before),
        adherence=(
            adherence_between(plans, done, bad, *recent, today),
            adherence_between(plans, done, bad, *before, today),
        ),
        aid_changes=aids.changes,
        month=month,
        relapses=sorted(d for d in bad.relapses if d >= first_fall),
    )
    flags += _silence(today, last_sync)
    return CaseloadRow(
        patient_id=patient.id,
        name=patient.display_name,
        email=patient.email,
        timezone=patient.timezone,
        today=today,
        last_sync=last_sync,
        week=week,
        month=month,
        fatigue_mean=fatigue_now,
        fatigue_before=fatigue_before,
        aids=aids,
        falls=falls,
        near_falls=near_falls,
        flags=tuple(flags),
    )


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def short_date(day: date) -> str:
    """Like 12 Oct."""
    return f"{day.day} {day:%b}"


def _recent_flags(
    *,
    today: date,
    falls: int,
    near_falls: tuple[int, int],
    fatigue: tuple[float | None, float | None],
    adherence: tuple[Adherence, Adherence],
    aid_changes: Sequence[AidChange],
    month: Adherence | None = None,
    relapses: Sequence[date],
) -> list[Flag]:
    """The simple rules: falls, a fatigue rise, an adherence drop or a low one, a new aid, a
    relapse, silence."""
    flags: list[Flag] = []
    near, near_before = near_falls
    if falls:
        parts = [_plural(falls, "fall")] + ([_plural(near, "near-fall")] if near else [])
        flags.append(Flag("recent", f"{' and '.join(parts)} in the last {FALLS_DAYS} days"))
    elif near >= NEAR_FALLS and near > near_before:
        flags.append(
            Flag(
                "recent",
                f"{_plural(near, 'near-fall')} in the last {FALLS_DAYS} days "
                f"({near_before} in the {FALLS_DAYS} days before)",
            )
        )
    now, before = fatigue
    if now is not None and before is not None and now - before >= FATIGUE_RISE:
        flags.append(
            Flag(
                "recent",
                f"Fatigue up {now - before:.1f} points this week: "
                f"mean {now:.1f}, against {before:.1f} in the 4 weeks before",
            )
        )
    late, early = adherence
    if (
        late.percent is not None
        and early.percent is not None
        and min(late.planned, early.planned) >= MIN_PLANNED
        and early.percent - late.percent >= ADHERENCE_DROP
    ):
        flags.append(
            Flag(
                "recent",
                f"Exercise programme done less: {late.percent:.0f}% in the last 2 weeks, "
                f"against {early.percent:.0f}% in the 4 weeks before",
            )
        )
    elif (
        month is not None
        and month.percent is not None
        and month.planned >= MIN_PLANNED
        and month.percent < LOW_ADHERENCE
    ):
        flags.append(
            Flag(
                "recent",
                f"Exercise programme done seldom: {month.percent:.0f}% in the last 28 days "
                f"({month.done} of {_plural(month.planned, 'session')})",
            )
        )
    for change in aid_changes:
        if change.rises:
            flags.append(
                Flag("recent", f"Walking aid {change.text}, since {short_date(change.on)}")
            )
    for day in relapses:
        flags.append(Flag("recent", f"Relapse or flare-up logged on {short_date(day)}"))
    return flags


def _silence(today: date, last_sync: datetime | None) -> list[Flag]:
    """Weeks without any entry or sync, for someone who used to log (read fresh, never stored)."""
    if last_sync is not None:
        quiet = (today - last_sync.date()).days
        if quiet >= SILENT_DAYS:
            return [Flag("recent", f"Nothing logged or synced for {quiet} days")]
    return []
