"""Loading a caseload: linked patients, stored summaries kept fresh, last activity."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rehab_app.models import (
    CareLink,
    CaseloadSummary,
    Entry,
    ProgrammeItem,
    SyncClient,
    User,
    utcnow,
)

from ..daily_series import LOG_COLUMNS, LogRow
from ..timeutil import local_today
from . import markup
from .rows import (
    HISTORY_DAYS,
    QUERY_MAX,
    SUMMARY_VERSION,
    CaseloadRow,
    summary_from_json,
    summary_to_json,
)
from .stored import render_again, shown_values
from .summary import _silence, summarise


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
        stmt = stmt.where(_matching(query))
    return list(session.scalars(stmt.order_by(User.display_name, User.id).distinct()))


def _matching(query: str) -> ColumnElement[bool]:
    """People whose name or email holds the search, any case, wildcards taken literally."""
    needle = query.casefold()
    return or_(
        func.lower(User.display_name).contains(needle, autoescape=True),
        func.lower(User.email).contains(needle, autoescape=True),
    )


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
    version = markup.shown_with()
    for i in range(0, len(ids), REFRESH_BATCH):
        batch = ids[i : i + REFRESH_BATCH]
        _ensure_rows(session, batch, now)
        session.commit()
        claim = select(
            CaseloadSummary.patient_id, CaseloadSummary.source, CaseloadSummary.shown_with
        ).where(CaseloadSummary.patient_id.in_(batch))
        if session.get_bind().dialect.name == "postgresql":
            claim = claim.with_for_update(skip_locked=True)
        kept = {pid: (source, shown_with) for pid, source, shown_with in session.execute(claim)}
        people = list(session.scalars(select(User).where(User.id.in_(list(kept)))))
        sources = _sources(session, people, now)
        stale = [p for p in people if kept[p.id][0] != sources[p.id]]
        fresh = compute_summaries(session, stale, now) if stale else {}
        store_summaries(session, {pid: (sources[pid], row) for pid, row in fresh.items()}, now)
        # Fresh summaries whose markup older templates or words made: rendered again.
        unrendered = {
            p.id: sources[p.id]
            for p in people
            if kept[p.id][0] == sources[p.id] and kept[p.id][1] != version
        }
        if unrendered:
            who = {p.id: (p.display_name, p.email, p.timezone) for p in people}
            render_again(session, unrendered, who)
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


def _source_columns() -> tuple[Any, Any, Any]:
    """What a person's summary is computed from, as columns of a select from users.

    The latest entry change (updated_at is set when an entry is made, changed or deleted: one
    index lookup a person), the latest programme change and the number of items.
    """
    return (
        select(func.max(Entry.updated_at)).where(Entry.user_id == User.id).scalar_subquery(),
        select(func.max(ProgrammeItem.updated_at))
        .where(ProgrammeItem.patient_id == User.id)
        .scalar_subquery(),
        select(func.count(ProgrammeItem.id))
        .where(ProgrammeItem.patient_id == User.id)
        .scalar_subquery(),
    )


# Each load asks for every linked person's key, and most are the same as on the last load:
# kept, they cost a dictionary lookup rather than formatting and hashing (about 2 µs a
# person). Bounded: some hundred bytes an entry.
@lru_cache(maxsize=20_000)
def _source_key(
    today: date, tz: str, entries: datetime | None, items: datetime | None, count: int
) -> str:
    """A person's summary's source as stored: those columns with their local day and zone."""
    key = f"{SUMMARY_VERSION}|{today}|{tz}|{entries}|{items}|{count}"
    return hashlib.sha256(key.encode()).hexdigest()


def _sources(session: Session, patients: Sequence[User], now: datetime) -> dict[int, str]:
    """What each person's summary is computed from, as a key, in one query."""
    state = {
        user_id: (entries, items, count)
        for user_id, entries, items, count in session.execute(
            select(User.id, *_source_columns()).where(User.id.in_([p.id for p in patients]))
        )
    }
    out = {}
    for p in patients:
        entries, items, count = state.get(p.id, (None, None, 0))
        out[p.id] = _source_key(local_today(p.timezone, now), p.timezone, entries, items, count)
    return out


def store_summaries(
    session: Session, fresh: Mapping[int, tuple[str, CaseloadRow]], now: datetime
) -> dict[int, dict[str, Any]]:
    """Store computed summaries with their sources and their rows as shown, replacing older
    ones, in one statement; return what was stored of each row as shown.

    An upsert: two requests (or a request and `flask reviews refresh`) computing the same
    person at once both write the same row, and neither fails.
    """
    if not fresh:
        return {}
    shown = {pid: shown_values(row) for pid, (_source, row) in fresh.items()}
    values = [
        {
            "patient_id": pid,
            "source": source,
            "summary": summary_to_json(row),
            "computed_at": now,
            **shown[pid],
        }
        for pid, (source, row) in fresh.items()
    ]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(CaseloadSummary)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CaseloadSummary.patient_id],
        set_={name: stmt.excluded[name] for name in values[0] if name != "patient_id"},
    )
    session.execute(stmt, values)
    return shown


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
