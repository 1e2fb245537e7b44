"""Accounts: sign up, log in, log out, CSRF and the login rate limit."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from rehab_app.extensions import db
from rehab_app.models import Entry, User
from tests.helpers.accounts import PASSWORD, CsrfClient, People, login, make_user
from tests.helpers.mail import Mailbox

SIGNUP = {
    "display_name": "Maya",
    "email": "Maya@Example.TEST",
    "password": "a long enough password",
    "confirm": "a long enough password",
    "role": "patient",
    "timezone": "Europe/Paris",
}


def _confirm(client: CsrfClient, mailbox: Mailbox, email: str) -> None:
    (message,) = mailbox.wait_for(email)
    link = urlsplit(mailbox.link(message)).path
    assert client.get(link).status_code == 302


def test_signup_creates_an_account_the_email_confirms(client: CsrfClient, mailbox: Mailbox) -> None:
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 200
    user = db.session.scalar(select(User))
    assert user is not None
    assert (user.email, user.role) == ("maya@example.test", "patient")
    assert user.timezone == "Europe/Paris"
    assert user.password_hash.startswith("scrypt:")
    assert "a long enough password" not in user.password_hash
    _confirm(client, mailbox, "maya@example.test")
    data = {"email": "maya@example.test", "password": "a long enough password"}
    response = client.post("/login", data=data)
    assert response.headers["Location"].endswith("/today")


def test_therapist_signup_lands_on_the_patient_list(client: CsrfClient, mailbox: Mailbox) -> None:
    client.post("/signup", data={**SIGNUP, "role": "therapist"})
    _confirm(client, mailbox, "maya@example.test")
    data = {"email": "maya@example.test", "password": "a long enough password"}
    response = client.post("/login", data=data)
    assert response.headers["Location"].endswith("/therapist")


def test_signup_makes_no_second_account_for_an_email_in_another_case(
    client: CsrfClient, app: Flask
) -> None:
    make_user(email="maya@example.test")
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 200
    assert "already an account" not in response.get_data(as_text=True)
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


def test_a_form_sent_after_the_login_ended_returns_to_its_page_after_the_next_login(
    client: CsrfClient, people: People
) -> None:
    """It used to lead, after the login, to the form's own address, which answers only a POST
    (405), with "Please log in to see that page." and no word of what was lost."""
    login(client, people.therapist)
    page = f"/therapist/patients/{people.patient.id}"
    assert client.get(page).status_code == 200
    client.post("/logout")  # as the login ending elsewhere would: the page still open
    host = "http://localhost"
    sent = client.post(
        f"{page}/notes",
        data={"seen_on": "2026-12-01", "text": "Walked well."},
        headers={"Referer": f"{host}{page}?range=12m", "Sec-Fetch-Mode": "navigate"},
    )
    assert sent.status_code == 302
    to_login = urlsplit(sent.headers["Location"])
    assert to_login.path == "/login" and to_login.query == "next=%2Ftherapist%2Fpatients%2F" + (
        f"{people.patient.id}%3Frange%3D12m"
    )
    shown = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "that was not saved. Log in to send it again." in shown
    # A Referer from elsewhere is not followed: the login leads home.
    sent = client.post(f"{page}/notes", data={}, headers={"Referer": f"https://evil.example{page}"})
    assert urlsplit(sent.headers["Location"]).query == ""


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
        ("/account/links/confirm", {"code": "ABCDEFGH"}),
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
