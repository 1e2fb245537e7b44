"""Installed apps: registering one, finding it, and locking it while its push is applied."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, delete, select, update
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


def get_client(session: Session, user: User, client_id: object) -> SyncClient:
    """The user's client with that id, or UnknownClient (for a stranger's id too)."""
    if not isinstance(client_id, str) or not _is_uuid(client_id):
        raise UnknownClient(client_id)
    client = session.get(SyncClient, client_id)
    if client is None or client.user_id != user.id:
        raise UnknownClient(client_id)
    return client


_LOCK = (
    update(SyncClient)
    .where(SyncClient.id == bindparam("client"), SyncClient.user_id == bindparam("person"))
    .values(last_seen_at=bindparam("now"))
    .returning(SyncClient)
    .execution_options(synchronize_session=False, populate_existing=True)
)


def _lock_client(session: Session, user: User, client_id: object) -> SyncClient:
    """The client, its row locked for the rest of the transaction, its values fresh.

    An UPDATE first: on PostgreSQL it locks the row, on SQLite it takes the write lock,
    so a second push of the same client waits and then sees the first one's progress.
    """
    if not isinstance(client_id, str) or not _is_uuid(client_id):
        raise UnknownClient(client_id)
    # One statement: the row comes back with the UPDATE (RETURNING, both databases), its
    # values written over whatever the session held.
    client = session.scalars(
        _LOCK, {"client": client_id, "person": user.id, "now": utcnow()}
    ).one_or_none()
    if client is None:
        raise UnknownClient(client_id)
    return client
