"""The factory and configuration."""

from __future__ import annotations

import gc
import weakref

import pytest
from flask import Flask
from sqlalchemy import text

import config
from rehab_app import create_app
from rehab_app.extensions import db
from rehab_app.web.logs import JsonFormatter


def test_default_database_is_sqlite_in_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = config.database_url()
    assert url.startswith("sqlite:///")
    assert url.endswith("/instance/rehab_log.sqlite3")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_database_url_switches_to_postgresql(
    monkeypatch: pytest.MonkeyPatch, given: str, expected: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    assert config.database_url() == expected


@pytest.mark.parametrize("secret", [None, "", config.DEV_SECRET, "short"])
def test_production_refuses_a_missing_or_default_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str | None
) -> None:
    if secret is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config.ProductionConfig)


def test_production_starts_with_a_real_secret(monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    app = create_app(config.ProductionConfig, SQLALCHEMY_DATABASE_URI=db_url)
    assert app.config["SECRET_KEY"] == "x" * 64
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["HSTS"] is True
    assert app.config["ASSETS_AUTO_BUILD"] is False


def test_unknown_app_env_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "staging-typo")
    with pytest.raises(RuntimeError, match="APP_ENV"):
        create_app()


def test_test_config(app: Flask) -> None:
    assert app.testing
    assert app.config["WTF_CSRF_ENABLED"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("database", ["sqlite file", "the suite's"])
def test_an_app_no_longer_used_is_freed(database: str, db_url: str, tmp_path) -> None:
    """Nothing the app sets up (an engine's listener, say) keeps it alive: a process that makes
    many apps, as the suite's fixtures and a CLI do, does not grow by one each time."""
    url = f"sqlite:///{tmp_path}/x.db" if database == "sqlite file" else db_url
    made = create_app(config.TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with made.app_context():
        db.session.execute(text("SELECT 1"))  # the engine is made and its listeners have run
        db.session.remove()
        db.engine.dispose()
    app = weakref.ref(made)
    del made
    gc.collect()
    assert app() is None


def test_sqlite_connections_have_foreign_keys_wal_and_busy_timeout(tmp_path) -> None:
    app = create_app(config.TestConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db")
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        db.engine.dispose()


def test_static_and_templates_are_the_top_level_folders(app: Flask) -> None:
    assert app.static_folder is not None and app.static_folder.endswith("/static")
    assert app.template_folder is not None and str(app.template_folder).endswith("/templates")


def test_health_check_answers_and_readiness_reports_the_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready"}
    assert "Set-Cookie" not in ready.headers


def test_assets_are_bundled_and_minified_outside_debug(client) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert "/static/gen/app." in page
    assert "/static/css/app.css" not in page
    css_url = page.split('rel="stylesheet" href="')[1].split('"')[0]
    css = client.get(css_url).get_data(as_text=True)
    original = open("static/css/app.css").read() + open("static/css/dashboard.css").read()
    assert 0 < len(css) < len(original) * 0.9
    assert "/*" not in css


def test_assets_are_served_one_by_one_in_debug(db_url: str) -> None:
    app = create_app(config.TestConfig, SQLALCHEMY_DATABASE_URI=db_url, ASSETS_DEBUG=True)
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "/static/css/app.css" in page
    assert "/static/js/app.js" in page


@pytest.mark.fresh_app  # it adds a route
def test_database_errors_are_logged_without_the_values_sent(
    app: Flask, client, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing statement is logged, but never the email, hash or note it carried."""
    secret = "scrypt:131072:8:1$SALTSALT$0123456789abcdef"

    @app.route("/failing-statement")
    def failing_statement() -> str:
        db.session.execute(
            text("SELECT * FROM no_such_table WHERE email = :email AND hash = :hash"),
            {"email": "olive.owner@example.test", "hash": secret},
        )
        return "unreachable"

    with caplog.at_level("ERROR"):
        response = client.get("/failing-statement")
    assert response.status_code == 500
    lines = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "no_such_table" in lines  # the error itself is logged...
    assert "olive.owner" not in lines  # ...without the values
    assert "SALTSALT" not in lines
    # The person sees a reference that finds the line.
    assert response.headers["X-Request-ID"] in response.get_data(as_text=True)
    assert response.headers["X-Request-ID"] in lines


def read_only_url(db_url: str) -> str:
    """The suite's database, opened so that nothing can be written to it."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///file:{db_url.removeprefix('sqlite:///')}?mode=ro&uri=true"
    return f"{db_url}?options=-c%20default_transaction_read_only%3Don"


def test_a_read_only_database_fails_the_health_check_and_logins_say_so(
    app: Flask, db_url: str
) -> None:
    """Read-only: /readyz answers 503 (/healthz, liveness, 200), and a login is a clear 503."""
    from tests.helpers.accounts import PASSWORD, CsrfClient, make_user

    user = make_user("patient", "olive.owner@example.test")
    read_only = create_app(config.TestConfig, SQLALCHEMY_DATABASE_URI=read_only_url(db_url))
    read_only.test_client_class = CsrfClient
    client = read_only.test_client()
    try:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json() == {
            "status": "unavailable",
            "reason": "the database cannot be written",
        }
        assert client.get("/healthz").status_code == 200
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 503
        assert "cannot save anything just now" in response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "30"
    finally:
        with read_only.app_context():
            db.engine.dispose()


def test_the_readiness_check_writes_nothing(client) -> None:
    from rehab_app.models import ChangeCounter

    assert client.get("/readyz").status_code == 200
    counter = db.session.get(ChangeCounter, 1)
    assert counter is not None and counter.value == 0
