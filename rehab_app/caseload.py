"""A therapist's caseload at a glance: one summary row per linked patient (no Flask here).

Every number comes from a handful of queries whatever the caseload's size (`load_caseload`):
the linked patients, their live entries over the last 13 months, their programme items and
when they last synced. The rest is plain Python over those rows (`summarise`), which the
tests call directly.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from statistics import mean
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from . import trends
from .adherence import Adherence, BadDays, adherence, adherence_between, done_days, plan_from_item
from .models import CareLink, CaseloadSummary, Entry, ProgrammeItem, SyncClient, User, utcnow
from .reasons import UNLOGGED, Reason, found
from .series import LOG_COLUMNS, LogRow, patient_series
from .timeutil import local_today, to_local
from .vocab import AID_LEVEL, AID_SHORT

# Enough history for trends.review() (its 12-month window and the year before as baseline),
# whatever a person's time zone.
HISTORY_DAYS = trends.HISTORY_DAYS + 2
FATIGUE_DAYS, FATIGUE_BEFORE_DAYS = 7, 28
AID_DAYS, AID_CHANGE_DAYS = 14, 90
FALLS_DAYS = 28
# The simple rules of "worth reviewing", besides the slow-change signals of trends.review().
FATIGUE_RISE = 1.5  # points, 7-day mean against the 28 days before
MIN_FATIGUE_DAYS = (3, 7)  # days with a rating needed in the 7 days and in the 28 before
ADHERENCE_DROP = 30  # percentage points, the last 14 days against the 28 days before
MIN_PLANNED = 4  # sessions planned in each stretch before a drop counts
# Less than two thirds of the planned sessions done over 28 days is worth a look even without
# a drop (someone who has done little for weeks has nothing left to drop from).
LOW_ADHERENCE = 200 / 3  # percent
# Near-falls in 28 days, and more than in the 28 days before: someone who often nearly falls
# is not flagged on every visit for the same thing (any fall counts at once).
NEAR_FALLS = 3
SILENT_DAYS = 14  # days without any entry or sync, for someone who used to log
QUERY_MAX = 100


@dataclass(frozen=True)
class AidChange:
    """The main aid in one setting changed within 90 days: the aids in turn, and since when."""

    setting: str  # "outdoors" or "indoors"
    path: tuple[str, ...]  # the main aids in turn, oldest first; the last is today's
    on: date  # the first day of today's main aid

    @property
    def rises(self) -> bool:
        """True when today's aid is higher on the ladder than the first one."""
        return AID_LEVEL.get(self.path[-1], 0) > AID_LEVEL.get(self.path[0], 0)

    @property
    def text(self) -> str:
        """Like "outdoors: one stick → two sticks → frame"."""
        return f"{self.setting}: " + " → ".join(AID_SHORT.get(a, a) for a in self.path)


@dataclass(frozen=True)
class Aids:
    """The main walking aid outdoors and indoors over the last 14 days, and their changes."""

    outdoors: str | None = None
    indoors: str | None = None
    changes: tuple[AidChange, ...] = ()

    @property
    def level(self) -> int | None:
        """The higher rung of the two, for sorting (None when no aid was logged)."""
        rungs = [AID_LEVEL.get(a, 0) for a in (self.outdoors, self.indoors) if a is not None]
        return max(rungs) if rungs else None

    @property
    def text(self) -> str:
        """Like "frame outdoors, one stick indoors", "one stick" or a dash."""
        if self.outdoors == self.indoors or None in (self.outdoors, self.indoors):
            aid = self.outdoors or self.indoors
            where = ""
            if self.outdoors != self.indoors:
                where = " outdoors" if self.outdoors else " indoors"
            return "—" if aid is None else AID_SHORT.get(aid, aid) + where
        return (
            f"{AID_SHORT.get(self.outdoors or '', self.outdoors)} outdoors, "
            f"{AID_SHORT.get(self.indoors or '', self.indoors)} indoors"
        )


