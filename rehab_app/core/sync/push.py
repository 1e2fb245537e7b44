"""Push: a client's mutations applied exactly once and in order, in one batch or one by one."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from rehab_app.models import User

from .clients import Client, _lock_client, _lock_client_and_person, save_progress
from .decide import ID_REUSED, _decide, _fingerprint
from .lookups import _Batch, _OneByOne
from .rules import DEFAULT_TOMBSTONE_DAYS, UnknownClient

logger = logging.getLogger(__name__)


def apply_mutations(
    session: Session,
    user: User,
    client_id: object,
    mutations: Sequence[dict[str, Any]],
    tombstone_days: int = DEFAULT_TOMBSTONE_DAYS,
) -> list[dict[str, Any]]:
    """Apply a batch of one client's mutations: each one's answer (see `push_batch`)."""
    return push_batch(session, user, client_id, mutations, tombstone_days)[0]


def push_batch(
    session: Session,
    user: User,
    client_id: object,
    mutations: Sequence[dict[str, Any]],
    tombstone_days: int = DEFAULT_TOMBSTONE_DAYS,
    *,
    own_transaction: bool = False,
    pull_follows: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    """Apply a batch of one client's mutations in mutation id order, each change once.

    Each mutation is answered: "applied"; "rejected" (invalid, or the server could not decide
    it: not applied, but it counts as done so it blocks nothing); "deleted" (the entry was
    deleted: an update or create does not bring it back); "gap" (an earlier id is missing:
    not applied, send again after it); "duplicate" only for a mutation id this client used
    before the server remembered outcomes. A mutation decided before (the same change id for
    this person, or the same client and mutation id) is answered with the outcome it had, and
    not applied again. Mutation ids must be integers (the API checks the shape). The caller
    commits. Also returned: the client's last applied mutation id after the batch (the API
    answers it; read here, since the session keeps no unchanged row once nothing holds it).

    `own_transaction`: the session's transaction is the push's alone (the sync API's request:
    nothing in it but reads before the push). A batch that fails is then undone by rolling
    the transaction back whole, and the client locked again, rather than by a savepoint around
    the batch: the savepoint, its release and their flushes were a tenth of a small sync's CPU
    on PostgreSQL (bench/README.md, Sync). Otherwise what the caller did before is kept.

    `pull_follows`: the caller answers a pull of this client in the same transaction, which
    tells the app the client's last applied mutation id; the progress the push writes notes
    it as told too (`save_progress`), so that the pull has nothing more to write.
    """
    person_id = user.id  # still known if a failed batch's rollback expires `user`
    client = _lock(session, user, client_id, mutations)
    ordered = sorted(mutations, key=lambda m: m["id"])
    applied_before = client.last_mutation_id
    # The whole batch at once: what it touches read in a few queries, written in one flush.
    # Anything but a rejection (a bug, a value the database refuses) undoes the batch's work,
    # and the batch is decided again one change at a time, each in a savepoint of its own, so
    # that one change's content never fails the others.
    try:
        with nullcontext() if own_transaction else session.begin_nested():
            results = _apply_all(session, user, client, ordered, tombstone_days, _Batch)
            _save(session, client, applied_before, pull_follows)
        return results, client.last_mutation_id
    except (OperationalError, InterfaceError):
        raise  # the database is busy or away: the whole request again, or a clear 503
    except Exception as error:  # decided again, change by change
        logger.warning("A batch is decided one change at a time: %s", type(error).__name__)
    if own_transaction:
        # The batch's work and the client's lock went with the transaction: the lock is taken
        # again and the client read afresh, as a request sent again would (another push of
        # this client may have been applied meanwhile; its changes are then answered with
        # their outcomes, not applied twice).
        session.rollback()
        if session.get(User, person_id) is None:
            raise UnknownClient()  # the account itself was deleted meanwhile
        client = _lock(session, user, client_id, mutations)
        applied_before = client.last_mutation_id
    else:
        client.last_mutation_id = applied_before  # the batch's progress was undone with it
    results = _apply_all(session, user, client, ordered, tombstone_days, _OneByOne)
    _save(session, client, applied_before, pull_follows)
    return results, client.last_mutation_id


def _lock(
    session: Session, user: User, client_id: object, mutations: Sequence[dict[str, Any]]
) -> Client:
    """Lock the client (and the person, when changes carry change ids) for the push."""
    if any(isinstance(m.get("change_id"), str) for m in mutations):
        # Changes are once per person, whatever client sends them: two clients of one person
        # deciding the same change wait for each other.
        return _lock_client_and_person(session, user, client_id)
    return _lock_client(session, user, client_id)


def _save(session: Session, client: Client, applied_before: int, told: bool) -> None:
    """Write what the ORM still holds (entries changed), then the client's progress if any."""
    session.flush()
    if client.last_mutation_id != applied_before:
        save_progress(session.connection(), client, told=told)


def _apply_all(
    session: Session,
    user: User,
    client: Client,
    ordered: Sequence[dict[str, Any]],
    tombstone_days: int,
    reader: type[_OneByOne],
) -> list[dict[str, Any]]:
    """Decide the mutations in id order, reading through `reader`."""
    look = reader(session, user, client, ordered)
    results = []
    in_batch: dict[int, tuple[str, dict[str, Any]]] = {}
    for mutation in ordered:
        mutation_id = mutation["id"]
        fingerprint = _fingerprint(mutation)
        if mutation_id in in_batch:
            # The same id twice in one push: the same change gets the same answer.
            earlier_fingerprint, earlier = in_batch[mutation_id]
            if fingerprint == earlier_fingerprint:
                results.append(earlier)
            else:
                results.append(ID_REUSED.result(mutation_id))
            continue
        result = _decide(session, user, client, mutation, fingerprint, tombstone_days, look)
        if result["status"] != "gap":
            in_batch[mutation_id] = (fingerprint, result)
        results.append(result)
    look.finish()
    return results
