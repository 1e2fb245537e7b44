"""Logins held on the server: a cookie names one login, ends with it, and never follows an id."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import delete, func, select

from rehab_app.core import sessions
from rehab_app.extensions import db
from rehab_app.models import Entry, User, UserSession, utcnow
from tests.helpers.accounts import CSRF_RE, PASSWORD, Auth, CsrfClient, login, make_user


def _logged_in(client: CsrfClient) -> bool:
    return client.get("/today").status_code == 200


def _cookies(client: CsrfClient) -> dict[str, str]:
    return {
        name: cookie.value
        for name in ("session", "remember_token")
        if (cookie := client.get_cookie(name)) is not None
    }


def _replay(client: CsrfClient, cookies: dict[str, str]) -> None:
    for name in ("session", "remember_token"):
        client.delete_cookie(name)
    for name, value in cookies.items():
        client.set_cookie(name, value)


def test_a_deleted_accounts_cookies_do_not_open_the_next_account(
    app: Flask, client: CsrfClient, auth: Auth
) -> None:
    first = make_user(email="first@example.test")
    first_id = first.id
    auth.login(first, remember=True)
    kept = _cookies(client)
    assert "remember_token" in kept
    response = client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 302
    # The next sign-up: on SQLite without AUTOINCREMENT it would get the deleted id.
    second = make_user(email="second@example.test", name="Second Person")
    db.session.add(
        Entry(
            user_id=second.id,
            kind="fatigue",
            fatigue=7,
            note="private to second",
            occurred_at=utcnow(),
            local_date=utcnow().date(),
        )
    )
    db.session.commit()
    assert second.id != first_id
    _replay(client, kept)
    page = client.get("/today")
    assert page.status_code == 302
    assert "/login" in page.headers["Location"]
    assert "private to second" not in client.get("/history").get_data(as_text=True)


def test_ids_are_never_handed_out_twice(app: Flask) -> None:
    a = make_user(email="a@example.test")
    b = make_user(email="b@example.test")
    highest = b.id
    db.session.execute(delete(User).where(User.id == highest))
    db.session.commit()
    c = make_user(email="c@example.test")
    assert c.id > highest > a.id


def test_logout_ends_the_login_for_every_copy_of_its_cookie(
    app: Flask, client: CsrfClient, auth: Auth
) -> None:
    user = make_user()
    login(client, user)
    copied = _cookies(client)
    auth.logout()
    assert not _logged_in(client)
    _replay(client, copied)
    assert not _logged_in(client)
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_remember_me_only_when_asked(app: Flask, client: CsrfClient, auth: Auth) -> None:
    user = make_user()
    auth.login(user)
    assert client.get_cookie("remember_token") is None
    auth.logout()
    auth.login(user, remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.expires is not None
    days = (cookie.expires.replace(tzinfo=None) - utcnow()).days
    assert 0 < days <= app.config["REMEMBER_DAYS"]
    row = db.session.scalar(select(UserSession))
    assert row is not None and row.remember


def test_the_remember_cookie_alone_logs_back_in_until_logout(
    app: Flask, client: CsrfClient, auth: Auth
) -> None:
    user = make_user()
    auth.login(user, remember=True)
    remember = client.get_cookie("remember_token")
    assert remember is not None
    client.delete_cookie("session")
    assert _logged_in(client), "the remember cookie should log the person back in"
    auth.logout()
    client.delete_cookie("session")
    client.set_cookie("remember_token", remember.value)
    assert not _logged_in(client)


def test_login_and_logout_start_a_fresh_session_and_csrf_token(
    app: Flask, client: CsrfClient
) -> None:
    user = make_user()
    match = CSRF_RE.search(client.get("/login").get_data(as_text=True))
    assert match is not None
    before = match.group(1)
    login(client, user)
    after = client.csrf_token()
    assert after != before
    client.post("/logout")
    assert client.csrf_token() not in (before, after)


def test_an_expired_login_is_refused(app: Flask, client: CsrfClient) -> None:
    user = make_user()
    login(client, user)
    db.session.execute(
        UserSession.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert not _logged_in(client)


def test_a_login_in_use_stays_alive(app: Flask, client: CsrfClient) -> None:
    user = make_user()
    login(client, user)
    old = utcnow() - sessions.TOUCH_EVERY - timedelta(minutes=1)
    db.session.execute(
        UserSession.__table__.update().values(
            last_seen_at=old, expires_at=utcnow() + timedelta(minutes=1)
        )
    )
    db.session.commit()
    assert _logged_in(client)
    row = db.session.scalar(select(UserSession))
    assert row is not None
    assert row.last_seen_at > old
    assert row.expires_at > utcnow() + timedelta(hours=app.config["SESSION_HOURS"] - 1)


def test_device_labels_are_plain() -> None:
    android = (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 "
        "Mobile Safari/537.36"
    )
    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "Version/17.5 Mobile/15E148 Safari/604.1"
    )
    assert sessions.device_label(android) == "Chrome on Android"
    assert sessions.device_label(iphone) == "Safari on iPhone or iPad"
    assert sessions.device_label(None) == "A browser"


def test_a_background_answer_of_the_logged_out_page_cannot_undo_a_login(
    app: Flask, client: CsrfClient
) -> None:
    """The service worker keeps /offline and the shell while the login page is open: an answer
    made with the logged-out session that lands after the login's answer must not carry that
    session back (it logged people out again right after they logged in)."""
    user = make_user()
    client.get("/login")
    logged_out = client.get_cookie("session")
    assert logged_out is not None
    login(client, user)
    assert _logged_in(client)
    for path, mode in [("/offline", "no-cors"), ("/today", "same-origin"), ("/login", "cors")]:
        stale = app.test_client()  # the worker's request, sent with the cookie of before
        stale.set_cookie("session", logged_out.value)
        answer = stale.get(path, headers={"Sec-Fetch-Mode": mode})
        assert answer.status_code in (200, 302)
        assert not any(c.startswith("session=") for c in answer.headers.getlist("Set-Cookie"))
    # A navigation of the logged-out page keeps its session as before (its message, its token).
    page = app.test_client()
    page.set_cookie("session", logged_out.value)
    answer = page.get("/today", headers={"Sec-Fetch-Mode": "navigate"})
    assert any(c.startswith("session=") for c in answer.headers.getlist("Set-Cookie"))
