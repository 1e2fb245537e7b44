"""Passwords: the policy, changing one, resetting one by email, and a sign-up the email confirms."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from rehab_app.core import mail
from rehab_app.core.passwords import WeakPassword, check_password
from rehab_app.extensions import db
from rehab_app.models import EmailToken, User, UserSession
from tests.helpers.accounts import PASSWORD, CsrfClient, login, make_user
from tests.helpers.mail import Mailbox
from tests.helpers.pages import visible

NEW = "a quiet walk by the river"
SIGNUP = {
    "display_name": "Maya",
    "email": "Maya@Example.TEST",
    "password": "a long enough password",
    "confirm": "a long enough password",
    "role": "patient",
    "timezone": "Europe/Paris",
}


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _count(model: type, *where: object) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def _without_csrf(html: str) -> str:
    html = re.sub(r'(name="csrf_token"[^>]*value=)"[^"]*"', r'\1""', html)
    return re.sub(r'(<meta name="csrf-token" content=)"[^"]*"', r'\1""', html)


def _logged_in(client: CsrfClient) -> bool:
    return client.get("/account").status_code == 200


# ----------------------------------------------------------------------------- the policy


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaa",
        "password12",
        "Password2024!",
        "1234567890",
        "0987654321",
        "qwertyuiop",
        "abcdefghijk",
        "ababababab",
        "iloveyou123",
        "correct horse battery staple",
        "maya.patel@example.test",
        "MAYA.PATEL@example.test",
        "maya.patel",
        "mayapatel1984",
    ],
)
def test_the_policy_refuses_common_passwords_patterns_and_the_email(password: str) -> None:
    with pytest.raises(WeakPassword):
        check_password(password, "maya.patel@example.test")


@pytest.mark.parametrize(
    "password", ["correct horse battery", "a long walk in the park", "Tea at 4 with Priya!"]
)
def test_the_policy_accepts_a_few_words_in_a_row(password: str) -> None:
    check_password(password, "maya.patel@example.test")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password12", "too easy to guess"),
        ("aaaaaaaaaa", "too easy to guess"),
        ("maya@example.test", "email address"),
        ("short", "10 to 200"),
    ],
)
def test_signup_says_why_a_password_is_refused_next_to_it(
    client: CsrfClient, password: str, message: str
) -> None:
    response = client.post("/signup", data={**SIGNUP, "password": password, "confirm": password})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="password-error">(.*?)</p>', page, re.S)
    assert error is not None and message in error.group(1)
    assert 'aria-describedby="password-hint password-error"' in page
    assert _count(User) == 0


# ----------------------------------------------------------------------------- mail


def test_development_prints_mail_instead_of_sending(capsys: pytest.CaptureFixture[str]) -> None:
    settings = mail.MailSettings(console=True)
    message = mail.compose(settings, "sam@example.test", "Hello", "A link: https://x.test/1")
    assert mail.deliver(settings, message)
    assert "https://x.test/1" in capsys.readouterr().err


def test_without_a_server_outside_development_mail_is_dropped_and_logged(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    settings = mail.MailSettings()
    message = mail.compose(settings, "sam@example.test", "Hello", "A link: https://x.test/1")
    with caplog.at_level(logging.WARNING, logger="rehab_app.core.mail"):
        assert not mail.deliver(settings, message)
    assert "https://x.test/1" not in capsys.readouterr().err + caplog.text
    assert "sam@example.test" not in caplog.text
    assert "MAIL_SERVER is not set" in caplog.text


# ----------------------------------------------------------------------------- sign-up


def test_signup_asks_to_confirm_the_email_before_logging_in(
    client: CsrfClient, mailbox: Mailbox
) -> None:
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 200
    assert "Check your email to confirm your account" in visible(response.get_data(as_text=True))
    assert not _logged_in(client)
    user = db.session.scalar(select(User))
    assert user is not None and user.email_confirmed_at is None
    assert (user.email, user.timezone) == ("maya@example.test", "Europe/Paris")

    login_data = {"email": "maya@example.test", "password": SIGNUP["password"]}
    refused = client.post("/login", data=login_data)
    assert refused.status_code == 403
    assert "Please confirm your email first" in visible(refused.get_data(as_text=True))
    assert not _logged_in(client)

    (message,) = mailbox.wait_for("maya@example.test")
    assert message["Subject"] == "Confirm your email for Rehab Log"
    assert "Hello Maya" in mailbox.body(message)
    confirmed = client.get(_path(mailbox.link(message)))
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/login"
    assert "your email is confirmed" in client.get("/login").get_data(as_text=True)

    response = client.post("/login", data=login_data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/today")
    # The link works once.
    client.post("/logout")
    again = client.get(_path(mailbox.link(message)), follow_redirects=True)
    assert "expired or was already used" in again.get_data(as_text=True)


def test_an_unconfirmed_account_says_nothing_to_a_wrong_password(
    client: CsrfClient, mailbox: Mailbox
) -> None:
    client.post("/signup", data=SIGNUP)
    response = client.post("/login", data={"email": "maya@example.test", "password": "wrong one"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "do not match an account" in page
    assert "confirm" not in visible(page).lower()
    assert "/signup/resend" not in page


def test_the_confirmation_link_can_be_sent_again(client: CsrfClient, mailbox: Mailbox) -> None:
    client.post("/signup", data=SIGNUP)
    mailbox.wait_for("maya@example.test")
    # Without the right password first, asking again sends nothing.
    assert client.post("/signup/resend").status_code == 302
    login_data = {"email": "maya@example.test", "password": SIGNUP["password"]}
    page = client.post("/login", data=login_data).get_data(as_text=True)
    assert "Send the link again" in page
    response = client.post("/signup/resend")
    assert response.headers["Location"] == "/login"
    assert "We sent you a new link" in client.get("/login").get_data(as_text=True)
    first, second = mailbox.wait_for("maya@example.test", 2)
    assert mailbox.link(first) != mailbox.link(second)
    client.get(_path(mailbox.link(second)))
    assert client.post("/login", data=login_data).status_code == 302


def test_signup_with_a_known_email_answers_the_same_and_tells_its_owner(
    app: Flask, mailbox: Mailbox
) -> None:
    make_user(email="known@example.test", name="Kim Known")
    pages = []
    for email in ("known@example.test", "new@example.test"):
        client: CsrfClient = app.test_client()  # type: ignore[assignment]
        response = client.post("/signup", data={**SIGNUP, "email": email.upper()})
        assert response.status_code == 200
        pages.append(_without_csrf(response.get_data(as_text=True)))
    assert pages[0] == pages[1]
    assert _count(User) == 2
    known = db.session.scalar(select(User).where(User.email == "known@example.test"))
    assert known is not None and known.display_name == "Kim Known"
    (owner,) = mailbox.wait_for("known@example.test")
    assert "Someone tried to create a Rehab Log account" in mailbox.body(owner)
    assert "/password/forgot" in mailbox.body(owner)
    mailbox.wait_for("new@example.test")


def test_signups_from_one_address_are_slowed_down(app: Flask, client: CsrfClient) -> None:
    app.config["SIGNUP_LIMIT_PER_ADDRESS"] = 2
    for n in range(2):
        response = client.post("/signup", data={**SIGNUP, "email": f"p{n}@example.test"})
        assert response.status_code == 200
    response = client.post("/signup", data={**SIGNUP, "email": "p9@example.test"})
    assert response.status_code == 429
    assert "try again in" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    assert _count(User) == 2


# ----------------------------------------------------------------------------- change


def test_changing_the_password_logs_out_every_other_device(app: Flask) -> None:
    user = make_user(email="sam@example.test")
    here: CsrfClient = app.test_client()  # type: ignore[assignment]
    there: CsrfClient = app.test_client()  # type: ignore[assignment]
    login(here, user)
    login(there, user)
    assert here.get("/account/password").status_code == 200

    data = {"current": PASSWORD, "password": NEW, "confirm": NEW}
    wrong = here.post("/account/password", data={**data, "current": "not my password"})
    assert wrong.status_code == 400
    assert "not your current password" in wrong.get_data(as_text=True)
    weak = here.post("/account/password", data={**data, "password": "sam@example.test"})
    assert "email address" in weak.get_data(as_text=True)
    assert _logged_in(there)

    response = here.post("/account/password", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/security"
    page = visible(here.get("/account/security").get_data(as_text=True))
    assert "Your password is changed. We logged you out on 1 other device" in page
    assert _logged_in(here)
    assert not _logged_in(there)
    assert _count(UserSession, UserSession.user_id == user.id) == 1

    fresh: CsrfClient = app.test_client()  # type: ignore[assignment]
    old = fresh.post("/login", data={"email": "sam@example.test", "password": PASSWORD})
    assert old.status_code == 400
    new = fresh.post("/login", data={"email": "sam@example.test", "password": NEW})
    assert new.status_code == 302


def test_a_therapist_changes_their_password_too(app: Flask, client: CsrfClient) -> None:
    therapist = make_user("therapist", email="tess@example.test")
    login(client, therapist)
    data = {"current": PASSWORD, "password": NEW, "confirm": NEW}
    assert client.post("/account/password", data=data).status_code == 302
    client.post("/logout")
    login_data = {"email": "tess@example.test", "password": NEW}
    assert client.post("/login", data=login_data).headers["Location"].endswith("/therapist")


def test_the_security_page_links_to_the_password_change(patient_client: CsrfClient) -> None:
    page = patient_client.get("/account/security").get_data(as_text=True)
    assert 'href="/account/password"' in page


# ----------------------------------------------------------------------------- reset


def test_reset_answers_the_same_whether_or_not_the_email_has_an_account(
    app: Flask, mailbox: Mailbox
) -> None:
    make_user(email="sam@example.test")
    pages = []
    for email in ("sam@example.test", "nobody@example.test"):
        client: CsrfClient = app.test_client()  # type: ignore[assignment]
        assert "Forgot your password?" in client.get("/login").get_data(as_text=True)
        response = client.post("/password/forgot", data={"email": email})
        assert response.status_code == 200
        pages.append(_without_csrf(response.get_data(as_text=True)))
    assert pages[0] == pages[1]
    assert "Check your email" in visible(pages[0])
    (message,) = mailbox.wait_for("sam@example.test")
    assert message["Subject"] == "Set a new password for Rehab Log"
    assert "30 minutes" in mailbox.body(message)
    assert mailbox.to("nobody@example.test") == []
    assert _count(EmailToken) == 1


def test_reset_by_email_sets_a_new_password_and_ends_every_login(
    app: Flask, mailbox: Mailbox
) -> None:
    user = make_user(email="sam@example.test")
    phone: CsrfClient = app.test_client()  # type: ignore[assignment]
    login(phone, user)
    client: CsrfClient = app.test_client()  # type: ignore[assignment]
    client.post("/password/forgot", data={"email": "SAM@example.test"})
    (message,) = mailbox.wait_for("sam@example.test")
    link = _path(mailbox.link(message))
    token = link.rsplit("/", 1)[1]
    stored = db.session.scalar(select(EmailToken.token_hash))
    assert stored is not None and token not in stored

    opened = client.get(link)
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/password/reset"
    form = client.get("/password/reset")
    assert form.status_code == 200
    assert token not in form.get_data(as_text=True)

    weak = client.post("/password/reset", data={"password": "password12", "confirm": "password12"})
    assert weak.status_code == 400
    assert "too easy to guess" in weak.get_data(as_text=True)
    response = client.post("/password/reset", data={"password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "every device is logged out" in client.get("/login").get_data(as_text=True)
    assert not _logged_in(phone)
    assert _count(UserSession, UserSession.user_id == user.id) == 0

    old = client.post("/login", data={"email": "sam@example.test", "password": PASSWORD})
    assert old.status_code == 400
    assert (
        client.post("/login", data={"email": "sam@example.test", "password": NEW}).status_code
        == 302
    )
    client.post("/logout")

    # The link is used up: opening it again says so and offers a new one.
    client.get(link)
    again = client.get("/password/reset")
    assert again.status_code == 400
    page = again.get_data(as_text=True)
    assert "This link no longer works" in page
    assert 'href="/password/forgot"' in page
    reuse = client.post(
        "/password/reset",
        data={"password": "another long password", "confirm": "another long password"},
    )
    assert reuse.status_code == 400


def test_an_expired_reset_link_says_so(app: Flask, client: CsrfClient, mailbox: Mailbox) -> None:
    make_user(email="sam@example.test")
    client.post("/password/forgot", data={"email": "sam@example.test"})
    (message,) = mailbox.wait_for("sam@example.test")
    db.session.execute(update(EmailToken).values(expires_at=EmailToken.created_at))
    db.session.commit()
    client.get(_path(mailbox.link(message)))
    response = client.get("/password/reset")
    assert response.status_code == 400
    assert "has expired or was already used" in visible(response.get_data(as_text=True))


def test_a_reset_link_lasts_reset_minutes(app: Flask, client: CsrfClient) -> None:
    make_user(email="sam@example.test")
    client.post("/password/forgot", data={"email": "sam@example.test"})
    row = db.session.scalars(select(EmailToken)).one()
    assert row.purpose == "reset"
    assert row.expires_at - row.created_at == timedelta(minutes=app.config["RESET_MINUTES"])


def test_reset_requests_are_slowed_down_per_email_and_per_address(
    app: Flask, mailbox: Mailbox
) -> None:
    make_user(email="sam@example.test")
    app.config.update(RESET_LIMIT_PER_EMAIL=2, RESET_LIMIT_PER_ADDRESS=4)
    statuses = []
    for n in range(3):
        client: CsrfClient = app.test_client()  # type: ignore[assignment]
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{n}"
        statuses.append(client.post("/password/forgot", data={"email": "sam@example.test"}))
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert "try again in" in statuses[2].get_data(as_text=True)
    mailbox.wait_for("sam@example.test", 2)
    # One address asking about many emails is slowed down too.
    client = app.test_client()  # type: ignore[assignment]
    codes = [
        client.post("/password/forgot", data={"email": f"n{n}@example.test"}).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]
    assert len(mailbox.to("sam@example.test")) == 2
