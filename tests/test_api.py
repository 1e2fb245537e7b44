"""The sync API over HTTP: auth, CSRF, limits, errors, and a push-pull round trip."""

from __future__ import annotations

import http.client
import io
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.helpers.accounts import CsrfClient, People, login
from tests.helpers.api import assert_json_error, fatigue, post, register


def test_anonymous_requests_get_401_json_not_a_redirect(client: CsrfClient) -> None:
    assert_json_error(client.get("/api/v1/sync/pull?client_id=x"), 401, "login_required")
    assert_json_error(post(client, "/api/v1/sync/push", {"mutations": []}), 401)
    # Even without a CSRF token (the session expired while offline): log in again, not CSRF.
    assert_json_error(client.post("/api/v1/clients", json={}, csrf=False), 401)


def test_therapists_get_403_json(therapist_client: CsrfClient) -> None:
    assert_json_error(post(therapist_client, "/api/v1/clients"), 403, "forbidden")


def test_writes_need_the_csrf_header(patient_client: CsrfClient) -> None:
    assert_json_error(patient_client.post("/api/v1/clients", json={}), 400, "csrf")
    response = patient_client.post("/api/v1/clients", json={}, headers={"X-CSRFToken": "forged"})
    assert_json_error(response, 400, "csrf")


def test_another_persons_client_is_not_found(client: CsrfClient, people: People) -> None:
    login(client, people.other_patient)
    theirs = register(client)
    client.post("/logout")
    login(client, people.patient)
    body = {"client_id": theirs, "mutations": [fatigue(1, str(uuid.uuid4()))]}
    assert_json_error(post(client, "/api/v1/sync/push", body), 404, "unknown_client")
    # The same answer for theirs and for nonsense; a pull's answers the session's own token.
    answers = [client.get(f"/api/v1/sync/pull?client_id={c}") for c in (theirs, "nonsense")]
    assert [a.status_code for a in answers] == [404, 404]
    assert [set(a.get_json()) for a in answers] == [{"error", "message", "csrf_token"}] * 2
    assert answers[0].get_json()["message"] == answers[1].get_json()["message"]


def test_more_than_500_mutations_is_413(patient_client: CsrfClient) -> None:
    client_id = register(patient_client)
    mutations = [fatigue(n, str(uuid.uuid4())) for n in range(1, 502)]
    response = post(
        patient_client, "/api/v1/sync/push", {"client_id": client_id, "mutations": mutations}
    )
    assert_json_error(response, 413, "too_many_mutations")
    assert "500" in response.get_json()["message"]


def test_a_body_over_1_mb_is_413_json(patient_client: CsrfClient) -> None:
    client_id = register(patient_client)
    big = {"client_id": client_id, "mutations": [], "padding": "x" * (1024 * 1024)}
    response = patient_client.post(
        "/api/v1/sync/push",
        data=json.dumps(big),
        content_type="application/json",
        headers={"X-CSRFToken": patient_client.csrf_token()},
    )
    assert_json_error(response, 413, "too_large")


def _chunks(data: bytes) -> Iterator[bytes]:
    return (data[i : i + 65536] for i in range(0, len(data), 65536))


@pytest.mark.parametrize("padding", [1024 * 1024, 100])
def test_a_chunked_body_over_1_mb_is_413_json_and_a_small_one_is_read(
    patient_client: CsrfClient, padding: int
) -> None:
    """A chunked body has no Content-Length: the server finds its size by reading it."""
    client_id = register(patient_client)
    body = {"client_id": client_id, "mutations": [], "padding": "x" * padding}
    response = patient_client.post(
        "/api/v1/sync/push",
        input_stream=io.BytesIO(json.dumps(body).encode()),
        content_type="application/json",
        headers={"X-CSRFToken": patient_client.csrf_token(), "Transfer-Encoding": "chunked"},
        # What a server that decodes chunks (Werkzeug's, gunicorn) tells the app.
        environ_overrides={"wsgi.input_terminated": True},
        csrf=False,  # the token goes in the header; no form field
    )
    assert response.request.content_length is None  # chunked: no length to go by
    if padding > 1000:
        assert_json_error(response, 413, "too_large")
    else:
        assert response.status_code == 200 and response.get_json()["results"] == []


