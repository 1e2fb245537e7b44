"""Migrations: upgrade to head, downgrade to base, upgrade again; and they match the models."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, event, inspect, text

from config import TestConfig
from rehab_app import create_app
from rehab_app.core import caseload
from rehab_app.core.catalogue import CATALOGUE, seed_rows
from rehab_app.extensions import db
from rehab_app.models import User, utcnow
from tests.helpers.entries import TODAY, row

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"

TABLES = {
    "users",
    "care_links",
    "clinics",
    "clinic_members",
    "teams",
    "team_members",
    "team_links",
    "appointment_notes",
    "sent_forms",
    "programme_templates",
    "template_items",
    "link_codes",
    "exercises",
    "programme_items",
    "entries",
    "login_attempts",
    "sync_clients",
    "sync_outcomes",
    "change_counter",
    "access_events",
    "user_sessions",
    "email_tokens",
    "passkeys",
    "reminder_settings",
    "reminder_sends",
    "push_subscriptions",
    "calendar_feeds",
    "caseload_summaries",
}


@pytest.fixture
def scratch_url(tmp_path) -> Iterator[str]:
    """An empty database of the suite's kind, for migrations alone."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"rehab_migrations_{uuid.uuid4().hex[:8]}"
    admin = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade()
        assert _tables(scratch_url) == TABLES
        count = db.session.execute(text("SELECT count(*) FROM exercises")).scalar()
        assert count == len(CATALOGUE)
        db.session.remove()
        downgrade(revision="base")
        assert _tables(scratch_url) == set()
        upgrade()
        assert _tables(scratch_url) == TABLES
        db.session.remove()
        db.engine.dispose()


def test_a_fresh_database_holds_exactly_the_live_catalogue(scratch_url: str) -> None:
    """0001 seeds frozen data: a catalogue edit without its own migration fails here."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade()
        columns = "slug, name, discipline, category, description, records"
        rows = db.session.execute(text(f"SELECT {columns} FROM exercises ORDER BY slug"))  # noqa: S608
        in_database = [dict(row._mapping) for row in rows]
        db.session.remove()
        db.engine.dispose()
    assert in_database == sorted(seed_rows(), key=lambda row: row["slug"])


def test_0001_does_not_read_the_live_catalogue() -> None:
    """The first migration's result must not move when rehab_app.core.catalogue does."""
    source = "".join(p.read_text() for p in MIGRATIONS.glob("0001_*.py"))
    assert "from rehab_app" not in source
    assert "import rehab_app" not in source


# Neither SQLite nor PostgreSQL reflection compares expression indexes (lower(email)):
# test_email_is_unique_whatever_its_case checks that one by behaviour instead.
@pytest.mark.filterwarnings("ignore:.*expression-based index:sqlalchemy.exc.SAWarning")
@pytest.mark.filterwarnings("ignore:.*expression-based index:UserWarning")
def test_models_and_migrations_agree(scratch_url: str) -> None:
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.session.remove()
        db.engine.dispose()
    assert diff == []


def test_email_is_unique_whatever_its_case(scratch_url: str) -> None:
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade()
        insert = text(
            "INSERT INTO users (email, password_hash, display_name, role, timezone, created_at)"
            " VALUES (:e, 'x', 'n', 'patient', 'UTC', CURRENT_TIMESTAMP)"
        )
        db.session.execute(insert, {"e": "a@example.test"})
        db.session.commit()
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            db.session.execute(insert, {"e": "A@Example.TEST"})
            db.session.commit()
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


ADD_USER = text(
    "INSERT INTO users (email, password_hash, display_name, role, timezone, created_at)"
    " VALUES (:e, 'x', 'n', :r, 'UTC', CURRENT_TIMESTAMP)"
)


def add_users(*people: tuple[str, str]) -> dict[str, int]:
    """Insert people (a name and a role each) with plain SQL, as at an old revision; their ids."""
    ids = {}
    for name, role in people:
        db.session.execute(ADD_USER, {"e": f"{name}@example.test", "r": role})
        ids[name] = db.session.execute(
            text("SELECT id FROM users WHERE email = :e"), {"e": f"{name}@example.test"}
        ).scalar_one()
    return ids


