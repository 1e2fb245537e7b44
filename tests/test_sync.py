"""The sync protocol, called directly: exactly once, in order, conflicts and tombstones."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from rehab_app.core import entries as log
from rehab_app.core import sync
from rehab_app.core.timeutil import local_now, local_today
from rehab_app.extensions import db
from rehab_app.models import Entry, ProgrammeItem, SyncClient, User
from tests.helpers.accounts import make_user


def iso(when: datetime) -> str:
    """A UTC time as the API sends it."""
    return when.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def create(n: int, entry_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A create mutation of a fatigue rating."""
    entry = {"id": entry_id or str(uuid.uuid4()), "kind": "fatigue", "occurred_at": iso(NOW)}
    entry.update({"fatigue": 5, **fields})
    return {"id": n, "op": "create", "entry": entry}


def edit(n: int, entry_id: str, **fields: Any) -> dict[str, Any]:
    """An update mutation carrying only the changed fields."""
    return {"id": n, "op": "update", "entry": {"id": entry_id, **fields}}


def delete(n: int, entry_id: str) -> dict[str, Any]:
    """A delete mutation."""
    return {"id": n, "op": "delete", "entry": {"id": entry_id}}


@pytest.fixture
def user(app: Flask) -> User:
    """A patient."""
    return make_user("patient")


def push(user: User, client: SyncClient, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
    """Push and commit, as the API does."""
    results = sync.apply_mutations(db.session, user, client.id, list(mutations))
    db.session.commit()
    return results


def statuses(results: list[dict[str, Any]]) -> list[str]:
    """The status of each result."""
    return [r["status"] for r in results]


def live(user: User) -> dict[str, Entry]:
    """The user's live entries by id."""
    db.session.expire_all()
    rows = db.session.scalars(
        select(Entry).where(Entry.user_id == user.id, Entry.deleted_at.is_(None))
    )
    return {e.id: e for e in rows}


def pull_all(user: User, client: SyncClient, cursor: int = 0, limit: int = 100) -> list[dict]:
    """Every change after the cursor, page by page."""
    changes: list[dict] = []
    while True:
        page = sync.pull_changes(db.session, user, client.id, cursor, limit)
        changes += page["changes"]
        cursor = page["cursor"]
        if not page["more"]:
            return changes


def test_each_mutation_is_applied_once_and_a_resent_batch_changes_nothing(user: User) -> None:
    client = sync.register_client(db.session, user)
    batch = [create(1, fatigue=3), create(2, fatigue=4)]
    assert statuses(push(user, client, *batch)) == ["applied", "applied"]
    again = push(user, client, *batch)  # the answer was lost: the same outcome, done once
    assert statuses(again) == ["applied", "applied"]
    assert all(r["repeated"] for r in again)
    assert sorted(e.fatigue for e in live(user).values()) == [3, 4]
    assert db.session.get(SyncClient, client.id).last_mutation_id == 2


def test_a_mutation_after_a_gap_waits_for_the_missing_one(user: User) -> None:
    client = sync.register_client(db.session, user)
    first, second = create(1), create(2)
    assert statuses(push(user, client, second)) == ["gap"]
    assert live(user) == {}
    assert statuses(push(user, client, second, first)) == ["applied", "applied"]
    assert len(live(user)) == 2


def test_a_reordered_batch_is_applied_in_mutation_order(user: User) -> None:
    client = sync.register_client(db.session, user)
    entry_id = str(uuid.uuid4())
    batch = [
        edit(3, entry_id, fatigue=9),
        create(1, entry_id, fatigue=1),
        edit(2, entry_id, fatigue=2),
    ]
    assert statuses(push(user, client, *batch)) == ["applied"] * 3
    assert live(user)[entry_id].fatigue == 9


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"fatigue": 11}, "fatigue"),
        ({"fatigue": "5"}, "fatigue"),
        ({"fatigue": True}, "fatigue"),
        ({"fatigue": None}, "fatigue"),
        ({"context": "boredom"}, "context"),
        ({"note": "x" * 1001}, "note"),
        ({"note": "bad\x00byte"}, "note"),
        ({"occurred_at": iso(NOW + timedelta(hours=2))}, "occurred_at"),
        ({"occurred_at": iso(NOW - timedelta(days=6 * 366))}, "occurred_at"),
        ({"occurred_at": "2026-01-01T10:00:00"}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"by_carer": "yes"}, "by_carer"),
        ({"aid": "frame"}, "aid"),
        ({"kind": "dream"}, "kind"),
        ({"id": "not-a-uuid"}, "id"),
    ],
)
def test_an_invalid_mutation_is_rejected_and_blocks_nothing(
    user: User, fields: dict[str, Any], field: str
) -> None:
    client = sync.register_client(db.session, user)
    results = push(user, client, create(1, **fields), create(2, fatigue=7))
    assert results[0]["status"] == "rejected"
    assert results[0]["field"] == field and results[0]["code"] and results[0]["message"]
    assert results[1]["status"] == "applied"
    assert [e.fatigue for e in live(user).values()] == [7]
    assert db.session.get(SyncClient, client.id).last_mutation_id == 2


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("exercise", {"discipline": "physio", "name": "Sit to stand", "reps": 10, "effort": 4}),
        ("exercise", {"discipline": "slt", "exercise_id": 1}),
        ("mobility", {"aid": "one_stick", "setting": "outdoors", "distance_m": 200}),
        ("bad_day", {"reason": "relapse", "by_carer": True}),
        (
            "walk_test",
            {"trial_1_seconds": 8.44, "trial_2_seconds": 9, "aid": "none", "setting": "indoors"},
        ),
    ],
)
def test_every_kind_can_be_created(user: User, kind: str, fields: dict[str, Any]) -> None:
    client = sync.register_client(db.session, user)
    entry = {"id": str(uuid.uuid4()), "kind": kind, "occurred_at": iso(NOW), **fields}
    assert statuses(push(user, client, {"id": 1, "op": "create", "entry": entry})) == ["applied"]
    stored = live(user)[entry["id"]]
    # The day of the time it was logged at (NOW is set at import: the suite may cross midnight).
    assert stored.kind == kind and stored.local_date == local_today(user.timezone, NOW)
    if kind == "mobility":
        assert (stored.falls, stored.near_falls) == (0, 0)
    if kind == "walk_test":  # kept to a tenth, as the form keeps them
        assert (stored.trial_1_seconds, stored.trial_2_seconds) == (8.4, 9.0)
    if "exercise_id" in fields:  # as the form: the catalogue names the exercise and its therapy
        assert stored.name and stored.discipline == stored.exercise.discipline


