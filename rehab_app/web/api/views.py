"""The JSON API for installed apps: register a client, push mutations, pull changes."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import RequestEntityTooLarge

from rehab_app.core import sync
from rehab_app.core.openapi import openapi_document
from rehab_app.extensions import csrf, db
from rehab_app.web import logs
from rehab_app.web.pwa.views import ACCOUNT_HEADER, current_account_key
from rehab_app.web.roles import me

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# The API checks the CSRF header itself, after the login check, so that an expired
# session answers 401 (log in again) rather than a CSRF error.
csrf.exempt(bp)

F = TypeVar("F", bound=Callable[..., Any])


class ApiError(Exception):
    """An error answered as {"error": code, "message": text} with an HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> tuple[Response, int]:
    """Answer an API error as JSON."""
    return jsonify(error=error.code, message=error.message), error.status


def _too_large() -> ApiError:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    return ApiError(
        413,
        "too_large",
        f"A request may carry at most {limit // 1024} KB. Send the changes in smaller batches.",
    )


@bp.errorhandler(RequestEntityTooLarge)
def entity_too_large(_error: RequestEntityTooLarge) -> tuple[Response, int]:
    """A body over MAX_CONTENT_LENGTH, however it was found out: JSON with a clear message."""
    return api_error(_too_large())


@bp.before_request
def refuse_large_bodies() -> None:
    """Refuse an oversized body, from its declared length before anything reads it, or else
    (a chunked body, which declares none) from what it turns out to hold."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    length = request.content_length
    if length is not None:
        if length > limit:
            raise _too_large()
        return
    if request.environ.get("wsgi.input_terminated"):
        # Werkzeug cuts a body without a length at the limit silently (the JSON then looks
        # broken: a 400). Read one byte more than allowed, so going over is seen as such; the
        # body is kept for the view, and never more than limit + 1 bytes are read.
        request.max_content_length = limit + 1
        if len(request.get_data(cache=True)) > limit:
            raise _too_large()


def patient_api(view: F) -> F:
    """Let through logged-in patients with a valid CSRF header on writes; JSON errors else."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            raise ApiError(401, "login_required", "Please log in again; nothing is lost.")
        if current_user.role != "patient":
            raise ApiError(403, "forbidden", "The sync API is for people logging their rehab.")
        key = current_account_key()  # every answer from here on names it, errors included
        if request.method == "POST":
            csrf.protect()  # reads the X-CSRFToken header; a failure is a JSON 400
        expected = request.headers.get(ACCOUNT_HEADER)
        if expected is not None and expected != key:
            # The phone is sending one person's outbox with another person's session (a shared
            # phone): refuse before anything is read or stored; the app stops and keeps it.
            raise ApiError(
                409,
                "wrong_account",
                "These changes belong to another account. They stay on this phone until "
                "that person logs in.",
            )
        return view(*args, **kwargs)

    return cast(F, wrapped)


