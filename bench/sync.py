"""Sync against references run in the same process (issue 14): `python -m bench.sync`.

- **Apply**: one person's phone pushes N fatigue ratings (each a create with a change id) in
  batches through the real API (the app's test client: routing, session, CSRF, JSON, apply,
  commit), against a raw bulk insert of the same rows for another person (Core `executemany`,
  one transaction a batch). Target: the API at least 0.25x the raw rows a second. The phone's
  part (its JSON, reading the answers) is done outside the clock, as the raw rows are made
  before theirs starts. `--clock cpu` times both by this process's CPU time (SQLite only).
- **A small sync**: what a phone sends after each entry, one push of that entry that also asks
  for the pull after it (docs/sync.md, "Push and pull in one"), against one request of the
  app's health check (`/healthz`), in CPU time of this process. Target: at most 4x. Timed in
  rounds, each a few small syncs then a few health checks, so that a machine busy with
  something else weighs on both alike: the figures are the medians of the rounds, the ratio
  the median of each round's own ratio. Beside it, as measured before the push brought the
  pull: the push and a pull of its own, against two health checks (a ratio a request).

Both databases: a SQLite file, or a fresh PostgreSQL database whose name starts with "bench".
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert
from werkzeug.test import TestResponse

from rehab_app.extensions import db
from rehab_app.models import Entry, User, utcnow
from rehab_app.web.auth.logins import hash_password

from .database import DEFAULT_PG_URL, create_schema, each_database, make_app
from .measure import CSRF_RE, logged_in

PASSWORD = "a long bench password"  # a throwaway account in a throwaway database
DAYS = 60  # entries spread over this many days: a person may log at most 200 a day

Clock = Callable[[], float]  # seconds: the wall clock, or this process's CPU time


@dataclass
class Result:
    """One database's figures."""

    database: str
    entries: int
    api_rows_s: float
    raw_rows_s: float
    small_ms: float  # one request: the push that brings the pull
    hello_ms: float  # one health check
    small_ratio: float  # the median of the rounds' ratios (cpu_side_by_side)
    pair_ms: float  # the push, then a pull of its own
    pair_ratio: float  # against two health checks

    @property
    def apply_ratio(self) -> float:
        return self.api_rows_s / self.raw_rows_s


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500, help="mutations a push")
    parser.add_argument("--small", type=int, default=300, help="small syncs (and health checks)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL.replace("bench_rehab", "bench_sync"))
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="time the apply and the raw insert by the wall clock, or by this process's CPU"
        " time (steadier on a busy machine; on SQLite only: PostgreSQL's work is another's)",
    )
    parser.add_argument(
        "--no-freeze",
        dest="freeze",
        action="store_false",
        help="leave the app's objects to the garbage collector (wsgi.py freezes them)",
    )
    return parser.parse_args(argv)


def person(app: Flask, email: str, password: str = PASSWORD) -> int:
    """A patient with `password`; their id."""
    with app.app_context():
        user = User(
            email=email,
            display_name="Bench Person",
            role="patient",
            timezone="Europe/London",
            password_hash=hash_password(password),
            email_confirmed_at=utcnow(),
        )
        db.session.add(user)
        db.session.commit()
        return user.id


def csrf(client: FlaskClient) -> str:
    """The session's CSRF token, from a page that carries it."""
    match = CSRF_RE.search(client.get("/today").get_data(as_text=True))
    if match is None:
        raise RuntimeError("no CSRF token on /today")
    return match.group(1)


