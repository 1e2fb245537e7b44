"""Pages for everyone: the front door and a health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from rehab_app.core import accounts
from rehab_app.extensions import db
from rehab_app.web.auth.logins import home_for

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
    writable = accounts.can_write(db.session)
    db.session.rollback()
    if not writable:
        return jsonify(status="unavailable", reason="the database cannot be written"), 503
    return jsonify(status="ready"), 200