def _json_body() -> dict[str, Any]:
    """The request's JSON object, or a JSON 400 (a 413 is handled above)."""
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # "[" x 1000: the parser gives up; the body is still bad JSON
        raise ApiError(400, "bad_json", "The request body is nested too deeply.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "The request body must be a JSON object.")
    return body


UNKNOWN_CLIENT = ApiError(404, "unknown_client", "This app is not registered; register it again.")


@bp.post("/clients")
@patient_api
def register_client() -> tuple[Response, int]:
    """Register an installed app; its mutation ids start after 0."""
    client = sync.register_client(db.session, me())
    db.session.commit()
    return jsonify(client_id=client.id, last_mutation_id=0, cursor=0), 201


@bp.post("/sync/push")
@patient_api
def push() -> Response:
    """Apply a batch of one client's mutations, exactly once and in order."""
    body = _json_body()
    mutations = body.get("mutations")
    if not isinstance(mutations, list):
        raise ApiError(400, "bad_request", 'Send {"client_id": ..., "mutations": [...]}.')
    if len(mutations) > sync.MAX_MUTATIONS:
        raise ApiError(
            413,
            "too_many_mutations",
            f"A push may carry at most {sync.MAX_MUTATIONS} changes; this one had "
            f"{len(mutations)}. Send them in smaller batches.",
        )
    for mutation in mutations:
        mutation_id = _whole(mutation.get("id")) if isinstance(mutation, dict) else None
        if mutation_id is None or mutation_id < 1:
            raise ApiError(400, "bad_request", "Every change needs a whole-number id from 1 up.")
        if mutation_id > sync.MAX_MUTATION_ID:
            raise ApiError(400, "bad_request", "That change id is too large.")
        mutation["id"] = mutation_id
    wanted = _pull_asked(body.get("pull"))  # checked before anything is applied
    try:
        results, last_mutation_id = sync.push_batch(
            db.session,
            me(),
            body.get("client_id"),
            mutations,
            tombstone_days=current_app.config["TOMBSTONE_DAYS"],
            own_transaction=True,  # nothing written before it in this request
            pull_follows=wanted is not None,
        )
        # The pull the app would send next, answered with the push: one request, not two
        # (docs/sync.md, "Push and pull in one"). In the push's transaction: it sees what the
        # push wrote, and the feed is read in one statement as a pull's own is.
        pulled = (
            sync.pull_changes(db.session, me(), body.get("client_id"), *wanted) if wanted else None
        )
    except sync.UnknownClient:
        raise UNKNOWN_CLIENT from None
    db.session.commit()
    refused = Counter(r.get("code") for r in results if r["status"] == "rejected")
    if refused:  # codes and counts only: never the values that were refused
        logs.event(
            "sync_rejected", logging.WARNING, codes=dict(refused), count=sum(refused.values())
        )
    if pulled is None:
        return jsonify(results=results, last_mutation_id=last_mutation_id)
    return jsonify(
        results=results,
        last_mutation_id=last_mutation_id,
        pull={**pulled, "csrf_token": _checked_token()},
    )


def _checked_token() -> str:
    """The CSRF token for the app to send next: the one this request's header carried, which
    `csrf.protect()` has just found valid for this session (tokens do not expire here:
    WTF_CSRF_TIME_LIMIT), or a new one. Signing a new token for each small sync cost about
    3% of its CPU (bench/README.md, Sync)."""
    sent = request.headers.get("X-CSRFToken")
    return sent if sent and not request.form else generate_csrf()


def _whole(value: object) -> int | None:
    """A JSON whole number, else None. JSON has one number type: 7.0 is the whole number 7
    (as the schema's "integer"); true is not a number."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _pull_asked(asked: object) -> tuple[int, int] | None:
    """The cursor and limit of the pull a push asks to have answered with it, if any."""
    if asked is None:
        return None
    if not isinstance(asked, dict):
        raise ApiError(400, "bad_request", 'Ask for a pull as {"cursor": ..., "limit": ...}.')
    cursor, limit = (
        _whole(asked.get("cursor", 0)),
        _whole(asked.get("limit", sync.DEFAULT_PULL_LIMIT)),
    )
    return _pull_bounds(cursor, limit)


def _pull_bounds(cursor: int | None, limit: int | None) -> tuple[int, int]:
    """A pull's cursor and limit when they are in range, else a JSON 400 saying which."""
    if cursor is None or not 0 <= cursor <= sync.MAX_CURSOR:
        raise ApiError(400, "bad_request", "The cursor must be a whole number from 0 up.")
    if limit is None or not 1 <= limit <= sync.MAX_PULL_LIMIT:
        raise ApiError(400, "bad_request", f"The limit must be from 1 to {sync.MAX_PULL_LIMIT}.")
    return cursor, limit


@bp.get("/sync/pull")
@patient_api
def pull() -> Response | tuple[Response, int]:
    """The changes to the person's entries and programme after a cursor, a page at a time."""
    args = request.args
    cursor, limit = _pull_bounds(
        _digits(args.get("cursor", "0")), _digits(args.get("limit", str(sync.DEFAULT_PULL_LIMIT)))
    )
    try:
        page = sync.pull_changes(db.session, me(), args.get("client_id"), cursor, limit)
    except sync.UnknownClient:
        # A GET: the session's token goes with it, so that an app whose token and client are
        # both stale (after a new login) can register again without a page load.
        unknown = UNKNOWN_CLIENT
        body = jsonify(error=unknown.code, message=unknown.message, csrf_token=generate_csrf())
        return body, unknown.status
    db.session.commit()  # with the last_mutation_id the pull told the app
    # A fresh token for the next push: the app keeps working after a new login.
    return jsonify(**page, csrf_token=generate_csrf())


def _digits(text: str) -> int | None:
    """A query's whole number from 0 up (ASCII digits only, at most 18 of them), else None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


@bp.get("/sync/token")
@patient_api
def token() -> Response:
    """The session's CSRF token, for an app that has none or a stale one (after a new login)
    and no client yet: registering needs the token, and asking for it must not take a failed
    pull (a pull with a client the app has answers the token as well)."""
    return jsonify(csrf_token=generate_csrf())


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of every /api route."""
    return jsonify(openapi_document())