@dataclass(frozen=True)
class Flag:
    """One reason a patient is worth reviewing: a slow change (trend) or a recent event."""

    kind: str  # "trend" (months of data, trends.review) or "recent" (the rules above)
    text: str
    # A reason found in months of the log: stored as data, its words made when it is read.
    reason: Reason | None = None

    @classmethod
    def of(cls, reason: Reason) -> Flag:
        """A found reason's flag: a possible unlogged relapse is recent, a signal slow change."""
        kind = "recent" if reason.measure == UNLOGGED else "trend"
        return cls(kind, reason.sentence, reason)

    @property
    def details(self) -> list[str]:
        """How a found reason was found (the numbers behind its words); none for the rules."""
        return self.reason.details if self.reason is not None else []


@dataclass(frozen=True)
class CaseloadRow:
    """One linked patient's summary."""

    patient_id: int
    name: str
    email: str
    timezone: str
    today: date
    last_sync: datetime | None  # UTC
    week: Adherence
    month: Adherence
    fatigue_mean: float | None
    fatigue_before: float | None
    aids: Aids
    falls: int
    near_falls: int
    flags: tuple[Flag, ...]

    @property
    def fatigue_change(self) -> float | None:
        """The 7-day mean minus the mean of the 28 days before."""
        if self.fatigue_mean is None or self.fatigue_before is None:
            return None
        return self.fatigue_mean - self.fatigue_before


def clean_query(text: str | None) -> str:
    """A search as typed, without control characters, trimmed, at most QUERY_MAX long."""
    return "".join(ch for ch in (text or "") if ch.isprintable()).strip()[:QUERY_MAX]


def linked_patients(session: Session, therapist_id: int, query: str = "") -> list[User]:
    """The patients who have linked the therapist, matching a search by name or email."""
    stmt = (
        select(User)
        .join(CareLink, CareLink.patient_id == User.id)
        .where(CareLink.therapist_id == therapist_id, CareLink.revoked_at.is_(None))
    )
    if query:
        needle = query.casefold()
        stmt = stmt.where(
            or_(
                func.lower(User.display_name).contains(needle, autoescape=True),
                func.lower(User.email).contains(needle, autoescape=True),
            )
        )
    return list(session.scalars(stmt.order_by(User.display_name, User.id).distinct()))


# Raise when what a stored summary holds, or how it is computed, changes: every stored one is
# then recomputed on its next read.
# 2: reasons found in months of the log are stored as data (reasons.Reason), not as words.
SUMMARY_VERSION = 2


def load_caseload(
    session: Session, patients: Sequence[User], now: datetime | None = None
) -> list[CaseloadRow]:
    """Summaries of these patients, in a few queries whatever their number.

    Each person's summary is stored (CaseloadSummary) with the state it was computed from:
    their local day, time zone, latest entry change and programme change. Only those whose
    state moved on since are recomputed, from their entries alone, and stored again; the
    others are read as stored. So the page never shows a summary older than the person's
    latest entry, and a caseload where nothing changed reads no entries at all.
    """
    if not patients:
        return []
    now = now or utcnow()
    ids = [p.id for p in patients]
    sources = _sources(session, patients, now)
    stored = {
        s.patient_id: s
        for s in session.scalars(select(CaseloadSummary).where(CaseloadSummary.patient_id.in_(ids)))
    }
    core: dict[int, CaseloadRow] = {}
    stale = []
    for p in patients:
        kept = stored.get(p.id)
        if kept is not None and kept.source == sources[p.id]:
            core[p.id] = summary_from_json(kept.summary, p)
        else:
            stale.append(p)
    if stale:
        fresh = compute_summaries(session, stale, now)
        store_summaries(session, {pid: (sources[pid], row) for pid, row in fresh.items()}, now)
        core.update(fresh)
    synced = last_activity(session, ids)
    return [with_activity(core[p.id], synced.get(p.id)) for p in patients]


