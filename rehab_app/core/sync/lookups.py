"""What deciding a change reads: from the database change by change, or loaded for a batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    Table,
    insert,
    inspect,
    select,
)
from sqlalchemy.orm import Session

from rehab_app.models import (
    ENTRY_CLASSES,
    Entry,
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
    write_fields,
)
from .clients import Client
from .fields import uuid_text
from .probe import _days_around, _probe


@dataclass(frozen=True, slots=True)
class Outcome:
    """A decided change's outcome, as `sync_outcomes` keeps it (the person aside)."""

    client_id: str
    mutation_id: int
    change_id: str | None
    op: str
    fingerprint: str
    result: str  # the answer as JSON, without its mutation id


# The columns an Outcome is read from.
_OUTCOME_COLUMNS = (
    SyncOutcome.client_id,
    SyncOutcome.mutation_id,
    SyncOutcome.change_id,
    SyncOutcome.op,
    SyncOutcome.fingerprint,
    SyncOutcome.result,
)


class _OneByOne:
    """What deciding a change reads, straight from the database, one change at a time.

    The careful path: each change is applied in a savepoint of its own and flushed, so a
    change the database refuses is rejected alone.
    """

    bulk = False

    def __init__(
        self, session: Session, user: User, client: Client, ordered: Sequence[dict[str, Any]]
    ) -> None:
        self.session, self.user, self.client = session, user, client

    def outcome_for_change(self, change_id: str) -> Outcome | None:
        """The outcome of this person's change, if decided."""
        row = self.session.execute(
            select(*_OUTCOME_COLUMNS).where(
                SyncOutcome.user_id == self.user.id, SyncOutcome.change_id == change_id
            )
        ).first()
        return None if row is None else Outcome(*row)

    def outcome_for_mutation(self, mutation_id: int) -> Outcome | None:
        """The latest outcome of this client's mutation id, if decided."""
        row = self.session.execute(
            select(*_OUTCOME_COLUMNS)
            .where(SyncOutcome.client_id == self.client.id, SyncOutcome.mutation_id == mutation_id)
            .order_by(SyncOutcome.id.desc())
            .limit(1)
        ).first()
        return None if row is None else Outcome(*row)

    def entry(self, entry_id: str) -> Entry | None:
        """The entry with this id, anyone's."""
        return self.session.get(Entry, entry_id)

    def check_day(self, day: date) -> None:
        """Raise DailyCapReached when one more entry does not fit on the person's day."""
        check_daily_cap(self.session, self.user.id, day)

    def decided(self, outcome: Outcome) -> None:
        """A change was decided now: its outcome is to be stored."""
        self.session.add(SyncOutcome(user_id=self.user.id, **asdict(outcome)))

    def finish(self) -> None:
        """Every change of the batch is decided: write what is still to be written."""

    def create(self, kind: str, entry_id: str, fields: dict[str, Any], day: date) -> None:
        """Make an entry (its fields checked, its `day` not full): written now, in the change's
        own savepoint."""
        entry = ENTRY_CLASSES[kind](id=entry_id, user_id=self.user.id)
        write_fields(entry, fields, self.user.timezone)  # the same day, from the same time
        self.session.add(entry)
        self.session.flush()

    def changed(self) -> None:
        """An entry was changed, deleted or restored."""


