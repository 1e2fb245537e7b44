"""Pull: changes after a cursor (entries and programme items), and pruning remembered outcomes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from typing import cast as typing_cast

from sqlalchemy import (
    Row,
    Select,
    String,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from rehab_app.models import (
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
from .fields import uuid_text
from .rules import DEFAULT_PULL_LIMIT, KIND_FIELDS, MAX_PULL_LIMIT, UnknownClient


def pull_changes(
    session: Session, user: User, client_id: object, cursor: int, limit: int = DEFAULT_PULL_LIMIT
) -> dict[str, Any]:
    """The user's changes after `cursor`, oldest first, at most `limit` of them; UnknownClient
    for an id that is not one of the user's clients.

    The cursor is the server's change sequence number of the last change the client
    has: never a device clock. Deleted entries come as tombstones without health data.
    The last_mutation_id answered is kept in the client's row as told (only ever raised; the
    caller commits): the app drops every change up to it from its outbox, so it will not ask
    for their outcomes again (prune_outcomes). A pull that tells nothing new writes nothing.
    """
    if not isinstance(client_id, str) or uuid_text(client_id) is None:
        raise UnknownClient(client_id)
    limit = max(1, min(limit, MAX_PULL_LIMIT))
    # The client and which changes come, from entries and programme items, in one statement:
    # one moment of the database, so that every number up to the last one read belongs to a
    # change read (read apart, an entry committed between the reads could fall behind an
    # item's number in the cursor; the change counter hands numbers out in commit order).
    # Core statements on the session's connection (its transaction): rows, not ORM objects,
    # and none of the ORM's work on the way (bench/README.md, Sync).
    connection = session.connection()
    found = connection.execute(
        _FEED, {"client": client_id, "person": user.id, "cursor": cursor, "limit": limit + 1}
    ).all()
    if not found:
        raise UnknownClient(client_id)
    last_mutation_id, pulled_mutation_id = found[0][0], found[0][1]
    feed = [row for row in found if row.feed_type is not None]
    page = feed[:limit]
    changes = _changes(session, user, page)
    if pulled_mutation_id < last_mutation_id:
        connection.execute(_NOTE_PULLED, {"client": client_id, "told": last_mutation_id})
    return {
        "changes": changes,
        "cursor": page[-1].feed_seq if page else cursor,
        "more": len(feed) > limit,
        "last_mutation_id": last_mutation_id,
    }


def _feed() -> Select[*tuple[Any, ...]]:
    """The client's progress, and the person's changes after a cursor: the type, id and change
    number of each (`feed_type`, `feed_id`, `feed_seq`), entries and programme items, at most
    `limit`, with an entry's columns under their own names (bound parameters `client`,
    `person`, `cursor`, `limit`). Made once: a statement built for each pull cost more than
    running it (bench/README.md, Sync)."""
    entries = (
        select(literal("entry").label("type"), Entry.id.label("id"), Entry.change_seq)
        .where(Entry.user_id == bindparam("person"), Entry.change_seq > bindparam("cursor"))
        .order_by(Entry.change_seq)
        .limit(bindparam("limit"))
        .subquery()
    )
    items = (
        select(
            literal("programme_item").label("type"),
            cast(ProgrammeItem.id, String).label("id"),
            ProgrammeItem.change_seq,
        )
        .where(
            ProgrammeItem.patient_id == bindparam("person"),
            ProgrammeItem.change_seq > bindparam("cursor"),
        )
        .order_by(ProgrammeItem.change_seq)
        .limit(bindparam("limit"))
        .subquery()
    )
    feed = union_all(select(entries), select(items)).subquery("feed")
    return (
        select(
            _CLIENT_TABLE.c.last_mutation_id,
            _CLIENT_TABLE.c.pulled_mutation_id,
            feed.c.type.label("feed_type"),
            feed.c.id.label("feed_id"),
            feed.c.change_seq.label("feed_seq"),
            # Each entry's row as it is at the change read, in the same moment (each column
            # under its attribute's name: lookups._entry_columns).
            *_ENTRY_TABLE.c,
        )
        .select_from(_CLIENT_TABLE)
        .outerjoin(feed, true())
        .outerjoin(
            _ENTRY_TABLE, and_(feed.c.type == literal("entry"), _ENTRY_TABLE.c.id == feed.c.id)
        )
        .where(
            _CLIENT_TABLE.c.id == bindparam("client"),
            _CLIENT_TABLE.c.user_id == bindparam("person"),
        )
        .order_by(feed.c.change_seq)
        .limit(bindparam("limit"))
    )


_ENTRY_TABLE = typing_cast(Table, Entry.__table__)
_CLIENT_TABLE = typing_cast(Table, SyncClient.__table__)

_FEED = _feed()

_ITEMS = select(ProgrammeItem).where(ProgrammeItem.id.in_(bindparam("ids", expanding=True)))

# Only ever raised: a pull answered before a later one never lowers it.
_NOTE_PULLED = (
    update(_CLIENT_TABLE)
    .where(
        _CLIENT_TABLE.c.id == bindparam("client"),
        _CLIENT_TABLE.c.pulled_mutation_id < bindparam("told"),
    )
    .values(pulled_mutation_id=bindparam("told"))
)


def _changes(session: Session, user: User, page: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    """The page's changes as the feed carries them: an entry as the feed read it, a programme
    item read again by id, so that one changed since comes as it is now (and once more next
    time: the cursor is the feed's)."""
    item_ids = [int(row.feed_id) for row in page if row.feed_type == "programme_item"]
    items: dict[str, ProgrammeItem] = {}
    if item_ids:
        for item in session.scalars(_ITEMS, {"ids": item_ids}):
            items[str(item.id)] = item
    changes = []
    for row in page:
        if row.feed_type == "entry":
            changes.append(entry_change(row))
        elif (kept := items.get(row.feed_id)) is not None:
            changes.append(programme_change(kept, user))
    return changes


def entry_change(entry: Entry | Row[Any]) -> dict[str, Any]:
    """An entry (an object, or its row) as the change feed carries it; a deleted one as a
    bare tombstone."""
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