REFRESH_BATCH = 50  # people a transaction of `flask reviews refresh` claims and recomputes


def refresh_summaries(session: Session, now: datetime | None = None) -> tuple[int, int]:
    """Recompute the stored summaries of every linked person whose data changed; (seen, redone).

    For cron, so that the first caseload of the day opens at once too, and safe to run in
    several processes at once: each batch of REFRESH_BATCH people is claimed before it is
    computed. On PostgreSQL the claim is a lock on each person's summary row, taken with
    `FOR UPDATE SKIP LOCKED`, so a second process passes over the people the first is working
    on and takes the next ones; a caseload load that recomputes one of them meanwhile waits
    for that batch's commit, then finds the row fresh. (People without a row yet get an
    empty one first, which is stale by construction.) SQLite has one writer and no row locks:
    there, run one refresh at a time; a second one would only repeat work, never break it.
    """
    now = now or utcnow()
    linked = select(CareLink.patient_id).where(CareLink.revoked_at.is_(None)).distinct()
    ids = list(session.scalars(linked.order_by(CareLink.patient_id)))
    session.commit()
    seen = redone = 0
    for i in range(0, len(ids), REFRESH_BATCH):
        batch = ids[i : i + REFRESH_BATCH]
        _ensure_rows(session, batch, now)
        session.commit()
        claim = select(CaseloadSummary.patient_id, CaseloadSummary.source).where(
            CaseloadSummary.patient_id.in_(batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            claim = claim.with_for_update(skip_locked=True)
        kept = {pid: source for pid, source in session.execute(claim)}
        people = list(session.scalars(select(User).where(User.id.in_(list(kept)))))
        sources = _sources(session, people, now)
        stale = [p for p in people if kept[p.id] != sources[p.id]]
        fresh = compute_summaries(session, stale, now) if stale else {}
        store_summaries(session, {pid: (sources[pid], row) for pid, row in fresh.items()}, now)
        session.commit()
        seen, redone = seen + len(people), redone + len(stale)
    return seen, redone


def _ensure_rows(session: Session, ids: Sequence[int], now: datetime) -> None:
    """An empty (so stale) summary row for each of these people who has none, to be claimed."""
    if not ids:
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = [{"patient_id": pid, "source": "", "summary": "", "computed_at": now} for pid in ids]
    session.execute(
        insert(CaseloadSummary).on_conflict_do_nothing(index_elements=["patient_id"]), values
    )


def compute_summaries(
    session: Session, patients: Sequence[User], now: datetime
) -> dict[int, CaseloadRow]:
    """These patients' summaries computed from their entries, in two queries.

    The rows hold no last activity (with_activity() adds it when shown).
    """
    ids = [p.id for p in patients]
    since = now.date() - timedelta(days=HISTORY_DAYS)
    log: dict[int, list[LogRow]] = {i: [] for i in ids}
    # Core rows, not ORM ones: a year of several entries a day for hundreds of people.
    for row in session.connection().execute(
        select(*LOG_COLUMNS).where(
            Entry.user_id.in_(ids), Entry.deleted_at.is_(None), Entry.local_date >= since
        )
    ):
        log[row[0]].append(LogRow._make(row))
    items: dict[int, list[ProgrammeItem]] = {i: [] for i in ids}
    for item in session.scalars(
        select(ProgrammeItem).where(
            ProgrammeItem.patient_id.in_(ids),
            or_(ProgrammeItem.end_date.is_(None), ProgrammeItem.end_date >= since),
            or_(
                ProgrammeItem.stopped_at.is_(None),
                ProgrammeItem.stopped_at >= now - timedelta(days=HISTORY_DAYS),
            ),
        )
    ):
        items[item.patient_id].append(item)
    return {
        p.id: summarise(p, log[p.id], items[p.id], None, local_today(p.timezone, now))
        for p in patients
    }


def _sources(session: Session, patients: Sequence[User], now: datetime) -> dict[int, str]:
    """What each person's summary is computed from, as a key, in one query.

    The latest entry change (updated_at is set when an entry is made, changed or deleted: one
    index lookup a person), the latest programme change and the number of items, their local
    day and time zone.
    """
    entry_change = (
        select(func.max(Entry.updated_at)).where(Entry.user_id == User.id).scalar_subquery()
    )
    item_change = (
        select(func.max(ProgrammeItem.updated_at))
        .where(ProgrammeItem.patient_id == User.id)
        .scalar_subquery()
    )
    item_count = (
        select(func.count(ProgrammeItem.id))
        .where(ProgrammeItem.patient_id == User.id)
        .scalar_subquery()
    )
    state = {
        user_id: (entries, items, count)
        for user_id, entries, items, count in session.execute(
            select(User.id, entry_change, item_change, item_count).where(
                User.id.in_([p.id for p in patients])
            )
        )
    }
    out = {}
    for p in patients:
        entries, items, count = state.get(p.id, (None, None, 0))
        key = (
            f"{SUMMARY_VERSION}|{local_today(p.timezone, now)}|{p.timezone}|"
            f"{entries}|{items}|{count}"
        )
        out[p.id] = hashlib.sha256(key.encode()).hexdigest()
    return out


def store_summaries(
    session: Session, fresh: Mapping[int, tuple[str, CaseloadRow]], now: datetime
) -> None:
    """Store computed summaries with their sources, replacing older ones, in one statement.

    An upsert: two requests (or a request and `flask reviews refresh`) computing the same
    person at once both write the same row, and neither fails.
    """
    if not fresh:
        return
    values = [
        {"patient_id": pid, "source": source, "summary": summary_to_json(row), "computed_at": now}
        for pid, (source, row) in fresh.items()
    ]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(CaseloadSummary)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CaseloadSummary.patient_id],
        set_={
            "source": stmt.excluded.source,
            "summary": stmt.excluded.summary,
            "computed_at": stmt.excluded.computed_at,
        },
    )
    session.execute(stmt, values)


