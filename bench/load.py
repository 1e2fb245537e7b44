"""The load test (issue 14): a clinic's phones syncing and therapists reading, all at once.

    .venv/bin/python -m bench.load                      # the issue's size: about 4 minutes
    .venv/bin/python -m bench.load --patients 100 --therapists 5 --phones 20 --seconds 15

A fresh PostgreSQL database gets `--patients` people with `--days` of daily entries (the
benchmark's cohort), shared among `--therapists` therapists. gunicorn serves the app from it on
loopback as production does (gunicorn.conf.py, prebuilt assets, APP_ENV=production). Then, for
`--seconds`, `--phones` patients each log in, register their app and sync in a loop (push a few
new entries with the pull of what changed in the same request, as the app does, and pull on its
own only what that did not bring; wait a moment), while every therapist logs in and opens the
caseload and now and then a patient's page, in a loop. It prints requests a second and
p50/p95/p99 latency by kind of request, the errors, and then checks the database: every entry
a phone was told "applied" is stored (ids are the phones' own: once), and nothing is stored
that a phone was not told about (it would send it again).

Not part of `make test`: it needs minutes and a whole machine. Its numbers are in
bench/README.md. Exit status 1 on any error, lost entry or entry stored untold.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import text

from rehab_app.core.caseload import refresh_summaries
from rehab_app.extensions import db

from .cohort import PASSWORD, THERAPIST_EMAIL, Rows, generate
from .database import DEFAULT_PG_URL, create_schema, load, make_app, postgres_url

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
FLASK = Path(sys.executable).with_name("flask")
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)
MARK = "load test"  # the note on every entry the phones make, to count them afterwards


@dataclass
class Tally:
    """Every request's kind, status and time, and the entries the server said it applied."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    samples: list[str] = field(default_factory=list)
    applied: set[str] = field(default_factory=set)
    sent: int = 0

    def record(self, kind: str, started: float, response: requests.Response | None) -> None:
        took = time.perf_counter() - started
        with self.lock:
            self.times[kind].append(took)
            if response is None or response.status_code >= 400:
                self.errors[kind] += 1
                if len(self.samples) < 10:
                    what = "no answer" if response is None else str(response.status_code)
                    body = "" if response is None else response.text[:120]
                    self.samples.append(f"{kind}: {what} {body}")

    def failed(self, kind: str, why: str) -> None:
        """A request that answered, but not as a working app needs."""
        with self.lock:
            self.errors[kind] += 1
            if len(self.samples) < 10:
                self.samples.append(f"{kind}: {why}")


