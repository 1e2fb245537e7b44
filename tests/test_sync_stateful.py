"""Three devices of one person, offline edits, a network that loses, repeats and reorders.

A Hypothesis state machine drives sync.py directly. The fault layer sits between the
devices and the server; it sees the server's true answers even when it drops them before
they reach a device, and replays every "applied" answer on an oracle: the log the server
should hold. After a final sync without faults, the server must equal the oracle and
every device must equal the server, and every entry created anywhere is there once.

A device may also push its whole outbox with the pull after it in the same transaction, as the
API's push that brings the pull does (its answer lost or not).

Issue 9's faults too: creates the server refuses (their answer may be lost: the device must
still learn of the refusal, never a silent one), a device that registers again and renumbers
its outbox (each change keeps its change_id: nothing may be applied twice, which the oracle
would see as the server differing from it), and an undo of a delete whose answer was lost (a
restore in the delete's place brings the entry back).

SYNC_EXAMPLES sets the number of examples (when CI=true 1,000 on SQLite and 300 on
PostgreSQL, else 100).
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
from sqlalchemy import delete, select

from rehab_app.core import sync
from rehab_app.extensions import db
from rehab_app.models import Entry, User
from tests.helpers.accounts import password_hash

IN_CI = os.environ.get("CI", "").lower() == "true"
DEVICES = 3
TRACKED = (
    "kind",
    "fatigue",
    "context",
    "reason",
    "aid",
    "setting",
    "distance_m",
    "note",
    "by_carer",
)
FAULTS = ("ok", "lose_request", "lose_response", "duplicate", "reorder", "crash")

notes = st.text(alphabet="abcdefghij ", min_size=1, max_size=8).map(lambda s: s.strip() or "x")
KIND_FIELDS = {
    "fatigue": {
        "fatigue": st.integers(0, 10),
        "context": st.sampled_from(["heat", "poor_sleep", None]),
    },
    "bad_day": {"reason": st.sampled_from(["fatigue", "heat", "relapse"])},
    "mobility": {
        "aid": st.sampled_from(["none", "one_stick", "frame"]),
        "setting": st.sampled_from(["indoors", "outdoors"]),
        "distance_m": st.integers(0, 5000) | st.none(),
    },
}
COMMON = {"note": notes | st.none(), "by_carer": st.booleans()}


def full_fields(kind: str, data: st.DataObject) -> dict[str, Any]:
    """Every field of a new entry of a kind."""
    fields = {name: data.draw(s) for name, s in {**KIND_FIELDS[kind], **COMMON}.items()}
    return {"kind": kind, **fields}


def changed_fields(kind: str, data: st.DataObject) -> dict[str, Any]:
    """One to three fields of an entry of a kind, with new values."""
    choices = {**KIND_FIELDS[kind], **COMMON}
    names = data.draw(
        st.lists(st.sampled_from(sorted(choices)), min_size=1, max_size=3, unique=True)
    )
    return {name: data.draw(choices[name]) for name in names}


def tracked(change: dict[str, Any]) -> dict[str, Any]:
    """The fields the machine compares, from a pulled change or an entry."""
    get = change.get if isinstance(change, dict) else lambda n: getattr(change, n, None)
    return {name: get(name) for name in TRACKED}


class Device:
    """An installed app: what it last pulled, its outbox, its cursor."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id
        self.next_mutation_id = 1
        self.shown = set()
        self.outbox: list[dict[str, Any]] = []
        self.pulled: dict[str, dict[str, Any]] = {}
        self.cursor = 0

    def local(self) -> dict[str, dict[str, Any]]:
        """What the person sees: the last pull with the outbox replayed on top."""
        view = {k: dict(v) for k, v in self.pulled.items()}
        for m in self.outbox:
            replay(view, m)
        return view

    shown: set[str]  # change ids whose refusal the person was shown

    def queue(self, op: str, entry: dict[str, Any]) -> dict[str, Any]:
        """Make a mutation offline, with its own change id."""
        mutation = {
            "id": self.next_mutation_id,
            "op": op,
            "entry": entry,
            "change_id": str(uuid.uuid4()),
        }
        self.outbox.append(mutation)
        self.next_mutation_id += 1
        return mutation

    def settle(self, results: list[dict[str, Any]]) -> None:
        """Drop from the outbox every mutation the server has settled (all but gaps)."""
        by_id = {m["id"]: m for m in self.outbox}
        for r in results:
            if r["status"] == "rejected" and r["mutation_id"] in by_id:
                self.shown.add(by_id[r["mutation_id"]]["change_id"])
        done = {r["mutation_id"] for r in results if r["status"] != "gap"}
        self.outbox = [m for m in self.outbox if m["id"] not in done]

    def register_again(self, client_id: str) -> None:
        """A new client: the outbox renumbered from 1, each change keeping its change id."""
        self.client_id = client_id
        for number, m in enumerate(self.outbox, start=1):
            m["id"] = number
        self.next_mutation_id = len(self.outbox) + 1
        self.pulled, self.cursor = {}, 0

    def undo_delete(self) -> str | None:
        """Undo the last delete still in the outbox: a restore of it, in its place."""
        for m in reversed(self.outbox):
            if m["op"] == "delete":
                m.update(op="restore", undoes=m["change_id"], change_id=str(uuid.uuid4()))
                m["resend"] = True
                return str(m["entry"]["id"])
        return None

    def take_page(self, page: dict[str, Any]) -> None:
        """Store a pulled page; forget outbox mutations the server had already applied."""
        for change in page["changes"]:
            if change["type"] != "entry":
                continue
            if change["deleted_at"] is not None:
                self.pulled.pop(change["id"], None)
            else:
                self.pulled[change["id"]] = tracked(change)
        self.cursor = page["cursor"]
        kept = []
        for m in self.outbox:
            if m["id"] > page["last_mutation_id"] or m.get("resend"):
                kept.append(m)
            elif m["op"] == "create" and m["entry"]["id"] not in self.pulled:
                # Decided, its answer lost, and not on the server: the app says so ("lost").
                self.shown.add(m["change_id"])
        self.outbox = kept


