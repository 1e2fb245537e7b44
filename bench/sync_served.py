"""A small sync on the server as production runs it (issue 14): `python -m bench.sync_served`.

Issue 14 measured "a small sync costs 11x the CPU of a hello-world request on the same gunicorn
(3.6 vs 0.33 ms a request)", and set its target on the same terms: at most 4x the CPU of a
hello-world request on the same server. `python -m bench.sync` times the app in its own process
through Flask's test client, whose own work counts on both sides and a WSGI server's on
neither; this times the server itself:

- gunicorn serves the app from a fresh database of each kind as production does
  (gunicorn.conf.py, `APP_ENV=production`, prebuilt assets, JSON logs and the access log), with
  one worker, so that every request's CPU is that worker's;
- a phone (this process, over loopback HTTP with keep-alive) logs in through the form,
  registers, and sends small syncs: one push of one new entry asking for the pull after it, as
  the app sends after each tap; a second client with no cookie asks for `/healthz`;
- the worker's CPU time (every thread's, from /proc/<pid>/task/*/schedstat, in nanoseconds) is
  read before and after each run of requests, in ROUNDS rounds of some small syncs then as many
  health checks, so that a busy machine weighs on both alike: the figures are the rounds'
  medians, the ratio the median of each round's own ratio.

The database server's CPU (PostgreSQL's processes) is not the app server's and is not counted;
on SQLite the database's work is in the worker and is.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .cohort import PASSWORD
from .database import DEFAULT_PG_URL, create_schema, each_database, make_app
from .load import Browser, Tally, serving
from .sync import person

ROUNDS = 10
PER_ROUND = 40  # small syncs a round, and as many health checks
WARM_UP = 20


@dataclass
class Result:
    database: str
    small_ms: float  # server CPU a small sync
    hello_ms: float  # server CPU a health check
    ratio: float  # the median of the rounds' ratios


def worker_pid(master: int) -> int:
    """The one worker of the gunicorn whose master is `master`."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of process `pid` so far, in nanoseconds."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except FileNotFoundError:  # a thread that ended between the listing and the read
            continue
    return total


def server_ms(pid: int, call: Callable[[], None], n: int) -> float:
    """Milliseconds of the worker's CPU a call, over n calls."""
    before = cpu_ns(pid)
    for _ in range(n):
        call()
    time.sleep(0.01)  # the last request's logging, after its answer went out
    return (cpu_ns(pid) - before) / 1e6 / n


class Phone:
    """A phone logged in to the served app, with a registered sync client."""

    def __init__(self, base: str, email: str) -> None:
        self.device = Browser(base, Tally())
        token = self.device.log_in(email)
        if token is None:
            raise RuntimeError(f"could not log in as {email}: {self.device.tally.samples}")
        self.headers = {"X-CSRFToken": token}
        answer = self.device.call(
            "register", "POST", "/api/v1/clients", json={}, headers=self.headers
        )
        if answer is None or answer.status_code != 201:
            raise RuntimeError(f"could not register a client: {answer}")
        self.client_id = answer.json()["client_id"]
        self.cursor = 0
        self.next_id = 0
        self.start = datetime.now(UTC)

    def small_sync(self) -> None:
        """One new fatigue rating, pushed with the pull after it (the app's outbox, emptied)."""
        self.next_id += 1
        # Spread back over the days so a long run never meets the cap of 200 entries a day.
        at = self.start - timedelta(days=self.next_id // 150, seconds=self.next_id)
        entry = {
            "id": str(uuid.uuid4()),
            "kind": "fatigue",
            "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "fatigue": self.next_id % 11,
        }
        change = {"id": self.next_id, "op": "create", "change_id": str(uuid.uuid4())}
        body = {
            "client_id": self.client_id,
            "mutations": [change | {"entry": entry}],
            "pull": {"cursor": self.cursor, "limit": 200},
        }
        answer = self.device.call(
            "sync push", "POST", "/api/v1/sync/push", json=body, headers=self.headers
        )
        if answer is None or answer.status_code != 200:
            raise RuntimeError(f"the push answered {answer and answer.status_code}")
        result = answer.json()
        if [r["status"] for r in result["results"]] != ["applied"]:
            raise RuntimeError(f"not applied: {result['results']}")
        self.cursor = result["pull"]["cursor"]
        self.headers = {"X-CSRFToken": result["pull"]["csrf_token"]}


def run(kind: str, url: str, args: argparse.Namespace) -> Result:
    app = make_app(url)
    create_schema(app)
    email = "served@example.test"
    person(app, email, PASSWORD)
    log_path = Path(tempfile.mkdtemp(prefix="rehab-served-")) / "gunicorn.log"
    served_url = url.replace("+psycopg", "")
    # One worker, restarted never (production restarts each after about 2,000 requests, which
    # would end the counted process in the middle of a run).
    with serving(served_url, 1, args.threads, log_path, ["--max-requests", "0"]) as (base, pid):
        worker = worker_pid(pid)
        phone = Phone(base, email)
        health = Browser(base, Tally())

        def hello() -> None:
            answer = health.call("health", "GET", "/healthz")
            if answer is None or answer.status_code != 200:
                raise RuntimeError("the health check did not answer 200")

        for _ in range(WARM_UP):
            phone.small_sync()
            hello()
        rounds = []
        for _ in range(args.rounds):
            small = server_ms(worker, phone.small_sync, args.per_round)
            reference = server_ms(worker, hello, args.per_round)
            rounds.append((small, reference, small / reference))
        if worker_pid(pid) != worker:
            raise RuntimeError("the worker was replaced during the run")
    smalls, hellos, ratios = zip(*rounds, strict=True)
    return Result(
        kind, statistics.median(smalls), statistics.median(hellos), statistics.median(ratios)
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_served", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL.replace("bench_rehab", "bench_served"))
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--per-round", type=int, default=PER_ROUND)
    parser.add_argument("--threads", type=int, default=8, help="the worker's threads")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results = each_database(args, run)
    print(
        f"\nA small sync on gunicorn as production serves it, one worker, {args.rounds} rounds"
        f" of {args.per_round} (target: issue 14)\n"
    )
    print("| database | small sync ms CPU | health check ms CPU | small / health (<= 4) |")
    print("|---|---:|---:|---:|")
    for r in results:
        print(f"| {r.database} | {r.small_ms:.2f} | {r.hello_ms:.3f} | {r.ratio:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
