"""The application factory, the one place where the app is wired."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, has_request_context, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from config import CONFIGS, Config, ProductionConfig

from ..core import dberrors
from ..extensions import assets, csrf, db, login_manager, migrate
from ..models import MAX_ID
from . import logs, roles  # roles registers the user loader
from .flashes import page_messages

ROOT = Path(__file__).resolve().parent.parent.parent

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class RetryRequest(Exception):
    """SQLite was still busy and nothing is committed yet: run the whole request again."""


class RehabFlask(Flask):
    """Flask, running a request again (a few times) when SQLite's write lock slipped through."""

    def full_dispatch_request(self) -> Response:
        for attempt in range(1, dberrors.BUSY_RETRIES + 1):
            g.db_attempt = attempt
            try:
                return super().full_dispatch_request()
            except RetryRequest:
                db.session.rollback()
                # No data in the log: the method and the route pattern, never the URL's values.
                rule = request.url_rule.rule if request.url_rule else "?"
                self.logger.warning(
                    "SQLite was busy; running %s %s again (attempt %d)",
                    request.method,
                    rule,
                    attempt + 1,
                )
                time.sleep(0.05 * attempt)
        raise AssertionError("unreachable: the last attempt never asks for a retry")


@event.listens_for(Session, "after_commit")
def _note_commit(_session: Session) -> None:
    """Remember that this request has committed something: it must not be run again."""
    if has_request_context():
        g.db_committed = True


