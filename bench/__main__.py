"""`python -m bench`: time the caseload and a patient's page on a large caseload.

See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import timedelta
from time import perf_counter

import psycopg
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from rehab_app.core.timeutil import local_today
from rehab_app.extensions import db

from . import cohort as co
from . import database, report
from .measure import (
    CASELOAD_PARTS,
    PATIENT_PARTS,
    RECENT_HISTORY_DAYS,
    STORED_ROWS_STATEMENTS,
    IndexAB,
    Page,
    PageResult,
    QueryLog,
    caseload_sql,
    explain,
    index_ab,
    logged_in,
    patient_sql,
    profile,
    stored_caseload_sql,
    time_page,
    time_raw,
    warm_review_cache,
)

DATABASES = {"sqlite": ("sqlite",), "postgres": ("postgres",), "both": ("sqlite", "postgres")}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line; the defaults are the issue's: 200 patients, 2 years, 5 runs, both."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--patients", type=int, default=200, help="linked patients (200)")
    parser.add_argument("--years", type=float, default=2.0, help="years of daily entries (2)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each page (5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (1)")
    parser.add_argument("--db", choices=DATABASES, default="both", help="where to run (both)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the cohort (1)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", database.DEFAULT_PG_URL),
        help="the PostgreSQL database to create and drop; its name must start with 'bench' "
        "(BENCH_PG_URL, else %(default)s)",
    )
    parser.add_argument(
        "--keep-postgres", action="store_true", help="leave the PostgreSQL database in place"
    )
    parser.add_argument(
        "--sqlite-file",
        metavar="PATH",
        help="the SQLite file to use (replaced, then kept) instead of a temporary one",
    )
    parser.add_argument(
        "--explain", action="store_true", help="time each SELECT the pages run, with its plan"
    )
    parser.add_argument(
        "--without-index",
        action="append",
        default=[],
        metavar="NAME",
        help="drop this index of the models before loading (to measure what it is worth)",
    )
    parser.add_argument(
        "--ab-index",
        action="append",
        default=[],
        metavar="NAME",
        help="also time the caseload with and without this index of the models, alternately",
    )
    parser.add_argument(
        "--what-if",
        action="store_true",
        help="also time the caseload as if each person's trends.review() were cached for the "
        "day, loading only the entries its other numbers need",
    )
    parser.add_argument(
        "--check-assets",
        action="store_true",
        help="check the CSS bundle against its sources on every page, as the test "
        "configuration does (production does not; the default is as production)",
    )
    parser.add_argument(
        "--sqlite-analyze",
        action="store_true",
        help="run ANALYZE on SQLite after loading (the app itself never does)",
    )
    args = parser.parse_args(argv)
    if args.patients < 1 or args.years <= 0 or args.runs < 1 or args.warmup < 0:
        parser.error("--patients, --years and --runs must be positive")
    if args.db != "sqlite" and (reason := database.refusal(args.pg_url)) is not None:
        parser.error(reason)
    return args


def busiest_patient(cohort: co.Cohort, days: int = 365) -> tuple[int, int]:
    """The patient with the most live entries in the last `days`, and how many (the worst page)."""
    since = local_today(co.TZ, cohort.now) - timedelta(days=days)
    entries = next(t for t in cohort.tables if t.table == "entries")
    user, day, deleted = (
        co.ENTRY_COLUMNS.index(c) for c in ("user_id", "local_date", "deleted_at")
    )
    counts = Counter(r[user] for r in entries.rows if r[deleted] is None and r[day] >= since)  # type: ignore[operator]
    patient, count = counts.most_common(1)[0]
    assert isinstance(patient, int)
    return patient, count


@dataclass(frozen=True)
class Loaded:
    """A database with the cohort in it, and the app on it."""

    name: str  # like "SQLite 3.40.1"
    app: Flask
    engine: Engine

    @property
    def label(self) -> str:
        """The database's name without its version."""
        return self.name.split()[0]


def load_into(kind: str, url: str, cohort: co.Cohort, args: argparse.Namespace) -> Loaded:
    """Make the schema on one database and bulk-load the cohort."""
    app = database.make_app(url, as_served=not args.check_assets)
    database.create_schema(app, args.without_index)
    with app.app_context():
        engine = db.engine
    start = perf_counter()
    database.load(engine, cohort)
    if kind == "sqlite" and args.sqlite_analyze:
        database.analyze(engine)
    name = database.versions(engine)
    print(f"{name}: loaded in {perf_counter() - start:.0f} s", flush=True)
    return Loaded(name, app, engine)


def run_index_ab(loaded: Loaded, args: argparse.Namespace) -> list[IndexAB]:
    """The caseload with and without each --ab-index, in alternating runs."""
    client = logged_in(loaded.app, co.THERAPIST_EMAIL, co.PASSWORD)
    indexes = {i.name: i for t in db.metadata.tables.values() for i in t.indexes}
    found = []
    for name in args.ab_index:
        if name not in indexes:
            raise SystemExit(f"No index {name!r} in the models.")
        rows = index_ab(
            loaded.engine, client, "/therapist", indexes[name], args.runs, CASELOAD_PARTS
        )
        found.append(IndexAB(loaded.label, name, "caseload", rows))
        _whole, with_index, without = rows[0]
        print(
            f"  {loaded.label}, caseload with {name}: median {report.ms(with_index.median)} ms, "
            f"without: {report.ms(without.median)} ms",
            flush=True,
        )
    return found


