"""Login limits that slow guessing down and never lock the right person out."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rehab_app.core import throttle
from rehab_app.extensions import db
from rehab_app.models import LoginAttempt, User
from tests.helpers.accounts import PASSWORD, CsrfClient, login, make_user

WRONG = {"email": "sam@example.test", "password": "guess guess"}
RIGHT = {"email": "sam@example.test", "password": PASSWORD}


def _age_failures(seconds: float) -> None:
    """Move every counted failure `seconds` into the past, as if the person waited."""
    rows = db.session.scalars(select(LoginAttempt).where(~LoginAttempt.key.startswith("trusted:")))
    for row in rows:
        row.at -= timedelta(seconds=seconds)
    db.session.commit()


def _wrong(client: CsrfClient, times: int, data: dict[str, str] = WRONG) -> list[int]:
    return [client.post("/login", data=data).status_code for _ in range(times)]


def test_guessing_slows_down_and_the_right_password_works_after_seconds(
    client: CsrfClient, app: Flask
) -> None:
    make_user(email="sam@example.test")
    free = app.config["LOGIN_LIMIT_PER_ACCOUNT"]
    assert _wrong(client, free) == [400] * free
    # The right password is asked to wait a second, not refused for minutes.
    response = client.post("/login", data=RIGHT)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert "Please wait 1 second, then try again." in response.get_data(as_text=True)
    _age_failures(1.5)
    assert client.post("/login", data=RIGHT).status_code == 302


def test_the_wait_doubles_and_never_passes_the_most(client: CsrfClient, app: Flask) -> None:
    make_user(email="sam@example.test")
    free, most = app.config["LOGIN_LIMIT_PER_ACCOUNT"], app.config["LOGIN_MAX_DELAY_SECONDS"]
    waits = []
    for _ in range(free + 14):
        response = client.post("/login", data=WRONG)
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            _age_failures(waits[-1])  # the guesser waits as asked, then guesses again
    assert waits[:4] == [1, 2, 4, 8]
    assert max(waits) == most
    response = client.post("/login", data=RIGHT)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) <= most


def test_guessing_from_elsewhere_never_slows_the_person_down(
    client: CsrfClient, app: Flask
) -> None:
    make_user(email="sam@example.test")
    _wrong(client, app.config["LOGIN_LIMIT_PER_ACCOUNT"] + 3)
    at_home = app.test_client()
    at_home.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    assert at_home.post("/login", data=RIGHT).status_code == 302


def test_a_shared_address_does_not_lock_out_the_people_behind_it(
    client: CsrfClient, app: Flask
) -> None:
    """A clinic: someone there guesses at many accounts; colleagues still log in."""
    make_user(email="sam@example.test")
    make_user(email="new@example.test")
    login(client, "sam@example.test")  # Sam has logged in from the clinic before
    client.post("/logout")
    guesser = app.test_client()
    for n in range(app.config["LOGIN_LIMIT_PER_ADDRESS"] + 10):
        response = guesser.post("/login", data={"email": f"guess{n}@example.test", "password": "x"})
        if response.status_code == 429:  # the guesser waits as asked, then guesses on
            _age_failures(int(response.headers["Retry-After"]))
    # Sam goes straight in; someone new from the same address waits seconds, not minutes.
    assert client.post("/login", data=RIGHT).status_code == 302
    newcomer = app.test_client()
    response = newcomer.post("/login", data={"email": "new@example.test", "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) <= app.config["LOGIN_MAX_DELAY_SECONDS"]


def test_slowing_down_is_logged_without_the_email(
    client: CsrfClient, app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    sam = make_user(email="sam@example.test")
    with caplog.at_level(logging.WARNING, logger="rehab_app.core.throttle"):
        _wrong(client, app.config["LOGIN_LIMIT_PER_ACCOUNT"] + 1)
    messages = [r.getMessage() for r in caplog.records if r.name == "rehab_app.core.throttle"]
    assert any("slowed down" in m for m in messages)
    assert any("asked to wait" in m for m in messages)
    assert all("sam@" not in m and "example.test" not in m for m in messages)
    assert any(f"pair:{sam.id}:" in m for m in messages)


def test_the_delete_account_password_is_limited_like_the_login(
    client: CsrfClient, app: Flask
) -> None:
    sam = make_user(email="sam@example.test")
    login(client, sam)
    free = app.config["LOGIN_LIMIT_PER_ACCOUNT"]
    for _ in range(free):
        assert client.post("/account/delete", data={"password": "guess"}).status_code == 400
    response = client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 429
    assert "Please wait" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    _age_failures(1.5)
    assert client.post("/account/delete", data={"password": PASSWORD}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_parallel_wrong_passwords_are_all_counted(app: Flask) -> None:
    """Each failure is its own INSERT: N attempts at once are N failures, on either database."""
    sam = make_user(email="sam@example.test")
    attempt = throttle.Attempt.of("203.0.113.7", sam.id)
    limits = throttle.Limits()
    threads_n = 8
    start = threading.Barrier(threads_n)
    errors: list[BaseException] = []
    engine = db.engine

    def guess() -> None:
        try:
            with Session(engine) as session:
                start.wait()
                throttle.count_attempt(session, attempt, limits)
                session.commit()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=guess) for _ in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counted = db.session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.key == attempt.pair)
    )
    assert counted == threads_n


def test_a_burst_of_parallel_guesses_waits_like_guesses_in_a_row(app: Flask) -> None:
    """Each attempt is counted before its password is checked, so a burst cannot skip the wait."""
    make_user(email="sam@example.test")
    free = app.config["LOGIN_LIMIT_PER_ACCOUNT"]
    burst = free + 7
    clients = [app.test_client() for _ in range(burst)]
    tokens = [client.csrf_token() for client in clients]  # type: ignore[attr-defined]
    start = threading.Barrier(burst)
    statuses: list[int] = []

    def guess(client: CsrfClient, token: str) -> None:
        start.wait()
        response = client.post("/login", data={**WRONG, "csrf_token": token})
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=guess, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(statuses) == burst
    # Only the free tries (and perhaps one racing them) had their password checked.
    assert statuses.count(400) <= free + 1, statuses
    assert statuses.count(429) >= burst - free - 1
    # The waiting ones took their count back: the wait is not stretched by them.
    db.session.rollback()
    pair = db.session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.key.startswith("pair:"))
    )
    assert pair == statuses.count(400)
