"""Sync against references run in the same process (issue 14): `python -m bench.sync`.

- **Apply**: one person's phone pushes N fatigue ratings (each a create with a change id) in
  batches through the real API (the app's test client: routing, session, CSRF, JSON, apply,
  commit), against a raw bulk insert of the same rows for another person (Core `executemany`,
  one transaction a batch). Target: the API at least 0.25x the raw rows a second.
- **A small sync**: one push of one entry and one pull, as a phone does after each entry,
  against the app's health check (`/healthz`), in CPU time of this process per request pair.
  Target: at most 4x.

Both databases: a SQLite file, or a fresh PostgreSQL database whose name starts with "bench".
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert

from rehab_app.extensions import db
from rehab_app.models import Entry, User, utcnow
from rehab_app.web.auth.logins import hash_password

from .database import DEFAULT_PG_URL, create_schema, make_app, postgres_url, sqlite_url
from .measure import CSRF_RE, logged_in

PASSWORD = "a long bench password"  # a throwaway account in a throwaway database
DAYS = 60  # entries spread over this many days: a person may log at most 200 a day


@dataclass
class Result:
    """One database's figures."""

    database: str
    entries: int
    api_rows_s: float
    raw_rows_s: float
    small_ms: float
    hello_ms: float

    @property
    def apply_ratio(self) -> float:
        return self.api_rows_s / self.raw_rows_s

    @property
    def small_ratio(self) -> float:
        return self.small_ms / self.hello_ms


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500, help="mutations a push")
    parser.add_argument("--small", type=int, default=300, help="small syncs (and health checks)")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL.replace("bench_rehab", "bench_sync"))
    return parser.parse_args(argv)


def person(app: Flask, email: str) -> int:
    """A patient with PASSWORD; their id."""
    with app.app_context():
        user = User(
            email=email,
            display_name="Bench Person",
            role="patient",
            timezone="Europe/London",
            password_hash=hash_password(PASSWORD),
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

    def push(self, entries: Sequence[dict[str, Any]]) -> None:
        mutations = []
        for entry in entries:
            mutations.append(
                {"id": self.next_id, "op": "create", "change_id": str(uuid.uuid4()), "entry": entry}
            )
            self.next_id += 1
        answer = self.post(
            "/api/v1/sync/push", {"client_id": self.client_id, "mutations": mutations}
        )
        bad = [r for r in answer["results"] if r["status"] != "applied"]
        if bad:
            raise RuntimeError(f"not applied: {bad[:3]}")

    def pull(self) -> None:
        query = f"client_id={self.client_id}&cursor={self.cursor}"
        response = self.http.get(f"/api/v1/sync/pull?{query}")
        if response.status_code != 200:
            raise RuntimeError(f"pull answered {response.status_code}")
        self.cursor = response.get_json()["cursor"]


def raw_insert(app: Flask, user_id: int, rows: Sequence[dict[str, Any]], batch: int) -> float:
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
        started = time.perf_counter()
        for i in range(0, len(values), batch):
            with db.engine.begin() as conn:
                conn.execute(insert(table), values[i : i + batch])
        return time.perf_counter() - started


def cpu_per_call(call: Callable[[], None], n: int) -> float:
    """Milliseconds of this process's CPU time a call, after a warm-up."""
    for _ in range(min(20, n)):
        call()
    started = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - started) * 1000 / n


def run(kind: str, url: str, args: argparse.Namespace) -> Result:
    app = make_app(url)
    create_schema(app)
    person(app, "pusher@example.test")
    other = person(app, "raw@example.test")
    phone = Phone(app, "pusher@example.test")
    rows = fatigue_rows(args.entries, datetime.now(UTC).replace(tzinfo=None, microsecond=0))

    started = time.perf_counter()
    for i in range(0, len(rows), args.batch):
        phone.push(rows[i : i + args.batch])
    api_seconds = time.perf_counter() - started
    raw_seconds = raw_insert(app, other, rows, args.batch)

    person(app, "small@example.test")
    small = Phone(app, "small@example.test")  # a third person: an ordinary, small log
    small.pull()
    today = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def small_sync() -> None:
        entry = {"id": str(uuid.uuid4()), "kind": "fatigue", "occurred_at": today, "fatigue": 4}
        small.push([entry])
        small.pull()

    health = app.test_client()

    def hello() -> None:
        health.get("/healthz")
        health.get("/healthz")  # two requests, as a small sync is two

    small_ms = cpu_per_call(small_sync, min(args.small, 150))  # at most 200 entries a day
    hello_ms = cpu_per_call(hello, args.small)
    with app.app_context():
        db.engine.dispose()
    return Result(
        kind,
        args.entries,
        args.entries / api_seconds,
        args.entries / raw_seconds,
        small_ms,
        hello_ms,
    )


def _url(kind: str, args: argparse.Namespace) -> AbstractContextManager[str]:
    return sqlite_url() if kind == "sqlite" else postgres_url(args.pg_url)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = []
    for kind in kinds:
        with _url(kind, args) as url:
            results.append(run(kind, url, args))
    print(f"\nSync, {args.entries:,} entries in pushes of {args.batch} (targets: issue 14)\n")
    print(
        "| database | API rows/s | raw insert rows/s | API / raw (>= 0.25) |"
        " small sync ms CPU | 2 health checks ms CPU | small / health (<= 4) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.database} | {r.api_rows_s:,.0f} | {r.raw_rows_s:,.0f} | {r.apply_ratio:.3f}x |"
            f" {r.small_ms:.2f} | {r.hello_ms:.2f} | {r.small_ratio:.1f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
