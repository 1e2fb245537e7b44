"""The sync API answers as /api/v1/openapi.json says, whatever it is sent (Schemathesis).

Generated requests (Schemathesis's examples, coverage and fuzzing phases, valid and invalid)
go to the app in-process, logged in as a patient and logged out; every answer must be
documented: no 5xx, a documented status code and content type, a body valid against the
documented schema. Hand-written requests then reach every answer generation rarely finds
(each push result status, tombstones, programme items, the limits) and check them the same way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import jsonschema_rs
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis import AuthContext, Case
from schemathesis.core import NotSet
from schemathesis.specs.openapi.checks import negative_data_rejection

from config import TestConfig
from rehab_app import create_app
from rehab_app.core import sync
from rehab_app.core.openapi import openapi_document
from rehab_app.core.sync import MAX_MUTATION_ID
from rehab_app.extensions import db
from rehab_app.models import ProgrammeItem
from tests.helpers.accounts import CsrfClient, People, login
from tests.helpers.api import fatigue, post, register

# A request that breaks the document is refused with one of these, never accepted: 413 is
# the documented answer to more than 500 mutations (the schema's maxItems), 409 to a
# Rehab-Account header that is not the session's (checked before the body).
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": [400, 401, 403, 404, 409, 413]}}}
)
# The document as the app serves it. Serving it needs no database, so an app of its own
# serves it at import time; every request then goes to the test's own app (`app=`).
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    create_app(TestConfig, SQLALCHEMY_DATABASE_URI="sqlite://"),
    config=CONFIG,
)

# Bounded and derandomized, so that CI runs the same cases in a few seconds.
CI_SETTINGS = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Checks left out for every call (none now: the app-wide 405 names the allowed methods).
KNOWN_GAPS: list[Any] = []

PUSH, PULL = "/api/v1/sync/push", "/api/v1/sync/pull"
PUSH_REQUEST = jsonschema_rs.Draft202012Validator(
    {"$ref": "#/components/schemas/PushRequest", "components": schema.raw_schema["components"]},
    validate_formats=True,
)


def _push_errors(case: Case) -> list[jsonschema_rs.ValidationError | None]:
    """Where a push's body breaks the document; None for a body that is no JSON value."""
    try:
        return list(PUSH_REQUEST.iter_errors(None if isinstance(case.body, NotSet) else case.body))
    except ValueError:  # raw bytes
        return [None]


def _in_one_mutation(error: jsonschema_rs.ValidationError | None) -> bool:
    """Whether a schema error lies inside one mutation that has its id (not in the batch)."""
    if error is None:
        return False
    path = list(error.instance_path)
    if len(path) < 2 or path[0] != "mutations":
        return False
    if len(path) == 2:  # the mutation itself: not an object, or a property missing
        return isinstance(error.instance, dict) and "id" in error.instance
    return path[2] != "id"


def _only_mutations_invalid(case: Case) -> bool:
    """A batch the document calls invalid only because of what some of its mutations carry."""
    errors = _push_errors(case)
    return bool(errors) and all(_in_one_mutation(e) for e in errors)


def invalid_mutations_are_not_applied(
    _ctx: schemathesis.CheckContext | None, response: schemathesis.Response, case: Case
) -> None:
    """An invalid push is refused whole (4xx), or its invalid mutations are answered unapplied.

    The protocol answers a bad mutation "rejected" in a 200 rather than refusing the batch,
    so that one bad change never blocks the outbox behind it (docs/sync.md); Schemathesis's
    negative_data_rejection, which wants a 4xx, is swapped for this check on such pushes.
    """
    if case.operation.path != PUSH or case.method.upper() != "POST":
        return
    errors = _push_errors(case)
    if not errors or response.status_code != 200:
        return
    assert all(_in_one_mutation(e) for e in errors), "a push the document refuses was accepted"
    invalid = {e.instance_path[1] for e in errors if e is not None}
    mutations = cast(dict[str, Any], case.body)["mutations"]
    by_id = sorted(enumerate(mutations), key=lambda pair: pair[1]["id"])
    for (index, mutation), result in zip(by_id, response.json()["results"], strict=True):
        assert index not in invalid or result["status"] != "applied", (mutation, result)


