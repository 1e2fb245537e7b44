"""Passkeys through the web: the list, adding and removing one, logging in without typing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from rehab_app.extensions import db
from rehab_app.models import LoginAttempt, Passkey
from tests.helpers.accounts import CsrfClient, People, login
from tests.helpers.softkey import SoftKey

ORIGIN = "http://localhost"


def post_json(client: CsrfClient, url: str, body: Any = None, csrf: bool = True) -> Any:
    """POST JSON with the CSRF token in its header, as passkeys.js does."""
    headers = {"Accept": "application/json"}
    if csrf:
        headers["X-CSRFToken"] = client.csrf_token()
    return client.post(url, json=body if body is not None else {}, headers=headers)


def add_passkey(client: CsrfClient, key: SoftKey, name: str = "My phone") -> Any:
    """Make a passkey on the logged-in account with the key."""
    options = post_json(client, "/account/passkeys/register/options")
    assert options.status_code == 200
    credential = key.create(options.get_json())
    return post_json(client, "/account/passkeys/register", {"credential": credential, "name": name})


def passkey_login(client: CsrfClient, key: SoftKey, **answer: Any) -> Any:
    """Ask for a login challenge and answer it with the key."""
    options = post_json(client, "/login/passkey/options")
    assert options.status_code == 200
    body = {"credential": key.get(options.get_json(), **answer), "remember": False}
    return post_json(client, "/login/passkey", body)


@pytest.fixture
def key() -> SoftKey:
    """A phone's authenticator for the test client's site (http://localhost)."""
    return SoftKey("localhost", ORIGIN)


def test_add_a_passkey_then_log_in_with_it_and_no_email(
    client: CsrfClient, people: People, key: SoftKey
) -> None:
    """The whole journey: added, listed, logged out, logged in by the passkey alone."""
    login(client, people.patient)
    page = client.get("/account/passkeys").get_data(as_text=True)
    assert "None yet" in page
    added = add_passkey(client, key, "Kitchen phone")
    assert added.status_code == 201, added.get_data(as_text=True)
    page = client.get("/account/passkeys").get_data(as_text=True)
    assert "Kitchen phone" in page and "not used yet" in page
    client.post("/logout")
    assert client.get("/today").status_code == 302

    answer = passkey_login(client, key)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"redirect": "/today"}
    assert client.get("/today").status_code == 200
    assert "last used" in client.get("/account/passkeys").get_data(as_text=True)


def test_a_therapist_can_use_a_passkey_too(
    client: CsrfClient, people: People, key: SoftKey
) -> None:
    """Passkeys are for everyone with an account, landing on the therapist's home."""
    login(client, people.therapist)
    assert add_passkey(client, key).status_code == 201
    client.post("/logout")
    assert passkey_login(client, key).get_json() == {"redirect": "/therapist"}


def test_a_login_challenge_is_used_once(client: CsrfClient, people: People, key: SoftKey) -> None:
    """Sending the same signed answer again logs no one in."""
    login(client, people.patient)
    add_passkey(client, key)
    client.post("/logout")
    options = post_json(client, "/login/passkey/options").get_json()
    body = {"credential": key.get(options)}
    assert post_json(client, "/login/passkey", body).status_code == 200
    client.post("/logout")
    again = post_json(client, "/login/passkey", body)
    assert again.status_code == 400
    assert "expired" in again.get_json()["message"]


def test_a_removed_passkey_logs_no_one_in(
    app: Flask, client: CsrfClient, people: People, key: SoftKey
) -> None:
    """Remove is a plain POST form; afterwards the device's passkey gets a clear refusal."""
    login(client, people.patient)
    add_passkey(client, key)
    passkey_id = db.session.scalar(select(Passkey.id))
    stranger = app.test_client()
    login(stranger, people.other_patient)
    assert stranger.post(f"/account/passkeys/{passkey_id}/remove").status_code == 404
    assert client.post(f"/account/passkeys/{passkey_id}/remove", csrf=False).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Passkey)) == 1

    removed = client.post(f"/account/passkeys/{passkey_id}/remove", follow_redirects=True)
    assert "removed" in removed.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Passkey)) == 0
    client.post("/logout")
    refused = passkey_login(client, key)
    assert refused.status_code == 400
    assert "may have been removed" in refused.get_json()["message"]
    assert client.get("/today").status_code == 302