def summary_to_json(row: CaseloadRow) -> str:
    """A summary as stored: its numbers and reasons, not who the person is nor their activity."""

    def adherence_dict(a: Adherence) -> dict[str, Any]:
        return {
            "first": a.first.isoformat(),
            "last": a.last.isoformat(),
            "done": a.done,
            "planned": a.planned,
            "bad_days": a.bad_days,
            "relapse_days": a.relapse_days,
            "by_item": [[k, list(v)] for k, v in a.by_item.items()],
        }

    return json.dumps(
        {
            "today": row.today.isoformat(),
            "week": adherence_dict(row.week),
            "month": adherence_dict(row.month),
            "fatigue_mean": row.fatigue_mean,
            "fatigue_before": row.fatigue_before,
            "aids": {
                "outdoors": row.aids.outdoors,
                "indoors": row.aids.indoors,
                "changes": [[c.setting, list(c.path), c.on.isoformat()] for c in row.aids.changes],
            },
            "falls": row.falls,
            "near_falls": row.near_falls,
            # A found reason as its data, so that its words are always today's.
            "flags": [[f.kind, f.reason.to_dict() if f.reason else f.text] for f in row.flags],
        },
        separators=(",", ":"),
    )


def summary_from_json(text: str, patient: User) -> CaseloadRow:
    """A stored summary for this person, without their last activity."""
    data = json.loads(text)

    def adherence_of(a: dict[str, Any]) -> Adherence:
        return Adherence(
            date.fromisoformat(a["first"]),
            date.fromisoformat(a["last"]),
            a["done"],
            a["planned"],
            a["bad_days"],
            a["relapse_days"],
            {int(k): (v[0], v[1]) for k, v in a["by_item"]},
        )

    aids = data["aids"]
    return CaseloadRow(
        patient_id=patient.id,
        name=patient.display_name,
        email=patient.email,
        timezone=patient.timezone,
        today=date.fromisoformat(data["today"]),
        last_sync=None,
        week=adherence_of(data["week"]),
        month=adherence_of(data["month"]),
        fatigue_mean=data["fatigue_mean"],
        fatigue_before=data["fatigue_before"],
        aids=Aids(
            aids["outdoors"],
            aids["indoors"],
            tuple(
                AidChange(s, tuple(path), date.fromisoformat(on)) for s, path, on in aids["changes"]
            ),
        ),
        falls=data["falls"],
        near_falls=data["near_falls"],
        flags=tuple(
            Flag.of(Reason.from_dict(value)) if isinstance(value, dict) else Flag(kind, value)
            for kind, value in data["flags"]
        ),
    )


