"""People to log in as, and a test client that carries the session's CSRF token."""

from __future__ import annotations

import re
from typing import Any

from flask import has_app_context
from flask.testing import FlaskClient

from rehab_app.extensions import db
from rehab_app.models import CareLink, User, utcnow

PASSWORD = "correct horse battery"
_HASH: dict[str, str] = {}
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def password_hash() -> str:
    """One scrypt hash of PASSWORD, made once: hashing is slow on purpose."""
    if not _HASH:
        from rehab_app.web.auth.logins import hash_password

        _HASH["h"] = hash_password(PASSWORD)
    return _HASH["h"]


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


def login(client: CsrfClient, user: User | str) -> None:
    """Log a client in as a user, or fail the test."""
    response = Auth(client).login(user)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


class Auth:
    """Logging a client in and out through the pages, as flaskr's `auth` fixture does."""

    def __init__(self, client: CsrfClient) -> None:
        self.client = client

    def login(self, user: User | str, password: str = PASSWORD, *, remember: bool = False) -> Any:
        """Send the login form; the response (a 302 home when it worked)."""
        email = user if isinstance(user, str) else user.email
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self) -> Any:
        """Send the logout form; the response."""
        return self.client.post("/logout")