def run_pages(
    loaded: Loaded, therapist: int, patient: int, args: argparse.Namespace
) -> list[PageResult]:
    """Time the caseload and the patient's page (two ranges) on one database."""
    log = QueryLog(loaded.engine)
    client = logged_in(loaded.app, co.THERAPIST_EMAIL, co.PASSWORD)
    today = local_today(co.TZ)
    path = f"/therapist/patients/{patient}"
    pages = [
        # The warm-up run stores every summary; the timed runs read them (issue 14's target:
        # at most 2x the raw SQL that reads the stored summaries).
        Page("caseload", "/therapist", stored_caseload_sql(therapist), CASELOAD_PARTS),
        Page(
            "caseload, against reading the stored rows",
            "/therapist",
            stored_caseload_sql(therapist, STORED_ROWS_STATEMENTS),
            CASELOAD_PARTS,
        ),
        Page(
            "caseload, against reading its whole history",
            "/therapist",
            caseload_sql(therapist, today),
            CASELOAD_PARTS,
        ),
        Page(
            "patient, 3 months (default)",
            path,
            patient_sql(therapist, patient, "3m", today),
            PATIENT_PARTS,
        ),
        Page(
            "patient, 12 months",
            f"{path}?range=12m",
            patient_sql(therapist, patient, "12m", today),
            PATIENT_PARTS,
        ),
    ]
    results = [time_one(loaded, log, client, page, args) for page in pages]
    if args.what_if:
        page = Page(
            "caseload, what if reviews were cached",
            "/therapist",
            caseload_sql(therapist, today, RECENT_HISTORY_DAYS),
            CASELOAD_PARTS,
        )
        with warm_review_cache():
            results.append(time_one(loaded, log, client, page, args))
    return results


def time_one(
    loaded: Loaded, log: QueryLog, client: FlaskClient, page: Page, args: argparse.Namespace
) -> PageResult:
    """One page on one database: its runs, its raw SQL, a profiled run, and its plans."""
    server, queries = time_page(client, log, page.path, args.runs, args.warmup)
    raw, raw_parts = time_raw(loaded.engine, page.raw, args.runs, args.warmup)
    breakdown = profile(client, page.path, page.parts)
    plans = explain(loaded.engine, log, client, page.path) if args.explain else []
    print(
        f"  {loaded.label}, {page.label}: median {report.ms(server.median)} ms, "
        f"{queries[-1]} queries, raw SQL {report.ms(raw.median)} ms",
        flush=True,
    )
    return PageResult(loaded.label, page, server, queries, raw, raw_parts, breakdown, plans)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the cohort, load it everywhere, time every page on each database, report."""
    args = parse_args(argv)
    code, load_at_start = report.code_state(), os.getloadavg()[0]
    print(f"Code: {code}", flush=True)
    print(f"Generating {args.patients} patients x {args.years:g} years…", flush=True)
    start = perf_counter()

    def progress(done: int, total: int) -> None:
        if done % max(1, total // 10) == 0 or done == total:
            print(f"  {done}/{total} patients, {perf_counter() - start:.0f} s", flush=True)

    cohort = co.generate(args.patients, args.years, args.seed, progress)
    counts = {t.table: f"{len(t.rows):,}" for t in cohort.tables}
    therapist = cohort.therapist_id
    patient, entries = busiest_patient(cohort)
    print(
        f"Generated in {perf_counter() - start:.0f} s: {counts['entries']} entries, "
        f"{counts['programme_items']} programme items, {counts['access_events']} access "
        f"events; courses {dict(cohort.courses)}; busiest patient {patient} "
        f"({entries:,} live entries in the last 12 months)",
        flush=True,
    )
    results: list[PageResult] = []
    comparisons: list[IndexAB] = []
    with ExitStack() as stack:
        try:
            loaded = [
                load_into(kind, stack.enter_context(_url(kind, args)), cohort, args)
                for kind in DATABASES[args.db]
            ]
        except psycopg.OperationalError as error:
            print(f"PostgreSQL at {args.pg_url} is unreachable: {error}", file=sys.stderr)
            return 1
        # Measure with the generated rows gone: millions of live objects would slow every
        # garbage collection in the pages' requests, which a server never holds.
        del cohort
        gc.collect()
        for each in loaded:
            results += run_pages(each, therapist, patient, args)
            comparisons += run_index_ab(each, args)
            each.engine.dispose()

    print()
    print(report.table(["", ""], report.machine([e.name for e in loaded], code, load_at_start)))
    print(f"\nCohort: {args.patients} patients x {args.years:g} years, seed {args.seed}: ", end="")
    print(", ".join(f"{n} {t}" for t, n in counts.items()))
    print(f"Patient page: patient {patient}, the busiest ({entries:,} entries in 12 months)")
    if args.without_index:
        print(f"Without the indexes: {', '.join(args.without_index)}")
    print(f"\nServer time of {args.runs} runs after {args.warmup} warm-up:\n")
    print(report.results_table(results))
    print("\nRaw SQL, statement by statement:\n")
    print(report.raw_table(results))
    print("\nOne more run of each page, with its functions timed:\n")
    print(report.breakdown_table(results))
    if comparisons:
        print(f"\nWith and without an index, {args.runs} alternating runs each:\n")
        print(report.index_table(comparisons))
    if args.explain:
        print("\nEach SELECT the pages run, timed alone, with its plan:\n")
        print(report.plans_text(results))
    return 0


def _url(kind: str, args: argparse.Namespace) -> AbstractContextManager[str]:
    if kind == "sqlite":
        return database.sqlite_url(args.sqlite_file)
    return database.postgres_url(args.pg_url, args.keep_postgres)


if __name__ == "__main__":
    sys.exit(main())
