"""Installed apps: registering one, finding it, and locking it while its push is applied."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from rehab_app.models import (
    SyncClient,
    User,
    utcnow,
)

from .fields import _is_uuid
from .rules import MAX_CLIENTS, UnknownClient


def register_client(session: Session, user: User) -> SyncClient:
    """Register a new installed app for the user; it starts at mutation id 0.

    A person keeps at most MAX_CLIENTS; the ones seen longest ago are forgotten. Such an app,
    if it comes back, is answered `unknown_client` and registers again; its changes keep their
    change ids, so nothing is applied twice.
    """
    # Two registrations of one person at once: the second waits here for the first's commit,
    # so that it counts the first's app among those to keep (read before that commit and
    # deleted after it, that app was forgotten as soon as it was answered: seen on
    # PostgreSQL). On SQLite the write lock, which the insert takes, does it already.
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    client = SyncClient(id=str(uuid.uuid4()), user_id=user.id, last_mutation_id=0)
    session.add(client)
    session.flush()
    keep = select(SyncClient.id).where(SyncClient.user_id == user.id)
    keep = keep.order_by(SyncClient.last_seen_at.desc(), SyncClient.created_at.desc())
    kept = set(session.scalars(keep.limit(MAX_CLIENTS)).all()) | {client.id}
    session.execute(
        delete(SyncClient)
        .where(SyncClient.user_id == user.id, SyncClient.id.not_in(kept))
        .execution_options(synchronize_session=False)
    )
    return client


@dataclass(slots=True)
class Client:
    """A client as a push works with it: a row, not an ORM object (the push writes its
    progress itself, in one UPDATE at its end: `save_progress`)."""

    id: str
    last_mutation_id: int


_CLIENTS = cast(Table, SyncClient.__table__)

# Made once, with bound parameters: built for every push, a statement's construction and
# cache key cost more than running it (bench/README.md, Sync).
_READ = select(_CLIENTS.c.id, _CLIENTS.c.last_mutation_id).where(
    _CLIENTS.c.id == bindparam("client"), _CLIENTS.c.user_id == bindparam("person")
)

_LOCK = (
    update(_CLIENTS)
    .where(_CLIENTS.c.id == bindparam("client"), _CLIENTS.c.user_id == bindparam("person"))
    .values(last_seen_at=bindparam("now"))
    .returning(_CLIENTS.c.id, _CLIENTS.c.last_mutation_id)
)

_USERS = cast(Table, User.__table__)

# The same, with the person's row locked first (FOR UPDATE, in one round trip).
_LOCK_WITH_PERSON = (
    update(_CLIENTS)
    .where(
        _CLIENTS.c.id == bindparam("client"),
        _CLIENTS.c.user_id
        == select(_USERS.c.id)
        .where(_USERS.c.id == bindparam("person"))
        .with_for_update()
        .scalar_subquery(),
    )
    .values(last_seen_at=bindparam("now"))
    .returning(_CLIENTS.c.id, _CLIENTS.c.last_mutation_id)
)

_PROGRESS = (
    update(_CLIENTS)
    .where(_CLIENTS.c.id == bindparam("client"))
    .values(last_mutation_id=bindparam("last"))
)

# The same, and noted as told to the app, as a pull notes it (only ever raised).
_PROGRESS_TOLD = _PROGRESS.values(
    pulled_mutation_id=case(
        (_CLIENTS.c.pulled_mutation_id < bindparam("last"), bindparam("last")),
        else_=_CLIENTS.c.pulled_mutation_id,
    )
)


def get_client(session: Session, user: User, client_id: object) -> Client:
    """The user's client with that id, read without a lock, or UnknownClient (for a
    stranger's id too)."""
    return _one(session, _READ, user, client_id, {})


def _lock_client(session: Session, user: User, client_id: object) -> Client:
    """The client, its row locked for the rest of the transaction, its values fresh.

    An UPDATE first: on PostgreSQL it locks the row, on SQLite it takes the write lock,
    so a second push of the same client waits and then sees the first one's progress.
    One statement: the row comes back with the UPDATE (RETURNING, both databases).
    """
    return _one(session, _LOCK, user, client_id, {"now": utcnow()})


def _lock_client_and_person(session: Session, user: User, client_id: object) -> Client:
    """As `_lock_client`, and on PostgreSQL the person's row locked first, in the same
    statement: a push of changes with change ids, which are once per person whatever client
    sends them, waits for another client's of the same person. (On SQLite the write lock,
    which the client's UPDATE takes, does it already.)"""
    if session.get_bind().dialect.name == "sqlite":
        return _lock_client(session, user, client_id)
    return _one(session, _LOCK_WITH_PERSON, user, client_id, {"now": utcnow()})


def _one(
    session: Session, statement: Any, user: User, client_id: object, params: dict[str, Any]
) -> Client:
    if not isinstance(client_id, str) or not _is_uuid(client_id):
        raise UnknownClient(client_id)
    # On the session's connection (its transaction): a Core statement needs none of the
    # ORM's work on the way (bench/README.md, Sync).
    row = (
        session.connection()
        .execute(statement, {"client": client_id, "person": user.id, **params})
        .first()
    )
    if row is None:
        raise UnknownClient(client_id)
    return Client(row.id, row.last_mutation_id)


def save_progress(connection: Connection, client: Client, *, told: bool = False) -> None:
    """Store the client's last applied mutation id (the caller commits it with the batch);
    `told`: and note it as told to the app, when a pull in the same transaction answers it
    (the pull then finds nothing new to note: pull.pull_changes)."""
    statement = _PROGRESS_TOLD if told else _PROGRESS
    connection.execute(statement, {"client": client.id, "last": client.last_mutation_id})
