"""Sync: installed clients, remembered outcomes, and the change feed's sequence numbers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    bindparam,
    event,
    insert,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import (
    Mapped,
    Session,
    UOWTransaction,
    mapped_column,
)

from .base import Model
from .log import Entry, ProgrammeItem
from .people import new_id, utcnow


class SyncClient(Model):
    """An installed app (one browser on one device) that syncs one user's log."""

    __tablename__ = "sync_clients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The client's mutations are applied strictly in order: this is the last one applied.
    last_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The highest last_mutation_id a pull has answered this client: the app drops every change
    # up to it from its outbox, so it never asks for their outcomes again (sync.prune_outcomes).
    pulled_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


class SyncOutcome(Model):
    """What the server decided for one change a phone sent, so that a retry gets that answer.

    Kept per person by the change's own id (made on the phone, the same under any client id
    after a re-registration) and by client and mutation id (for changes sent without one). A
    retry of a rejected change is answered with its rejection, never a silent "duplicate", and
    a change already applied is never applied again (docs/sync.md, "Outcomes").
    """

    __tablename__ = "sync_outcomes"
    __table_args__ = (
        Index("ix_sync_outcomes_user_change", "user_id", "change_id", unique=True),
        Index("ix_sync_outcomes_client_mutation", "client_id", "mutation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # No foreign key: an outcome outlives the client that sent it (a re-registered phone
    # sends the same change again under its new client id).
    client_id: Mapped[str] = mapped_column(String(36))
    mutation_id: Mapped[int] = mapped_column(BigInteger)
    change_id: Mapped[str | None] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(10))
    # SHA-256 of the change as sent: the same id with other content is refused, not answered.
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text)  # the answer as JSON, without its mutation id
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ChangeCounter(Model):
    """One row (id 1): the last change sequence number handed out.

    A row rather than a database sequence: the UPDATE that takes numbers also locks the
    row until the transaction ends, so numbers become visible in the order they were
    handed out, and a reader whose cursor has passed a number never misses a change that
    commits later with a smaller one. SQLite serialises writers anyway.
    """

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


SYNCED_MODELS = (Entry, ProgrammeItem)


_TAKE_SEQS = (
    update(ChangeCounter)
    .where(ChangeCounter.id == 1)
    .values(value=ChangeCounter.value + bindparam("count"))
    .returning(ChangeCounter.value)
)


def next_change_seqs(connection: Connection, count: int) -> range:
    """Take `count` new change sequence numbers, holding the counter until commit."""
    last = connection.execute(_TAKE_SEQS, {"count": count}).scalar_one_or_none()
    if last is None:  # a database made without the migrations (the test suite's)
        connection.execute(insert(ChangeCounter).values(id=1, value=count))
        last = count
    return range(last - count + 1, last + 1)


@event.listens_for(Session, "before_flush")
def stamp_changes(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Give every new or changed entry and programme item a new change sequence number.

    The one place that feeds the sync change feed, whoever writes: the web forms, a
    therapist, the sync API or a CLI command.
    """
    changed = [
        obj
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, SYNCED_MODELS)
        and (obj in session.new or session.is_modified(obj, include_collections=False))
    ]
    if not changed:
        return
    for obj, seq in zip(changed, next_change_seqs(session.connection(), len(changed)), strict=True):
        obj.change_seq = seq
