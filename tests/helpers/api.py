"""Talking to the sync API as a phone does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Flask

from rehab_app.models import User
from tests.helpers.accounts import CsrfClient, login

T = TypeVar("T")
NOW = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def post(client: CsrfClient, path: str, body: Any = None, **kwargs: Any) -> Any:
    """A JSON post with the session's CSRF header."""
    headers = {"X-CSRFToken": client.csrf_token(), **kwargs.pop("headers", {})}
    return client.post(path, json=body or {}, headers=headers, **kwargs)


def register(client: CsrfClient) -> str:
    """Register a sync client; its id."""
    response = post(client, "/api/v1/clients")
    assert response.status_code == 201
    return response.get_json()["client_id"]


def fatigue(n: int, entry_id: str, value: int = 5) -> dict[str, Any]:
    """A create mutation of a fatigue rating."""
    entry = {"id": entry_id, "kind": "fatigue", "occurred_at": NOW, "fatigue": value}
    return {"id": n, "op": "create", "entry": entry}


def assert_json_error(response: Any, status: int, code: str | None = None) -> None:
    """An error answered as {"error": ..., "message": ...} with that status."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "message"} and body["message"]
    if code:
        assert body["error"] == code


PUSH = "/api/v1/sync/push"


@dataclass
class Device:
    """An installed app: a logged-in browser session, its CSRF token and its client id."""

    browser: CsrfClient
    token: str
    client_id: str
    seen: dict[str | int, int] = field(default_factory=dict)  # id -> change_seq, as pulled
    cursor: int = 0

    def push(self, mutations: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        """Push a batch; the status code and the JSON answer."""
        body = {"client_id": self.client_id, "mutations": mutations}
        response = self.browser.post(PUSH, json=body, headers={"X-CSRFToken": self.token})
        return response.status_code, response.get_json()

    def pull(self) -> bool:
        """Pull one page after the cursor, as the app does; whether there is more."""
        query = f"client_id={self.client_id}&cursor={self.cursor}&limit=7"
        response = self.browser.get(f"/api/v1/sync/pull?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        page = response.get_json()
        assert page["cursor"] >= self.cursor, "the cursor went back"
        self.seen.update({c["id"]: c["change_seq"] for c in page["changes"]})
        self.cursor = page["cursor"]
        return page["more"]

    def pull_until(self, stop: threading.Event) -> None:
        """Keep pulling (as an open app does) until told to stop, then pull everything."""
        while not stop.is_set():
            self.pull()
            time.sleep(0.01)
        self.pull_all()

    def pull_all(self) -> None:
        """Pull page after page until there is no more."""
        for _ in range(1000):
            if not self.pull():
                return
        raise AssertionError("pulling never ends")


def device(app: Flask, user: User, client_id: str | None = None) -> Device:
    """A browser logged in as the user, with a new sync client (or the given one)."""
    browser: CsrfClient = app.test_client()  # type: ignore[assignment]
    login(browser, user)
    return Device(browser, browser.csrf_token(), client_id or register(browser))


def together(*calls: Callable[[], T]) -> list[T]:
    """Run each call in a thread of its own, all released at the same instant; their results."""
    barrier = threading.Barrier(len(calls), timeout=10)

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=60) for future in futures]
