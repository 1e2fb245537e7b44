"""Deciding one mutation: remembered outcomes, then create, update, delete or restore an entry."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from rehab_app.models import (
    ENTRY_CLASSES,
    Entry,
    User,
    utcnow,
)

from ..entries import (
    DailyCapReached,
    can_restore,
    delete_entry,
    local_date_of,
    restore_entry,
    write_fields,
)
from ..validation import (
    normal_uuid,
)
from .clients import Client
from .fields import clean_fields, uuid_text
from .lookups import Outcome, _OneByOne
from .rules import OPS, Rejection

logger = logging.getLogger(__name__)


ID_REUSED = Rejection(
    "id_reused", "This change's id was already used for another change. Nothing was done.", "id"
)

UNDONE_MESSAGE = "This delete was undone before it arrived: nothing was deleted."

UNDECIDABLE_MESSAGE = "The server could not take this change. Fix it or discard it."


def _decide(
    session: Session,
    user: User,
    client: Client,
    mutation: dict[str, Any],
    fingerprint: str,
    tombstone_days: int,
    look: _OneByOne,
) -> dict[str, Any]:
    """One mutation's answer: remembered, a gap, or decided now (and remembered)."""
    mutation_id = mutation["id"]
    last = client.last_mutation_id
    raw_change_id = mutation.get("change_id")
    change_id = uuid_text(raw_change_id)
    remembered = _remembered(look, client, mutation_id, change_id)
    if remembered is not None:
        if remembered.fingerprint != fingerprint:
            result = ID_REUSED.result(mutation_id)
        else:
            # The answer it had, marked as given before: nothing was done this time.
            result = {"mutation_id": mutation_id, **json.loads(remembered.result), "repeated": True}
        if mutation_id == last + 1:
            client.last_mutation_id = mutation_id
        return result
    if mutation_id <= last:
        if change_id is None:
            # Decided before outcomes were remembered (or sent without a change id).
            return {"mutation_id": mutation_id, "status": "duplicate"}
        # A new change in the place of one already decided (an undone delete, a change set
        # aside): its own id says it was never decided, so it is decided now.
    elif mutation_id != last + 1:
        return {"mutation_id": mutation_id, "status": "gap"}
    if raw_change_id is not None and change_id is None:
        result = Rejection("bad_change_id", "The change id must be a UUID.", "change_id").result(
            mutation_id
        )
    else:
        result = _decide_now(session, user, mutation, tombstone_days, look)
    if mutation.get("op") == "restore":
        _close_undone(user, client, mutation, look)
    outcome = Outcome(
        client_id=client.id,
        mutation_id=mutation_id,
        change_id=change_id,
        op=str(mutation.get("op"))[:10],
        fingerprint=fingerprint,
        result=json.dumps({k: v for k, v in result.items() if k != "mutation_id"}),
    )
    look.decided(outcome)
    if mutation_id > last:
        client.last_mutation_id = mutation_id
    return result


def _close_undone(user: User, client: Client, mutation: dict[str, Any], look: _OneByOne) -> None:
    """A restore came before the delete it undoes (that delete's push was held up on the way
    and overtaken): the delete is marked decided, so that it does nothing when it comes
    (docs/sync.md, "Restore"). Found by the front end's property tests (tests/js)."""
    undoes = mutation.get("undoes")
    undone = uuid_text(undoes)
    if undone is None or look.outcome_for_change(undone) is not None:
        return
    # No fingerprint matches "undone": the delete, when it comes, is answered id_reused.
    look.decided(
        Outcome(
            client_id=client.id,
            mutation_id=mutation["id"],
            change_id=undone,
            op="delete",
            fingerprint="undone",
            result=json.dumps({"status": "rejected", "code": "undone", "message": UNDONE_MESSAGE}),
        )
    )


def _remembered(
    look: _OneByOne, client: Client, mutation_id: int, change_id: str | None
) -> Outcome | None:
    if change_id is not None:
        return look.outcome_for_change(change_id)
    if mutation_id > client.last_mutation_id:
        return None
    return look.outcome_for_mutation(mutation_id)


