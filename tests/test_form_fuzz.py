"""No form input ever causes a 500: every form a person posts, with each field made nasty.

For each form route of the authorization matrix, as the visitor who may use it (the owner, the
linked therapist, or anyone for the pages before logging in), the valid form of the matrix is
posted again with one field at a time replaced by a value it was not written for: empty,
huge, negative, not a number, a date that does not exist, a NUL byte, fullwidth digits, very
long text of four-byte characters, markup; or left out; plus a field nobody asked for. Each answer
must be a page or a refusal (below 500), never a server error. The values were chosen from
what breaks parsers, not from what the forms are known to check.
"""

from __future__ import annotations

import pytest

from tests.helpers.accounts import CsrfClient, People
from tests.helpers.authorization import (
    ANON,
    EXPECTED,
    JSON_ROUTES,
    LINKED,
    OWNER,
    World,
    as_actor,
    form,
    make_world,
    url,
)

NASTY = (
    "",
    "-1",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "a\x00b",
    "\uff11\uff12",  # fullwidth digits
    "\U0001f600" * 5000,  # long, and four bytes a character
    "<script>alert(1)</script>",
    "2026-02-30",
)


@pytest.fixture
def world(people: People) -> World:
    """The cast of the authorization matrix, and the owner's things."""
    return make_world(people)


def _visitor(rule: str, method: str) -> str | None:
    """Who may post this form: its owner, the linked therapist, or anyone (None: only someone
    the matrix does not play, such as a person holding a reset link)."""
    row = EXPECTED[(rule, method)]
    return next((a for a in (OWNER, LINKED, ANON) if row[a] in (200, 201, 302)), None)


FORM_ROUTES = sorted(
    (rule, method)
    for (rule, method) in EXPECTED
    if method == "POST" and (rule, method) not in JSON_ROUTES and _visitor(rule, method)
)


@pytest.mark.parametrize(("rule", "method"), FORM_ROUTES, ids=[r for r, _ in FORM_ROUTES])
def test_no_form_input_causes_a_server_error(
    client: CsrfClient, world: World, rule: str, method: str
) -> None:
    as_actor(client, world, str(_visitor(rule, method)))
    path = url(rule, world)
    token = client.csrf_token()
    base = form(rule, method, world)
    variants: list[tuple[str, dict[str, str]]] = []
    for field in base:
        variants.append((f"{field} left out", {k: v for k, v in base.items() if k != field}))
        variants += [(f"{field}={value[:20]!r}", {**base, field: value}) for value in NASTY]
    # Last: with every field valid this one may succeed, and logging out ends the session.
    variants.append(("an unasked field", {**base, "zz": "1"}))
    for what, data in variants:
        response = client.post(path, data={**data, "csrf_token": token})
        assert response.status_code < 500, f"{rule} with {what}: {response.status_code}"
        # Reached the form's own checks, not stopped at the door by a stale CSRF token.
        assert "This form had expired" not in response.get_data(as_text=True), what
