"""One person per phone: every answer names whose it is, a push for another account is refused,
and logging out or deleting the account asks the browser to forget the site's data."""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import event, func, select

from rehab_app.extensions import db
from rehab_app.models import Entry, SyncClient
from tests.helpers.accounts import CsrfClient, People, login
from tests.helpers.api import assert_json_error, fatigue, post, register

ACCOUNT = "Rehab-Account"


def page_account(client: CsrfClient) -> str:
    """The account key the Today page names on <body>."""
    match = re.search(r'data-account="([^"]+)"', client.get("/today").get_data(as_text=True))
    assert match is not None
    return match.group(1)


def test_every_sync_answer_names_the_sessions_account(client: CsrfClient, people: People) -> None:
    login(client, people.patient)
    key = page_account(client)
    assert key and str(people.patient.id) != key and len(key) == 32
    registered = post(client, "/api/v1/clients")
    client_id = registered.get_json()["client_id"]
    answers = [
        registered,
        post(client, "/api/v1/sync/push", {"client_id": client_id, "mutations": []}),
        client.get(f"/api/v1/sync/pull?client_id={client_id}"),
        client.get("/api/v1/sync/pull?client_id=nonsense"),  # 404
        post(client, "/api/v1/sync/push", {"client_id": client_id}),  # 400
        client.get("/today"),
    ]
    assert [r.headers.get(ACCOUNT) for r in answers] == [key] * len(answers)

    # Stable for the account across logins; another person's is another key.
    client.post("/logout")
    assert client.get("/api/v1/sync/pull?client_id=x").headers.get(ACCOUNT) is None  # 401
    login(client, people.patient)
    assert page_account(client) == key
    client.post("/logout")
    login(client, people.other_patient)
    assert page_account(client) != key


def test_a_push_for_another_account_is_refused_and_nothing_is_stored(
    client: CsrfClient, people: People
) -> None:
    login(client, people.patient)
    first_key = page_account(client)
    first_client = register(client)
    client.post("/logout")
    login(client, people.other_patient)
    mine = page_account(client)

    # The phone sends the first person's outbox with the second person's session.
    wrong = {"headers": {ACCOUNT: first_key}}
    body = {"client_id": first_client, "mutations": [fatigue(1, str(uuid.uuid4()))]}
    answers = [
        post(client, "/api/v1/sync/push", body, **wrong),
        post(client, "/api/v1/clients", **wrong),
        client.get(f"/api/v1/sync/pull?client_id={first_client}", **wrong),
    ]
    for answer in answers:
        assert_json_error(answer, 409, "wrong_account")
        assert answer.headers[ACCOUNT] == mine  # whose session it is, so the app can tell
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
    assert db.session.scalar(select(func.count()).select_from(SyncClient)) == 1

    # The right key goes through.
    answer = post(client, "/api/v1/clients", headers={ACCOUNT: mine})
    assert answer.status_code == 201


def logout(client: CsrfClient, **form: Any) -> Any:
    """Log out with the page's form (and what the app adds to it)."""
    return client.post("/logout", data=form)


def test_logout_asks_the_browser_to_forget_the_site(client: CsrfClient, people: People) -> None:
    login(client, people.patient)
    # Something may wait in an outbox on the phone: the HTTP cache only, the outbox stays.
    answer = logout(client)
    assert answer.status_code == 302
    assert answer.headers["Clear-Site-Data"] == '"cache"'
    login(client, people.patient)
    # The app said nothing waits on this phone: storage too.
    answer = logout(client, outbox_empty="1")
    assert answer.headers["Clear-Site-Data"] == '"cache", "storage"'
    # The login page after it works as before.
    page = client.get(answer.headers["Location"])
    assert page.status_code == 200 and "Clear-Site-Data" not in page.headers
    login(client, people.patient)


def test_deleting_the_account_asks_the_browser_to_forget_the_site(
    client: CsrfClient, people: People
) -> None:
    login(client, people.patient)
    wrong = client.post("/account/delete", data={"password": "not it", "outbox_empty": "1"})
    assert wrong.status_code == 400 and "Clear-Site-Data" not in wrong.headers
    answer = client.post(
        "/account/delete", data={"password": "correct horse battery", "outbox_empty": "1"}
    )
    assert answer.status_code == 302
    assert answer.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_naming_the_account_reads_nothing_after_the_view(
    app: Flask, client: CsrfClient, people: People
) -> None:
    """The header comes from what the view already knew: no transaction after it has ended.

    A read after the view's transaction started a new one (on SQLite a POST's is
    BEGIN IMMEDIATE, holding the write lock until the request ended): the next request's
    write met "database is locked" and answered 503 (the caseload search did).
    """
    login(client, people.patient)
    key = page_account(client)
    late: list[str] = []

    def view_done(response: Any) -> Any:
        g.view_done = True
        return response

    app.after_request_funcs.setdefault(None, []).append(view_done)  # the first to run after

    def on_begin(_conn: Any) -> None:
        if has_request_context() and g.get("view_done"):
            late.append(f"{request.method} {request.path}")

    event.listen(db.engine, "begin", on_begin)
    try:
        answers = [
            client.get("/today"),
            post(client, "/api/v1/sync/push", {"client_id": "nobody", "mutations": []}),
            post(client, "/api/v1/sync/push", {}, headers={"X-CSRFToken": "wrong"}),
            client.post("/log/fatigue", data={"fatigue": "99"}),  # shown again, nothing kept
        ]
    finally:
        event.remove(db.engine, "begin", on_begin)
    assert late == []
    assert [a.headers.get(ACCOUNT) for a in answers] == [key] * len(answers)
    assert [a.status_code for a in answers] == [200, 404, 400, 400]