def replay(view: dict[str, dict[str, Any]], mutation: dict[str, Any]) -> None:
    """Apply a mutation to a view of entries, by the rules of docs/sync.md."""
    entry = mutation["entry"]
    entry_id = entry["id"]
    if mutation["op"] == "create":
        view.setdefault(entry_id, {n: entry.get(n) for n in TRACKED})
    elif mutation["op"] == "update":
        if entry_id in view:
            view[entry_id].update({k: v for k, v in entry.items() if k in TRACKED})
    elif mutation["op"] == "delete":
        view.pop(entry_id, None)


class SyncMachine(RuleBasedStateMachine):
    """Devices edit offline and sync through a faulty network; the server restarts."""

    def __init__(self) -> None:
        super().__init__()
        user = User(
            email=f"{uuid.uuid4().hex}@example.test",
            display_name="Sam Sync",
            role="patient",
            timezone="Europe/London",
            password_hash=password_hash(),
        )
        db.session.add(user)
        db.session.flush()
        self.user_id = user.id
        self.devices = [Device(sync.register_client(db.session, user).id) for _ in range(DEVICES)]
        db.session.commit()
        self.oracle: dict[str, dict[str, Any]] = {}  # the live entries the server should hold
        self.created: set[str] = set()
        self.made = 0
        self.deleted: set[str] = set()
        self.undone: set[str] = set()
        self.refused: dict[str, int] = {}  # change id of a refused create -> its device
        self.graveyard: dict[str, dict[str, Any]] = {}  # deleted entries, as they were
        self.applied: dict[str, int] = {}  # change id -> how often the server applied it
        self.send_change_ids = True
        self.when = datetime.now(UTC) - timedelta(hours=1)

    def new_id(self) -> str:
        """A fresh entry id, sorting in creation order so that examples replay the same."""
        self.made += 1
        return str(uuid.UUID(int=(self.made << 96) | uuid.uuid4().int >> 32))

    def user(self) -> User:
        """The person, loaded afresh (the server may have restarted)."""
        user = db.session.get(User, self.user_id)
        assert user is not None
        return user

    # ------------------------------------------------------------------ offline edits

    @rule(
        device=st.integers(0, DEVICES - 1),
        kind=st.sampled_from(sorted(KIND_FIELDS)),
        data=st.data(),
    )
    def create(self, device: int, kind: str, data: st.DataObject) -> None:
        entry_id = self.new_id()
        occurred = self.when.isoformat().replace("+00:00", "Z")
        self.devices[device].queue(
            "create", {"id": entry_id, "occurred_at": occurred, **full_fields(kind, data)}
        )
        self.created.add(entry_id)

    @rule(device=st.integers(0, DEVICES - 1))
    def create_refused(self, device: int) -> None:
        """A create the server refuses (a note over the limit)."""
        entry_id = self.new_id()
        occurred = self.when.isoformat().replace("+00:00", "Z")
        entry = {"id": entry_id, "occurred_at": occurred, "kind": "bad_day", "reason": "heat"}
        mutation = self.devices[device].queue("create", {**entry, "note": "x" * 1005})
        self.refused[mutation["change_id"]] = device

    @rule(device=st.integers(0, DEVICES - 1))
    def undo(self, device: int) -> None:
        entry_id = self.devices[device].undo_delete()
        if entry_id is not None:
            self.undone.add(entry_id)

    @rule(device=st.integers(0, DEVICES - 1))
    def register_again(self, device: int) -> None:
        """The server forgot the app, or the registration's answer was lost: a new client."""
        client = sync.register_client(db.session, self.user())
        db.session.commit()
        self.devices[device].register_again(client.id)

    @rule(device=st.integers(0, DEVICES - 1), data=st.data())
    def edit(self, device: int, data: st.DataObject) -> None:
        local = self.devices[device].local()
        if not local:
            return
        entry_id = data.draw(st.sampled_from(sorted(local)))
        self.devices[device].queue(
            "update", {"id": entry_id, **changed_fields(local[entry_id]["kind"], data)}
        )

    @rule(device=st.integers(0, DEVICES - 1), data=st.data())
    def remove(self, device: int, data: st.DataObject) -> None:
        local = self.devices[device].local()
        if not local:
            return
        entry_id = data.draw(st.sampled_from(sorted(local)))
        self.devices[device].queue("delete", {"id": entry_id})
        self.deleted.add(entry_id)

    # ------------------------------------------------------------------ the network

    def send(
        self,
        device: Device,
        batch: list[dict[str, Any]],
        commit: bool = True,
        before_commit: Callable[[], None] | None = None,
    ) -> list[dict[str, Any]]:
        """One push reaching the server; the oracle replays what it really applied.
        `before_commit` runs in the push's transaction, after its changes (a pull it brings)."""
        wire = [dict(m) for m in batch]
        if not self.send_change_ids:  # an app from before issue 9
            for m in wire:
                m.pop("change_id", None)
        results = sync.apply_mutations(db.session, self.user(), device.client_id, wire)
        if before_commit is not None:
            before_commit()
        if not commit:  # the server died before committing: nothing happened
            db.session.rollback()
            return results
        db.session.commit()
        sent = {m["id"]: m for m in batch}
        for result in results:
            if result["status"] != "applied" or result.get("repeated"):
                continue  # an outcome given again: nothing was done this time
            mutation = sent[result["mutation_id"]]
            self.applied[mutation["change_id"]] = self.applied.get(mutation["change_id"], 0) + 1
            entry_id = mutation["entry"]["id"]
            if mutation["op"] == "delete" and entry_id in self.oracle:
                self.graveyard[entry_id] = self.oracle[entry_id]
            if mutation["op"] == "restore":
                if entry_id not in self.oracle and entry_id in self.graveyard:
                    self.oracle[entry_id] = self.graveyard.pop(entry_id)
                continue
            replay(self.oracle, mutation)
        return results

    @rule(device=st.integers(0, DEVICES - 1), fault=st.sampled_from(FAULTS), data=st.data())
    def push(self, device: int, fault: str, data: st.DataObject) -> None:
        d = self.devices[device]
        if not d.outbox:
            return
        size = data.draw(st.integers(1, len(d.outbox)))
        batch = [dict(m) for m in d.outbox[:size]]
        if fault == "lose_request":
            return
        if fault == "lose_response":
            self.send(d, batch)
        elif fault == "crash":
            self.send(d, batch, commit=False)
        elif fault == "duplicate":
            d.settle(self.send(d, batch))
            d.settle(self.send(d, batch))
        elif fault == "reorder":
            random.Random(data.draw(st.integers(0, 2**16))).shuffle(batch)
            half = len(batch) // 2
            for part in (batch[half:], batch[:half]):
                if part:
                    d.settle(self.send(d, part))
        else:
            d.settle(self.send(d, batch))

    @rule(device=st.integers(0, DEVICES - 1), lose=st.booleans(), limit=st.integers(1, 4))
    def push_and_pull(self, device: int, lose: bool, limit: int) -> None:
        """The whole outbox in a push that brings the pull after it, read in the push's
        transaction (the API's, docs/sync.md "Push and pull in one"); its answer may be lost."""
        d = self.devices[device]
        pages: list[dict[str, Any]] = []

        def pull_in_the_push() -> None:
            pages.append(sync.pull_changes(db.session, self.user(), d.client_id, d.cursor, limit))

        results = self.send(d, [dict(m) for m in d.outbox], before_commit=pull_in_the_push)
        if not lose:
            d.settle(results)
            d.take_page(pages[0])

    @rule(device=st.integers(0, DEVICES - 1), lose=st.booleans(), limit=st.integers(1, 4))
    def pull(self, device: int, lose: bool, limit: int) -> None:
        d = self.devices[device]
        page = sync.pull_changes(db.session, self.user(), d.client_id, d.cursor, limit)
        db.session.commit()
        if not lose:
            d.take_page(page)

    @rule()
    def restart_server(self) -> None:
        db.session.remove()

    # ------------------------------------------------------------------ the end

    def teardown(self) -> None:
        try:
            self.sync_everyone()
            self.check()
        finally:
            db.session.rollback()
            db.session.execute(delete(User).where(User.id == self.user_id))
            db.session.commit()

    def sync_everyone(self) -> None:
        """Every device pushes its whole outbox, then every device pulls everything."""
        for d in self.devices:
            for _ in range(3):
                if d.outbox:
                    d.settle(self.send(d, list(d.outbox)))
            assert d.outbox == [], "a mutation was never settled (a stuck outbox)"
        for d in self.devices:
            more = True
            while more:
                page = sync.pull_changes(db.session, self.user(), d.client_id, d.cursor, 5)
                d.take_page(page)
                more = page["more"]
        db.session.commit()

    def check(self) -> None:
        db.session.expire_all()
        rows = db.session.scalars(select(Entry).where(Entry.user_id == self.user_id)).all()
        server = {e.id: tracked(e) for e in rows if e.deleted_at is None}
        assert server == self.oracle, "the server did not do what it answered"
        for n, d in enumerate(self.devices):
            assert d.local() == server, f"device {n} differs from the server"
        # Every entry created anywhere is on the server, once; alive unless someone deleted it.
        assert sorted(e.id for e in rows) == sorted(self.created)
        assert self.created - self.deleted <= set(server)
        assert not (self.deleted - self.undone) & set(server)
        twice = [c for c, n in self.applied.items() if n > 1]
        assert not twice, f"{len(twice)} changes applied twice"
        # No silent rejection: every refused create was shown on the device that made it.
        silent = [c for c, n in self.refused.items() if c not in self.devices[n].shown]
        assert not silent, f"{len(silent)} refusals never shown"