def fatigue_rows(n: int, start: datetime) -> list[dict[str, Any]]:
    """n fatigue entries (the API's shape), spread over DAYS days before `start`."""
    per_day = -(-n // DAYS)
    rows = []
    for i in range(n):
        when = start - timedelta(days=i // per_day, seconds=i % per_day)
        rows.append(
            {
                "id": str(uuid.uuid4()),
                "kind": "fatigue",
                "occurred_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "fatigue": i % 11,
            }
        )
    return rows


class Phone:
    """A logged-in API client with a registered sync client."""

    def __init__(self, app: Flask, email: str) -> None:
        self.http = logged_in(app, email, PASSWORD)
        self.token = csrf(self.http)
        answer = self.post("/api/v1/clients", {})
        self.client_id = answer["client_id"]
        self.next_id = 1
        self.cursor = 0

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(path, json=body, headers={"X-CSRFToken": self.token})
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{path} answered {response.status_code}: {response.data[:200]!r}")
        answer: dict[str, Any] = response.get_json()
        return answer

    def body(self, entries: Sequence[dict[str, Any]]) -> bytes:
        """A push of these entries as the phone sends it: creates with new change ids, JSON."""
        mutations = []
        for entry in entries:
            mutations.append(
                {"id": self.next_id, "op": "create", "change_id": str(uuid.uuid4()), "entry": entry}
            )
            self.next_id += 1
        return json.dumps({"client_id": self.client_id, "mutations": mutations}).encode()

    def send(self, body: bytes) -> TestResponse:
        """Send a push made by `body`; the answer, unread."""
        return self.http.post(
            "/api/v1/sync/push",
            data=body,
            content_type="application/json",
            headers={"X-CSRFToken": self.token},
        )

    def push(self, entries: Sequence[dict[str, Any]]) -> None:
        applied(self.send(self.body(entries)))

    def push_and_pull(self, entries: Sequence[dict[str, Any]]) -> None:
        """A push that asks for the pull after it, as the app sends its outbox's last batch."""
        body = json.loads(self.body(entries))
        body["pull"] = {"cursor": self.cursor, "limit": 200}
        response = self.send(json.dumps(body).encode())
        applied(response)
        self.cursor = response.get_json()["pull"]["cursor"]

    def pull(self) -> None:
        query = f"client_id={self.client_id}&cursor={self.cursor}"
        response = self.http.get(f"/api/v1/sync/pull?{query}")
        if response.status_code != 200:
            raise RuntimeError(f"pull answered {response.status_code}")
        self.cursor = response.get_json()["cursor"]


def applied(response: TestResponse) -> None:
    """Raise unless the push was answered 200 with every change applied."""
    if response.status_code != 200:
        raise RuntimeError(f"push answered {response.status_code}: {response.data[:200]!r}")
    bad = [r for r in response.get_json()["results"] if r["status"] != "applied"]
    if bad:
        raise RuntimeError(f"not applied: {bad[:3]}")


def raw_insert(
    app: Flask, user_id: int, rows: Sequence[dict[str, Any]], batch: int, clock: Clock
) -> float:
    """Seconds to insert the same rows for another person with Core executemany, by batch."""
    table = Entry.__table__
    now = utcnow()
    values = []
    for row in rows:
        when = datetime.strptime(row["occurred_at"], "%Y-%m-%dT%H:%M:%SZ")
        values.append(
            {
                "id": str(uuid.uuid4()),
                "user_id": user_id,
                "kind": "fatigue",
                "fatigue": row["fatigue"],
                "occurred_at": when,
                "local_date": when.date(),
                "by_carer": False,
                "created_at": now,
                "updated_at": now,
                "change_seq": 0,
            }
        )
    with app.app_context():
        started = clock()
        for i in range(0, len(values), batch):
            with db.engine.begin() as conn:
                conn.execute(insert(table), values[i : i + batch])
        return clock() - started


def cpu_per_call(call: Callable[[], None], n: int) -> float:
    """Milliseconds of this process's CPU time a call, over n calls."""
    started = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - started) * 1000 / n


ROUNDS = 10


def cpu_side_by_side(
    call: Callable[[], None], n: int, reference: Callable[[], None], n_reference: int
) -> tuple[float, float, float]:
    """Milliseconds of CPU a call and a reference call (medians of ROUNDS rounds, each some of
    one then some of the other, after a warm-up), and the median of each round's ratio."""
    for _ in range(20):
        call()
        reference()
    rounds = []
    for _ in range(ROUNDS):
        ms = cpu_per_call(call, max(1, n // ROUNDS))
        ms_reference = cpu_per_call(reference, max(1, n_reference // ROUNDS))
        rounds.append((ms, ms_reference, ms / ms_reference))
    calls, references, ratios = zip(*rounds, strict=True)
    return statistics.median(calls), statistics.median(references), statistics.median(ratios)


def run(kind: str, url: str, args: argparse.Namespace) -> Result:
    app = make_app(url)
    create_schema(app)
    person(app, "pusher@example.test")
    other = person(app, "raw@example.test")
    phone = Phone(app, "pusher@example.test")
    if args.freeze:
        # As wsgi.py does once the app is made: what is there now is left out of the garbage
        # collector's full collections.
        gc.collect()
        gc.freeze()
    rows = fatigue_rows(args.entries, datetime.now(UTC).replace(tzinfo=None, microsecond=0))

    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    # The phone's side (making the changes, the JSON it sends, reading the answers) is done
    # outside the clock, as the raw insert's rows are made before it starts.
    bodies = [phone.body(rows[i : i + args.batch]) for i in range(0, len(rows), args.batch)]
    started = clock()
    answers = [phone.send(body) for body in bodies]
    api_seconds = clock() - started
    for answer in answers:
        applied(answer)
    raw_seconds = raw_insert(app, other, rows, args.batch, clock)

    person(app, "small@example.test")
    small = Phone(app, "small@example.test")  # a third person: an ordinary, small log
    small.pull()
    today = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def entry() -> dict[str, Any]:
        return {"id": str(uuid.uuid4()), "kind": "fatigue", "occurred_at": today, "fatigue": 4}

    def small_sync() -> None:
        small.push_and_pull([entry()])

    def push_then_pull() -> None:
        small.push([entry()])
        small.pull()

    health = app.test_client()

    def hello() -> None:
        health.get("/healthz")

    def two_hellos() -> None:
        health.get("/healthz")
        health.get("/healthz")

    # At most 200 entries a day: 75 small syncs of each kind, and their warm-ups' 20 each.
    small_ms, hello_ms, ratio = cpu_side_by_side(small_sync, min(args.small, 75), hello, args.small)
    pair_ms, _, pair_ratio = cpu_side_by_side(
        push_then_pull, min(args.small, 75), two_hellos, args.small
    )
    with app.app_context():
        db.engine.dispose()
    gc.unfreeze()
    return Result(
        kind,
        args.entries,
        args.entries / api_seconds,
        args.entries / raw_seconds,
        small_ms,
        hello_ms,
        ratio,
        pair_ms,
        pair_ratio,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results = each_database(args, run)
    print(
        f"\nSync, {args.entries:,} entries in pushes of {args.batch}, apply timed by the"
        f" {args.clock} clock (targets: issue 14)\n"
    )
    print(
        "| database | API rows/s | raw insert rows/s | API / raw (>= 0.25) |"
        " small sync ms CPU | health check ms CPU | small / health (<= 4) |"
        " push, then pull ms CPU | push, then pull / 2 health |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.database} | {r.api_rows_s:,.0f} | {r.raw_rows_s:,.0f} | {r.apply_ratio:.3f}x |"
            f" {r.small_ms:.2f} | {r.hello_ms:.2f} | {r.small_ratio:.1f}x |"
            f" {r.pair_ms:.2f} | {r.pair_ratio:.1f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
