"""The sync protocol: clients push mutations exactly once and in order, and pull changes.

No Flask here. The caller owns the transaction: it commits after `apply_mutations`, so
the entries changed and the client's last applied mutation id are stored together, or
neither is. See docs/sync.md for the protocol and its conflict rules.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from .entries import (
    MAX_ENTRIES_PER_DAY,
    DailyCapReached,
    can_restore,
    check_daily_cap,
    day_count,
    delete_entry,
    restore_entry,
)
from .models import (
    ENTRY_CLASSES,
    ChangeCounter,
    Entry,
    Exercise,
    ProgrammeItem,
    SyncClient,
    SyncOutcome,
    User,
    utcnow,
)
from .timeutil import to_local
from .validation import (
    BROKEN_TEXT_MESSAGE,
    CONTROL_CHARS_MESSAGE,
    PAST_MESSAGE,
    has_control_chars,
    has_lone_surrogates,
    normal_uuid,
    time_window_error,
)
from .vocab import (
    AIDS,
    BAD_DAY_REASONS,
    DISCIPLINES,
    DOSE_FIELDS,
    FATIGUE_CONTEXTS,
    LIMITS,
    NAME_MAX,
    NOTE_MAX,
    SETTINGS,
    WALK_SECONDS_MAX,
    WALK_SECONDS_MESSAGE,
    WALK_TRIALS,
)

logger = logging.getLogger(__name__)

MAX_MUTATIONS = 500
MAX_CLIENTS = 20  # installed apps kept per person (phones, tablets, browsers)
MAX_PULL_LIMIT = 500
DEFAULT_PULL_LIMIT = 100
MAX_MUTATION_ID = 2**62  # a BIGINT with room to spare
MAX_CURSOR = 10**18 - 1  # up to 18 digits, as the API reads a cursor

COMMON_FIELDS = ("occurred_at", "by_carer", "note")
# The fields a client may set, per kind, besides COMMON_FIELDS.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "exercise": (
        "discipline",
        "exercise_id",
        "programme_item_id",
        "name",
        *DOSE_FIELDS,
        "effort",
        "pain",
    ),
    "fatigue": ("fatigue", "context"),
    "mobility": ("aid", "setting", "distance_m", "minutes", "falls", "near_falls"),
    "bad_day": ("reason",),
    "walk_test": (*WALK_TRIALS, "aid", "setting"),
}
# Whole numbers and their upper bound (all start at 0).
NUMBER_LIMITS = {
    **{f: LIMITS[f] for f in (*DOSE_FIELDS, "falls", "near_falls")},
    **dict.fromkeys(("effort", "pain", "fatigue"), LIMITS["scale"]),
}
CHOICES: dict[str, dict[str, str]] = {
    "discipline": DISCIPLINES,
    "context": FATIGUE_CONTEXTS,
    "aid": AIDS,
    "setting": SETTINGS,
    "reason": BAD_DAY_REASONS,
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "exercise": ("discipline",),
    "fatigue": ("fatigue",),
    "mobility": ("aid", "setting"),
    "bad_day": ("reason",),
    "walk_test": (*WALK_TRIALS, "aid", "setting"),
}
# Fields a client may send back as it pulled them; the server keeps its own values.
READ_ONLY = ("local_date", "created_at", "updated_at", "deleted_at", "change_seq", "type")
OPS = ("create", "update", "delete", "restore")
DEFAULT_TOMBSTONE_DAYS = 30  # the TOMBSTONE_DAYS setting: how long a delete can be undone
# How long an outcome is kept at least (`flask sync prune`): far longer than any retry, and
# only once its app has been told by a pull that the change is decided (docs/sync.md).
OUTCOME_DAYS = 90


class UnknownClient(LookupError):
    """The client id is not one of this user's registered clients."""


@dataclass
class Rejection(Exception):
    """A mutation that cannot be applied as sent: shown to the person next to the entry."""

    code: str
    message: str
    field: str | None = None

    def result(self, mutation_id: int) -> dict[str, Any]:
        """The answer to the client for this mutation."""
        return {
            "mutation_id": mutation_id,
            "status": "rejected",
            "code": self.code,
            "message": self.message,
            "field": self.field,
        }


# ----------------------------------------------------------------------------- clients


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