WALK = {"trial_1_seconds": 8.4, "trial_2_seconds": 9.0, "aid": "none", "setting": "indoors"}


@pytest.mark.parametrize(
    ("kind", "fields", "field"),
    [
        ("exercise", {"discipline": "physio"}, "name"),
        ("exercise", {"discipline": "physio", "name": "x", "reps": 501}, "reps"),
        ("exercise", {"discipline": "physio", "exercise_id": 999999}, "exercise_id"),
        ("exercise", {"discipline": "physio", "name": "x" * 121}, "name"),
        ("mobility", {"aid": "one_stick"}, "setting"),
        ("mobility", {"aid": "one_stick", "setting": "indoors", "falls": 21}, "falls"),
        ("bad_day", {}, "reason"),
        ("bad_day", {"reason": "relapse", "fatigue": 3}, "fatigue"),
        ("walk_test", {**WALK, "trial_2_seconds": None}, "trial_2_seconds"),
        ("walk_test", {**WALK, "trial_1_seconds": 0}, "trial_1_seconds"),
        ("walk_test", {**WALK, "trial_1_seconds": 0.04}, "trial_1_seconds"),
        ("walk_test", {**WALK, "trial_1_seconds": -3}, "trial_1_seconds"),
        ("walk_test", {**WALK, "trial_2_seconds": 600.1}, "trial_2_seconds"),
        ("walk_test", {**WALK, "trial_2_seconds": "9.1"}, "trial_2_seconds"),
        ("walk_test", {**WALK, "trial_2_seconds": True}, "trial_2_seconds"),
        ("walk_test", {**WALK, "aid": None}, "aid"),
        ("walk_test", {**WALK, "setting": "garden"}, "setting"),
        ("walk_test", {**WALK, "falls": 1}, "falls"),
    ],
)
def test_the_forms_rules_apply_to_every_kind(
    user: User, kind: str, fields: dict[str, Any], field: str
) -> None:
    client = sync.register_client(db.session, user)
    entry = {"id": str(uuid.uuid4()), "kind": kind, "occurred_at": iso(NOW), **fields}
    [result] = push(user, client, {"id": 1, "op": "create", "entry": entry})
    assert (result["status"], result["field"]) == ("rejected", field)


def test_a_programme_item_of_someone_else_is_refused(user: User) -> None:
    other = make_user("patient")
    item = ProgrammeItem(
        patient_id=other.id, custom_name="Theirs", discipline="physio", start_date=NOW.date()
    )
    db.session.add(item)
    db.session.commit()
    client = sync.register_client(db.session, user)
    entry = {"id": str(uuid.uuid4()), "kind": "exercise", "occurred_at": iso(NOW)}
    entry |= {"discipline": "physio", "name": "Mine", "programme_item_id": item.id}
    [result] = push(user, client, {"id": 1, "op": "create", "entry": entry})
    assert (result["status"], result["field"]) == ("rejected", "programme_item_id")


def test_field_by_field_the_later_applied_change_wins(user: User) -> None:
    phone, tablet = sync.register_client(db.session, user), sync.register_client(db.session, user)
    entry_id = str(uuid.uuid4())
    push(user, phone, create(1, entry_id, fatigue=5, note="first"))
    push(user, tablet, edit(1, entry_id, note="from the tablet"))
    push(user, phone, edit(2, entry_id, fatigue=8))  # made offline before the tablet's edit
    entry = live(user)[entry_id]
    assert (entry.fatigue, entry.note) == (8, "from the tablet")
    push(user, phone, edit(3, entry_id, note="phone again"))
    assert live(user)[entry_id].note == "phone again"


