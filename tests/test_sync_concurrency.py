"""Pushes that arrive at the same moment: each change once, in order, and no pull misses one.

Real threads send real requests, each in an app context and a database connection of its
own (as a threaded or multi-process server would), to the suite's database: SQLite by
default (one writer at a time, the others wait up to busy_timeout), PostgreSQL when
TEST_DATABASE_URL is set (row locks). The first push to reach its commit lingers there a
moment, holding whatever it has locked, so that the others always arrive mid-transaction.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from flask import Flask, has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from rehab_app import models
from rehab_app.core import sync
from rehab_app.extensions import db
from rehab_app.models import ChangeCounter, Entry, ProgrammeItem, SyncClient, User, utcnow
from tests.helpers.accounts import CsrfClient, People, login
from tests.helpers.api import NOW, PUSH, Device, device, register, together

LINGER = 0.4  # seconds the first push waits before it commits


@contextmanager
def first_push_lingers(until: threading.Event | None = None) -> Iterator[threading.Event]:
    """The first push to reach its commit waits there, its locks held; yields "it is waiting".

    It waits LINGER seconds, or, given `until`, until that is set (10 s at most): the tests
    that show what would go wrong without a lock play the order out rather than leave it to
    timing.
    """
    lock = threading.Lock()
    lingered: list[bool] = []
    waiting = threading.Event()

    def before_commit(session: Session) -> None:
        if not (has_request_context() and request.path == PUSH):
            return
        if session.in_nested_transaction():
            return  # one change's savepoint, not the push's commit
        with lock:
            first = not lingered
            lingered.append(True)
        if first:
            waiting.set()
            if until is None:
                time.sleep(LINGER)
            else:
                until.wait(10)

    event.listen(Session, "before_commit", before_commit)
    try:
        yield waiting
    finally:
        event.remove(Session, "before_commit", before_commit)


@pytest.fixture
def counter(app: Flask) -> None:
    """The change counter row, as the migrations make it (conftest's clear_data seeds it).

    Were it missing, two first changes at once would both try to create it, and that is not
    what is tested here.
    """
    assert db.session.get(ChangeCounter, 1) is not None


def fatigue_log(first: int, entry_ids: list[str], value: int) -> list[dict[str, Any]]:
    """Mutations numbered from `first`: create the entries (first is 1) or set their fatigue."""
    mutations = []
    for n, entry_id in enumerate(entry_ids):
        entry = {"id": entry_id, "fatigue": value}
        if first == 1:
            entry |= {"kind": "fatigue", "occurred_at": NOW}
        op = "create" if first == 1 else "update"
        mutations.append({"id": first + n, "op": op, "entry": entry})
    return mutations


def batch(entry_ids: list[str], rounds: int) -> list[dict[str, Any]]:
    """Create the entries at fatigue 1, then set them to 2, 3, ... one round at a time."""
    size = len(entry_ids)
    return [m for r in range(rounds) for m in fatigue_log(1 + r * size, entry_ids, r + 1)]


def applied_ids(*answers: dict[str, Any]) -> list[int]:
    """The mutation ids applied by the push that answered (not an outcome given again)."""
    results = [r for answer in answers for r in answer["results"]]
    return sorted(
        r["mutation_id"] for r in results if r["status"] == "applied" and not r.get("repeated")
    )


def stored(user: User) -> dict[str, Entry]:
    """The user's entries as committed, by id."""
    db.session.expire_all()
    return {e.id: e for e in db.session.scalars(select(Entry).where(Entry.user_id == user.id))}


def test_a_retry_racing_its_original_applies_each_change_once_in_order(
    app: Flask, people: People, counter: None
) -> None:
    """An outbox sent again mid-push gets no error, and each change is made once, in order."""
    phone = device(app, people.patient)
    retry = device(app, people.patient, client_id=phone.client_id)  # same app, new connection
    entry_ids = [str(uuid.uuid4()) for _ in range(8)]
    original, again = batch(entry_ids, rounds=2), batch(entry_ids, rounds=3)

    with first_push_lingers():
        answers = together(lambda: phone.push(original), lambda: retry.push(again))

    assert [status for status, _ in answers] == [200, 200], answers
    first, second = (answer for _, answer in answers)
    # Each of the 24 mutations applied by exactly one of the two pushes; the other answers
    # with the same outcome, given again.
    assert applied_ids(first, second) == list(range(1, 25))
    results = first["results"] + second["results"]
    assert {r["status"] for r in results} == {"applied"}
    assert sum(r.get("created", False) for r in results if not r.get("repeated")) == 8
    assert max(first["last_mutation_id"], second["last_mutation_id"]) == 24
    entries = stored(people.patient)
    assert sorted(entries) == sorted(entry_ids)
    assert {e.fatigue for e in entries.values()} == {3}  # the last change of each entry won
    client = db.session.get(SyncClient, phone.client_id)
    assert client is not None and client.last_mutation_id == 24


def missed_by(laptop: Device, user: User) -> dict[str, int]:
    """The user's entries the device has not seen at their latest change: id -> change_seq."""
    seqs = {e.id: e.change_seq for e in stored(user).values()}
    return {i: s for i, s in seqs.items() if laptop.seen.get(i) != s}


def test_two_devices_pushing_at_once_lose_nothing_and_a_pull_misses_nothing(
    app: Flask, people: People, counter: None
) -> None:
    """Phone and tablet syncing at once store all; a laptop pulling meanwhile misses nothing."""
    phone, tablet, laptop = (device(app, people.patient) for _ in range(3))
    phone_ids = [str(uuid.uuid4()) for _ in range(6)]
    tablet_ids = [str(uuid.uuid4()) for _ in range(6)]
    stop = threading.Event()

    with ThreadPoolExecutor(1) as pool, first_push_lingers():
        watching = pool.submit(laptop.pull_until, stop)  # an open app, pulling all along
        phone_answer, tablet_answer = together(
            lambda: phone.push(batch(phone_ids, rounds=2)),
            lambda: tablet.push(batch(tablet_ids, rounds=2)),
        )
        stop.set()
        watching.result(timeout=30)

    for status, answer in (phone_answer, tablet_answer):
        assert status == 200, answer
        assert [r["status"] for r in answer["results"]] == ["applied"] * 12
    entries = stored(people.patient)
    assert {e.fatigue for e in entries.values()} == {2}
    seqs = {e.id: e.change_seq for e in entries.values()}
    assert len(set(seqs.values())) == len(seqs) == 12  # every change its own number
    # The device that pulled all along has every entry, at its latest change.
    assert not missed_by(laptop, people.patient), f"pulled past {laptop.cursor}"
    # Why: one push's numbers all come before the other's. They are handed out a
    # transaction at a time, so they become visible in the order they were handed out.
    phone_seqs = sorted(seqs[i] for i in phone_ids)
    tablet_seqs = sorted(seqs[i] for i in tablet_ids)
    assert phone_seqs[-1] < tablet_seqs[0] or tablet_seqs[-1] < phone_seqs[0]


def test_a_pull_racing_two_commits_misses_neither(
    app: Flask, people: People, counter: None
) -> None:
    """A push and a therapist's edit committed amid one pull both reach the device's next pull."""
    item = ProgrammeItem(
        patient_id=people.patient.id,
        therapist_id=people.therapist.id,
        custom_name="Sit to stand",
        discipline="physio",
        reps=10,
        start_date=date.today(),
    )
    db.session.add(item)
    db.session.commit()
    phone, laptop = device(app, people.patient), device(app, people.patient)
    laptop.pull()  # up to date with the programme
    entry_id = str(uuid.uuid4())
    between, done = threading.Event(), threading.Event()

    def pause_before_programme_read(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.current_thread() is not threading.main_thread() and (
            "FROM programme_items" in statement and not between.is_set()
        ):
            between.set()
            assert done.wait(10), "the commits did not happen"

    event.listen(db.engine, "before_cursor_execute", pause_before_programme_read)
    try:
        with ThreadPoolExecutor(1) as pool:
            pulled = pool.submit(laptop.pull)
            assert between.wait(10), "the pull never read the programme"
            # Between the pull's two reads: the phone's push, then the therapist's edit.
            status, _ = phone.push(fatigue_log(1, [entry_id], 4))
            assert status == 200
            item.stopped_at = utcnow()
            db.session.commit()
            done.set()
            pulled.result(timeout=30)
    finally:
        event.remove(db.engine, "before_cursor_execute", pause_before_programme_read)
    laptop.pull_all()
    assert entry_id in laptop.seen, "the phone's entry was skipped for good"
    db.session.refresh(item)
    assert laptop.seen.get(item.id) == item.change_seq


# ----------------------------------------------------------------------------- can they fail?


def race_updates(app: Flask, people: People) -> list[tuple[int, dict[str, Any]]]:
    """Eight entries made, then their updates pushed and pushed again at the same moment."""
    phone = device(app, people.patient)
    retry = device(app, people.patient, client_id=phone.client_id)
    entry_ids = [str(uuid.uuid4()) for _ in range(8)]
    assert phone.push(fatigue_log(1, entry_ids, 1))[0] == 200
    with first_push_lingers():
        return together(
            lambda: phone.push(fatigue_log(9, entry_ids, 2)),
            lambda: retry.push(fatigue_log(9, entry_ids, 2) + fatigue_log(17, entry_ids, 3)),
        )


def test_a_retry_of_updates_racing_its_original_applies_each_once(
    app: Flask, people: People, counter: None
) -> None:
    """As the first test, with the entries made before: the race the lock is for."""
    answers = race_updates(app, people)
    assert [status for status, _ in answers] == [200, 200], answers
    assert applied_ids(*(a for _, a in answers)) == list(range(9, 25))
    assert {e.fatigue for e in stored(people.patient).values()} == {3}


def test_numbers_taken_like_a_sequence_would_let_a_pull_skip_a_change(
    app: Flask, people: People, counter: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above has teeth: numbers handed out as a sequence's would let the laptop skip.

    The order that shows it is played out, not left to timing: the phone's push takes its
    numbers and waits at its commit; the tablet's takes later ones and commits; the laptop
    pulls past them; then the phone's commit lands below the laptop's cursor. With the
    counter held until commit, the tablet could not have taken its numbers meanwhile.
    """
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite lets one writer in at a time: there is no lock to take away")
    take = models.changes.next_change_seqs

    def like_a_sequence(_connection: Any, count: int) -> range:
        with db.engine.begin() as own:  # committed at once, as nextval() is
            return take(own, count)

    monkeypatch.setattr(models.changes, "next_change_seqs", like_a_sequence)
    phone, tablet, laptop = (device(app, people.patient) for _ in range(3))
    phone_ids = [str(uuid.uuid4()) for _ in range(6)]
    pulled = threading.Event()

    with ThreadPoolExecutor(1) as pool, first_push_lingers(until=pulled) as phone_waits:
        phone_push = pool.submit(phone.push, batch(phone_ids, rounds=2))
        assert phone_waits.wait(10), "the phone's push never reached its commit"
        assert tablet.push(batch([str(uuid.uuid4()) for _ in range(6)], rounds=2))[0] == 200
        laptop.pull_all()
        pulled.set()
        assert phone_push.result(timeout=30)[0] == 200

    laptop.pull_all()
    assert set(missed_by(laptop, people.patient)) == set(phone_ids)


def test_without_the_client_lock_the_race_goes_wrong(
    app: Flask, people: People, counter: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retry tests have teeth: reading the client without locking it breaks the race.

    Played out in order: the push of updates waits at its commit until its retry has read
    the client (last mutation 8) and reached its first write. Shown with updates: two pushes
    of creates would meet on the entries' key, and the batch that loses is decided again one
    change at a time, reading the client afresh (so it recovers); updates meet no key.
    """
    if db.engine.dialect.name == "sqlite":
        pytest.skip("On SQLite a push begins with BEGIN IMMEDIATE: whole pushes take turns")
    monkeypatch.setattr(sync.push, "_lock_client", sync.get_client)
    phone = device(app, people.patient)
    retry = device(app, people.patient, client_id=phone.client_id)
    entry_ids = [str(uuid.uuid4()) for _ in range(8)]
    assert phone.push(fatigue_log(1, entry_ids, 1))[0] == 200
    retry_thread: list[int] = []
    retry_writes = threading.Event()

    def note_the_retry_writing(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.get_ident() in retry_thread and statement.lstrip().startswith("UPDATE"):
            retry_writes.set()

    def push_again() -> tuple[int, dict[str, Any]]:
        retry_thread.append(threading.get_ident())
        return retry.push(fatigue_log(9, entry_ids, 2) + fatigue_log(17, entry_ids, 3))

    event.listen(db.engine, "before_cursor_execute", note_the_retry_writing)
    try:
        with ThreadPoolExecutor(2) as pool, first_push_lingers(until=retry_writes) as waits:
            first = pool.submit(phone.push, fatigue_log(9, entry_ids, 2))
            assert waits.wait(10), "the push never reached its commit"
            second = pool.submit(push_again)
            answers = [first.result(timeout=30), second.result(timeout=30)]
    finally:
        event.remove(db.engine, "before_cursor_execute", note_the_retry_writing)
    assert retry_writes.is_set(), "the retry never wrote"
    statuses = [status for status, _ in answers]
    # Both read last_mutation_id 8 and apply the same updates: each is applied twice.
    assert statuses != [200, 200] or applied_ids(*(a for _, a in answers)) != list(range(9, 25))


def test_two_apps_registering_at_once_are_both_kept(app: Flask, people: People) -> None:
    """Seen in Chromium on PostgreSQL (a first login, three pages each registering the app): a
    pull answered 404 "unknown client" just after the client's registration was answered 201.
    A registration forgets the person's apps beyond MAX_CLIENTS: one that read which to keep
    before another's commit and deleted after it forgot that other, newly registered app. Here
    the second registration commits between the first's read and its delete."""
    first_thread: list[int] = []
    at_delete, second_done = threading.Event(), threading.Event()
    browsers = []
    for _ in range(2):
        browser: CsrfClient = app.test_client()  # type: ignore[assignment]
        login(browser, people.patient)
        browsers.append(browser)

    def before_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM SYNC_CLIENTS") and (
            threading.get_ident() in first_thread
        ):
            at_delete.set()
            second_done.wait(2)  # at most: with a lock, the second waits for this one

    def register_first() -> str:
        first_thread.append(threading.get_ident())
        return register(browsers[0])

    def register_second() -> str:
        at_delete.wait(5)
        try:
            return register(browsers[1])
        finally:
            second_done.set()

    event.listen(db.engine, "before_cursor_execute", before_execute)
    try:
        ids = together(register_first, register_second)
    finally:
        event.remove(db.engine, "before_cursor_execute", before_execute)
    db.session.expire_all()
    kept = db.session.scalars(
        select(SyncClient.id).where(SyncClient.user_id == people.patient.id)
    ).all()
    assert sorted(kept) == sorted(ids)