def with_activity(row: CaseloadRow, last_sync: datetime | None) -> CaseloadRow:
    """A summary with the person's last activity, and the reason "nothing logged" if it is."""
    return replace(
        row, last_sync=last_sync, flags=row.flags + tuple(_silence(row.today, last_sync))
    )


def last_activity(session: Session, user_ids: Sequence[int]) -> dict[int, datetime]:
    """When each person last changed their log or synced an app, in two queries."""
    latest: dict[int, datetime] = {}
    # One index lookup a person (ix_entries_user_updated_created): updated_at is set when an
    # entry is made and on every change, so its maximum is the latest change of any kind.
    newest = select(func.max(Entry.updated_at)).where(Entry.user_id == User.id).scalar_subquery()
    entries = select(User.id, newest).where(User.id.in_(user_ids))
    clients = select(SyncClient.user_id, func.max(SyncClient.last_seen_at))
    for user_id, *times in [
        *session.execute(entries),
        *session.execute(
            clients.where(SyncClient.user_id.in_(user_ids)).group_by(SyncClient.user_id)
        ),
    ]:
        for t in times:
            if t is not None and (user_id not in latest or t > latest[user_id]):
                latest[user_id] = t
    return latest


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


# ----------------------------------------------------------------------------- sorting


def _pct(a: Adherence) -> float | None:
    return a.percent


SORT_KEYS: dict[str, Callable[[CaseloadRow], Any]] = {
    "name": lambda r: r.name.casefold(),
    "synced": lambda r: r.last_sync,
    "week": lambda r: _pct(r.week),
    "month": lambda r: _pct(r.month),
    "fatigue": lambda r: r.fatigue_mean,
    "fatigue_change": lambda r: r.fatigue_change,
    "aid": lambda r: None if r.aids.level is None else (r.aids.level, len(r.aids.changes)),
    "falls": lambda r: (r.falls, r.near_falls),
    "review": lambda r: (len(r.flags), sum(f.kind == "trend" for f in r.flags)),
}
# The order a first click sorts in: the worrying end first, names A to Z.
FIRST_DIRECTION: Mapping[str, str] = {
    "name": "asc",
    "synced": "asc",
    "week": "asc",
    "month": "asc",
    "fatigue": "desc",
    "fatigue_change": "desc",
    "aid": "desc",
    "falls": "desc",
    "review": "desc",
}
DEFAULT_SORT = ("review", "desc")


def parse_sort(key: str | None, direction: str | None, order: str | None = None) -> tuple[str, str]:
    """A valid (key, direction) from query parameters; anything else is the default.

    `order` ("fatigue-desc", from the Sort by menu) wins over `sort` and `dir` (the headers).
    """
    if order:
        key, _, direction = order.rpartition("-")
    if key not in SORT_KEYS:
        return DEFAULT_SORT
    if direction not in ("asc", "desc"):
        direction = FIRST_DIRECTION[key]
    return key, direction


def sort_rows(rows: Iterable[CaseloadRow], key: str, direction: str) -> list[CaseloadRow]:
    """Rows sorted by a column; rows without a value go last either way, then by name."""
    get = SORT_KEYS[key]
    by_name = sorted(rows, key=lambda r: (r.name.casefold(), r.patient_id))
    known = [r for r in by_name if get(r) is not None]
    unknown = [r for r in by_name if get(r) is None]
    return sorted(known, key=get, reverse=direction == "desc") + unknown