def test_an_edit_of_an_entry_deleted_elsewhere_does_not_bring_it_back(user: User) -> None:
    phone, tablet = sync.register_client(db.session, user), sync.register_client(db.session, user)
    entry_id = str(uuid.uuid4())
    push(user, phone, create(1, entry_id))
    assert statuses(push(user, tablet, delete(1, entry_id))) == ["applied"]
    assert statuses(push(user, phone, edit(2, entry_id, fatigue=1), create(3))) == [
        "deleted",
        "applied",
    ]
    assert entry_id not in live(user) and len(live(user)) == 1
    assert statuses(push(user, tablet, create(2, entry_id))) == ["deleted"]
    assert entry_id not in live(user)


def test_a_create_of_an_existing_entry_is_idempotent(user: User) -> None:
    phone, tablet = sync.register_client(db.session, user), sync.register_client(db.session, user)
    entry_id = str(uuid.uuid4())
    push(user, phone, create(1, entry_id, fatigue=2))
    [result] = push(user, tablet, create(1, entry_id, fatigue=9))
    assert result["status"] == "applied" and result["created"] is False
    assert live(user)[entry_id].fatigue == 2


def test_another_persons_entry_id_is_refused_and_untouched(user: User) -> None:
    other = make_user("patient")
    theirs, _ = log.create_entry(
        db.session, other, "fatigue", {"fatigue": 6, "note": "theirs"}, local_now(other.timezone)
    )
    db.session.commit()
    client = sync.register_client(db.session, user)
    results = push(
        user,
        client,
        create(1, theirs.id),
        edit(2, theirs.id, note="mine now"),
        delete(3, theirs.id),
    )
    assert statuses(results) == ["rejected"] * 3
    assert {r["code"] for r in results} == {"id_taken"}
    db.session.expire_all()
    assert (theirs.note, theirs.deleted_at, theirs.user_id) == ("theirs", None, other.id)


def test_a_client_of_another_person_is_unknown(user: User) -> None:
    other = make_user("patient")
    theirs = sync.register_client(db.session, other)
    with pytest.raises(sync.UnknownClient):
        sync.apply_mutations(db.session, user, theirs.id, [create(1)])
    with pytest.raises(sync.UnknownClient):
        sync.pull_changes(db.session, user, theirs.id, 0, 10)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_pull_pages_through_every_change_once_in_order(user: User) -> None:
    client = sync.register_client(db.session, user)
    push(user, client, *(create(n, fatigue=n % 11) for n in range(1, 26)))
    pages = []
    cursor = 0
    while True:
        page = sync.pull_changes(db.session, user, client.id, cursor, 10)
        pages.append(len(page["changes"]))
        assert page["last_mutation_id"] == 25
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert pages == [10, 10, 5]
    changes = pull_all(user, client)
    seqs = [c["change_seq"] for c in changes]
    assert seqs == sorted(set(seqs)) and len(changes) == 25
    assert sync.pull_changes(db.session, user, client.id, cursor, 10)["changes"] == []


def test_a_delete_comes_as_a_tombstone_without_health_data(user: User) -> None:
    client = sync.register_client(db.session, user)
    entry_id = str(uuid.uuid4())
    push(user, client, create(1, entry_id, fatigue=9, note="private words", context="heat"))
    cursor = sync.pull_changes(db.session, user, client.id, 0, 10)["cursor"]
    push(user, client, delete(2, entry_id))
    [tombstone] = sync.pull_changes(db.session, user, client.id, cursor, 10)["changes"]
    assert set(tombstone) == {"type", "id", "kind", "deleted_at", "change_seq"}
    assert tombstone["id"] == entry_id and tombstone["deleted_at"]


def test_web_edits_and_programme_changes_reach_the_feed(user: User) -> None:
    client = sync.register_client(db.session, user)
    entry, _ = log.create_entry(
        db.session, user, "fatigue", {"fatigue": 4}, local_now(user.timezone)
    )
    db.session.commit()
    [change] = pull_all(user, client)
    cursor = change["change_seq"]
    log.update_entry(entry, {"fatigue": 7}, local_now(user.timezone), user.timezone)
    db.session.add(
        ProgrammeItem(
            patient_id=user.id,
            custom_name="Heel raises",
            discipline="physio",
            start_date=NOW.date(),
            reps=10,
        )
    )
    db.session.commit()
    changes = pull_all(user, client, cursor)
    assert sorted((c["type"], c.get("fatigue")) for c in changes) == [
        ("entry", 7),
        ("programme_item", None),
    ]
    [item] = [c for c in changes if c["type"] == "programme_item"]
    assert item["name"] == "Heel raises" and item["reps"] == 10
    assert all(c["change_seq"] > cursor for c in changes)


def test_an_unchanged_save_takes_no_new_change_number(user: User) -> None:
    entry, _ = log.create_entry(
        db.session, user, "fatigue", {"fatigue": 4}, local_now(user.timezone)
    )
    db.session.commit()
    before = entry.change_seq
    entry.fatigue = 4
    db.session.commit()
    assert entry.change_seq == before
