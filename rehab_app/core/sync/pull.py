"""Pull: changes after a cursor (entries and programme items), and pruning remembered outcomes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from rehab_app.models import (
    ChangeCounter,
    Entry,
    ProgrammeItem,
    SyncClient,
    SyncOutcome,
    User,
    utcnow,
)

from ..entries import (
    lighter_doses,
)
from ..timeutil import to_local
from ..vocab import (
    DOSE_FIELDS,
)
from ..wording import dose_text
from .clients import get_client
from .rules import DEFAULT_PULL_LIMIT, KIND_FIELDS, MAX_PULL_LIMIT


def pull_changes(
    session: Session, user: User, client_id: str, cursor: int, limit: int = DEFAULT_PULL_LIMIT
) -> dict[str, Any]:
    """The user's changes after `cursor`, oldest first, at most `limit` of them.

    The cursor is the server's change sequence number of the last change the client
    has: never a device clock. Deleted entries come as tombstones without health data.
    """
    client = get_client(session, user, client_id)
    limit = max(1, min(limit, MAX_PULL_LIMIT))
    # Every number up to the counter's committed value belongs to a committed change. The
    # two reads below may each see a later moment; without this bound a change committed
    # between them could fall behind the cursor (an entry 41 missed, an item 42 read).
    last = session.scalar(select(ChangeCounter.value).where(ChangeCounter.id == 1)) or 0
    entries = session.scalars(
        select(Entry)
        .where(Entry.user_id == user.id, Entry.change_seq > cursor, Entry.change_seq <= last)
        .order_by(Entry.change_seq)
        .limit(limit + 1)
    ).all()
    items = session.scalars(
        select(ProgrammeItem)
        .where(
            ProgrammeItem.patient_id == user.id,
            ProgrammeItem.change_seq > cursor,
            ProgrammeItem.change_seq <= last,
        )
        .order_by(ProgrammeItem.change_seq)
        .limit(limit + 1)
    ).all()
    rows: list[Entry | ProgrammeItem] = sorted([*entries, *items], key=lambda r: r.change_seq)
    page = rows[:limit]
    changes = [entry_change(r) if isinstance(r, Entry) else programme_change(r, user) for r in page]
    return {
        "changes": changes,
        "cursor": page[-1].change_seq if page else cursor,
        "more": len(rows) > limit,
        "last_mutation_id": client.last_mutation_id,
    }


def entry_change(entry: Entry) -> dict[str, Any]:
    """An entry as the change feed carries it; a deleted one as a bare tombstone."""
    if entry.deleted_at is not None:
        return {
            "type": "entry",
            "id": entry.id,
            "kind": entry.kind,
            "deleted_at": _iso(entry.deleted_at),
            "change_seq": entry.change_seq,
        }
    change: dict[str, Any] = {
        "type": "entry",
        "id": entry.id,
        "kind": entry.kind,
        "change_seq": entry.change_seq,
        "deleted_at": None,
        "occurred_at": _iso(entry.occurred_at),
        "local_date": entry.local_date.isoformat(),
        "created_at": _iso(entry.created_at),
        "updated_at": _iso(entry.updated_at),
        "by_carer": entry.by_carer,
        "note": entry.note,
    }
    for name in KIND_FIELDS[entry.kind]:
        change[name] = getattr(entry, name)
    return change


PROGRAMME_FIELDS = ("exercise_id", "discipline", *DOSE_FIELDS, "days_per_week", "note")


def programme_change(item: ProgrammeItem, user: User) -> dict[str, Any]:
    """A programme item as the change feed carries it."""
    change: dict[str, Any] = {
        "type": "programme_item",
        "id": item.id,
        "change_seq": item.change_seq,
        "name": item.name,
        "start_date": _iso(item.start_date),
        "end_date": _iso(item.end_date),
        "stopped_at": _iso(item.stopped_at),
        "active": item.is_active_on(to_local(utcnow(), user.timezone).date()),
    }
    for name in PROGRAMME_FIELDS:
        change[name] = getattr(item, name)
    # Today's "Less today": each lighter version, in words and as the dose it logs.
    change["lighter"] = [
        {"key": key, "label": dose_text(SimpleNamespace(**dose)), "dose": dose}
        for key, dose in lighter_doses(item.dose())
    ]
    return change


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def note_pulled(session: Session, client: SyncClient, last_mutation_id: int) -> None:
    """Keep the last_mutation_id a pull answered the client (only ever raised; the caller
    commits). The app drops every change up to it from its outbox, so it will not ask for
    their outcomes again (prune_outcomes). A pull that tells nothing new writes nothing."""
    if client.pulled_mutation_id >= last_mutation_id:
        return
    session.execute(
        update(SyncClient)
        .where(SyncClient.id == client.id, SyncClient.pulled_mutation_id < last_mutation_id)
        .values(pulled_mutation_id=last_mutation_id)
        .execution_options(synchronize_session=False)
    )


def prune_outcomes(session: Session, before: datetime, batch: int = 1000) -> int:
    """Forget up to `batch` outcomes decided before `before` that no app can ask for again.

    An outcome goes only when the client it was decided for still exists and a pull has since
    answered it a `last_mutation_id` at or above the change's mutation id: that app has dropped
    the change from its outbox, so it never sends it again, under this client or a new one.
    Outcomes of an app that has not pulled since, and of a forgotten app (which may come back,
    register again and resend its changes by `change_id`), are kept. Returns how many went;
    the caller commits (and calls again until 0).
    """
    told = (
        select(SyncClient.id)
        .where(
            SyncClient.id == SyncOutcome.client_id,
            SyncClient.user_id == SyncOutcome.user_id,
            SyncClient.pulled_mutation_id >= SyncOutcome.mutation_id,
        )
        .exists()
    )
    ids = session.scalars(
        select(SyncOutcome.id).where(SyncOutcome.decided_at < before, told).limit(batch)
    ).all()
    if ids:
        session.execute(
            delete(SyncOutcome)
            .where(SyncOutcome.id.in_(ids))
            .execution_options(synchronize_session=False)
        )
    return len(ids)
