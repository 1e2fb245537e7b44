"""The security page: where I am logged in, and logging out the devices I do not hold."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from config import TestConfig
from rehab_app import create_app
from rehab_app.extensions import db
from rehab_app.models import User, UserSession
from tests.helpers.accounts import CsrfClient, login, make_user
from tests.helpers.database import clear_data
from tests.helpers.pages import visible

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0"
)


def _device(app: Flask, user: User | str, agent: str) -> CsrfClient:
    client: CsrfClient = app.test_client()  # type: ignore[assignment]
    client.environ_base["HTTP_USER_AGENT"] = agent
    login(client, user)
    return client


def _logins(user_id: int) -> int:
    db.session.rollback()
    return (
        db.session.scalar(
            select(func.count()).select_from(UserSession).where(UserSession.user_id == user_id)
        )
        or 0
    )


def _login_ids(user_id: int) -> list[int]:
    db.session.rollback()
    query = select(UserSession.id).where(UserSession.user_id == user_id).order_by(UserSession.id)
    return list(db.session.scalars(query))


def test_the_page_lists_my_devices_and_says_which_is_this_one(app: Flask) -> None:
    sam = make_user(email="sam@example.test")
    phone = _device(app, sam, IPHONE)
    _device(app, sam, WINDOWS)
    _device(app, make_user(email="kim@example.test"), IPHONE)  # someone else's: not listed

    page = visible(phone.get("/account/security").get_data(as_text=True))
    assert "Safari on iPhone or iPad (this device)" in page
    assert "Edge on Windows" in page
    assert "Edge on Windows (this device)" not in page
    assert page.count("Last used today, ") == 2
    # This device comes first.
    assert page.index("(this device)") < page.index("Edge on Windows")
    # A button for the other device only, and one for all of them.
    assert page.count("Log out Edge on Windows") == 1
    assert "Log out Safari" not in page
    assert "Log out everywhere else" in page


def test_logging_out_another_device_ends_its_login_there_only(app: Flask) -> None:
    sam = make_user(email="sam@example.test")
    phone = _device(app, sam, IPHONE)
    laptop = _device(app, sam, WINDOWS)
    laptop_login = _login_ids(sam.id)[-1]

    response = phone.post(f"/account/security/logins/{laptop_login}/end", follow_redirects=True)
    assert response.request.path == "/account/security"
    assert "That device is logged out." in visible(response.get_data(as_text=True))
    assert laptop.get("/today").headers["Location"].startswith("/login")
    assert phone.get("/today").status_code == 200
    assert _logins(sam.id) == 1


def test_log_out_everywhere_else_keeps_this_device(app: Flask) -> None:
    sam = make_user(email="sam@example.test")
    kim = make_user(email="kim@example.test")
    phone = _device(app, sam, IPHONE)
    others = [_device(app, sam, WINDOWS) for _ in range(2)]
    kims = _device(app, kim, IPHONE)

    response = phone.post("/account/security/logins/end-others", follow_redirects=True)
    assert "Logged out on 2 other devices." in visible(response.get_data(as_text=True))
    assert phone.get("/today").status_code == 200
    for other in others:
        assert other.get("/today").status_code == 302
    assert kims.get("/today").status_code == 200
    assert _logins(sam.id) == 1
    page = visible(phone.get("/account/security").get_data(as_text=True))
    assert "Log out everywhere else" not in page  # nothing else to log out


def test_ending_a_login_needs_the_forms_token(app: Flask) -> None:
    sam = make_user(email="sam@example.test")
    phone = _device(app, sam, IPHONE)
    _device(app, sam, WINDOWS)
    laptop_login = _login_ids(sam.id)[-1]
    assert phone.post(f"/account/security/logins/{laptop_login}/end", csrf=False).status_code == 400
    assert phone.post("/account/security/logins/end-others", csrf=False).status_code == 400
    assert _logins(sam.id) == 2


def test_the_account_page_leads_to_the_security_page(app: Flask) -> None:
    for role in ("patient", "therapist"):
        person = make_user(role)
        client = _device(app, person, IPHONE)
        page = client.get("/account").get_data(as_text=True)
        assert 'href="/account/security"' in page, role
        assert client.get("/account/security").status_code == 200


def test_password_and_passkey_pages_are_linked_once_they_exist(db_url: str) -> None:
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=db_url)
    app.test_client_class = CsrfClient
    with app.app_context():
        clear_data()
        client = _device(app, make_user(email="sam@example.test"), IPHONE)
        page = visible(client.get("/account/security").get_data(as_text=True))
        if "auth.change_password" not in app.view_functions:
            assert "Change password" not in page
        if not any(rule.rule == "/account/passkeys" for rule in app.url_map.iter_rules()):
            assert "Passkeys" not in page
        db.session.remove()

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=db_url)
    app.test_client_class = CsrfClient
    if "auth.change_password" not in app.view_functions:
        app.add_url_rule("/account/password", "auth.change_password", lambda: "")
    if not any(rule.rule == "/account/passkeys" for rule in app.url_map.iter_rules()):
        app.add_url_rule("/account/passkeys", "test_passkeys", lambda: "")
    with app.app_context():
        client = _device(app, "sam@example.test", IPHONE)
        page = client.get("/account/security").get_data(as_text=True)
        assert 'href="/account/passkeys">Passkeys</a>' in page
        assert ">Change password</a>" in page
        clear_data()
        db.session.remove()
        db.engine.dispose()