class _Batch(_OneByOne):
    """What a whole batch reads, loaded up front in a few queries and kept up to date.

    The entries it makes are kept as rows, never ORM objects, and inserted in one statement at
    the end; its outcomes likewise. A create is the common change (a phone logging offline),
    and as objects they cost more than everything else the apply does (bench/README.md, Sync).
    """

    bulk = True

    def __init__(
        self, session: Session, user: User, client: Client, ordered: Sequence[dict[str, Any]]
    ) -> None:
        super().__init__(session, user, client, ordered)
        change_ids: set[str] = set()
        entry_ids: set[str] = set()
        written: set[str] = set()
        for m in ordered:
            for key in ("change_id", "undoes"):
                if (change_id := uuid_text(m.get(key))) is not None:
                    change_ids.add(change_id)
            data = m.get("entry")
            if not isinstance(data, dict):
                continue
            if (entry_id := uuid_text(data.get("id"))) is not None:
                entry_ids.add(entry_id)
            if m.get("op") == "create" and isinstance(data.get("occurred_at"), str):
                written.add(data["occurred_at"][:10])
        self.by_change: dict[str, Outcome] = {}
        self.entries: dict[str, Entry] = {}
        self.day_counts: dict[date, int] = {}
        # The batch's Core statements run on the session's connection (its transaction, or the
        # batch's savepoint: push_batch): none of the ORM's work on the way (bench/README.md).
        self.connection = session.connection()
        # One query first says which of the rest can find anything, and counts the days the
        # creates fall on: a push of new changes (the common one) reads nothing else.
        days = _days_around(written)
        found = _probe(self.connection, user, change_ids, entry_ids, days)
        if found["outcomes"]:
            for row in session.execute(
                select(*_OUTCOME_COLUMNS).where(
                    SyncOutcome.user_id == user.id, SyncOutcome.change_id.in_(change_ids)
                )
            ):
                self.by_change[row.change_id] = Outcome(*row)
        seen = [m["id"] for m in ordered if m["id"] <= client.last_mutation_id]
        self.by_mutation: dict[int, Outcome] = {}
        if seen:
            for row in session.execute(
                select(*_OUTCOME_COLUMNS)
                .where(SyncOutcome.client_id == client.id, SyncOutcome.mutation_id.in_(seen))
                .order_by(SyncOutcome.id)
            ):
                self.by_mutation[row.mutation_id] = Outcome(*row)  # the latest wins
        if found["entries"]:
            self.entries = {
                e.id: e for e in session.scalars(select(Entry).where(Entry.id.in_(entry_ids)))
            }
        if days:
            self.day_counts = {day: found["days"].get(day, 0) for day in days}
        self.outcomes: list[Outcome] = []
        self.new: dict[str, dict[str, Any]] = {}  # rows made by the batch, not written yet

    def outcome_for_change(self, change_id: str) -> Outcome | None:
        return self.by_change.get(change_id)

    def outcome_for_mutation(self, mutation_id: int) -> Outcome | None:
        return self.by_mutation.get(mutation_id)

    def entry(self, entry_id: str) -> Entry | None:
        if entry_id in self.new:
            # Made by this batch and sent again (a second create of the same id): an object
            # from here on, as an entry read from the database would be.
            self._as_objects()
        return self.entries.get(entry_id)

    def check_day(self, day: date) -> None:
        if day not in self.day_counts:
            # Counted by the database once a day (autoflush brings in what this batch did).
            self.day_counts[day] = day_count(self.session, self.user.id, day)
        if self.day_counts[day] >= MAX_ENTRIES_PER_DAY:
            raise DailyCapReached(day)

    def decided(self, outcome: Outcome) -> None:
        # Kept here, and written at the end in one statement (as ORM objects they would be
        # inserted one by one on SQLite, which must return each new id).
        if outcome.change_id is not None:
            self.by_change[outcome.change_id] = outcome
        self.by_mutation[outcome.mutation_id] = outcome
        self.outcomes.append(outcome)

    def finish(self) -> None:
        self.session.flush()  # the entries changed first
        connection = self.connection
        now = utcnow()
        if self.new:
            rows = list(self.new.values())
            # Numbered as stamp_changes numbers what the ORM flushes: one counter update.
            for row, seq in zip(rows, next_change_seqs(connection, len(rows)), strict=True):
                row["change_seq"] = seq
                row["created_at"] = row["updated_at"] = now
            # Only the columns a row sets (as the raw insert it is measured against): rows
            # setting the same ones go in one statement, so a batch of one kind is one insert.
            alike: dict[frozenset[str], list[dict[str, Any]]] = {}
            for row in rows:
                alike.setdefault(frozenset(row), []).append(row)
            for group in alike.values():
                connection.execute(_INSERT_ENTRIES, group)
            self.new.clear()
        if self.outcomes:
            user_id = self.user.id
            connection.execute(
                _INSERT_OUTCOMES,
                [
                    {
                        "user_id": user_id,
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

    def create(self, kind: str, entry_id: str, fields: dict[str, Any], day: date) -> None:
        # A row for a Core insert in finish(), not an object flushed by the ORM.
        row = _ENTRY_COLUMNS.row(kind, fields)
        row["id"], row["user_id"], row["local_date"] = entry_id, self.user.id, day
        self.new[entry_id] = row
        self.day_counts[day] = self.day_counts.get(day, 0) + 1

    def changed(self) -> None:
        # An entry is changed, deleted or restored, maybe one this batch made: the entries made
        # so far become the session's (the ORM writes them, and the change, at the next flush),
        # and the days are counted again by the database, which the flush brings up to date.
        self._as_objects()
        self.day_counts.clear()

    def _as_objects(self) -> None:
        """The rows made so far as entries of the session (written by its next flush)."""
        for entry_id, row in self.new.items():
            entry = _ENTRY_COLUMNS.entry(row)
            self.entries[entry_id] = entry
            self.session.add(entry)
        self.new.clear()


@dataclass(frozen=True)
class _EntryColumns:
    """An entry row's columns, with the defaults the ORM would give them."""

    defaults: dict[str, Any]  # column key: its default, for the columns that have one
    attributes: dict[str, str]  # column key: the attribute it is set through

    def row(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        """A new entry's row: the columns with a default, the fields given over them (a field
        sent as null keeps its column's default, as the ORM would; one without is left out,
        so null), and the kind. The id, person, day and timestamps are set by the caller."""
        row = dict(self.defaults)
        for name, value in fields.items():
            if value is not None:
                row[name] = value
        row["kind"] = kind
        return row

    def entry(self, row: dict[str, Any]) -> Entry:
        """The row as a new entry object (numbered and stamped when the ORM writes it)."""
        values = {
            self.attributes[key]: value
            for key, value in row.items()
            if key not in ("kind", "change_seq", "created_at", "updated_at")
        }
        return ENTRY_CLASSES[row["kind"]](**values)


def _entry_columns() -> _EntryColumns:
    mapper = inspect(Entry)
    defaults: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        if attr.key != column.key:  # fields are named by attribute, rows by column
            raise AssertionError(f"entry column {column.key!r} is set as {attr.key!r}")
        attributes[column.key] = attr.key
        default = column.default
        if default is None or column.key in ("id", "created_at", "updated_at"):
            continue  # none, or set for every row: given, or the time of the insert
        if default.is_scalar:
            defaults[column.key] = default.arg
        else:
            raise AssertionError(f"entry column {column.key!r}: a default to call per row")
    return _EntryColumns(defaults, attributes)


_ENTRY_COLUMNS = _entry_columns()


_INSERT_ENTRIES = insert(cast(Table, Entry.__table__))
_INSERT_OUTCOMES = insert(cast(Table, SyncOutcome.__table__))