# ----------------------------------------------------------------------------- words


@dataclass(frozen=True)
class Column:
    """A caseload column: its sort key, its heading and how each sort order reads."""

    key: str
    label: str
    ascending: str
    descending: str

    def order(self, direction: str) -> str:
        """How one sort order reads, like "highest first"."""
        return self.ascending if direction == "asc" else self.descending


COLUMNS = (
    Column("name", "Name", "A to Z", "Z to A"),
    Column("review", "Worth reviewing", "fewest reasons first", "most reasons first"),
    Column("synced", "Last activity", "longest ago first", "most recent first"),
    Column("week", "Programme, 7 days", "lowest first", "highest first"),
    Column("month", "Programme, 28 days", "lowest first", "highest first"),
    Column("fatigue", "Fatigue, 7-day mean", "lowest first", "highest first"),
    Column("fatigue_change", "Fatigue change", "biggest fall first", "biggest rise first"),
    Column("aid", "Main walking aid", "least support first", "most support first"),
    Column("falls", "Falls, 28 days", "fewest first", "most first"),
)


# The table's columns at a desk or on a tablet, those that matter first, some with shorter
# headings; the 7-day programme and the fatigue change sit under the 28-day programme and the
# fatigue mean.
TABLE_LABELS = {"fatigue": "Fatigue, 7 days", "aid": "Walking aid"}
TABLE_COLUMNS = tuple(
    replace(column, label=TABLE_LABELS.get(column.key, column.label))
    for key in ("name", "review", "month", "fatigue", "aid", "falls", "synced")
    for column in COLUMNS
    if column.key == key
)
# Sort orders of the menu whose values sit in another column's cell: that column is marked.
SHOWN_IN = {"week": "month", "fatigue_change": "fatigue"}
# Reasons shown in a row before "more reasons" folds the rest away: a row stays short enough
# that the rows below it are in sight.
SHOWN_FLAGS = 2


def percent_text(a: Adherence) -> str:
    """Like 80%, or a dash when nothing was planned."""
    return "—" if a.percent is None else f"{a.percent:.0f}%"


def adherence_detail(a: Adherence) -> str:
    """Like "4 of 5 sessions, 2 bad days (1 relapse)", or why there is no percentage."""
    if a.planned:
        parts = [f"{a.done} of {_plural(a.planned, 'session')}"]
    else:
        parts = ["nothing planned"]
    if a.bad_days:
        bad = _plural(a.bad_days, "bad day")
        if a.relapse_days:
            bad += f" ({_plural(a.relapse_days, 'relapse day')})"
        parts.append(bad)
    return ", ".join(parts)


def last_activity_text(when: datetime | None, tz: str, now: datetime) -> str:
    """Like "Today, 09:12", "Yesterday, 18:40", "3 days ago" or "Never"."""
    if when is None:
        return "Never"
    local, today = to_local(when, tz), to_local(now, tz).date()
    days = (today - local.date()).days
    if days <= 0:
        return f"Today, {local:%H:%M}"
    if days == 1:
        return f"Yesterday, {local:%H:%M}"
    if days < 14:
        return f"{days} days ago"
    return f"{short_date(local.date())} {local.year}"


def fatigue_change_text(change: float | None) -> str:
    """Like "up 1.2" or "down 0.4"; a dash without enough ratings."""
    if change is None:
        return "—"
    if round(change, 1) == 0:
        return "no change"
    return f"{'up' if change > 0 else 'down'} {abs(change):.1f}"


def falls_text(row: CaseloadRow) -> str:
    """Like "1 fall, 2 near-falls", or "None"."""
    parts = []
    if row.falls:
        parts.append(_plural(row.falls, "fall"))
    if row.near_falls:
        parts.append(_plural(row.near_falls, "near-fall"))
    return ", ".join(parts) or "None"