@dataclass
class Credentials:
    """What an installed app holds: a session cookie, a CSRF token, its client id."""

    cookie: str
    csrf_token: str
    client_id: str
    last_mutation_id: int = 0


@pytest.fixture
def credentials(app: Flask, people: People) -> Credentials:
    """A patient logged in as tests/test_api.py does, with a registered sync client."""
    browser: CsrfClient = app.test_client()  # type: ignore[assignment]
    login(browser, people.patient)
    client_id = register(browser)
    cookie = browser.get_cookie("session")
    assert cookie is not None
    return Credentials(cookie.value, browser.csrf_token(), client_id)


# Schemathesis builds its coverage cases before any test has logged in, so the auth
# provider hands out this placeholder and each test swaps in its patient's cookie.
SESSION_PLACEHOLDER = "the-patient's-session"


class PatientSession:
    """The patient's session cookie on every case, unless the case leaves it out on purpose.

    Given as auth, Schemathesis knows the cookie is real: it also sends each successful
    request again without it and with a made-up one, and expects a 401.
    """

    def get(self, _case: Case, _ctx: AuthContext) -> str:
        """The placeholder for the session cookie."""
        return SESSION_PLACEHOLDER

    def set(self, case: Case, data: str, _ctx: AuthContext) -> None:
        """Put the cookie on the case."""
        case.cookies = {**(case.cookies or {}), "session": data}


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError, AttributeError):
        return False
    return True


def _as_the_app_sends_it(case: Case, credentials: Credentials) -> None:
    """The real session cookie and CSRF token, and mostly this app's client id.

    What Schemathesis left out or broke on purpose stays so (a missing cookie or header,
    a client id that is no UUID); one random UUID in four stays too, for the 404.
    """
    if case.cookies and case.cookies.get("session") == SESSION_PLACEHOLDER:
        case.cookies["session"] = credentials.cookie
    if case.headers and "X-CSRFToken" in case.headers:
        case.headers["X-CSRFToken"] = credentials.csrf_token
    value: Any
    if case.path == PUSH and isinstance(case.body, dict):
        container, value = case.body, case.body.get("client_id")
    elif case.path == PULL and case.query:
        container, value = case.query, case.query.get("client_id")
    else:
        return
    if _is_uuid(value) and uuid.UUID(value).int % 4:
        container["client_id"] = credentials.client_id
        if container is case.body:
            _number_after(case.body.get("mutations"), credentials.last_mutation_id)


def _number_after(mutations: Any, last: int) -> None:
    """Renumber the mutations with whole-number ids to follow the client's last one.

    Otherwise nearly every generated mutation would be a duplicate or wait behind a gap,
    and the rules that apply or reject a change would hardly be reached.
    """
    for mutation in mutations if isinstance(mutations, list) else ():
        number = mutation.get("id") if isinstance(mutation, dict) else None
        if type(number) is int and 0 < number <= MAX_MUTATION_ID:  # leave broken ids broken
            last += 1
            mutation["id"] = last


@schema.parametrize()
@CI_SETTINGS
@schema.auth.apply(PatientSession, refresh_interval=None)
def test_logged_in_answers_match_the_schema(
    case: Case, app: Flask, credentials: Credentials
) -> None:
    """A logged-in app gets only documented answers, in the documented shapes, never a 5xx."""
    _as_the_app_sends_it(case, credentials)
    excluded = list(KNOWN_GAPS)
    if case.path == PUSH and _only_mutations_invalid(case):
        excluded.append(negative_data_rejection)
    response = case.call_and_validate(
        app=app,
        session=app.test_client(),  # type: ignore[arg-type]  # the WSGI transport takes one
        excluded_checks=excluded,
        additional_checks=[invalid_mutations_are_not_applied],
    )
    if case.path == PUSH and case.method.upper() == "POST" and response.status_code == 200:
        credentials.last_mutation_id = response.json()["last_mutation_id"]


@schema.parametrize()
@CI_SETTINGS
def test_logged_out_answers_match_the_schema(case: Case, app: Flask) -> None:
    """An app whose session expired gets the documented 401 JSON, not a redirect or a 5xx."""
    response = case.call_and_validate(
        app=app,
        session=app.test_client(),  # type: ignore[arg-type]  # the WSGI transport takes one
        excluded_checks=KNOWN_GAPS,
    )
    declared = case.method.upper() == case.operation.method.upper()  # not a TRACE probe
    if declared and case.path != "/api/v1/openapi.json":
        assert response.status_code == 401


