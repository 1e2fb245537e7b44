"""Fixtures: the app on a test database, clients that carry CSRF tokens, people to log in as."""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import delete, text

from config import TestConfig
from rehab_app import create_app
from rehab_app.catalogue import seed_rows
from rehab_app.extensions import db
from rehab_app.models import CareLink, ChangeCounter, Exercise, User, utcnow

PASSWORD = "correct horse battery"
_HASH: dict[str, str] = {}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def password_hash() -> str:
    """One scrypt hash of PASSWORD, made once: hashing is slow on purpose."""
    if not _HASH:
        from rehab_app.auth import hash_password

        _HASH["h"] = hash_password(PASSWORD)
    return _HASH["h"]


def database_url(tmp_dir: Path) -> str:
    """The database the suite runs on: TEST_DATABASE_URL, or a fresh SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp_dir / 'test.sqlite3'}"


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


def clear_data() -> None:
    """Delete everything but the catalogue, children first; seed the change counter as 0002 does."""
    for table in reversed(db.metadata.sorted_tables):
        if table.name != "exercises":
            db.session.execute(delete(table))
    # As the migration: the counter row exists before any write, so two first writes at once
    # both update it rather than both trying to create it.
    db.session.execute(db.insert(ChangeCounter).values(id=1, value=0))
    db.session.commit()


class CsrfClient(FlaskClient):
    """A test client that adds the session's CSRF token to form posts, unless told not to."""

    def csrf_token(self) -> str:
        """A valid CSRF token for this client's session."""
        page = super().get("/login").get_data(as_text=True)
        match = CSRF_RE.search(page)
        if match is None:  # logged in: /login redirects; the account pages carry a token
            page = super().get("/today").get_data(as_text=True)
            match = CSRF_RE.search(page) or CSRF_RE.search(
                super().get("/therapist").get_data(as_text=True)
            )
        assert match is not None, "no CSRF token found"
        return match.group(1)

    def open(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Run each request in an app context of its own, as a real server does.

        Tests hold an app context for database access; without this, every request
        would share its `g` (the logged-in user, the CSRF token) with the one before.
        Afterwards the test's own session forgets what it had loaded, so that it reads
        what the request stored.
        """
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response

    def post(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:  # type: ignore[override]
        data = kwargs.get("data")
        if csrf and (data is None or isinstance(data, dict)) and "json" not in kwargs:
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    """The app, on a clean database with the catalogue seeded."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=db_url)
    app.test_client_class = CsrfClient
    with app.app_context():
        clear_data()
        yield app
        db.session.remove()
        clear_data()
        db.engine.dispose()


class Mailbox:
    """What a real SMTP server on loopback (aiosmtpd) received, in order."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: keep each message as it arrived."""
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        """The messages sent to one address."""
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 5.0) -> list[Message]:
        """Wait until `count` messages reached the address (mail leaves on a thread)."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        found = self.to(address)
        assert len(found) >= count, f"{len(found)} of {count} emails reached {address}"
        return found

    @staticmethod
    def body(message: Message) -> str:
        """A plain-text message's body."""
        payload = message.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return payload.decode(message.get_content_charset() or "utf-8")

    def link(self, message: Message) -> str:
        """The one link in a message."""
        links = re.findall(r"https?://\S+", self.body(message))
        assert links, self.body(message)
        return links[0]


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
def runner(app: Flask) -> Any:
    """A CLI runner."""
    return app.test_cli_runner()


def make_user(
    role: str = "patient",
    email: str | None = None,
    name: str | None = None,
    timezone: str = "Europe/London",
) -> User:
    """Create a user with PASSWORD."""
    n = db.session.query(User).count() + 1
    user = User(
        email=email or f"{role}{n}@example.test",
        display_name=name or f"{role.title()} {n}",
        role=role,
        timezone=timezone,
        password_hash=password_hash(),
        email_confirmed_at=utcnow(),
        approved_at=utcnow() if role == "therapist" else None,
    )
    db.session.add(user)
    db.session.commit()
    return user


def link(therapist: User, patient: User) -> CareLink:
    """Link a patient to a therapist."""
    care_link = CareLink(therapist_id=therapist.id, patient_id=patient.id)
    db.session.add(care_link)
    db.session.commit()
    return care_link


class People:
    """The cast of the authorization tests: an owner, a stranger, two therapists."""

    def __init__(self) -> None:
        self.patient = make_user("patient", "owner@example.test", "Olive Owner")
        self.other_patient = make_user("patient", "other@example.test", "Otto Other")
        self.therapist = make_user("therapist", "linked@example.test", "Lin Linked")
        self.other_therapist = make_user("therapist", "unlinked@example.test", "Una Unlinked")
        link(self.therapist, self.patient)


@pytest.fixture
def people(app: Flask) -> People:
    """An owner patient linked to a therapist, plus an unrelated patient and therapist."""
    return People()


def login(client: CsrfClient, user: User | str) -> None:
    """Log a client in as a user."""
    email = user if isinstance(user, str) else user.email
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


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
