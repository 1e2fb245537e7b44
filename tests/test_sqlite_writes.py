"""Four people writing at once never see "database is locked".

Four threads, each with a test client, an app context and a database connection of its own (as
four gunicorn workers would), log in, push entries and open pages over and over against one
database file. On SQLite the writers take turns (`BEGIN IMMEDIATE`, the busy timeout, and a
retry of the request when the lock still slips through); no request may answer 5xx. The same
run on PostgreSQL (TEST_DATABASE_URL) checks nothing there depends on SQLite.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from typing import Any

import pytest
from flask import Flask

from tests.helpers.accounts import PASSWORD, CsrfClient, make_user
from tests.helpers.api import device, together

ROUNDS = 6


def busy_person(app: Flask, email: str) -> list[int]:
    """One person's morning: log in on a new phone, push, open pages; every status code."""
    user_id = make_user("patient", email).id
    statuses: list[int] = []

    def work() -> list[int]:
        with app.app_context():
            from rehab_app.extensions import db
            from rehab_app.models import User

            user = db.session.get(User, user_id)
            assert user is not None
            phone = device(app, user)
        for n in range(1, ROUNDS + 1):
            entry: dict[str, Any] = {
                "id": str(uuid.uuid4()),
                "kind": "fatigue",
                "occurred_at": "2026-03-02T09:00:00Z",
                "fatigue": n % 10 + 1,
            }
            status, _answer = phone.push([{"id": n, "op": "create", "entry": entry}])
            statuses.append(status)
            statuses.append(phone.browser.get("/today").status_code)
            other: CsrfClient = app.test_client()  # type: ignore[assignment]
            response = other.post("/login", data={"email": email, "password": PASSWORD})
            statuses.append(response.status_code)
        return statuses

    return work  # type: ignore[return-value]


def test_four_writers_at_once_never_get_database_is_locked(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    people = [busy_person(app, f"writer{n}@example.test") for n in range(4)]
    with caplog.at_level(logging.WARNING):
        results = together(*people)  # type: ignore[arg-type]
    statuses = [s for person in results for s in person]
    assert len(statuses) == 4 * ROUNDS * 3
    assert all(s < 500 for s in statuses), sorted(set(statuses))
    assert set(statuses) <= {200, 302}, sorted(set(statuses))
    assert "database is locked" not in caplog.text


def test_a_login_while_another_writer_holds_the_lock_past_the_timeout_is_run_again(
    app: Flask, client: CsrfClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A writer (a purge, a long push) holds SQLite's lock past the busy timeout: the login
    waits, is run again once the lock is free, and succeeds; the log names no one."""
    from rehab_app.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    user = make_user("patient", "olive.owner@example.test")
    token = client.csrf_token()
    path = db.engine.url.database
    assert path
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE change_counter SET value = value WHERE id = 1")
    release = threading.Timer(6.0, lambda: holder.execute("COMMIT"))
    release.start()
    caplog.clear()  # only the login's own lines below (a slow csrf_token() page logs too)
    try:
        with caplog.at_level(logging.WARNING):
            response = client.post(
                "/login",
                data={"email": user.email, "password": PASSWORD, "csrf_token": token},
                csrf=False,
            )
    finally:
        release.join()
        holder.close()
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert "running POST /login again" in caplog.text
    assert "olive" not in caplog.text
    # Run again, it is still one request to whoever reads the log: one id from first to last.
    ids = {getattr(r, "request_id", None) for r in caplog.records if r.name.startswith("rehab_app")}
    assert ids == {response.headers["X-Request-ID"]}, ids