def test_0005_keeps_every_row_and_stops_id_reuse(scratch_url: str) -> None:
    """Rebuilding tables for AUTOINCREMENT must not cascade into entries, links or programmes."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade(revision="0004")
        run = db.session.execute
        ids = add_users(("pat", "patient"), ("ther", "therapist"), ("last", "patient"))
        run(
            text(
                "INSERT INTO care_links (therapist_id, patient_id, created_at)"
                " VALUES (:t, :p, CURRENT_TIMESTAMP)"
            ),
            {"t": ids["ther"], "p": ids["pat"]},
        )
        run(
            text(
                "INSERT INTO entries (id, user_id, kind, occurred_at, local_date, created_at,"
                " updated_at, by_carer, fatigue, change_seq) VALUES ('e1', :p, 'fatigue',"
                " CURRENT_TIMESTAMP, CURRENT_DATE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,"
                " false, 6, 1)"
            ),
            {"p": ids["pat"]},
        )
        db.session.commit()

        upgrade()

        def count(table: str) -> int:
            return int(run(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608

        assert (count("users"), count("care_links"), count("entries")) == (3, 1, 1)
        confirmed = run(text("SELECT count(*) FROM users WHERE email_confirmed_at IS NOT NULL"))
        assert confirmed.scalar() == 3, "people who had accounts can still log in"
        approved = run(text("SELECT role FROM users WHERE approved_at IS NOT NULL")).scalars()
        assert list(approved) == ["therapist"]

        # The highest id goes; the next sign-up must not get it (SQLite reused it before).
        run(text("DELETE FROM users WHERE id = :i"), {"i": ids["last"]})
        run(ADD_USER, {"e": "new@example.test", "r": "patient"})
        new_id = run(text("SELECT id FROM users WHERE email = 'new@example.test'")).scalar()
        db.session.commit()
        assert new_id > ids["last"], "a deleted account's id was handed to the next sign-up"
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            run(ADD_USER, {"e": "PAT@example.test", "r": "patient"})
            db.session.commit()
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_0017_keeps_one_standing_link_a_pair_and_then_refuses_a_second(scratch_url: str) -> None:
    """A pair linked twice at once before 0017 keeps its oldest link; no new twin can be made."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade(revision="0016")
        run = db.session.execute
        ids = add_users(("pat", "patient"), ("ther", "therapist"), ("other", "therapist"))
        add_link = text(
            "INSERT INTO care_links (therapist_id, patient_id, created_at, revoked_at)"
            " VALUES (:t, :p, CURRENT_TIMESTAMP, :r)"
        )
        gone = datetime(2026, 1, 1)
        for therapist, revoked in (("ther", gone), ("ther", None), ("ther", None), ("other", None)):
            run(add_link, {"t": ids[therapist], "p": ids["pat"], "r": revoked})
        db.session.commit()
        links = text("SELECT id, therapist_id, revoked_at IS NULL FROM care_links ORDER BY id")
        before = run(links).all()

        upgrade()

        after = run(links).all()
        (ended, _, _), (kept, _, _), (twin, _, _), (other, _, _) = before
        assert [(i, standing) for i, _, standing in after] == [
            (ended, False),
            (kept, True),
            (twin, False),
            (other, True),
        ]
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
            run(add_link, {"t": ids["ther"], "p": ids["pat"], "r": None})
            db.session.commit()
        db.session.rollback()
        run(add_link, {"t": ids["ther"], "p": ids["pat"], "r": gone})  # ended ones may repeat
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_0018_shows_a_summary_stored_before_it_without_computing_it_again(
    scratch_url: str,
) -> None:
    """A summary stored before 0018 has no row markup yet: the caseload renders it once from
    the stored summary, and reads no entries to do it."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=scratch_url)
    with app.app_context():
        upgrade(revision="0017")
        run = db.session.execute
        ids = add_users(("pat", "patient"), ("ther", "therapist"))
        run(
            text(
                "INSERT INTO care_links (therapist_id, patient_id, created_at)"
                " VALUES (:t, :p, CURRENT_TIMESTAMP)"
            ),
            {"t": ids["ther"], "p": ids["pat"]},
        )
        now = utcnow()
        patient = db.session.get(User, ids["pat"])
        assert patient is not None
        computed = caseload.summarise(
            patient, [row("mobility", 2, aid="frame", falls=1)], [], None, TODAY
        )
        run(
            text(
                "INSERT INTO caseload_summaries (patient_id, source, summary, computed_at)"
                " VALUES (:p, :s, :j, :now)"
            ),
            {
                "p": ids["pat"],
                "s": caseload.load._sources(db.session, [patient], now)[ids["pat"]],
                "j": caseload.summary_to_json(computed),
                "now": now,
            },
        )
        db.session.commit()

        upgrade()

        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        [shown] = caseload.caseload_rows(db.session, ids["ther"], now=now)
        db.session.commit()
        assert not any("entries.local_date >=" in s for s in statements)
        assert (shown.falls, shown.reasons) == (1, 1)
        assert "1 fall" in shown.cells and "1 fall in the last 28 days" in shown.reasons_shown
        stored = run(text("SELECT shown_with, falls FROM caseload_summaries")).one()
        assert stored == (caseload.markup.shown_with(), 1)
        db.session.remove()
        db.engine.dispose()
