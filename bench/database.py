"""The benchmark's own databases: a SQLite file in a temporary directory, a PostgreSQL database.

The schema is made as the test suite makes it (`db.create_all()` and the catalogue), then the
cohort goes in through the drivers' bulk paths: `executemany` on SQLite, `COPY` on PostgreSQL.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import psycopg
from flask import Flask
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.engine import Dialect

from config import ProductionConfig, TestConfig
from rehab_app import create_app
from rehab_app.core.catalogue import seed_rows
from rehab_app.extensions import assets, db

from .cohort import Cohort, Rows

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/bench_rehab"
# The benchmark creates and drops its PostgreSQL database: never one of these.
PROTECTED = frozenset(
    {"postgres", "template0", "template1", "test", "test_d1", "test_d2", "test_s", "test_me"}
)
R = TypeVar("R")
# Tables whose ids the cohort sets itself: PostgreSQL's sequences must follow.
ID_TABLES = ("users", "care_links", "programme_items", "exercises")


@contextmanager
def sqlite_url(path: str | None = None) -> Iterator[str]:
    """A SQLite file in a temporary directory, removed afterwards; or at `path`, kept."""
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        for stale in (path, f"{path}-wal", f"{path}-shm"):
            Path(stale).unlink(missing_ok=True)
        yield f"sqlite:///{Path(path).resolve()}"
        return
    with tempfile.TemporaryDirectory(prefix="rehab-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"


def refusal(url: str) -> str | None:
    """Why the benchmark will not create and drop the database at `url`, or None."""
    name = url.rpartition("/")[2]
    if not name.startswith("bench") or name in PROTECTED:
        return f"Refusing to use database {name!r}: its name must start with 'bench'."
    return None


@contextmanager
def postgres_url(url: str, keep: bool = False) -> Iterator[str]:
    """A fresh PostgreSQL database at `url` (dropped first if there), dropped afterwards."""
    if (reason := refusal(url)) is not None:
        raise SystemExit(reason)
    server, _, name = url.rpartition("/")
    admin = f"{server}/postgres"
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(drop)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url.replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        if not keep:
            with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
                conn.execute(drop)


def each_database(
    args: argparse.Namespace, run: Callable[[str, str, argparse.Namespace], R]
) -> list[R]:
    """`run(kind, url, args)` on a fresh database of each kind `args.db` asks for ("sqlite",
    "postgres" or "both"; PostgreSQL's at `args.pg_url`), in turn: what each returned."""
    kinds = ("sqlite", "postgres") if args.db == "both" else (args.db,)
    results = []
    for kind in kinds:
        made = sqlite_url() if kind == "sqlite" else postgres_url(args.pg_url)
        with made as url:
            results.append(run(kind, url, args))
    return results


def make_app(url: str, *, as_served: bool = True) -> Flask:
    """The app on a benchmark database, configured as the test suite's (cheap password hashes),
    and, `as_served`, with its CSS bundle built first and then served as production serves it
    (`ProductionConfig.ASSETS_AUTO_BUILD`): not checked against its sources on every page, which
    the test configuration does (some 1 ms a page, bench/README.md) and no deploy pays."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    if as_served:
        with app.app_context():
            for bundle in assets:
                bundle.build()  # as `make assets` does before a deploy; unchanged: a no-op
        app.config["ASSETS_AUTO_BUILD"] = ProductionConfig.ASSETS_AUTO_BUILD
    return app


def create_schema(app: Flask, without: Sequence[str] = ()) -> None:
    """Tables and indexes from the models, the catalogue with ids 1, 2…, less some indexes."""
    with app.app_context():
        db.create_all()
        rows = [{"id": i, **row} for i, row in enumerate(seed_rows(), start=1)]
        db.session.execute(db.metadata.tables["exercises"].insert(), rows)
        for name in without:
            db.session.execute(text(f"DROP INDEX {name}"))
        db.session.commit()


def load(engine: Engine, cohort: Cohort) -> None:
    """Bulk-insert the cohort, then let the database gather its statistics as it would live."""
    if engine.dialect.name == "sqlite":
        _load_sqlite(engine, cohort.tables)
    else:
        _load_postgres(engine, cohort.tables)


def _load_sqlite(engine: Engine, tables: Sequence[Rows]) -> None:
    # SQLite stores dates and times as text: convert them as SQLAlchemy would, then executemany.
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        for t in tables:
            marks = ", ".join("?" * len(t.columns))
            driver.executemany(
                f"INSERT INTO {t.table} ({', '.join(t.columns)}) VALUES ({marks})",  # noqa: S608
                _converted(t, engine.dialect),
            )
        raw.commit()
    finally:
        raw.close()


def _converted(t: Rows, dialect: Dialect) -> Iterator[list[object]]:
    """The rows with each value as the dialect's bind processor would send it."""
    columns = db.metadata.tables[t.table].columns
    convert = [
        (i, p)
        for i, name in enumerate(t.columns)
        if (p := columns[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
    ]
    for row in t.rows:
        out = list(row)
        for i, process in convert:
            if out[i] is not None:
                out[i] = process(out[i])
        yield out


def _load_postgres(engine: Engine, tables: Sequence[Rows]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        assert isinstance(cursor, psycopg.Cursor)
        for t in tables:
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(t.table), sql.SQL(", ").join(map(sql.Identifier, t.columns))
            )
            with cursor.copy(statement) as copy:
                for row in t.rows:
                    copy.write_row(row)
        for table in ID_TABLES:
            cursor.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({t}, 'id'), max(id)) FROM {i}"
                ).format(t=sql.Literal(table), i=sql.Identifier(table))
            )
        raw.commit()
    finally:
        raw.close()
    # Autovacuum would analyse (and vacuum, for index-only scans) after such a load anyway.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def analyze(engine: Engine) -> None:
    """Gather statistics for SQLite's planner (which the app itself never does)."""
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def versions(engine: Engine) -> str:
    """The database server's version, like "SQLite 3.40.1" or "PostgreSQL 15.2"."""
    if engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with engine.connect() as conn:
        return f"PostgreSQL {conn.execute(text('SHOW server_version')).scalar_one()}"