def test_a_wrong_method_names_the_allowed_ones(client: CsrfClient) -> None:
    """An app (or a developer) that uses the wrong method is told which ones work (RFC 9110)."""
    response = client.delete("/api/v1/clients")
    assert response.status_code == 405
    assert response.headers.get("Allow") is not None


# ----------------------------------------------------------------------------- by hand


def check(method: str, path: str, response: Any, status: int) -> dict[str, Any]:
    """The response has the status expected and matches the document; its JSON body."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    schema[path][method].validate_response(response)
    return response.get_json()


def with_entry(mutation: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The mutation with more fields on its entry."""
    return {**mutation, "entry": {**mutation["entry"], **fields}}


Push = Callable[[list[dict[str, Any]]], dict[str, Any]]


@pytest.fixture
def pushed(patient_client: CsrfClient) -> tuple[str, Push]:
    """A registered client id, and a function that pushes mutations for it (expecting 200)."""
    client_id = register(patient_client)

    def push(mutations: list[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {"client_id": client_id, "mutations": mutations}
        response = post(patient_client, PUSH, body)
        answer = check("POST", PUSH, response, 200)
        case = schema[PUSH]["POST"].Case(body=body)
        invalid_mutations_are_not_applied(None, schemathesis.Response.from_any(response), case)
        return answer

    return client_id, push


def test_every_push_result_matches_the_schema(pushed: tuple[str, Push]) -> None:
    """Each answer an app acts on (applied, duplicate, gap, rejected, deleted) is as documented."""
    _, push = pushed
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    answer = push(
        [
            with_entry(fatigue(1, first), by_carer=None),  # null is false
            fatigue(2, first),  # the same id again: applied, created false
            fatigue(3, second, value=11),  # out of range: rejected
            {"id": 4, "op": "delete", "entry": {"id": first}},
            {"id": 5, "op": "update", "entry": {"id": first, "fatigue": 2}},  # deleted
            fatigue(7, second),  # 6 is missing: gap
        ]
    )
    assert [r["status"] for r in answer["results"]] == [
        "applied",
        "applied",
        "rejected",
        "applied",
        "deleted",
        "gap",
    ]
    assert [r.get("created") for r in answer["results"][:2]] == [True, False]
    assert answer["results"][2]["field"] == "fatigue"
    # Sent again as it was: the outcome it had; another change under the same id: refused.
    [again, rejected_again] = push(
        [with_entry(fatigue(1, first), by_carer=None), fatigue(3, second, value=11)]
    )["results"]
    assert (again["status"], again["repeated"]) == ("applied", True)
    assert (rejected_again["status"], rejected_again["field"]) == ("rejected", "fatigue")
    assert push([fatigue(1, first)])["results"][0]["code"] == "id_reused"


def test_every_kind_of_change_pulled_matches_the_schema(
    patient_client: CsrfClient, people: People, pushed: tuple[str, Push]
) -> None:
    """Entries, tombstones and programme items come in the documented shape."""
    client_id, push = pushed
    kept, gone = str(uuid.uuid4()), str(uuid.uuid4())
    push([fatigue(1, kept), fatigue(2, gone), {"id": 3, "op": "delete", "entry": {"id": gone}}])
    db.session.add(
        ProgrammeItem(
            patient_id=people.patient.id,
            therapist_id=people.therapist.id,
            custom_name="Sit to stand",
            discipline="physio",
            reps=10,
            start_date=date.today(),
        )
    )
    db.session.commit()
    response = patient_client.get(f"/api/v1/sync/pull?client_id={client_id}&limit=2")
    page = check("GET", PULL, response, 200)
    assert page["more"] is True
    rest = patient_client.get(f"/api/v1/sync/pull?client_id={client_id}&cursor={page['cursor']}")
    changes = page["changes"] + check("GET", PULL, rest, 200)["changes"]
    assert sorted((c["type"], c.get("deleted_at") is not None) for c in changes) == [
        ("entry", False),
        ("entry", True),
        ("programme_item", False),
    ]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("{not json", 400),
        ('{"client_id": "x"}', 400),
        ('{"client_id": "0b9f2f5e-1c7a-4e0e-8a51-3d2b1f6c9e40", "mutations": []}', 404),
        (json.dumps({"mutations": [fatigue(n, str(uuid.uuid4())) for n in range(1, 502)]}), 413),
        (json.dumps({"mutations": [], "padding": "x" * 1024 * 1024}), 413),
    ],
    ids=["bad-json", "no-mutations", "unknown-client", "over-500", "over-1-mb"],
)
def test_push_errors_match_the_schema(patient_client: CsrfClient, body: str, status: int) -> None:
    """A refused push is the documented JSON error, so the app can tell the person why."""
    response = patient_client.post(
        PUSH,
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": patient_client.csrf_token()},
    )
    check("POST", PUSH, response, status)


