"""Accounts: sign up, log in, log out, CSRF and the login rate limit."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from rehab_app.extensions import db
from rehab_app.models import Entry, User
from tests.conftest import PASSWORD, CsrfClient, People, login, make_user

SIGNUP = {
    "display_name": "Maya",
    "email": "Maya@Example.TEST",
    "password": "a long enough password",
    "confirm": "a long enough password",
    "role": "patient",
    "timezone": "Europe/Paris",
}


def test_signup_creates_an_account_and_logs_in(client: CsrfClient) -> None:
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/today")
    user = db.session.scalar(select(User))
    assert user is not None
    assert (user.email, user.role) == ("maya@example.test", "patient")
    assert user.timezone == "Europe/Paris"
    assert user.password_hash.startswith("scrypt:")
    assert "a long enough password" not in user.password_hash
    assert "Welcome, Maya" in client.get("/today").get_data(as_text=True)


def test_therapist_signup_lands_on_the_patient_list(client: CsrfClient) -> None:
    response = client.post("/signup", data={**SIGNUP, "role": "therapist"})
    assert response.headers["Location"].endswith("/therapist")


def test_signup_refuses_an_email_in_another_case(client: CsrfClient, app: Flask) -> None:
    make_user(email="maya@example.test")
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 400
    assert "already an account with this email" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_login_with_any_case_of_email(client: CsrfClient, app: Flask) -> None:
    make_user(email="sam@example.test")
    response = client.post("/login", data={"email": " SAM@example.test ", "password": PASSWORD})
    assert response.status_code == 302


def test_wrong_password_says_so_without_saying_which(client: CsrfClient, app: Flask) -> None:
    make_user(email="sam@example.test")
    for email in ("sam@example.test", "nobody@example.test"):
        response = client.post("/login", data={"email": email, "password": "wrong password"})
        assert response.status_code == 400
        assert "do not match an account" in response.get_data(as_text=True)


def test_login_follows_next_only_within_the_site(client: CsrfClient, app: Flask) -> None:
    make_user(email="sam@example.test")
    data = {"email": "sam@example.test", "password": PASSWORD}
    response = client.post("/login?next=/history", data=data)
    assert response.headers["Location"] == "/history"
    client.post("/logout")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = client.post(f"/login?next={target}", data=data)
        assert "evil" not in response.headers["Location"]
        client.post("/logout")


def test_logout_needs_a_post_with_a_token(patient_client: CsrfClient) -> None:
    assert patient_client.get("/logout").status_code == 405
    assert patient_client.post("/logout", csrf=False).status_code == 400
    assert patient_client.get("/today").status_code == 200
    assert patient_client.post("/logout").status_code == 302
    assert patient_client.get("/today").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client: CsrfClient, app: Flask) -> None:
    make_user(email="sam@example.test")
    response = client.post("/login", data={"email": "sam@example.test", "password": PASSWORD})
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session
    assert "SameSite=Lax" in session


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/today/fatigue", {"fatigue": "5"}),
        ("/log/bad_day", {"reason": "heat", "occurred_at": "2026-01-01T10:00"}),
        ("/account/links", {"code": "ABCD-EFGH"}),
    ],
)
def test_csrf_refuses_a_form_without_its_token(
    patient_client: CsrfClient, url: str, data: dict[str, str]
) -> None:
    response = patient_client.post(url, data=data, csrf=False)
    assert response.status_code == 400
    assert "form had expired" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
    response = patient_client.post(url, data={**data, "csrf_token": "forged"}, csrf=False)
    assert response.status_code == 400


def test_login_is_limited_per_account(client: CsrfClient, app: Flask) -> None:
    make_user(email="sam@example.test")
    limit = app.config["LOGIN_LIMIT_PER_ACCOUNT"]
    for _ in range(limit):
        response = client.post(
            "/login", data={"email": "sam@example.test", "password": "guess guess"}
        )
        assert response.status_code == 400
    # Now even the right password waits: the account is being guessed at.
    response = client.post("/login", data={"email": "sam@example.test", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    # Another account from another address is not affected.
    make_user(email="kim@example.test")
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    response = other.post("/login", data={"email": "kim@example.test", "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]


def test_login_is_limited_per_address(client: CsrfClient, app: Flask) -> None:
    limit = app.config["LOGIN_LIMIT_PER_ADDRESS"]
    for n in range(limit):
        email = f"guess{n}@example.test"
        client.post("/login", data={"email": email, "password": "guess guess"})
    make_user(email="sam@example.test")
    response = client.post("/login", data={"email": "sam@example.test", "password": PASSWORD})
    assert response.status_code == 429


def test_a_successful_login_clears_the_account_count(client: CsrfClient, app: Flask) -> None:
    make_user(email="sam@example.test")
    limit = app.config["LOGIN_LIMIT_PER_ACCOUNT"]
    for _ in range(limit - 1):
        client.post("/login", data={"email": "sam@example.test", "password": "guess guess"})
    login(client, "sam@example.test")
    client.post("/logout")
    for _ in range(limit - 1):
        response = client.post(
            "/login", data={"email": "sam@example.test", "password": "guess guess"}
        )
        assert response.status_code == 400


def test_roles_keep_to_their_own_pages(client: CsrfClient, people: People) -> None:
    login(client, people.patient)
    assert client.get("/therapist").status_code == 403
    client.post("/logout")
    login(client, people.therapist)
    assert client.get("/today").status_code == 403


def test_production_password_hashing_meets_owasp() -> None:
    from config import Config

    method, n, r, p = Config.PASSWORD_HASH_METHOD.split(":")
    assert method == "scrypt"
    assert (int(n), int(r), int(p)) >= (2**17, 8, 1)
