"""Pages for everyone: the front door and a health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, url_for
from flask_login import current_user
from sqlalchemy import text
from werkzeug.wrappers import Response

from .auth import home_for
from .extensions import db

bp = Blueprint("pages", __name__)


@bp.route("/")
def index() -> Response:
    """Send people to their home page, or to log in."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/healthz")
def health() -> tuple[Response, int]:
    """Liveness, for a process manager: the app answers (nothing else is looked at)."""
    return jsonify(status="ok"), 200


@bp.route("/readyz")
def ready() -> tuple[Response, int]:
    """Readiness, for the load balancer: the database can be written.

    A real write (the change counter set to itself) inside a transaction that is rolled back:
    a read-only file or database, a full disk or a dead connection answers 503, not 200.
    """
    try:
        db.session.execute(text("UPDATE change_counter SET value = value WHERE id = 1"))
    except Exception:  # any database failure means "not ready"
        db.session.rollback()
        return jsonify(status="unavailable", reason="the database cannot be written"), 503
    db.session.rollback()
    return jsonify(status="ready"), 200
