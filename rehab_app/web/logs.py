"""Logs an operator can use: one line per event, a request id on each, never a person's data.

In production each line is a JSON object (`LOG_FORMAT = "json"`); in development it is text.
Every line written while a request is served carries that request's id (echoed to the client
in `X-Request-ID`, shown on the error page) and the numeric id of the logged-in user, nothing
more about them: no email, name, note, value, token, cookie, URL query or SQL parameter. Events
have a stable `event` name (below) and a few fields chosen here, from EVENT_FIELDS only.

Events: `request` (each request: method, route pattern, status, milliseconds), `slow_request`
(over SLOW_REQUEST_MS), `rate_limited` (any 429), `login_throttled` (password guessing slowed),
`login`, `logout`, `sync_rejected` (codes and counts), `unhandled_error` (the exception's type
and where it was raised, never its message, which may quote what was sent; for a database
error, the SQL statement with its placeholders, never the values).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from sqlalchemy import inspect

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming request id is kept only when it is a short, plain token (a proxy's own id);
# anything else could carry data or break a log line, and is replaced by a new one.
SAFE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# The only extra fields a line may carry: numbers, codes and route patterns, never values.
EVENT_FIELDS = (
    "event",
    "method",
    "route",
    "status",
    "ms",
    "seconds",
    "codes",
    "count",
    "error_type",
    "where",
    "statement",
)

logger = logging.getLogger("rehab_app")


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    """Log one event by its stable name, with fields from EVENT_FIELDS."""
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise ValueError(f"not a log field: {sorted(unknown)}")
    logger.log(level, name, extra={"event": name, **fields})


def request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    return g.get("request_id") if has_request_context() else None


class RequestContext(logging.Filter):
    """Adds the request id and the user's numeric id to every record made during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        record.user_id = _user_id()
        return True


def _user_id() -> int | None:
    """The logged-in user's id, only if the user is loaded already, and without any query.

    A log line must never touch the database: reading an attribute of a user object expired
    by a commit would load it again, and hold a transaction open until the request ends.
    """
    if not has_request_context():
        return None
    state = inspect(g.get("_login_user"), raiseerr=False)  # None for the anonymous user
    identity = state.identity if state is not None else None
    return int(identity[0]) if identity else None


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request and user ids, event fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "user_id": getattr(record, "user_id", None),
        }
        for name in EVENT_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            line["error_type"] = record.exc_info[0].__name__
            line["where"] = where(record.exc_info[2])
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """A readable line for development: time, level, request id, message, event fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(
            f"{name}={getattr(record, name)}" for name in EVENT_FIELDS[1:] if hasattr(record, name)
        )
        rid = getattr(record, "request_id", None) or "-"
        uid = getattr(record, "user_id", None)
        who = f" user={uid}" if uid is not None else ""
        text = f"{self.formatTime(record)} {record.levelname} [{rid}{who}] {record.name}: "
        text += record.getMessage() + (f" {fields}" if fields else "")
        if record.exc_info and record.exc_info[0] is not None:
            text += f" error_type={record.exc_info[0].__name__} where={where(record.exc_info[2])}"
        return text


def where(tb: Any) -> str:
    """Where an exception was raised, as file:line in function (frames only, no message)."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 2)[-1]}:{last.lineno} in {last.name}"


def handler(fmt: str) -> logging.Handler:
    """A handler to stderr with the chosen format and the request context filter."""
    out = logging.StreamHandler(sys.stderr)
    out.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    out.addFilter(RequestContext())
    return out


def configure(app: Flask) -> None:
    """Send the app's logs (and Flask's, and the server's) through one handler, in one format."""
    fmt = app.config.get("LOG_FORMAT", "text")
    root = logging.getLogger()
    # One handler of ours, replaced when another app is made in the same process (tests).
    for old in [h for h in root.handlers if getattr(h, "rehab_log", False)]:
        root.removeHandler(old)
    if not app.testing:
        new = handler(fmt)
        new.rehab_log = True  # type: ignore[attr-defined]
        root.addHandler(new)
        root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    app.logger.handlers.clear()  # Flask's own handler would print each line twice
    app.logger.propagate = True
    for name in ("rehab_app", "flask.app"):
        named = logging.getLogger(name)
        if not any(isinstance(f, RequestContext) for f in named.filters):
            named.addFilter(RequestContext())
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    if g.get("request_id") is not None:
        return  # the same request run again (SQLite was busy): the same id, the whole time
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if SAFE_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    rid = g.get("request_id") or uuid.uuid4().hex
    g.request_id = rid
    response.headers[REQUEST_ID_HEADER] = rid
    started = g.get("request_started")
    ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    route = request.url_rule.rule if request.url_rule else None  # the pattern, never the values
    fields: dict[str, Any] = {
        "method": request.method,
        "route": route,
        "status": response.status_code,
        "ms": ms,
    }
    event("request", **fields)
    from flask import current_app

    slow = current_app.config.get("SLOW_REQUEST_MS", 1000)
    if ms is not None and slow and ms >= slow:
        event("slow_request", logging.WARNING, **fields)
    if response.status_code == 429:
        event("rate_limited", logging.WARNING, method=request.method, route=route)
    return response
