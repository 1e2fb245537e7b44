"""What a database error means for the person waiting: try again at once, or not now.

SQLite answers "database is locked" when another writer held the lock past the busy timeout
(or a reading transaction tried to become a writer after someone else wrote): running the whole
request again is safe while it has committed nothing. A read-only file, a full or missing disk,
or a PostgreSQL server that cannot be reached or is read-only means the app cannot save now: the
person gets a clear "try again later" page (503), not a 500.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError

BUSY_RETRIES = 3  # attempts of a whole request when SQLite was still busy
_BUSY = ("database is locked", "database table is locked", "database is busy")
_UNAVAILABLE_SQLITE = (
    "readonly database",
    "unable to open database",
    "disk i/o error",
    "database or disk is full",
)


def is_busy(error: BaseException) -> bool:
    """SQLite's lock was still held by another writer: the request may be run again."""
    orig = getattr(error, "orig", None)
    return isinstance(orig, sqlite3.OperationalError) and any(
        text in str(orig).lower() for text in _BUSY
    )


def is_unavailable(error: BaseException) -> bool:
    """The database cannot be written (or reached) now; nothing the person did is wrong."""
    if not isinstance(error, DBAPIError):
        return False
    orig = error.orig
    if isinstance(orig, sqlite3.Error):
        return is_busy(error) or any(text in str(orig).lower() for text in _UNAVAILABLE_SQLITE)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(orig, psycopg.OperationalError | psycopg.errors.ReadOnlySqlTransaction)