@pytest.mark.parametrize("padding", [1024 * 1024, 100])
def test_a_chunked_body_over_1_mb_to_a_live_server_is_413_json(
    app: Flask, patient_client: CsrfClient, padding: int
) -> None:
    """The same over a real socket, chunked by http.client, decoded by Werkzeug's server."""
    client_id = register(patient_client)
    token, cookie = patient_client.csrf_token(), patient_client.get_cookie("session")
    assert cookie is not None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        body = {"client_id": client_id, "mutations": [], "padding": "x" * padding}
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.request(
            "POST",
            "/api/v1/sync/push",
            body=_chunks(json.dumps(body).encode()),
            encode_chunked=True,
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": token,
                "Cookie": f"session={cookie.value}",
            },
        )
        answer = connection.getresponse()
        status, payload = answer.status, json.loads(answer.read())
        connection.close()
    finally:
        server.shutdown()
        thread.join()
    if padding > 1000:
        assert status == 413 and payload["error"] == "too_large" and payload["message"]
    else:
        assert status == 200 and payload["results"] == []


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        '{"client_id": "x"}',
        '{"mutations": [{"op": "create"}]}',
        '{"mutations": [{"id": "1"}]}',
        '{"mutations": [{"id": true}]}',
    ],
)
def test_bad_json_is_400_json(patient_client: CsrfClient, body: str) -> None:
    response = patient_client.post(
        "/api/v1/sync/push",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": patient_client.csrf_token()},
    )
    assert_json_error(response, 400)


@pytest.mark.parametrize("query", ["cursor=-1", "cursor=abc", "limit=0", "limit=501"])
def test_a_bad_cursor_or_limit_is_400(patient_client: CsrfClient, query: str) -> None:
    client_id = register(patient_client)
    assert_json_error(patient_client.get(f"/api/v1/sync/pull?client_id={client_id}&{query}"), 400)


def test_push_then_pull_on_another_device(app: Any, people: People) -> None:
    phone: CsrfClient = app.test_client()  # type: ignore[assignment]
    tablet: CsrfClient = app.test_client()  # type: ignore[assignment]
    login(phone, people.patient)
    login(tablet, people.patient)
    phone_id, tablet_id = register(phone), register(tablet)
    entry_id = str(uuid.uuid4())
    body = {"client_id": phone_id, "mutations": [fatigue(2, entry_id), fatigue(1, entry_id, 7)]}
    pushed = post(phone, "/api/v1/sync/push", body).get_json()
    # Applied in mutation id order: the second create of the same id finds the first.
    assert [(r["mutation_id"], r["status"], r["created"]) for r in pushed["results"]] == [
        (1, "applied", True),
        (2, "applied", False),
    ]
    assert pushed["last_mutation_id"] == 2
    again = post(phone, "/api/v1/sync/push", body).get_json()["results"]  # the answer was lost
    assert [(r["status"], r["repeated"]) for r in again] == [("applied", True)] * 2

    page = tablet.get(f"/api/v1/sync/pull?client_id={tablet_id}&cursor=0&limit=50").get_json()
    [change] = page["changes"]
    assert (change["id"], change["fatigue"], page["more"]) == (entry_id, 7, False)
    assert page["csrf_token"] and page["last_mutation_id"] == 0
    again = tablet.get(f"/api/v1/sync/pull?client_id={tablet_id}&cursor={page['cursor']}")
    assert again.get_json()["changes"] == []


def test_a_web_edit_shows_up_in_pull(patient_client: CsrfClient) -> None:
    client_id = register(patient_client)
    entry_id = str(uuid.uuid4())
    post(
        patient_client,
        "/api/v1/sync/push",
        {"client_id": client_id, "mutations": [fatigue(1, entry_id)]},
    )
    cursor = patient_client.get(f"/api/v1/sync/pull?client_id={client_id}").get_json()["cursor"]
    form = {"fatigue": "2", "occurred_at": datetime.now().strftime("%Y-%m-%dT%H:%M"), "note": "web"}
    assert patient_client.post(f"/entries/{entry_id}/edit", data=form).status_code == 302
    page = patient_client.get(f"/api/v1/sync/pull?client_id={client_id}&cursor={cursor}").get_json()
    [change] = page["changes"]
    assert (change["id"], change["fatigue"], change["note"]) == (entry_id, 2, "web")
    assert patient_client.post(f"/entries/{entry_id}/delete").status_code == 302
    page = patient_client.get(
        f"/api/v1/sync/pull?client_id={client_id}&cursor={page['cursor']}"
    ).get_json()
    assert set(page["changes"][0]) == {"type", "id", "kind", "deleted_at", "change_seq"}


