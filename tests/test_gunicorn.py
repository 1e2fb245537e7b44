"""Production serving: gunicorn with gunicorn.conf.py keeps answering while slow clients drip.

gunicorn runs for real, on a free port on loopback, with the repository's gunicorn.conf.py and
one worker (the hardest case). Two connections send a request one byte a second and never finish;
a normal request must still be answered while they are open.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
START_TIMEOUT = 30  # seconds for gunicorn to start listening
ANSWER_TIMEOUT = 10  # seconds a normal request may take with the drips open


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited: {output.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not start listening")


def serve(tmp_path: Path, **settings: str) -> Iterator[tuple[int, Path]]:
    """gunicorn serving wsgi:app with gunicorn.conf.py and these settings; its port and its
    access log file. Its own output (stdout and stderr) goes to server.log beside it."""
    assert GUNICORN.exists(), "gunicorn is a dependency and must be installed"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "DATABASE_URL")}
    env |= {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESSLOG": str(tmp_path / "access.log"),
        **settings,
    }
    with (tmp_path / "server.log").open("wb") as output:
        proc = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [str(GUNICORN), "--config", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_listening(port, proc, tmp_path / "server.log")
            yield port, tmp_path / "access.log"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """gunicorn serving the app as the tests configure it (text logs, an in-memory database)."""
    yield from serve(tmp_path, APP_ENV="test")


@pytest.fixture
def production_gunicorn(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """gunicorn serving the app as production does: JSON logs, a secret, a database file."""
    yield from serve(
        tmp_path,
        APP_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )


def drip(port: int, stop: threading.Event) -> None:
    """Send a request one byte a second, never finishing it, until told to stop."""
    request = b"GET /login HTTP/1.1\r\nHost: localhost\r\nUser-Agent: " + b"x" * 1000
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for byte in request:
            if stop.is_set():
                return
            try:
                sock.sendall(bytes([byte]))
            except OSError:  # the server gave up on us: fine, it is still answering others
                return
            stop.wait(1)


def test_a_normal_request_is_answered_while_two_clients_drip(
    gunicorn: tuple[int, Path],
) -> None:
    port, _log = gunicorn
    stop = threading.Event()
    drips = [threading.Thread(target=drip, args=(port, stop), daemon=True) for _ in range(2)]
    for t in drips:
        t.start()
    try:
        time.sleep(2)  # both drips are connected and mid-request
        assert all(t.is_alive() for t in drips)
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_TIMEOUT)
        conn.request("GET", "/login")
        response = conn.getresponse()
        assert response.status == 200
        assert b"Log in" in response.read()
        assert time.monotonic() - started < ANSWER_TIMEOUT
        assert all(t.is_alive() for t in drips), "the drips must still be open"
    finally:
        stop.set()
        for t in drips:
            t.join(timeout=5)


def test_the_access_log_holds_no_query_string(gunicorn: tuple[int, Path]) -> None:
    port, log = gunicorn
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_TIMEOUT)
    conn.request(
        "GET", "/login?q=olive.owner%40example.test", headers={"Referer": "http://x/?q=olive"}
    )
    assert conn.getresponse().status == 200
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "/login" not in (log.read_text() if log.exists() else ""):
        time.sleep(0.1)
    text = log.read_text()
    assert "GET /login HTTP/1.1" in text
    assert "olive" not in text
    assert "example.test" not in text


def test_production_starts_and_logs_json_lines(production_gunicorn: tuple[int, Path]) -> None:
    """As deployed (APP_ENV=production): gunicorn starts, answers, and writes its own messages
    as JSON lines, as the app does. (Its logging set-up once named a handler it never defined,
    and gunicorn refused to start: "Unable to configure root logger".)"""
    port, access_log = production_gunicorn
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_TIMEOUT)
    conn.request("GET", "/healthz")
    assert conn.getresponse().status == 200
    server_log = access_log.with_name("server.log")
    lines = [line for line in server_log.read_text().splitlines() if line.strip()]
    started = [json.loads(line) for line in lines if "Booting worker" in line]
    assert started, f"no worker started:\n{server_log.read_text()}"
    assert all(entry["logger"] == "gunicorn.error" for entry in started)
    assert "Control socket" not in server_log.read_text(), "no control socket at a shared path"