def test_failed_passkey_logins_count_and_are_slowed_like_passwords(
    app: Flask, client: CsrfClient, people: People, key: SoftKey
) -> None:
    """Each refusal is counted; past the free tries the next one must wait (429, Retry-After)."""
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = 2
    for _ in range(2):
        assert passkey_login(client, key).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) >= 2
    throttled = passkey_login(client, key)
    assert throttled.status_code == 429
    assert "wait" in throttled.get_json()["message"]
    assert int(throttled.headers["Retry-After"]) >= 1


def test_the_json_steps_need_the_csrf_token(client: CsrfClient, people: People) -> None:
    """Another site cannot start or finish a ceremony in a person's browser."""
    assert post_json(client, "/login/passkey/options", csrf=False).status_code == 400
    login(client, people.patient)
    answer = post_json(client, "/account/passkeys/register/options", csrf=False)
    assert answer.status_code == 400 and answer.get_json()["error"] == "csrf"


def test_adding_a_passkey_needs_a_login(client: CsrfClient) -> None:
    """Logged out, the JSON steps answer 401 (never a redirect to a page)."""
    for url in ("/account/passkeys/register/options", "/account/passkeys/register"):
        answer = post_json(client, url)
        assert answer.status_code == 401 and answer.get_json()["error"] == "login_required"


def test_the_login_page_offers_a_passkey_only_with_javascript(client: CsrfClient) -> None:
    """The button is there, hidden until passkeys.js finds the browser can use passkeys."""
    page = client.get("/login").get_data(as_text=True)
    assert 'id="passkey-login"' in page and "Log in with a passkey" in page
    assert 'data-login="/login/passkey"' in page and " hidden>" in page


MALFORMED: list[Any] = [
    None,
    [],
    "credential",
    {"credential": None},
    {"credential": []},
    {"credential": {}},
    {"credential": {"rawId": "!!!", "id": "x", "type": "public-key"}},
    {"credential": {"rawId": "a" * 5000}},
    {"credential": {"rawId": "AAAA", "id": "AAAA", "type": "public-key", "response": {}}},
    {
        "credential": {
            "rawId": "AAAA",
            "id": "AAAA",
            "type": "public-key",
            "response": {"clientDataJSON": "e30", "attestationObject": "oA", "userHandle": "@@"},
        }
    },
]


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_answers_get_a_4xx_json_error(
    client: CsrfClient, people: People, key: SoftKey, body: Any
) -> None:
    """Nothing a crafted request sends makes a server error or stores a passkey."""
    login(client, people.patient)
    add_passkey(client, key)
    post_json(client, "/account/passkeys/register/options")
    answer = post_json(client, "/account/passkeys/register", body)
    assert answer.status_code == 400 and answer.get_json()["error"] == "passkey"
    client.post("/logout")
    post_json(client, "/login/passkey/options")
    if isinstance(body, dict) and isinstance(body.get("credential"), dict):
        body["credential"].setdefault("rawId", key.get({"challenge": "AA"})["rawId"])
    answer = post_json(client, "/login/passkey", body)
    assert answer.status_code == 400 and answer.get_json()["error"] == "passkey"
    assert db.session.scalar(select(func.count()).select_from(Passkey)) == 1


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
CREDENTIAL = st.fixed_dictionaries(
    {},
    optional={
        "id": JSON | st.just("AAAA"),
        "rawId": JSON | st.just("AAAA"),
        "type": JSON | st.just("public-key"),
        "response": st.dictionaries(
            st.sampled_from(
                ["clientDataJSON", "authenticatorData", "signature", "userHandle", "transports"]
            ),
            JSON | st.sampled_from(["e30", "AAAA", "", "=="]),
        ),
    },
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(credential=CREDENTIAL | JSON)
def test_fuzzed_passkey_logins_never_fail_on_the_server(
    client: CsrfClient, credential: Any
) -> None:
    """Random JSON where a credential belongs: always a 4xx answer."""
    post_json(client, "/login/passkey/options")
    answer = post_json(client, "/login/passkey", {"credential": credential})
    assert 400 <= answer.status_code < 500, answer.get_data(as_text=True)