class Browser:
    """One person's device: a cookie jar (secure cookies sent over loopback http) and a tally."""

    def __init__(self, base: str, tally: Tally) -> None:
        self.base, self.tally = base, tally
        self.http = requests.Session()

    def call(self, kind: str, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self.http.request(method, self.base + path, timeout=60, **kwargs)
        except requests.RequestException:
            response = None
        self.tally.record(kind, started, response)
        for cookie in self.http.cookies:  # production's cookies are Secure; this is loopback http
            cookie.secure = False
        return response

    def log_in(self, email: str) -> str | None:
        """Log in through the form; the CSRF token of the logged-in session, or None."""
        page = self.call("login page", "GET", "/login")
        field = CSRF_INPUT.search(page.text) if page is not None else None
        if field is None:
            self.tally.failed("login page", "no CSRF token in the login form")
            return None
        form = {"email": email, "password": PASSWORD, "csrf_token": field[1] or field[2]}
        # Redirects by hand: the login's cookie must lose its Secure flag before the next page.
        sent = self.call("log in", "POST", "/login", data=form, allow_redirects=False)
        where = sent.headers.get("Location", "/login") if sent is not None else "/login"
        home = self.call("home page", "GET", where)
        token = CSRF_META.search(home.text) if home is not None else None
        if token is None:
            self.tally.failed("log in", f"{email} is not logged in")
            return None
        return token.group(1)


def phone(
    base: str, email: str, tally: Tally, until: float, batch: int, rng: random.Random
) -> None:
    """A patient's phone: log in, register, then push and pull until the time is up."""
    device = Browser(base, tally)
    token = device.log_in(email)
    if token is None:
        return
    headers = {"X-CSRFToken": token}
    answer = device.call("register", "POST", "/api/v1/clients", json={}, headers=headers)
    if answer is None or answer.status_code != 201:
        return
    client, cursor, mid = answer.json()["client_id"], 0, 0
    while time.monotonic() < until:
        mutations = []
        for _ in range(batch):
            mid += 1
            # Spread over the last two weeks (as a phone back from a time offline sends), so a
            # long run never meets the cap of 200 entries a person a day (docs/sync.md).
            ago = timedelta(seconds=rng.uniform(0, 14 * 86400))
            at = (datetime.now(UTC) - ago).strftime("%Y-%m-%dT%H:%M:%SZ")
            entry = {"id": str(uuid.uuid4()), "kind": "fatigue", "occurred_at": at}
            entry |= {"fatigue": rng.randint(0, 10), "note": MARK}
            mutations.append(
                {"id": mid, "op": "create", "change_id": str(uuid.uuid4()), "entry": entry}
            )
        # As the app sends its outbox's last batch: the push brings the pull after it.
        asked = {"cursor": cursor, "limit": 200}
        body = {"client_id": client, "mutations": mutations, "pull": asked}
        pushed = device.call("sync push", "POST", "/api/v1/sync/push", json=body, headers=headers)
        with tally.lock:
            tally.sent += len(mutations)
        page = None
        if pushed is not None and pushed.status_code == 200:
            answer = pushed.json()
            ids = {m["id"]: m["entry"]["id"] for m in mutations}
            done = [ids[r["mutation_id"]] for r in answer["results"] if r["status"] == "applied"]
            with tally.lock:
                tally.applied.update(done)
            page = answer["pull"]
        if page is None or page["more"]:  # what the push did not bring, on its own
            after = page["cursor"] if page else cursor
            query = {"client_id": client, "cursor": after, "limit": 200}
            pulled = device.call("sync pull", "GET", "/api/v1/sync/pull", params=query)
            page = pulled.json() if pulled is not None and pulled.status_code == 200 else None
        if page is not None:
            cursor, headers = page["cursor"], {"X-CSRFToken": page["csrf_token"]}
        time.sleep(rng.uniform(0.5, 1.5))  # a person between two taps, roughly


def therapist(base: str, email: str, tally: Tally, until: float, rng: random.Random) -> None:
    """A therapist between appointments: the caseload, and now and then one patient."""
    desk = Browser(base, tally)
    if desk.log_in(email) is None:
        return
    while time.monotonic() < until:
        page = desk.call("caseload", "GET", "/therapist")
        links = re.findall(r'href="(/therapist/patients/\d+)"', page.text if page else "")
        if links and rng.random() < 0.5:
            desk.call("patient page", "GET", rng.choice(links))
        time.sleep(rng.uniform(1.0, 3.0))


def share_among_therapists(tables: list[Rows], therapists: int) -> list[str]:
    """Give the cohort's patients to `therapists` therapists in turn; their emails."""
    users = next(t for t in tables if t.table == "users")
    links = next(t for t in tables if t.table == "care_links")
    first = users.rows[0]
    top = max(int(row[0]) for row in users.rows)  # type: ignore[call-overload]
    ids = [int(first[0]), *range(top + 1, top + therapists)]  # type: ignore[call-overload]
    emails = [THERAPIST_EMAIL]
    for n, new in enumerate(ids[1:], start=2):
        email = f"therapist{n:03d}@bench.rehablog.test"
        users.rows.append([new, email, *first[2:3], f"Therapist {n}", *first[4:]])
        emails.append(email)
    at = links.columns.index("therapist_id")
    for n, row in enumerate(links.rows):
        row[at] = ids[n % len(ids)]
    return emails


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(
    url: str, workers: int, threads: int, log_path: Path, extra: Sequence[str] = ()
) -> Iterator[tuple[str, int]]:
    """gunicorn serving the app from `url` as production does (with `extra` arguments on its
    command line); its base address and its master's process id. Its output (its own log and
    the app's) goes to `log_path`."""
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "LOGIN_LIMIT_PER_ADDRESS": "1000000",  # every phone logs in from 127.0.0.1
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
    }
    build = [str(FLASK), "--app", "wsgi", "assets", "build"]
    subprocess.run(build, cwd=ROOT, env=env, check=True)  # noqa: S603 - our own flask
    log = log_path.open("wb")  # closed with the server below
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [str(GUNICORN), "--config", "gunicorn.conf.py", *extra, "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not _answers(base + "/healthz"):
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                tail = log_path.read_text(errors="replace")[-2000:]
                raise SystemExit(f"gunicorn did not start; its output:\n{tail}")
            time.sleep(0.1)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(tally: Tally, seconds: float) -> None:
    print(
        f"\n{'request':<14}{'count':>8}{'per s':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
    )
    for kind, took in sorted(tally.times.items()):
        ms = [t * 1000 for t in took]
        print(
            f"{kind:<14}{len(took):>8}{len(took) / seconds:>8.1f}{percentile(ms, 50):>9.0f}"
            f"{percentile(ms, 95):>9.0f}{percentile(ms, 99):>9.0f}{tally.errors[kind]:>8}"
        )
    total = sum(len(t) for t in tally.times.values())
    print(f"{'all':<14}{total:>8}{total / seconds:>8.1f}{'':>27}{sum(tally.errors.values()):>8}")
    for sample in tally.samples:
        print("  error:", sample)


# What gunicorn and the app write when something went wrong on the server's side.
# gunicorn's own lines are text ("[ERROR]", "WORKER TIMEOUT"); the app's are JSON in production.
TROUBLE = re.compile(
    r"\[(WARNING|ERROR|CRITICAL)\]|WORKER TIMEOUT|Traceback"
    r'|"level": "(warning|error|critical)"|"status": 5\d\d'
)


def server_troubles(log_path: Path, shown: int = 20) -> None:
    """Say how many lines of the server's log tell of trouble, and show the last few."""
    lines = log_path.read_text(errors="replace").splitlines()
    troubles = [line for line in lines if TROUBLE.search(line)]
    print(f"\nserver log {log_path}: {len(lines)} lines, {len(troubles)} warnings or errors")
    for line in troubles[-shown:]:
        print("  server:", line[:300])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--therapists", type=int, default=50)
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--days", type=int, default=60, help="days of entries before the test")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--batch", type=int, default=3, help="entries a phone pushes at a time")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL.replace("bench_rehab", "bench_load")),
    )
    args = parser.parse_args(argv)
    if args.phones > args.patients:
        parser.error("--phones cannot exceed --patients")

    started = time.perf_counter()
    cohort = generate(args.patients, args.days / 365, seed=args.seed)
    emails = share_among_therapists(cohort.tables, args.therapists)
    patients = [
        row[1]
        for row in next(t for t in cohort.tables if t.table == "users").rows
        if row[4] == "patient"
    ]
    with postgres_url(args.pg_url) as url:
        app = make_app(url)
        create_schema(app)
        with app.app_context():
            load(db.engine, cohort)
            refresh_summaries(db.session)  # as the cron job keeps them
        print(
            f"{args.patients} patients, {args.therapists} therapists, {args.days} days loaded "
            f"in {time.perf_counter() - started:.0f} s"
        )
        tally = Tally()
        server_log = Path(tempfile.mkdtemp(prefix="rehab-load-")) / "gunicorn.log"
        served = serving(url.replace("+psycopg", ""), args.workers, args.threads, server_log)
        with served as (base, _master):
            rng = random.Random(args.seed)
            until = time.monotonic() + args.seconds
            crowd = [
                threading.Thread(
                    target=phone,
                    args=(base, str(email), tally, until, args.batch, random.Random(rng.random())),
                )
                for email in rng.sample(patients, args.phones)
            ] + [
                threading.Thread(
                    target=therapist, args=(base, email, tally, until, random.Random(rng.random()))
                )
                for email in emails
            ]
            began = time.monotonic()
            for t in crowd:
                t.start()
            for t in crowd:
                t.join()
            took = time.monotonic() - began
        print(
            f"{args.phones} phones and {args.therapists} therapists for {took:.0f} s "
            f"(gunicorn: {args.workers} workers x {args.threads} threads, PostgreSQL)"
        )
        report(tally, took)
        server_troubles(server_log)
        with app.app_context():
            stored = (
                db.session.execute(
                    text("SELECT id FROM entries WHERE note = :mark AND deleted_at IS NULL"),
                    {"mark": MARK},
                )
                .scalars()
                .all()
            )
            db.engine.dispose()
    ids = {str(i) for i in stored}
    lost = tally.applied - ids
    # Stored though the phone never heard "applied": a real phone would send it again, and
    # only the change id would keep it from being stored twice.
    unheard = ids - tally.applied
    print(
        f"\nentries sent {tally.sent}, told applied {len(tally.applied)}, stored {len(ids)}; "
        f"lost {len(lost)}, stored but not told {len(unheard)}"
    )
    return 1 if lost or unheard or sum(tally.errors.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