def _lock_client(session: Session, user: User, client_id: object) -> SyncClient:
    """The client, its row locked for the rest of the transaction, its values fresh.

    An UPDATE first: on PostgreSQL it locks the row, on SQLite it takes the write lock,
    so a second push of the same client waits and then sees the first one's progress.
    """
    if not isinstance(client_id, str) or not _is_uuid(client_id):
        raise UnknownClient(client_id)
    touched = session.execute(
        update(SyncClient)
        .where(SyncClient.id == client_id, SyncClient.user_id == user.id)
        .values(last_seen_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if touched.rowcount != 1:  # type: ignore[attr-defined]
        raise UnknownClient(client_id)
    client = session.get(SyncClient, client_id, populate_existing=True)
    assert client is not None
    return client


# ----------------------------------------------------------------------------- push


def apply_mutations(
    session: Session,
    user: User,
    client_id: object,
    mutations: Sequence[dict[str, Any]],
    tombstone_days: int = DEFAULT_TOMBSTONE_DAYS,
) -> list[dict[str, Any]]:
    """Apply a batch of one client's mutations in mutation id order, each change once.

    Each mutation is answered: "applied"; "rejected" (invalid, or the server could not decide
    it: not applied, but it counts as done so it blocks nothing); "deleted" (the entry was
    deleted: an update or create does not bring it back); "gap" (an earlier id is missing:
    not applied, send again after it); "duplicate" only for a mutation id this client used
    before the server remembered outcomes. A mutation decided before (the same change id for
    this person, or the same client and mutation id) is answered with the outcome it had, and
    not applied again. Mutation ids must be integers (the API checks the shape). The caller
    commits.
    """
    client = _lock_client(session, user, client_id)
    if any(isinstance(m.get("change_id"), str) for m in mutations):
        # Changes are once per person, whatever client sends them: two clients of one person
        # deciding the same change wait for each other (SQLite's write lock does it already).
        session.execute(select(User.id).where(User.id == user.id).with_for_update())
    ordered = sorted(mutations, key=lambda m: m["id"])
    # The whole batch at once: what it touches read in a few queries, written in one flush.
    # Anything but a rejection (a bug, a value the database refuses) undoes the batch's work,
    # and the batch is decided again one change at a time, each in a savepoint of its own, so
    # that one change's content never fails the others.
    try:
        with session.begin_nested():
            results = _apply_all(session, user, client, ordered, tombstone_days, _Batch)
            session.flush()
        return results
    except (OperationalError, InterfaceError):
        raise  # the database is busy or away: the whole request again, or a clear 503
    except Exception as error:  # decided again, change by change
        logger.warning("A batch is decided one change at a time: %s", type(error).__name__)
    results = _apply_all(session, user, client, ordered, tombstone_days, _OneByOne)
    session.flush()
    return results


def _apply_all(
    session: Session,
    user: User,
    client: SyncClient,
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
        """An entry was made (added to the session)."""

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
        self.session.flush()  # the entries first
        if self.outcomes:
            now = utcnow()
            self.session.execute(
                insert(SyncOutcome),
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
        self.entries[entry.id] = entry
        self.day_counts[entry.local_date] = self.day_counts.get(entry.local_date, 0) + 1

    def changed(self) -> None:
        self.day_counts.clear()  # a delete, restore or move of day: count those days again


ID_REUSED = Rejection(
    "id_reused", "This change's id was already used for another change. Nothing was done.", "id"
)
UNDECIDABLE_MESSAGE = "The server could not take this change. Fix it or discard it."


def _decide(
    session: Session,
    user: User,
    client: SyncClient,
    mutation: dict[str, Any],
    fingerprint: str,
    tombstone_days: int,
    look: _OneByOne,
) -> dict[str, Any]:
    """One mutation's answer: remembered, a gap, or decided now (and remembered)."""
    mutation_id = mutation["id"]
    raw_change_id = mutation.get("change_id")
    change_id = None
    if isinstance(raw_change_id, str) and _is_uuid(raw_change_id):
        change_id = normal_uuid(raw_change_id)
    remembered = _remembered(look, client, mutation_id, change_id)
    if remembered is not None:
        if remembered.fingerprint != fingerprint:
            result = ID_REUSED.result(mutation_id)
        else:
            # The answer it had, marked as given before: nothing was done this time.
            result = {"mutation_id": mutation_id, **json.loads(remembered.result), "repeated": True}
        if mutation_id == client.last_mutation_id + 1:
            client.last_mutation_id = mutation_id
        return result
    if mutation_id <= client.last_mutation_id:
        if change_id is None:
            # Decided before outcomes were remembered (or sent without a change id).
            return {"mutation_id": mutation_id, "status": "duplicate"}
        # A new change in the place of one already decided (an undone delete, a change set
        # aside): its own id says it was never decided, so it is decided now.
    elif mutation_id != client.last_mutation_id + 1:
        return {"mutation_id": mutation_id, "status": "gap"}
    if raw_change_id is not None and change_id is None:
        result = Rejection("bad_change_id", "The change id must be a UUID.", "change_id").result(
            mutation_id
        )
    else:
        result = _decide_now(session, user, mutation, tombstone_days, look)
    outcome = SyncOutcome(
        user_id=user.id,
        client_id=client.id,
        mutation_id=mutation_id,
        change_id=change_id,
        op=str(mutation.get("op"))[:10],
        fingerprint=fingerprint,
        result=json.dumps({k: v for k, v in result.items() if k != "mutation_id"}),
    )
    look.decided(outcome)
    client.last_mutation_id = max(client.last_mutation_id, mutation_id)
    return result


def _remembered(
    look: _OneByOne, client: SyncClient, mutation_id: int, change_id: str | None
) -> SyncOutcome | None:
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


def _fingerprint(mutation: dict[str, Any]) -> str:
    """The change as sent, hashed: its op, its entry and what it undoes."""
    wire = {k: mutation.get(k) for k in ("op", "entry", "undoes")}
    try:
        text = json.dumps(wire, sort_keys=True, ensure_ascii=True, default=str)
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
    entry_id = data.get("id")
    if not isinstance(entry_id, str) or not _is_uuid(entry_id):
        raise Rejection("bad_id", "The entry id must be a UUID.", "id")
    entry_id = str(uuid.UUID(entry_id))
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
        entry = ENTRY_CLASSES[kind](id=entry_id, user_id=user.id)
        _set_fields(entry, fields, user)
        try:
            look.check_day(entry.local_date)
        except DailyCapReached as full:
            raise Rejection("too_many_entries", str(full), "occurred_at") from None
        session.add(entry)
        look.created(entry)
        if not look.bulk:
            session.flush()
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
    _set_fields(existing, fields, user)
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


def _set_fields(entry: Entry, fields: dict[str, Any], user: User) -> None:
    for name, value in fields.items():
        setattr(entry, name, value)
    if "occurred_at" in fields:
        entry.local_date = to_local(fields["occurred_at"], user.timezone).date()


# ----------------------------------------------------------------------------- validation


def clean_fields(
    session: Session,
    user: User,
    kind: str,
    data: dict[str, Any],
    partial: bool,
    current: Entry | None = None,
) -> dict[str, Any]:
    """The entry columns to set from a mutation's fields, checked as the web forms check them.

    A create must carry every required field; an update (partial) carries only the fields
    that changed, and the entry they make with the current values must still be valid.
    Raises Rejection with the first problem found.
    """
    allowed = set(COMMON_FIELDS) | set(KIND_FIELDS[kind])
    given = {k: v for k, v in data.items() if k not in ("id", "kind", *READ_ONLY)}
    for name in sorted(given):
        if name not in allowed:
            raise Rejection("unknown_field", f"A {kind} entry has no field {name!r}.", name)

    fields: dict[str, Any] = {}
    for name, value in given.items():
        fields[name] = _clean_value(name, value)
    if not partial:
        for name in allowed:
            fields.setdefault(name, None)
        if fields["occurred_at"] is None:
            raise Rejection("invalid", "Enter when it happened.", "occurred_at")
        fields["by_carer"] = bool(fields["by_carer"])
    if "by_carer" in fields and fields["by_carer"] is None:
        fields["by_carer"] = False
    if "occurred_at" in fields:
        if fields["occurred_at"] is None:
            raise Rejection("invalid", "Enter when it happened.", "occurred_at")
        error = time_window_error(fields["occurred_at"], utcnow())
        if error:
            raise Rejection("invalid", error, "occurred_at")

    def merged(name: str) -> Any:
        return fields[name] if name in fields else getattr(current, name, None)

    for name in REQUIRED[kind]:
        if merged(name) is None:
            raise Rejection("invalid", _REQUIRED_MESSAGES[name], name)
    if kind == "mobility":  # as the form: no count is a count of none
        for name in ("falls", "near_falls"):
            if name in fields and fields[name] is None:
                fields[name] = 0
            elif not partial:
                fields.setdefault(name, 0)
    if kind == "exercise":
        _clean_exercise(session, user, fields, merged)
    return fields


_REQUIRED_MESSAGES = {
    "discipline": "Choose the kind of therapy.",
    "fatigue": "Choose a number from 0 to 10.",
    "aid": "Choose an aid.",
    "setting": "Choose indoors or outdoors.",
    "reason": "Choose a reason.",
    "trial_1_seconds": "Time the first walk, or type its seconds.",
    "trial_2_seconds": "Time the second walk, or type its seconds.",
}


def _clean_exercise(session: Session, user: User, fields: dict[str, Any], value: Any) -> None:
    if fields.get("exercise_id") is not None:
        exercise = session.get(Exercise, fields["exercise_id"])
        if exercise is None:
            raise Rejection("invalid", "Choose one of the exercises offered.", "exercise_id")
        # As the form: a catalogue exercise names itself and belongs to one therapy.
        fields["name"] = exercise.name
        fields["discipline"] = exercise.discipline
    elif value("exercise_id") is None and not value("name"):
        raise Rejection("invalid", "Choose an exercise or type its name.", "name")
    if fields.get("programme_item_id") is not None:
        item = session.get(ProgrammeItem, fields["programme_item_id"])
        if item is None or item.patient_id != user.id:
            raise Rejection(
                "invalid", "That exercise is not in your programme.", "programme_item_id"
            )


def _clean_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "occurred_at":
        return _parse_time(value)
    if name == "by_carer":
        if not isinstance(value, bool):
            raise Rejection("invalid", "Say true or false.", name)
        return value
    if name in WALK_TRIALS:
        return walk_seconds(value, name)
    if name in NUMBER_LIMITS or name in ("exercise_id", "programme_item_id"):
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON has one number type: 7.0 is 7, as for mutation ids
        high = NUMBER_LIMITS.get(name, 2**31 - 1)
        low = 0 if name in NUMBER_LIMITS else 1
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Rejection("invalid", f"Enter a whole number from {low} to {high}.", name)
        return value
    if not isinstance(value, str):
        raise Rejection("invalid", "Enter text.", name)
    if has_control_chars(value):
        raise Rejection("invalid", CONTROL_CHARS_MESSAGE, name)
    if has_lone_surrogates(value):
        raise Rejection("invalid", BROKEN_TEXT_MESSAGE, name)
    value = value.strip()
    if name in CHOICES:
        if value not in CHOICES[name]:
            raise Rejection("invalid", "Choose one of the options.", name)
        return value or None  # the fatigue context "" is "nothing in particular"
    if name == "note":
        if len(value) > NOTE_MAX:
            raise Rejection("invalid", f"Keep the note under {NOTE_MAX} characters.", name)
        return value or None
    if name == "name":
        if len(value) > NAME_MAX:
            raise Rejection("invalid", f"Keep the name under {NAME_MAX} characters.", name)
        return value or None
    raise Rejection("unknown_field", f"No field {name!r}.", name)  # pragma: no cover


def walk_seconds(value: Any, name: str) -> float:
    """A walk trial's seconds, to a tenth: more than 0, at most WALK_SECONDS_MAX."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Rejection("invalid", WALK_SECONDS_MESSAGE, name)
    seconds = round(float(value), 1)
    if not 0 < seconds <= WALK_SECONDS_MAX:
        raise Rejection("invalid", WALK_SECONDS_MESSAGE, name)
    return seconds


def _parse_time(value: Any) -> datetime:
    """An ISO 8601 time with its offset ("2026-03-01T09:30:00Z"), as naive UTC."""
    if not isinstance(value, str):
        raise Rejection("invalid", "Enter when it happened.", "occurred_at")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Rejection("invalid", "Enter a date and time.", "occurred_at") from None
    if parsed.tzinfo is None:
        raise Rejection("invalid", "Give the time in UTC, ending in Z.", "occurred_at")
    try:
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before the year 1 in UTC
        raise Rejection("invalid", PAST_MESSAGE, "occurred_at") from None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return len(value) == 36


# ----------------------------------------------------------------------------- pull


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
    return change


def _iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


# ----------------------------------------------------------------------------- pruning


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