def examples() -> int:
    """How many schedules: SYNC_EXAMPLES, or issue 9's counts in CI, or 100."""
    if "SYNC_EXAMPLES" in os.environ:
        return int(os.environ["SYNC_EXAMPLES"])
    if not IN_CI:
        return 100
    return 1000 if db.engine.dialect.name == "sqlite" else 300


def test_devices_converge_through_a_faulty_network(app: Flask) -> None:
    """Three devices, random offline edits, lost, repeated and reordered requests, refused
    creates, re-registrations and undone deletes: nothing lost, doubled, hidden or stuck."""
    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=examples(),
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


@pytest.mark.parametrize("seed", [1])
def test_the_oracle_can_fail(app: Flask, seed: int) -> None:
    """A server that replays a duplicate is caught: the check is not vacuous."""
    machine = SyncMachine()
    try:
        d = machine.devices[0]
        entry_id = str(uuid.uuid4())
        occurred = machine.when.isoformat().replace("+00:00", "Z")
        d.queue(
            "create", {"id": entry_id, "occurred_at": occurred, "kind": "fatigue", "fatigue": 1}
        )
        machine.created.add(entry_id)
        d.settle(machine.send(d, list(d.outbox)))
        # Change the server behind the oracle's back, as a double-applied edit would.
        db.session.get(Entry, entry_id).fatigue = 9  # type: ignore[union-attr]
        db.session.commit()
        machine.sync_everyone()
        with pytest.raises(AssertionError, match="did not do what it answered"):
            machine.check()
    finally:
        db.session.execute(delete(User).where(User.id == machine.user_id))
        db.session.commit()