def test_auth_errors_match_the_schema(client: CsrfClient, people: People) -> None:
    """Logged out is 401, a therapist 403, a missing CSRF header 400: all as documented."""
    check("POST", "/api/v1/clients", client.post("/api/v1/clients", json={}, csrf=False), 401)
    check("GET", PULL, client.get("/api/v1/sync/pull?client_id=x"), 401)
    login(client, people.therapist)
    check("POST", "/api/v1/clients", post(client, "/api/v1/clients"), 403)
    client.post("/logout")
    login(client, people.patient)
    check("POST", "/api/v1/clients", client.post("/api/v1/clients", json={}), 400)
    check("GET", PULL, client.get("/api/v1/sync/pull?client_id=x&limit=0"), 400)


def test_the_schema_check_can_fail(pushed: tuple[str, Push], patient_client: CsrfClient) -> None:
    """An answer that breaks the document (a pull without its CSRF token) is caught."""
    client_id, _ = pushed
    response = patient_client.get(f"/api/v1/sync/pull?client_id={client_id}")
    body = response.get_json()
    del body["csrf_token"]
    response.set_data(json.dumps(body))
    with pytest.raises(AssertionError):
        check("GET", PULL, response, 200)


def test_the_invalid_mutation_check_can_fail(
    pushed: tuple[str, Push], patient_client: CsrfClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the server to apply a change the document calls invalid, the check would say so."""
    client_id, _ = pushed
    rule = sync.fields._clean_value
    monkeypatch.setattr(sync.fields, "_clean_value", lambda n, v: v if n == "note" else rule(n, v))
    mutation = with_entry(fatigue(1, str(uuid.uuid4())), note="x" * 1001)  # over maxLength
    body: dict[str, Any] = {"client_id": client_id, "mutations": [mutation]}
    response = post(patient_client, PUSH, body)
    assert response.get_json()["results"][0]["status"] == "applied"
    case = schema[PUSH]["POST"].Case(body=body)
    with pytest.raises(AssertionError):
        invalid_mutations_are_not_applied(None, schemathesis.Response.from_any(response), case)


def test_entry_fields_are_declared_per_kind() -> None:
    """OpenAPI says which fields each kind may carry: a field of another kind fits no schema."""
    document = openapi_document()
    schemas = document["components"]["schemas"]
    entry_schemas = [v for k, v in schemas.items() if k.startswith("EntryFields_")]
    assert len(entry_schemas) == len(sync.KIND_FIELDS)
    assert all(s["additionalProperties"] is False for s in entry_schemas)
    validator = jsonschema_rs.Draft202012Validator(
        {"$ref": "#/components/schemas/EntryFields", "components": document["components"]}
    )
    entry_id = str(uuid.uuid4())
    fits = [
        {"id": entry_id, "kind": "fatigue", "fatigue": 3, "context": "heat"},
        {"id": entry_id, "kind": "mobility", "aid": "frame", "setting": "indoors", "falls": 0},
        {"id": entry_id, "note": "an update of any kind's common field"},
        {"id": entry_id, "fatigue": 4, "local_date": "2026-03-01"},  # read-only echoed back
        {"id": entry_id},  # a delete or a restore
    ]
    refused = [
        {"id": entry_id, "kind": "mobility", "fatigue": 3},
        {"id": entry_id, "kind": "fatigue", "fatigue": 3, "colour": "red"},
        {"id": entry_id, "kind": "bad_day", "reason": "heat", "aid": "frame"},
    ]
    assert [validator.is_valid(e) for e in fits] == [True] * len(fits)
    assert [validator.is_valid(e) for e in refused] == [False] * len(refused)
