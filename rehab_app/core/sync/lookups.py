"""What deciding a change reads: from the database change by change, or loaded for a batch."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, inspect, select
from sqlalchemy.orm import Session

from rehab_app.models import (
    Entry,
    SyncClient,
    SyncOutcome,
    User,
    next_change_seqs,
    utcnow,
)

from ..entries import (
    MAX_ENTRIES_PER_DAY,
    DailyCapReached,
    check_daily_cap,
    day_count,
)
from ..validation import (
    normal_uuid,
)
from .fields import _is_uuid


class _OneByOne:
    """What deciding a change reads, straight from the database, one change at a time.

    The careful path: each change is applied in a savepoint of its own and flushed, so a
    change the database refuses is rejected alone.
    """

    bulk = False

    def __init__(
        self, session: Session, user: User, client: SyncClient, ordered: Sequence[dict[str, Any]]
    ) -> None:
        self.session, self.user, self.client = session, user, client

    def outcome_for_change(self, change_id: str) -> SyncOutcome | None:
        """The outcome of this person's change, if decided."""
        return self.session.scalar(
            select(SyncOutcome).where(
                SyncOutcome.user_id == self.user.id, SyncOutcome.change_id == change_id
            )
        )

    def outcome_for_mutation(self, mutation_id: int) -> SyncOutcome | None:
        """The latest outcome of this client's mutation id, if decided."""
        return self.session.scalar(
            select(SyncOutcome)
            .where(SyncOutcome.client_id == self.client.id, SyncOutcome.mutation_id == mutation_id)
            .order_by(SyncOutcome.id.desc())
            .limit(1)
        )

    def entry(self, entry_id: str) -> Entry | None:
        """The entry with this id, anyone's."""
        return self.session.get(Entry, entry_id)

    def check_day(self, day: date) -> None:
        """Raise DailyCapReached when one more entry does not fit on the person's day."""
        check_daily_cap(self.session, self.user.id, day)

    def decided(self, outcome: SyncOutcome) -> None:
        """A change was decided now: its outcome is to be stored."""
        self.session.add(outcome)

    def finish(self) -> None:
        """Every change of the batch is decided: write what is still to be written."""

    def created(self, entry: Entry) -> None:
        """An entry was made: it is written now, in the change's own savepoint."""
        self.session.add(entry)
        self.session.flush()

    def changed(self) -> None:
        """An entry was changed, deleted or restored."""