def _decide_now(
    session: Session, user: User, mutation: dict[str, Any], tombstone_days: int, look: _OneByOne
) -> dict[str, Any]:
    """Apply one mutation, all of it or nothing; whatever it cannot decide is a rejection.

    In a batch (look.bulk) a rejection is raised before anything is changed, and anything else
    goes up to apply_mutations, which decides the batch again one change at a time.
    """
    mutation_id = mutation["id"]
    if look.bulk:
        try:
            return {
                "mutation_id": mutation_id,
                **_apply_one(session, user, mutation, tombstone_days, look),
            }
        except Rejection as rejection:
            return rejection.result(mutation_id)
    try:
        with session.begin_nested():
            return {
                "mutation_id": mutation_id,
                **_apply_one(session, user, mutation, tombstone_days, look),
            }
    except Rejection as rejection:
        return rejection.result(mutation_id)
    except (OperationalError, InterfaceError):
        raise  # the database is busy or away: the whole request again, or a clear 503
    except Exception as error:  # one change's content must never fail a push
        # The type only: the message may quote the person's note.
        logger.warning("A change could not be decided: %s", type(error).__name__)
        return Rejection("undecidable", UNDECIDABLE_MESSAGE).result(mutation_id)


# What json.dumps(sort_keys=True, ensure_ascii=True, default=str) would make, without making
# an encoder for each change: the fingerprints of outcomes already kept must not change.
_FINGERPRINT_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=True, default=str)


def _fingerprint(mutation: dict[str, Any]) -> str:
    """The change as sent, hashed: its op, its entry and what it undoes."""
    wire = {k: mutation.get(k) for k in ("op", "entry", "undoes")}
    try:
        text = _FINGERPRINT_JSON.encode(wire)
    except (ValueError, TypeError, RecursionError):
        text = repr(wire)[:100_000]
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _apply_one(
    session: Session, user: User, mutation: dict[str, Any], tombstone_days: int, look: _OneByOne
) -> dict[str, Any]:
    op = mutation.get("op")
    if op not in OPS:
        raise Rejection(
            "bad_op", "A change must be a create, an update, a delete or a restore.", "op"
        )
    data = mutation.get("entry")
    if not isinstance(data, dict):
        raise Rejection("bad_entry", "The change carries no entry.", "entry")
    entry_id = uuid_text(data.get("id"))
    if entry_id is None:
        raise Rejection("bad_id", "The entry id must be a UUID.", "id")
    existing = look.entry(entry_id)
    if existing is not None and existing.user_id != user.id:
        # Never touch, nor reveal, another person's entry.
        raise Rejection("id_taken", "This entry id is already in use. Make a new one.", "id")
    if existing is not None and data.get("kind", existing.kind) != existing.kind:
        raise Rejection("kind_changed", "An entry cannot change its kind.", "kind")

    if op == "create":
        if existing is not None:
            if existing.deleted_at is not None:
                return {"status": "deleted", "entry_id": entry_id}
            return {"status": "applied", "entry_id": entry_id, "created": False}
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in ENTRY_CLASSES:  # {} is unhashable
            raise Rejection("invalid", "Choose what kind of entry this is.", "kind")
        fields = clean_fields(session, user, kind, data, partial=False)
        day = local_date_of(fields["occurred_at"], user.timezone)
        try:
            look.check_day(day)
        except DailyCapReached as full:
            raise Rejection("too_many_entries", str(full), "occurred_at") from None
        look.create(kind, entry_id, fields, day)
        return {"status": "applied", "entry_id": entry_id, "created": True}

    if existing is None:
        raise Rejection("not_found", "This entry is not on the server.", "id")
    if op == "restore":
        look.changed()
        return _restore(existing, mutation.get("undoes"), tombstone_days, look)
    if existing.deleted_at is not None:
        # No resurrection: an edit made offline does not bring back a deleted entry.
        return {"status": "deleted", "entry_id": entry_id}
    if op == "delete":
        look.changed()
        delete_entry(existing)
        return {"status": "applied", "entry_id": entry_id}
    fields = clean_fields(session, user, existing.kind, data, partial=True, current=existing)
    look.changed()
    write_fields(existing, fields, user.timezone)
    existing.updated_at = utcnow()
    return {"status": "applied", "entry_id": entry_id}


def _restore(entry: Entry, undoes: object, tombstone_days: int, look: _OneByOne) -> dict[str, Any]:
    """Undo the delete this person sent as change `undoes`, if that delete was applied.

    An entry deleted by another change (on another phone, or a delete refused here) stays
    deleted; one that is not deleted needs nothing.
    """
    if entry.deleted_at is None:
        return {"status": "applied", "entry_id": entry.id}
    undone_id = normal_uuid(undoes) if isinstance(undoes, str) else None
    undone = None
    if undone_id is not None:
        undone = look.outcome_for_change(undone_id)
    if (
        undone is not None
        and undone.op == "delete"
        and json.loads(undone.result) == {"status": "applied", "entry_id": entry.id}
        and can_restore(entry, utcnow(), tombstone_days)
    ):
        restore_entry(entry)
        return {"status": "applied", "entry_id": entry.id}
    return {"status": "deleted", "entry_id": entry.id}
