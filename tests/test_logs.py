"""Logs an operator can use: a request id on every answer and line, events, and no one's data."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
import runpy
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from rehab_app.extensions import db
from rehab_app.models import User
from rehab_app.web.logs import REQUEST_ID_HEADER, JsonFormatter, RequestContext, TextFormatter
from tests.helpers.accounts import PASSWORD, CsrfClient, login, make_user
from tests.helpers.api import NOW, post, register

EMAIL = "ottilie.private@example.test"
NAME = "Ottilie Privatename"
NOTE = "NOTE-SECRET tremor after the bath"
NEW_PASSWORD = "a very private pass phrase"


@pytest.fixture
def lines(app: Flask) -> Iterator[io.StringIO]:
    """What the app logs at INFO and above, as the production handler writes it (JSON)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def parsed(out: io.StringIO) -> list[dict[str, object]]:
    """The JSON lines written so far."""
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_every_answer_carries_a_request_id_and_a_safe_incoming_one_is_kept(
    client: CsrfClient,
) -> None:
    for path in ("/healthz", "/no-such-page", "/static/css/app.css", "/login"):
        rid = client.get(path).headers[REQUEST_ID_HEADER]
        assert re.fullmatch(r"[0-9a-f]{32}", rid), (path, rid)
    kept = client.get("/healthz", headers={REQUEST_ID_HEADER: "proxy-1234.abcd"})
    assert kept.headers[REQUEST_ID_HEADER] == "proxy-1234.abcd"
    for unsafe in ("x", "a b c d e f g h", "<script>alert(1)</script>", "9" * 65):
        answer = client.get("/healthz", headers={REQUEST_ID_HEADER: unsafe})
        assert answer.headers[REQUEST_ID_HEADER] != unsafe
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers[REQUEST_ID_HEADER])
    too_large = client.post("/api/v1/sync/push", data=b"x" * (2 * 1024 * 1024), csrf=False)
    assert too_large.status_code == 413 and too_large.headers[REQUEST_ID_HEADER]


def test_each_line_of_a_request_carries_its_id_and_the_user_id(
    app: Flask, client: CsrfClient, lines: io.StringIO
) -> None:
    app.config["SLOW_REQUEST_MS"] = 0  # never slow here, whatever the machine
    user = make_user("patient", EMAIL, NAME)
    login(client, user)
    answer = client.get("/today")
    rid = answer.headers[REQUEST_ID_HEADER]
    mine = [line for line in parsed(lines) if line["request_id"] == rid]
    assert [line["event"] for line in mine] == ["request"]
    assert mine[0] == {
        **mine[0],
        "user_id": user.id,
        "method": "GET",
        "route": "/today",
        "status": 200,
        "level": "info",
    }


@pytest.mark.fresh_app  # it adds a route
def test_events_are_logged_and_no_one_s_data_ever_is(
    app: Flask, client: CsrfClient, lines: io.StringIO
) -> None:
    app.config["SLOW_REQUEST_MS"] = 1  # every request counts as slow here

    @app.route("/boom")
    def boom() -> str:
        raise ValueError(f"{EMAIL} {NOTE}")  # a message that quotes what was sent

    # Sign up, then guess the password until asked to wait.
    signed_up = client.post(
        "/signup",
        data={
            "email": EMAIL,
            "display_name": NAME,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "role": "patient",
            "timezone": "Europe/London",
        },
    )
    assert signed_up.status_code == 200
    assert db.session.scalar(select(User).where(User.email == EMAIL)) is not None
    person = make_user("patient", "second.private@example.test", NAME)
    statuses = [
        client.post(
            "/login", data={"email": person.email, "password": f"wrong {NEW_PASSWORD}"}
        ).status_code
        for _ in range(8)
    ]
    assert 429 in statuses
    # Log in, push an entry the server refuses (and its private note), log out.
    other = CsrfClient(app, app.response_class, use_cookies=True)
    login(other, make_user("patient", "third.private@example.test", NAME))
    client_id = register(other)
    entry = {"id": str(uuid.uuid4()), "kind": "fatigue", "occurred_at": NOW, "fatigue": 99}
    entry["note"] = NOTE
    body = {"client_id": client_id, "mutations": [{"id": 1, "op": "create", "entry": entry}]}
    assert post(other, "/api/v1/sync/push", body).get_json()["results"][0]["status"] == "rejected"
    other.post("/logout")
    assert client.get("/boom").status_code == 500

    text = lines.getvalue()
    for secret in (EMAIL, "second.private", "third.private", NAME, NOTE, NEW_PASSWORD, PASSWORD):
        assert secret not in text, secret
    assert "Ottilie" not in text and "tremor" not in text
    events = {line.get("event") for line in parsed(lines)}
    assert {
        "request",
        "slow_request",
        "login_throttled",
        "rate_limited",
        "login",
        "logout",
        "sync_rejected",
        "unhandled_error",
    } <= events
    (rejected,) = [line for line in parsed(lines) if line.get("event") == "sync_rejected"]
    assert rejected["codes"] == {"invalid": 1} and rejected["count"] == 1
    (error,) = [line for line in parsed(lines) if line.get("event") == "unhandled_error"]
    assert error["error_type"] == "ValueError" and "test_logs.py" in str(error["where"])


def test_development_writes_readable_lines() -> None:
    record = logging.LogRecord("rehab_app", logging.WARNING, __file__, 1, "slow_request", (), None)
    record.event, record.route, record.ms = "slow_request", "/today", 1234.5
    record.request_id, record.user_id = "abcd1234", 7
    line = TextFormatter().format(record)
    assert "WARNING [abcd1234 user=7] rehab_app: slow_request" in line
    assert "route=/today ms=1234.5" in line


def test_gunicorn_writes_its_own_messages_as_json_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    settings = runpy.run_path(str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py"))
    config = settings["logconfig_dict"]
    logging.config.dictConfig(
        {**config, "loggers": {"test.gunicorn.json": config["loggers"]["gunicorn.error"]}}
    )
    handler = logging.getLogger("test.gunicorn.json").handlers[0]
    record = logging.LogRecord(
        "gunicorn.error", logging.INFO, __file__, 1, "Booting worker", (), None
    )
    assert json.loads(handler.format(record))["message"] == "Booting worker"
    monkeypatch.setenv("APP_ENV", "development")
    assert "logconfig_dict" not in runpy.run_path(
        str(Path(__file__).resolve().parents[1] / "gunicorn.conf.py")
    )