def test_the_check_catches_a_silent_rejection(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that answers a refused change's retry 'duplicate' (as before issue 9) is caught."""
    real_decide = sync.push._decide

    def forgetful(*args: Any) -> dict[str, Any]:
        result = real_decide(*args)
        if result.get("repeated") and result["status"] == "rejected":
            return {"mutation_id": result["mutation_id"], "status": "duplicate"}
        return result

    monkeypatch.setattr(sync.push, "_decide", forgetful)
    machine = SyncMachine()
    try:
        machine.create_refused(0)
        d = machine.devices[0]
        machine.send(d, list(d.outbox))  # the answer is lost on the way
        machine.sync_everyone()
        with pytest.raises(AssertionError, match="refusals never shown"):
            machine.check()
    finally:
        db.session.rollback()
        db.session.execute(delete(User).where(User.id == machine.user_id))
        db.session.commit()


def test_the_check_catches_a_change_applied_twice_after_a_registration(app: Flask) -> None:
    """Changes sent without their change id (an app from before issue 9) are known per client
    only: after a re-registration an update whose answer was lost is applied again, over a
    newer edit from another device. The check sees it."""
    machine = SyncMachine()
    machine.send_change_ids = False
    try:
        phone, tablet = machine.devices[0], machine.devices[1]
        entry_id = machine.new_id()
        occurred = machine.when.isoformat().replace("+00:00", "Z")
        entry = {"id": entry_id, "occurred_at": occurred, "kind": "fatigue", "fatigue": 1}
        phone.queue("create", entry)
        machine.created.add(entry_id)
        phone.settle(machine.send(phone, list(phone.outbox)))
        phone.queue("update", {"id": entry_id, "fatigue": 4})
        machine.send(phone, list(phone.outbox))  # applied, the answer lost
        tablet.queue("update", {"id": entry_id, "fatigue": 9})
        tablet.settle(machine.send(tablet, list(tablet.outbox)))
        machine.register_again(0)
        machine.sync_everyone()
        with pytest.raises(AssertionError, match=r"applied twice|did not do what it answered"):
            machine.check()
    finally:
        db.session.rollback()
        db.session.execute(delete(User).where(User.id == machine.user_id))
        db.session.commit()
