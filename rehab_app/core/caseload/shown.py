"""The caseload as the page shows it: every linked person's stored row, kept fresh, in one query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session

from rehab_app.models import (
    AccessEvent,
    CareLink,
    CaseloadSummary,
    SyncClient,
    User,
    utcnow,
)

from ..timeutil import local_today, to_local
from . import markup
from .load import _matching, _source_columns, _source_key, compute_summaries, store_summaries
from .rows import ShownRow
from .stored import SHOWN_COLUMNS, render_again
from .summary import _silence
from .table import SHOWN_FLAGS

# The window of the therapist's caseload looks that record_caseload_views reads.
LOOK_DAYS = 2


def _rows_statement() -> Select[Any]:
    """The caseload's one query, built once (its parameters: therapist_id, looks_since)."""
    therapist_id: BindParameter[int] = bindparam("therapist_id", type_=Integer())
    # The therapist's latest caseload look at each person in the last LOOK_DAYS, from the
    # range of ix_access_events_therapist_what_at.
    looks = (
        select(AccessEvent.patient_id, func.max(AccessEvent.at).label("at"))
        .where(
            AccessEvent.therapist_id == therapist_id,
            AccessEvent.what == "caseload",
            AccessEvent.at >= bindparam("looks_since", type_=AccessEvent.at.type),
        )
        .group_by(AccessEvent.patient_id)
        .subquery()
    )
    return (
        select(
            User.id,
            User.display_name,
            User.email,
            User.timezone,
            *_source_columns(),
            select(func.max(SyncClient.last_seen_at))
            .where(SyncClient.user_id == User.id)
            .scalar_subquery(),
            looks.c.at,
            CaseloadSummary.source,
            CaseloadSummary.shown_with,
            *SHOWN_COLUMNS,
        )
        .join(CareLink, CareLink.patient_id == User.id)
        .outerjoin(CaseloadSummary, CaseloadSummary.patient_id == User.id)
        .outerjoin(looks, looks.c.patient_id == User.id)
        .where(CareLink.therapist_id == therapist_id, CareLink.revoked_at.is_(None))
    )


_ROWS = _rows_statement()


def caseload_rows(
    session: Session, therapist_id: int, query: str = "", now: datetime | None = None
) -> list[ShownRow]:
    """The therapist's linked patients matching a search, as the caseload shows them.

    One query reads each linked person, what their summary must have been computed from (as
    `_sources`: one index probe a person), their last sync, the therapist's latest look at
    them in the caseload and their stored row (the sort keys, and the markup stored with the
    summary). Whoever's summary is older than their data is recomputed from their entries
    and stored, so the page never shows a summary older than the person's latest entry;
    whoever's markup was made by other templates or words (markup.shown_with) is rendered
    again from their stored summary. When everything is fresh, that one query is all: no
    JSON is decoded and no template rendered a person.
    """
    now = now or utcnow()
    stmt = _ROWS if not query else _ROWS.where(_matching(query))
    params = {"therapist_id": therapist_id, "looks_since": now - timedelta(days=LOOK_DAYS)}
    version = markup.shown_with()
    days: dict[str, date] = {}  # each time zone's local day, worked out once
    read, stale, unrendered = [], {}, {}
    # Through the session's connection, as plain rows: the ORM's row loading cost about as
    # much again as reading them (bench/README.md).
    for row in session.connection().execute(stmt, params):
        pid, name, email, tz, entries, items, count, synced, looked, source, shown_with = row[:11]
        today = days.get(tz) or days.setdefault(tz, local_today(tz, now))
        key = _source_key(today, tz, entries, items, count)
        if source != key:
            stale[pid] = key
        elif shown_with != version:
            unrendered[pid] = key
        last = synced if entries is None or (synced is not None and synced > entries) else entries
        read.append(((pid, name, email, tz, today, last, looked), row[11:]))
    redone = {}
    if stale:
        users = list(session.scalars(select(User).where(User.id.in_(list(stale)))))
        fresh = compute_summaries(session, users, now)
        redone.update(
            store_summaries(session, {pid: (stale[pid], row) for pid, row in fresh.items()}, now)
        )
    if unrendered:
        who = {person[0]: person[1:4] for person, _stored in read}
        redone.update(render_again(session, unrendered, who))
    shown = []
    for person, stored in read:
        if person[0] in redone:
            stored = tuple(redone[person[0]][c.key] for c in SHOWN_COLUMNS)
        shown.append(_shown_row(*person, stored))
    return shown


def not_looked_at_today(rows: Sequence[ShownRow], now: datetime | None = None) -> list[ShownRow]:
    """The rows of the people the therapist has not yet looked at in the caseload today
    (their local day), as the latest look read with each row says.

    Only to spare access_log.record_caseload_views, which keeps the record and decides,
    those it would pass over anyway: on most loads, everyone. A load records all its looks
    at one time, so the rows share a few (look, time zone) pairs: each is worked out once.
    """
    now = now or utcnow()
    today_looks: dict[tuple[datetime, str], bool] = {}
    unseen = []
    for r in rows:
        if r.looked_at is None:
            unseen.append(r)
            continue
        key = (r.looked_at, r.timezone)
        if key not in today_looks:
            tz = r.timezone
            today_looks[key] = to_local(r.looked_at, tz).date() == local_today(tz, now)
        if not today_looks[key]:
            unseen.append(r)
    return unseen


def _shown_row(
    pid: int,
    name: str,
    email: str,
    tz: str,
    today: date,
    last_sync: datetime | None,
    looked_at: datetime | None,
    shown: Sequence[Any],
) -> ShownRow:
    """A stored row with who the person is and their activity, read live; and "nothing logged
    for N days" (which depends on the clock) after the stored reasons."""
    (week, month, fatigue, change, aid, aid_changes, falls, near_falls, reasons, slow) = shown[:10]
    cells, before, after = shown[10:]
    for flag in _silence(today, last_sync):
        if reasons < SHOWN_FLAGS:
            before += markup.reason_item(flag.kind, flag.text)
        else:
            after += markup.reason_item(flag.kind, flag.text)
        reasons += 1
    return ShownRow(
        pid,
        name,
        email,
        tz,
        last_sync,
        looked_at,
        week,
        month,
        fatigue,
        change,
        aid,
        aid_changes,
        falls,
        near_falls,
        reasons,
        slow,
        cells,
        before,
        after,
        max(0, reasons - SHOWN_FLAGS),
    )