class _Batch(_OneByOne):
    """What a whole batch reads, loaded up front in a few queries and kept up to date."""

    bulk = True

    def __init__(
        self, session: Session, user: User, client: SyncClient, ordered: Sequence[dict[str, Any]]
    ) -> None:
        super().__init__(session, user, client, ordered)
        change_ids = set()
        entry_ids = set()
        for m in ordered:
            raw = m.get("change_id")
            if isinstance(raw, str) and _is_uuid(raw):
                change_ids.add(normal_uuid(raw))
            for key in ("undoes",):
                if isinstance(m.get(key), str) and _is_uuid(m[key]):
                    change_ids.add(normal_uuid(m[key]))
            data = m.get("entry")
            if isinstance(data, dict) and isinstance(data.get("id"), str) and _is_uuid(data["id"]):
                entry_ids.add(str(uuid.UUID(data["id"])))
        self.by_change: dict[str, SyncOutcome] = {}
        if change_ids:
            self.by_change = {
                o.change_id: o
                for o in session.scalars(
                    select(SyncOutcome).where(
                        SyncOutcome.user_id == user.id, SyncOutcome.change_id.in_(change_ids)
                    )
                )
                if o.change_id is not None
            }
        seen = [m["id"] for m in ordered if m["id"] <= client.last_mutation_id]
        self.by_mutation: dict[int, SyncOutcome] = {}
        if seen:
            for o in session.scalars(
                select(SyncOutcome)
                .where(SyncOutcome.client_id == client.id, SyncOutcome.mutation_id.in_(seen))
                .order_by(SyncOutcome.id)
            ):
                self.by_mutation[o.mutation_id] = o  # the latest wins
        self.entries: dict[str, Entry] = {}
        if entry_ids:
            self.entries = {
                e.id: e for e in session.scalars(select(Entry).where(Entry.id.in_(entry_ids)))
            }
        self.day_counts: dict[date, int] = {}
        self.outcomes: list[SyncOutcome] = []
        self.new: list[Entry] = []  # made by the batch, not in the session yet

    def outcome_for_change(self, change_id: str) -> SyncOutcome | None:
        return self.by_change.get(change_id)

    def outcome_for_mutation(self, mutation_id: int) -> SyncOutcome | None:
        return self.by_mutation.get(mutation_id)

    def entry(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)

    def check_day(self, day: date) -> None:
        if day not in self.day_counts:
            # Counted by the database once a day (autoflush brings in what this batch did).
            self.day_counts[day] = day_count(self.session, self.user.id, day)
        if self.day_counts[day] >= MAX_ENTRIES_PER_DAY:
            raise DailyCapReached(day)

    def decided(self, outcome: SyncOutcome) -> None:
        # Kept here, and written at the end in one statement (as ORM objects they would be
        # inserted one by one on SQLite, which must return each new id).
        if outcome.change_id is not None:
            self.by_change[outcome.change_id] = outcome
        self.by_mutation[outcome.mutation_id] = outcome
        self.outcomes.append(outcome)

    def finish(self) -> None:
        self.session.flush()  # the entries changed first
        now = utcnow()
        if self.new:
            rows = [_entry_row(entry, now) for entry in self.new]
            # Numbered as stamp_changes numbers what the ORM flushes: one counter update.
            for row, seq in zip(
                rows, next_change_seqs(self.session.connection(), len(rows)), strict=True
            ):
                row["change_seq"] = seq
            self.session.execute(insert(cast(Table, Entry.__table__)), rows)
            self.new.clear()
        if self.outcomes:
            self.session.execute(
                insert(cast(Table, SyncOutcome.__table__)),
                [
                    {
                        "user_id": o.user_id,
                        "client_id": o.client_id,
                        "mutation_id": o.mutation_id,
                        "change_id": o.change_id,
                        "op": o.op,
                        "fingerprint": o.fingerprint,
                        "result": o.result,
                        "decided_at": now,
                    }
                    for o in self.outcomes
                ],
            )

    def created(self, entry: Entry) -> None:
        # Kept out of the session and inserted in finish() with one statement, not flushed
        # object by object by the ORM (bench/README.md, Sync).
        self.entries[entry.id] = entry
        self.new.append(entry)
        self.day_counts[entry.local_date] = self.day_counts.get(entry.local_date, 0) + 1

    def changed(self) -> None:
        # An entry is changed, deleted or restored, maybe one this batch made: the entries made
        # so far become the session's (the ORM writes them, and the change, at the next flush),
        # and the days are counted again by the database, which the flush brings up to date.
        self.session.add_all(self.new)
        self.new.clear()
        self.day_counts.clear()


def _entry_row(entry: Entry, now: datetime) -> dict[str, Any]:
    """A new entry's row for a Core insert: every column, with the defaults the ORM would use
    (the time now for both timestamps), and the kind its class stands for."""
    mapper = inspect(entry).mapper
    # What was set, read from the object's own dict: through the ORM's attributes, reading 30
    # columns of each entry cost half as much as deciding it (a profile of 3,500 creates).
    given = entry.__dict__
    row: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        value = given.get(attr.key)
        if value is None and column.default is not None:
            value = now if column.name in ("created_at", "updated_at") else _default(column)
        row[column.key] = value
    row["kind"] = mapper.polymorphic_identity
    return row


def _default(column: Any) -> Any:
    default = column.default
    return default.arg if default.is_scalar else default.arg(None)
