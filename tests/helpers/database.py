"""The suite's database: which one, and emptying it between tests."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.exc import OperationalError

from rehab_app.extensions import db
from rehab_app.models import ChangeCounter


def database_url(tmp_dir: Path) -> str:
    """The database the suite runs on: TEST_DATABASE_URL, or a fresh SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp_dir / 'test.sqlite3'}"


def clear_data() -> None:
    """Delete everything but the catalogue, children first; seed the change counter as 0002 does.

    A browser test's page may still be syncing with the live server as the test ends; on
    PostgreSQL its transaction and this one can deadlock: the loser is rolled back and tried again.
    """
    for attempt in range(3):
        try:
            for table in reversed(db.metadata.sorted_tables):
                if table.name != "exercises":
                    db.session.execute(delete(table))
            # As the migration: the counter row exists before any write, so two first writes
            # at once both update it rather than both trying to create it.
            db.session.execute(db.insert(ChangeCounter).values(id=1, value=0))
            db.session.commit()
            return
        except OperationalError:
            db.session.rollback()
            if attempt == 2:
                raise
            time.sleep(0.2)
