"""Security headers on every response; cookies and caching fit for health data."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from config import ProductionConfig
from rehab_app import create_app
from rehab_app.extensions import db
from tests.helpers.accounts import PASSWORD, CsrfClient, People, login
from tests.helpers.authorization import ACTORS, ANON, EXPECTED, World, as_actor, make_world, url

# Every GET route, with the first visitor who gets it (200), or anyone when no one does.
GET_ROUTES = {
    rule: next((actor for actor in ACTORS if row[actor] == 200), ANON)
    for (rule, method), row in EXPECTED.items()
    if method == "GET"
}
# The pages and downloads that hold someone's health data.
HEALTH_DATA = {
    "/today",
    "/log/<kind>",
    "/entries/<entry_id>/edit",
    "/history",
    "/therapist",
    "/therapist/patients/<int:patient_id>",
    "/account",
    "/account/export.json",
    "/account/export.csv",
    "/account/delete",
    "/api/v1/sync/pull",
}
# Referrer policies that never send a page's path (with its ids) to another site.
PRIVATE_REFERRERS = {
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
}
# A JSON data block (type="application/json") is never run, so the CSP has no say over it.
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>", re.IGNORECASE
)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.IGNORECASE)


@pytest.fixture
def world(people: People) -> World:
    """The cast, and the owner's things."""
    return make_world(people)


def assert_security_headers(response: TestResponse, hsts: bool = False) -> None:
    """The headers every response carries, whatever its status."""
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, csp
    assert "'unsafe-inline'" not in csp, csp
    assert headers.get("X-Content-Type-Options") == "nosniff"
    assert headers.get("Referrer-Policy") in PRIVATE_REFERRERS
    if hsts:
        match = re.match(r"max-age=(\d+)", headers.get("Strict-Transport-Security", ""))
        assert match is not None and int(match.group(1)) >= 365 * 24 * 3600
    else:  # over plain HTTP in development, HSTS would lock the browser out of the site
        assert "Strict-Transport-Security" not in headers


def cookie_attributes(response: TestResponse, name: str) -> set[str]:
    """The attributes of a Set-Cookie header, lower-cased (`httponly`, `samesite=lax`, ...)."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return {part.strip().lower() for part in header.split(";")[1:]}
    raise AssertionError(f"no {name} cookie set")


@pytest.mark.parametrize(("rule", "actor"), GET_ROUTES.items(), ids=list(GET_ROUTES))
def test_every_page_carries_security_headers(
    client: CsrfClient, world: World, rule: str, actor: str
) -> None:
    """Each GET route as someone allowed to see it: headers, no inline code, no caching."""
    as_actor(client, world, actor)
    response = client.get(url(rule, world))
    assert response.status_code == EXPECTED[(rule, "GET")][actor]
    assert_security_headers(response)
    if response.mimetype == "text/html":
        # The policy refuses inline code, so a page relying on it would silently break.
        html = response.get_data(as_text=True)
        assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
        assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html)
        assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html)
    cache_control = response.headers.get("Cache-Control", "")
    if rule in HEALTH_DATA:
        assert "no-store" in cache_control, response.mimetype
    if rule == "/static/<path:filename>":  # assets may be kept, for speed and for offline use
        assert "no-store" not in cache_control


def test_every_health_data_route_is_a_get_route() -> None:
    """The no-store list names real routes, so a renamed one is not silently unchecked."""
    assert HEALTH_DATA <= set(GET_ROUTES)


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """The app with one more route, that fails as a bug would."""

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("a bug")

    return app


@pytest.mark.fresh_app  # failing_app adds a route
@pytest.mark.parametrize(
    ("who", "method", "path", "status", "kwargs"),
    [
        (None, "GET", "/no-such-page", 404, {}),
        (None, "GET", "/no-such-page", 404, {"headers": {"Accept": "application/json"}}),
        (None, "POST", "/login", 400, {"csrf": False}),
        ("patient", "POST", "/log/fatigue", 400, {"data": {"fatigue": "eleven"}}),
        ("patient", "GET", "/therapist", 403, {}),
        (None, "GET", "/logout", 405, {}),
        (None, "GET", "/boom", 500, {}),
    ],
    ids=["404", "404 json", "400 csrf", "400 form", "403", "405", "500"],
)
def test_error_responses_carry_security_headers(
    failing_app: Flask,
    people: People,
    who: str | None,
    method: str,
    path: str,
    status: int,
    kwargs: dict,
) -> None:
    """Error pages get the same headers as any other."""
    client: CsrfClient = failing_app.test_client()  # type: ignore[assignment]
    if who:
        login(client, getattr(people, who))
    response = client.get(path, **kwargs) if method == "GET" else client.post(path, **kwargs)
    assert response.status_code == status
    assert_security_headers(response)


def test_session_cookies_are_httponly_and_samesite(client: CsrfClient, people: People) -> None:
    """Scripts cannot read the login cookies, and other sites' requests do not carry them."""
    # "Keep me logged in" ticked, so that the remember cookie is set too.
    response = client.post(
        "/login", data={"email": people.patient.email, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        attributes = cookie_attributes(response, name)
        assert {"httponly", "samesite=lax"} <= attributes, (name, attributes)


@pytest.fixture
def production_app(app: Flask, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app made as in production, on the test database."""
    monkeypatch.setenv("SECRET_KEY", secrets.token_hex(32))
    # check() stores the secret on the class: put the old one back afterwards.
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", ProductionConfig.SECRET_KEY)
    production = create_app(ProductionConfig, SQLALCHEMY_DATABASE_URI=db_url)
    production.test_client_class = CsrfClient
    yield production
    with production.app_context():
        db.engine.dispose()


def test_production_sends_hsts_and_secure_cookies(production_app: Flask, people: People) -> None:
    """In production every response asks for HTTPS only, and cookies travel only over it."""
    client: CsrfClient = production_app.test_client()  # type: ignore[assignment]
    assert_security_headers(client.get("/login"), hsts=True)
    # "Keep me logged in" ticked, so that the remember cookie is set too.
    response = client.post(
        "/login", data={"email": people.patient.email, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    assert_security_headers(response, hsts=True)
    for name in ("session", "remember_token"):
        attributes = cookie_attributes(response, name)
        assert {"secure", "httponly", "samesite=lax"} <= attributes, (name, attributes)
    today = client.get("/today")
    assert today.status_code == 200
    assert_security_headers(today, hsts=True)
    assert "no-store" in today.headers["Cache-Control"]
    assert_security_headers(client.get("/no-such-page"), hsts=True)