class IdConverter(IntegerConverter):
    """`<int:...>` in a URL, no larger than an id can be: a larger one is not found (404)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: type[Config] | str | None = None, **overrides: Any) -> Flask:
    """Create and wire the Flask application."""
    app = RehabFlask(
        "rehab_app",
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
        instance_path=str(ROOT / "instance"),
    )
    if config is None or isinstance(config, str):
        name = config or os.environ.get("APP_ENV", "development")
        if name not in CONFIGS:
            raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
        config = CONFIGS[name]
    if issubclass(config, ProductionConfig):
        config.check()
    app.config.from_object(config)
    app.config.update(overrides)
    logs.configure(app)  # first: its after_request runs last, and sees every answer
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    _init_assets(app)
    _init_sqlite(app)

    from rehab_app.web.cli import register_cli, register_reminder_cli

    from . import account, pages
    from .api import views as api
    from .auth import passkeys as passkey_views
    from .auth import views as auth
    from .patient import reminders as reminder_views
    from .patient import views as patient
    from .pwa import views as pwa
    from .therapist import clinic, team_templates
    from .therapist import exports as reports
    from .therapist import views as therapist

    app.url_map.converters["int"] = IdConverter  # before the blueprints add rules

    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(patient.bp)
    app.register_blueprint(therapist.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(clinic.bp)
    app.register_blueprint(team_templates.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(passkey_views.bp)
    app.register_blueprint(reminder_views.bp)
    app.register_blueprint(reminder_views.feeds)
    app.register_blueprint(api.bp)
    app.register_blueprint(pwa.bp)
    register_cli(app)
    register_reminder_cli(app)
    _init_templates(app)
    _init_errors(app)
    app.after_request(roles.touch_login)
    app.after_request(_security_headers)
    app.after_request(_end_transaction)  # runs first: after_request functions run in reverse
    return app


def _init_assets(app: Flask) -> None:
    """Bundle and minify CSS and JS (one file at a time when ASSETS_DEBUG is on)."""
    # Built files carry a content hash in their name, so browsers may cache them for ever;
    # the manifest maps bundles to those names for every worker.
    app.config.setdefault("ASSETS_CACHE", False)
    app.config.setdefault("ASSETS_VERSIONS", "hash")
    app.config.setdefault("ASSETS_MANIFEST", f"json:{ROOT / 'static' / 'gen' / 'manifest.json'}")
    assets.init_app(app)


def _init_sqlite(app: Flask) -> None:
    """WAL, a busy timeout, foreign keys, and `BEGIN IMMEDIATE` for requests that write.

    By default pysqlite begins a transaction only right before an INSERT or UPDATE, so a request
    that reads and then writes does its reads outside the transaction. In requests that change
    something (POST, PUT, PATCH, DELETE), SQLAlchemy's "begin" event (the pysqlite recipe in the
    SQLAlchemy documentation) starts the transaction itself with `BEGIN IMMEDIATE`: the write
    lock is taken first and waited for (busy_timeout), and reads and writes see one consistent
    database; it is never upgraded from a read half-way, which SQLite refuses at once with
    "database is locked" when someone else wrote in between. Reading requests, commands and
    tests keep pysqlite's default, so that they never wait for writers (WAL). A request that
    still meets the lock is run again (RehabFlask).
    """
    from sqlalchemy.engine import Connection, Engine

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return

    with app.app_context():
        engine: Engine = db.engine
    # The listeners must not hold the app: the engine lives in a WeakKeyDictionary keyed by the
    # app, and a value that refers to its key keeps both alive for the whole process.
    on_disk = app.config["SQLALCHEMY_DATABASE_URI"] not in ("sqlite://", "sqlite:///:memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 5000")
        if on_disk:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        dbapi_connection = conn.connection.dbapi_connection
        if (
            has_request_context()
            and request.method not in ("GET", "HEAD", "OPTIONS")
            and not g.get("db_committed")  # reads after the request's commit need no lock
        ):
            dbapi_connection.isolation_level = None  # no implicit BEGIN: ours comes first
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            dbapi_connection.isolation_level = ""  # pysqlite's default: BEGIN before a write


def _init_templates(app: Flask) -> None:
    """Filters and words the templates share."""
    from ..core import kinds, vocab, wording

    app.jinja_env.filters["entry_title"] = wording.entry_title
    app.jinja_env.filters["entry_details"] = wording.entry_details
    app.jinja_env.filters["dose_text"] = wording.dose_text
    app.jinja_env.globals["vocab"] = vocab
    app.jinja_env.globals["client_words"] = kinds.client_words
    app.jinja_env.globals["local_time"] = wording.local_time
    app.jinja_env.globals["page_messages"] = page_messages
    app.jinja_env.filters["long_date"] = wording.long_date


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _init_errors(app: Flask) -> None:
    """Friendly error pages, and JSON errors for the API."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[Response | str, int]:
        message = "This form had expired or was sent from elsewhere. Please try again."
        if _wants_json():
            return jsonify(error="csrf", message=message), 400
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(
        error: HTTPException,
    ) -> tuple[Response | str, int, dict[str, str]] | HTTPException:
        code = error.code or 500
        if code < 400:
            return error
        message = {
            400: "That request could not be understood.",
            403: "This page is not for your account.",
            404: "There is nothing here, or it is not yours to see.",
            405: "That action is not allowed here.",
            413: "That was too large to send.",
            429: "Too many attempts. Please wait a few minutes and try again.",
        }.get(code, error.description or "Something went wrong.")
        # A 405 names the methods that work (RFC 9110), whatever the answer's format.
        headers = {k: v for k, v in error.get_headers() if k == "Allow"}
        if _wants_json():
            body = jsonify(error=error.name.lower().replace(" ", "_"), message=message)
            return body, code, headers
        return render_template("error.html", code=code, message=message), code, headers

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> tuple[Response | str, int, dict[str, str]]:
        committed = g.get("db_committed", False)
        if dberrors.is_busy(error) and not committed:
            if g.get("db_attempt", dberrors.BUSY_RETRIES) < dberrors.BUSY_RETRIES:
                raise RetryRequest from error
        if not dberrors.is_unavailable(error):
            body, code = unexpected(error)
            return body, code, {}
        app.logger.error("The database cannot be written now: %s", type(error.orig).__name__)
        db.session.rollback()
        message = (
            "Rehab Log cannot save anything just now. Please try again in a few minutes; "
            "nothing you saved before is lost."
        )
        headers = {"Retry-After": "30"}
        if _wants_json():
            return jsonify(error="unavailable", message=message), 503, headers
        return render_template("error.html", code=503, message=message), 503, headers

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response | str, int]:
        # The type and where it was raised; never the message, which may quote what was sent.
        statement = getattr(error, "statement", None)  # SQL with placeholders, never values
        logs.event(
            "unhandled_error",
            logging.ERROR,
            error_type=type(error).__name__,
            where=logs.where(error.__traceback__),
            **({"statement": str(statement)[:300]} if statement else {}),
        )
        db.session.rollback()
        message = "Something went wrong on our side. Nothing you saved before is lost."
        if _wants_json():
            return jsonify(error="server_error", message=message), 500
        return render_template("error.html", code=500, message=message), 500


def _end_transaction(response: Response) -> Response:
    """The page is made: end what the view left open (a form shown again with its errors).

    Views commit what they keep; whatever is still open would only be rolled back at teardown.
    Ending it now frees SQLite's write lock before the response is sent and before touch_login
    writes on a connection of its own (which would otherwise wait for this one).
    """
    db.session.rollback()
    return response


def _security_headers(response: Response) -> Response:
    """Add the security headers every response carries."""
    from flask import current_app

    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h["X-Content-Type-Options"] = "nosniff"
    h["X-Frame-Options"] = "DENY"
    h["Referrer-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config.get("HSTS"):
        h["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Health data must not linger in shared caches or the back-forward cache of a shared phone,
    # whatever its type (pages, JSON, CSV downloads); static files set their own caching.
    h.setdefault("Cache-Control", "no-store")
    return response