def test_a_body_nested_1000_deep_is_400_and_blocks_nothing(patient_client: CsrfClient) -> None:
    client_id = register(patient_client)
    for body in ("[" * 1000 + "]" * 1000, '{"client_id": "x", "mutations": ' + "[" * 1000):
        response = patient_client.post(
            "/api/v1/sync/push",
            data=body,
            content_type="application/json",
            headers={"X-CSRFToken": patient_client.csrf_token()},
        )
        assert_json_error(response, 400, "bad_json")
    # The next push of the same client goes through.
    body = {"client_id": client_id, "mutations": [fatigue(1, str(uuid.uuid4()))]}
    assert post(patient_client, "/api/v1/sync/push", body).get_json()["last_mutation_id"] == 1


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("occurred_at", "0001-01-01T00:00:00+14:00", "Enter a date"),
        ("occurred_at", "9999-12-31T23:59:59-14:00", "Enter a date"),
        ("note", "tired \ud800 today", "cannot be stored"),
    ],
)
def test_a_crafted_value_is_rejected_and_blocks_nothing(
    patient_client: CsrfClient, field: str, value: str, words: str
) -> None:
    client_id = register(patient_client)
    crafted, after = fatigue(1, str(uuid.uuid4())), fatigue(2, str(uuid.uuid4()), 3)
    crafted["entry"][field] = value
    body = json.dumps({"client_id": client_id, "mutations": [crafted, after]})
    response = patient_client.post(
        "/api/v1/sync/push",
        data=body,  # json.dumps writes the lone surrogate as the escape \ud800
        content_type="application/json",
        headers={"X-CSRFToken": patient_client.csrf_token()},
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    first, second = response.get_json()["results"]
    assert (first["status"], first["field"]) == ("rejected", field)
    assert words in first["message"]
    assert second["status"] == "applied"
    page = patient_client.get(f"/api/v1/sync/pull?client_id={client_id}").get_json()
    assert [c["fatigue"] for c in page["changes"]] == [3]


def test_a_create_on_a_full_day_is_rejected_with_its_own_code(
    patient_client: CsrfClient, people: People
) -> None:
    from zoneinfo import ZoneInfo

    from tests.helpers.entries import fill_day

    now = datetime.now(ZoneInfo(people.patient.timezone)).replace(microsecond=0)
    fill_day(people.patient, now.date(), 200)
    client_id = register(patient_client)
    full, other_day = fatigue(1, str(uuid.uuid4())), fatigue(2, str(uuid.uuid4()))
    full["entry"]["occurred_at"] = now.isoformat()  # the person's own day, as the phone sends
    other_day["entry"]["occurred_at"] = (now - timedelta(days=1)).isoformat()
    body = {"client_id": client_id, "mutations": [full, other_day]}

    results = post(patient_client, "/api/v1/sync/push", body).get_json()["results"]

    assert results[0]["status"] == "rejected"
    assert results[0]["code"] == "too_many_entries" and results[0]["field"] == "occurred_at"
    assert "already has 200 entries, the most one day can hold" in results[0]["message"]
    assert results[1]["status"] == "applied" and results[1]["created"] is True
    # Sent again (its answer lost), it is answered with the same refusal.
    again = post(patient_client, "/api/v1/sync/push", body).get_json()["results"]
    assert {k: again[0][k] for k in ("status", "code", "message")} == {
        k: results[0][k] for k in ("status", "code", "message")
    }


def test_one_push_fills_a_day_to_its_cap_and_a_delete_in_it_makes_room(
    patient_client: CsrfClient, people: People
) -> None:
    """The entries a push makes count against the day as they are decided, before any of them
    is written: two fit on a day with 198, the third is refused; a delete later in the same
    push frees a place for the next."""
    from zoneinfo import ZoneInfo

    from tests.helpers.entries import fill_day

    now = datetime.now(ZoneInfo(people.patient.timezone)).replace(microsecond=0)
    fill_day(people.patient, now.date(), 198)
    client_id = register(patient_client)
    made = [fatigue(n, str(uuid.uuid4())) for n in (1, 2, 3)]
    delete = {"id": 4, "op": "delete", "entry": {"id": made[0]["entry"]["id"]}}
    later = [fatigue(n, str(uuid.uuid4())) for n in (5, 6)]
    mutations = [*made, delete, *later]
    for m in (*made, *later):
        m["entry"]["occurred_at"] = now.isoformat()
    body = {"client_id": client_id, "mutations": mutations}

    results = post(patient_client, "/api/v1/sync/push", body).get_json()["results"]

    assert [r["status"] for r in results] == [
        "applied",
        "applied",
        "rejected",
        "applied",
        "applied",
        "rejected",
    ]
    assert results[2]["code"] == results[5]["code"] == "too_many_entries"
    page = patient_client.get(f"/api/v1/sync/pull?client_id={client_id}&limit=500").get_json()
    live = [c for c in page["changes"] if c["type"] == "entry" and not c["deleted_at"]]
    assert len(live) == 200
