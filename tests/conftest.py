"""Fixtures: the app on a test database, clients that carry CSRF tokens, people to log in as."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from config import TestConfig
from rehab_app import create_app
from rehab_app.core.catalogue import seed_rows
from rehab_app.extensions import db
from rehab_app.models import Exercise
from tests.helpers.accounts import Auth, CsrfClient, People, login
from tests.helpers.database import clear_data, database_url
from tests.helpers.mail import Mailbox, free_port


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked no_database run once, in the SQLite pass: on PostgreSQL they would only
    repeat the same maths. A marked test that asks for the database is an error, so the
    mark cannot hide a test from PostgreSQL by mistake."""
    marked = [item for item in items if item.get_closest_marker("no_database")]
    wrong = [item.nodeid for item in marked if "db_url" in getattr(item, "fixturenames", ())]
    if wrong:
        raise pytest.UsageError(f"marked no_database but uses the database: {wrong}")
    if os.environ.get("TEST_DATABASE_URL", "").strip() and marked:
        config.hook.pytest_deselected(items=marked)
        leave = set(marked)
        items[:] = [item for item in items if item not in leave]


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Create the schema once per run (tests leave only the catalogue behind)."""
    url = database_url(tmp_path_factory.mktemp("db"))
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        db.session.execute(db.insert(Exercise), seed_rows())
        db.session.commit()
        db.engine.dispose()
    return url


def _test_app(db_url: str) -> Flask:
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=db_url)
    app.test_client_class = CsrfClient
    return app


def _on_clean_data(app: Flask) -> Iterator[Flask]:
    with app.app_context():
        clear_data()
        yield app
        db.session.remove()
        clear_data()
        db.engine.dispose()


@pytest.fixture(scope="session")
def shared_app(db_url: str) -> Flask:
    """One app for the run's tests: making one costs about 80 ms (Werkzeug compiling each of
    its routes), minutes over the suite. Each test gets the configuration back as it was."""
    return _test_app(db_url)


@pytest.fixture
def app(request: pytest.FixtureRequest, shared_app: Flask, db_url: str) -> Iterator[Flask]:
    """The app, on a clean database with the catalogue seeded.

    The run's one app, its configuration restored after each test; a test marked `fresh_app`
    (one that adds a route, which an app refuses once it has served a request) gets its own.
    """
    if request.node.get_closest_marker("fresh_app"):
        yield from _on_clean_data(_test_app(db_url))
        return
    config = dict(shared_app.config)
    try:
        yield from _on_clean_data(shared_app)
    finally:
        shared_app.config.clear()
        shared_app.config.update(config)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on a free loopback port for the whole run, and what it received."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(app: Flask, smtp_server: tuple[Mailbox, int]) -> Iterator[Mailbox]:
    """The app sends its mail to the loopback SMTP server; the messages of this test only."""
    box, port = smtp_server
    box.messages.clear()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    yield box
    box.messages.clear()


@pytest.fixture
def client(app: Flask) -> CsrfClient:
    """A browser-like client."""
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def auth(client: CsrfClient) -> Auth:
    """Log the `client` in and out: `auth.login(user)`, `auth.logout()`."""
    return Auth(client)


@pytest.fixture
def runner(app: Flask) -> Any:
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def people(app: Flask) -> People:
    """An owner patient linked to a therapist, plus an unrelated patient and therapist."""
    return People()


@pytest.fixture
def patient_client(client: CsrfClient, people: People) -> CsrfClient:
    """A client logged in as the owner patient."""
    login(client, people.patient)
    return client


@pytest.fixture
def therapist_client(client: CsrfClient, people: People) -> CsrfClient:
    """A client logged in as the linked therapist."""
    login(client, people.therapist)
    return client
