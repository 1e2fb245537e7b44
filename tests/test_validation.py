"""Bad input to every form: a message next to the field, status 400, nothing stored.

Each form has a table of cases, each a change to a valid payload that is itself shown to
be stored, so that no case passes for the wrong reason. Hypothesis then posts random form
data to every route that stores something: never a 500, never a partial or out-of-range row.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jinja2.bccache import Bucket, BytecodeCache
from sqlalchemy import delete, func, select
from werkzeug.test import TestResponse
from wtforms.fields.core import UnboundField

from rehab_app.core import care_links, entries, reminders, sessions
from rehab_app.core.timeutil import local_now, timezone_names, to_local, to_utc
from rehab_app.core.vocab import (
    AIDS,
    BAD_DAY_REASONS,
    DISCIPLINES,
    FATIGUE_CONTEXTS,
    LIMITS,
    NAME_MAX,
    NOTE_MAX,
    ROLES,
    SETTINGS,
)
from rehab_app.extensions import db
from rehab_app.models import (
    DOSE_COLUMNS,
    MAX_ID,
    CareLink,
    Entry,
    Exercise,
    ProgrammeItem,
    ReminderSettings,
    User,
    utcnow,
)
from rehab_app.web.forms import (
    ENTRY_FORMS,
    LinkForm,
    ProgrammeEditForm,
    ProgrammeItemForm,
    ReminderForm,
    SignupForm,
)
from tests.helpers.accounts import PASSWORD, CsrfClient, People

TZ = "Europe/London"  # the time zone of the people of conftest
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A value of a table is a string to send, None to leave the field out, or a function
# of the cast that makes the string (a link code, another person's id).
Value = str | None | Callable[[People], str]


class MemoryBytecodeCache(BytecodeCache):
    """Templates compiled once for the hundreds of apps this module's cases create."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED = MemoryBytecodeCache()


@pytest.fixture(autouse=True)
def _compile_templates_once(app: Flask) -> None:
    """Share compiled templates between the apps of this module (a new one per case)."""
    app.jinja_env.bytecode_cache = COMPILED


def local(delta: timedelta) -> str:
    """A local time relative to now, as a datetime-local input sends it."""
    return (local_now(TZ) + delta).strftime("%Y-%m-%dT%H:%M")


WHEN = local(-timedelta(hours=2))
FAR_FUTURE = local(timedelta(days=2))
LONG_AGO = local(-timedelta(days=5 * 366 + 2))
TODAY = date.today()
HUGE = str(10**12)


def field_names(form: type) -> list[str]:
    """The names of a form class's fields, as a browser would send them."""
    return sorted(n for n in dir(form) if isinstance(getattr(form, n), UnboundField))


def build(base: Mapping[str, Value], overrides: dict[str, Value], people: People) -> dict[str, str]:
    """The base payload with overrides applied: None drops a field, a function is called."""
    data: dict[str, Any] = {**base, **overrides}
    return {k: (v(people) if callable(v) else v) for k, v in data.items() if v is not None}


def field_error(page: str, field: str) -> str | None:
    """The text of the error paragraph tied to a field, or None."""
    match = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', page, re.S)
    if match is None:
        return None
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).removeprefix("Error: ")


def field_errors_of(response: TestResponse) -> list[tuple[str, str]]:
    """Every field message of a page, to explain a failed assertion."""
    page = response.get_data(as_text=True)
    return re.findall(r'<p class="error" id="([^"]+)-error">(.*?)</p>', page)


def form_error(page: str) -> str:
    """The text of the message at the top of a form."""
    match = re.search(r'<div class="form-errors"[^>]*>(.*?)</div>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))) if match else ""


def counts() -> dict[str, int]:
    """Rows in every table a form can add to."""
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (User, CareLink, Entry, ProgrammeItem)
    }


def assert_refused(
    response: TestResponse, field: str | None, message: str, before: dict[str, int]
) -> None:
    """400, the message next to the field (or atop the form), and no row added or removed."""
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[:500]
    if field is None:
        assert message in form_error(page)
    else:
        error = field_error(page, field)
        assert error is not None, f"no message next to {field}: {form_error(page)!r}"
        assert message in error
    assert counts() == before


def snapshot(entry: Entry) -> dict[str, Any]:
    """Every column of an entry, read fresh from the database."""
    db.session.expire_all()
    fresh = db.session.get(Entry, entry.id)
    assert fresh is not None
    return {c.key: getattr(fresh, c.key) for c in Entry.__table__.columns}


@dataclass
class Visitor:
    """A client signed in as someone, posting with its session's CSRF token."""

    client: CsrfClient
    token: str

    def post(self, url: str, data: dict[str, str]) -> TestResponse:
        """Post a form, with the token fetched once rather than before every post."""
        return self.client.post(url, data={**data, "csrf_token": self.token}, csrf=False)

    def get(self, url: str) -> TestResponse:
        """Get a page."""
        return self.client.get(url)


def sign_in(client: CsrfClient, user: User) -> Visitor:
    """Sign a client in through its session cookie.

    The login form checks a deliberately slow password hash; it has its own table below,
    and hundreds of cases need not pay for it.
    """
    # The session names a login held on the server (sessions.start), never the account id.
    token = sessions.start(db.session, user, remember=False, lifetime=timedelta(hours=1))
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return Visitor(client, client.csrf_token())


@pytest.fixture
def patient(client: CsrfClient, people: People) -> Visitor:
    """The owner patient, signed in."""
    return sign_in(client, people.patient)


@pytest.fixture
def therapist(client: CsrfClient, people: People) -> Visitor:
    """The linked therapist, signed in."""
    return sign_in(client, people.therapist)


# ----------------------------------------------------------------------------- sign up, log in

SIGNUP = {
    "display_name": "Maya Patel",
    "email": "Maya@Example.TEST",
    "password": "a long enough password",
    "confirm": "a long enough password",
    "role": "patient",
    "timezone": "Europe/Paris",
}

SIGNUP_CASES = [
    pytest.param({"display_name": None}, "display_name", "Enter your name.", id="name-missing"),
    pytest.param({"display_name": "   "}, "display_name", "Enter your name.", id="name-blank"),
    pytest.param({"display_name": "M" * 81}, "display_name", "80 characters", id="name-long"),
    pytest.param({"display_name": "Ma\x00ya"}, "display_name", "control", id="name-nul"),
    pytest.param({"display_name": "Ma\x1bya"}, "display_name", "control", id="name-escape"),
    # Names a patient reads before sharing their log: nothing may hide, reverse or impersonate.
    *(
        pytest.param({"display_name": name}, "display_name", "hidden", id=f"name-{label}")
        for label, name in (
            ("right-to-left-override", "Dr \u202eyoJ"),
            ("left-to-right-isolate", "Dr \u2066Joy\u2069"),
            ("right-to-left-mark", "Dr Joy\u200f"),
            ("arabic-letter-mark", "Dr\u061c Joy"),
            ("zero-width-space", "Dr Jo\u200by"),
            ("zero-width-joiner", "Dr Jo\u200dy"),
            ("word-joiner", "Dr Jo\u2060y"),
            ("byte-order-mark", "\ufeffDr Joy"),
            ("unassigned", "Dr Jo\u0378y"),
            ("private-use", "Dr Jo\ue000y"),
            ("line-separator", "Dr\u2028Joy"),
        )
    ),
    pytest.param(
        {"display_name": "\u3164\u3164"}, "display_name", "people can read", id="name-fillers"
    ),
    pytest.param(
        {"display_name": "\u0301\u0301"}, "display_name", "people can read", id="name-marks"
    ),
    pytest.param({"email": None}, "email", "Enter your email address.", id="email-missing"),
    pytest.param({"email": "maya"}, "email", "like name@example.com", id="email-malformed"),
    pytest.param(
        {"email": "m" * 250 + "@example.test"}, "email", "254 characters", id="email-long"
    ),
    pytest.param({"email": "ma\x00ya@example.test"}, "email", "control", id="email-nul"),
    pytest.param({"password": None}, "password", "Choose a password.", id="password-missing"),
    pytest.param(
        {"password": "short", "confirm": "short"}, "password", "10 to 200", id="password-short"
    ),
    pytest.param(
        {"password": "p" * 201, "confirm": "p" * 201}, "password", "10 to 200", id="password-long"
    ),
    pytest.param({"confirm": None}, "confirm", "Type the password again.", id="confirm-missing"),
    pytest.param({"confirm": "another password"}, "confirm", "not the same", id="confirm-differs"),
    pytest.param({"role": None}, "role", "Choose one.", id="role-missing"),
    pytest.param({"role": "admin"}, "role", "Choose one of the options.", id="role-unknown"),
    pytest.param({"timezone": None}, "timezone", "Choose your time zone.", id="tz-missing"),
    pytest.param({"timezone": ""}, "timezone", "Choose your time zone.", id="tz-empty"),
    pytest.param({"timezone": "Mars/Olympus"}, "timezone", "Choose one of the", id="tz-unknown"),
]


def test_signup_valid_base_creates_one_account(client: CsrfClient, people: People) -> None:
    before = counts()
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 200
    assert "Check your email to confirm your account" in response.get_data(as_text=True)
    assert counts() == {**before, "users": before["users"] + 1}
    user = db.session.scalar(select(User).where(User.email == "maya@example.test"))
    assert user is not None
    assert (user.display_name, user.role, user.timezone) == (
        "Maya Patel",
        "patient",
        "Europe/Paris",
    )


@pytest.mark.parametrize(("overrides", "field", "message"), SIGNUP_CASES)
def test_signup_refuses(
    client: CsrfClient, people: People, overrides: dict[str, Value], field: str, message: str
) -> None:
    before = counts()
    response = client.post("/signup", data=build(SIGNUP, overrides, people))
    assert_refused(response, field, message, before)


@pytest.mark.parametrize(
    "name",
    ["Zoë O'Brien", "José-María Núñez", "李小龍", "محمد الأحمد", "Ngozi Ọkọnkwọ", "Anna 🙂", "R2"],
)
def test_signup_keeps_real_names_in_any_script(client: CsrfClient, name: str) -> None:
    response = client.post("/signup", data={**SIGNUP, "display_name": name})

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert db.session.scalar(
        select(User.display_name).where(User.email == "maya@example.test")
    ) == (name)


LOGIN = {"email": "owner@example.test", "password": PASSWORD}

LOGIN_CASES = [
    pytest.param({"email": None}, "email", "Enter your email address.", id="email-missing"),
    pytest.param({"email": "  "}, "email", "Enter your email address.", id="email-blank"),
    pytest.param({"email": "o" * 255}, "email", "254 characters", id="email-long"),
    pytest.param({"email": "owner\x00@example.test"}, "email", "control", id="email-nul"),
    pytest.param({"password": None}, "password", "Enter your password.", id="password-missing"),
    pytest.param({"password": "p" * 201}, "password", "200 characters", id="password-long"),
    pytest.param({"password": "wrong password"}, None, "do not match", id="password-wrong"),
    pytest.param({"email": "nobody@example.test"}, None, "do not match", id="email-unknown"),
]


def test_login_valid_base_logs_in(client: CsrfClient, people: People) -> None:
    response = client.post("/login", data=LOGIN)
    assert response.status_code == 302
    assert client.get("/today").status_code == 200


@pytest.mark.parametrize(("overrides", "field", "message"), LOGIN_CASES)
def test_login_refuses(
    client: CsrfClient, people: People, overrides: dict[str, Value], field: str, message: str
) -> None:
    before = counts()
    response = client.post("/login", data=build(LOGIN, overrides, people))
    assert_refused(response, field, message, before)
    assert client.get("/today").status_code == 302  # still logged out


# ----------------------------------------------------------------------------- entries

BASES: dict[str, dict[str, str]] = {
    "exercise": {
        "discipline": "physio",
        "name": "Sit to stand",
        "sets": "2",
        "reps": "10",
        "minutes": "15",
        "effort": "5",
        "pain": "1",
        "note": "Felt steady",
    },
    "fatigue": {"fatigue": "6", "context": "heat"},
    "mobility": {
        "aid": "one_stick",
        "setting": "outdoors",
        "distance_m": "400",
        "minutes": "20",
        "falls": "0",
        "near_falls": "1",
    },
    "bad_day": {"reason": "relapse"},
}
# What each valid base stores, besides the user, kind and time.
STORED: dict[str, dict[str, Any]] = {
    "exercise": {
        "discipline": "physio",
        "name": "Sit to stand",
        "exercise_id": None,
        "sets": 2,
        "reps": 10,
        "minutes": 15,
        "effort": 5,
        "pain": 1,
        "hold_seconds": None,
        "note": "Felt steady",
        "by_carer": False,
    },
    "fatigue": {"fatigue": 6, "context": "heat", "note": None},
    "mobility": {
        "aid": "one_stick",
        "setting": "outdoors",
        "distance_m": 400,
        "minutes": 20,
        "falls": 0,
        "near_falls": 1,
    },
    "bad_day": {"reason": "relapse"},
}

# The full forms: /log/<kind>, which send the time; the quick actions of Today default to now.
LOG_ROUTES = [f"/log/{kind}" for kind in BASES]
QUICK_ROUTES = ["/today/fatigue", "/today/mobility", "/today/bad_day"]


def kind_of(route: str) -> str:
    """The entry kind a route stores."""
    return route.rsplit("/", 1)[1]


def base_for(route: str) -> dict[str, str]:
    """A valid payload for a route."""
    base = dict(BASES[kind_of(route)])
    if route.startswith("/log/"):
        base["occurred_at"] = WHEN
    return base


# Cases every entry form shares: time, note, the client-made id.
COMMON_CASES = [
    pytest.param({"occurred_at": FAR_FUTURE}, "occurred_at", "in the future", id="when-future"),
    pytest.param(
        {"occurred_at": "9999-12-31T23:59"}, "occurred_at", "in the future", id="when-year-9999"
    ),
    pytest.param({"occurred_at": LONG_AGO}, "occurred_at", "last five years", id="when-6-years"),
    pytest.param(
        {"occurred_at": "1900-01-01T00:00"}, "occurred_at", "last five years", id="when-1900"
    ),
    pytest.param(
        {"occurred_at": "yesterday"}, "occurred_at", "Enter a date and time.", id="when-words"
    ),
    pytest.param(
        {"occurred_at": "2024-13-01T10:00"}, "occurred_at", "Enter a date and time.", id="when-m13"
    ),
    pytest.param(
        {"occurred_at": "2024-01-01T10:00\x00"}, "occurred_at", "date and time", id="when-nul"
    ),
    pytest.param({"note": "n" * (NOTE_MAX + 1)}, "note", "under 1000", id="note-long"),
    pytest.param({"note": "bad\x00day"}, "note", "control", id="note-nul"),
    pytest.param({"note": "bad\x07day"}, "note", "control", id="note-bell"),
    pytest.param({"entry_id": "not-a-uuid"}, "entry_id", "damaged", id="entry-id"),
]
# Only the full forms need a time; the quick actions take a missing one as now.
TIME_REQUIRED_CASES = [
    pytest.param({"occurred_at": None}, "occurred_at", "Enter when", id="when-missing"),
    pytest.param({"occurred_at": ""}, "occurred_at", "Enter when", id="when-empty"),
]


def number_cases(fields: dict[str, int], low: int = 0) -> list[Any]:
    """Whole-number fields: each one past its limit; the first also below, huge and in words."""
    cases = [
        pytest.param({name: str(high + 1)}, name, f"from {low} to {high}", id=f"{name}-above")
        for name, high in fields.items()
    ]
    name, high = next(iter(fields.items()))
    return [
        *cases,
        pytest.param({name: str(low - 1)}, name, f"from {low} to {high}", id=f"{name}-below"),
        pytest.param({name: HUGE}, name, f"from {low} to {high}", id=f"{name}-huge"),
        pytest.param({name: "five"}, name, "whole number, like 5", id=f"{name}-words"),
        pytest.param({name: "2.5"}, name, "whole number, like 5", id=f"{name}-decimal"),
    ]


EXERCISE_CASES = [
    *number_cases({c: LIMITS[c] for c in DOSE_COLUMNS}),
    *number_cases({"effort": LIMITS["scale"], "pain": LIMITS["scale"]}),
    pytest.param(
        {"discipline": None, "exercise_id": "", "name": "Garden steps"},
        "discipline",
        "Choose the kind of therapy for your own exercise.",
        id="disc-none",
    ),
    pytest.param({"discipline": "yoga"}, "discipline", "Choose one of the", id="disc-unknown"),
    pytest.param({"exercise_id": "999999"}, "exercise_id", "Choose one of the", id="exercise-id"),
    pytest.param({"exercise_id": "squats"}, "exercise_id", "Choose one of the", id="exercise-word"),
    pytest.param({"name": None}, "name", "type its name", id="name-missing"),
    pytest.param({"name": "   "}, "name", "type its name", id="name-blank"),
    pytest.param({"name": "n" * (NAME_MAX + 1)}, "name", "120 characters", id="name-long"),
    pytest.param({"name": "Sit\x00to stand"}, "name", "control", id="name-nul"),
]
FATIGUE_CASES = [
    pytest.param({"fatigue": None}, "fatigue", "from 0 to 10", id="fatigue-missing"),
    pytest.param({"fatigue": ""}, "fatigue", "from 0 to 10", id="fatigue-empty"),
    pytest.param({"fatigue": "-1"}, "fatigue", "Choose one of the options.", id="fatigue-neg"),
    pytest.param({"fatigue": "11"}, "fatigue", "Choose one of the options.", id="fatigue-11"),
    pytest.param({"fatigue": HUGE}, "fatigue", "Choose one of the options.", id="fatigue-huge"),
    pytest.param({"fatigue": "six"}, "fatigue", "Choose one of the options.", id="fatigue-words"),
    pytest.param({"context": "stress"}, "context", "Choose one of the", id="context-unknown"),
]
MOBILITY_CASES = [
    *number_cases({c: LIMITS[c] for c in ("distance_m", "minutes", "falls", "near_falls")}),
    pytest.param({"aid": None}, "aid", "Choose an aid.", id="aid-missing"),
    pytest.param({"aid": "skateboard"}, "aid", "Choose one of the options.", id="aid-unknown"),
    pytest.param({"setting": None}, "setting", "indoors or outdoors", id="setting-missing"),
    pytest.param({"setting": "garden"}, "setting", "Choose one of the", id="setting-unknown"),
]
BAD_DAY_CASES = [
    pytest.param({"reason": None}, "reason", "Choose a reason.", id="reason-missing"),
    pytest.param({"reason": ""}, "reason", "Choose a reason.", id="reason-empty"),
    pytest.param({"reason": "bored"}, "reason", "Choose one of the options.", id="reason-unknown"),
]
KIND_CASES = {
    "exercise": EXERCISE_CASES,
    "fatigue": FATIGUE_CASES,
    "mobility": MOBILITY_CASES,
    "bad_day": BAD_DAY_CASES,
}


# The quick actions share their forms with /log/<kind>: a few of the shared cases suffice.
QUICK_CASES = [c for c in COMMON_CASES if c.id in ("when-future", "note-long", "entry-id")]


def entry_cases() -> list[Any]:
    """Each route with its form's table, and the cases every entry form shares."""
    cases = []
    for route in LOG_ROUTES + QUICK_ROUTES:
        table = KIND_CASES[kind_of(route)]
        if route in LOG_ROUTES:
            table = table + COMMON_CASES + TIME_REQUIRED_CASES
        else:
            table = table + QUICK_CASES
        for case in table:
            cases.append(pytest.param(route, *case.values, id=f"{route}:{case.id}"))
    return cases


@pytest.mark.parametrize("route", LOG_ROUTES + QUICK_ROUTES)
def test_entry_valid_base_stores_one_entry(patient: Visitor, people: People, route: str) -> None:
    before = counts()
    response = patient.post(route, base_for(route))
    assert response.status_code == 302, field_errors_of(response)
    assert counts() == {**before, "entries": before["entries"] + 1}
    entry = db.session.scalars(select(Entry)).one()
    kind = kind_of(route)
    assert (entry.kind, entry.user_id, entry.deleted_at) == (kind, people.patient.id, None)
    assert {c: getattr(entry, c) for c in STORED[kind]} == STORED[kind]
    if route in LOG_ROUTES:
        sent = datetime.strptime(WHEN, "%Y-%m-%dT%H:%M")
        assert (entry.occurred_at, entry.local_date) == (to_utc(sent, TZ), sent.date())


@pytest.mark.parametrize(("route", "overrides", "field", "message"), entry_cases())
def test_entry_form_refuses(
    patient: Visitor,
    people: People,
    route: str,
    overrides: dict[str, Value],
    field: str,
    message: str,
) -> None:
    before = counts()
    response = patient.post(route, build(base_for(route), overrides, people))
    assert_refused(response, field, message, before)


def test_exercise_from_the_catalogue_needs_no_name(patient: Visitor) -> None:
    exercise = db.session.scalars(select(Exercise).order_by(Exercise.id)).first()
    assert exercise is not None
    data = {**base_for("/log/exercise"), "exercise_id": str(exercise.id), "name": ""}
    data["discipline"] = next(d for d in DISCIPLINES if d != exercise.discipline)
    assert patient.post("/log/exercise", data).status_code == 302
    entry = db.session.scalars(select(Entry)).one()
    assert (entry.exercise_id, entry.name) == (exercise.id, exercise.name)
    assert entry.discipline == exercise.discipline  # the catalogue's, not the one sent


# ----------------------------------------------------------------------------- editing entries


def own_entry(people: People, kind: str, user: str = "patient") -> Entry:
    """An entry of a kind, stored as its valid base payload says."""
    person = getattr(people, user)
    fields = {**STORED[kind]}
    entry, _ = entries.create_entry(
        db.session, person, kind, fields, local_now(TZ) - timedelta(hours=3)
    )
    db.session.commit()
    return entry


EDIT_CASES = [
    pytest.param("exercise", {"sets": "51"}, "sets", "from 0 to 50", id="exercise-sets"),
    pytest.param("exercise", {"effort": "eleven"}, "effort", "whole number", id="exercise-words"),
    pytest.param(
        "exercise", {"discipline": "yoga"}, "discipline", "Choose one", id="exercise-disc"
    ),
    pytest.param("exercise", {"name": ""}, "name", "type its name", id="exercise-no-name"),
    pytest.param("exercise", {"name": "n" * 121}, "name", "120 characters", id="exercise-name"),
    pytest.param("fatigue", {"fatigue": "11"}, "fatigue", "Choose one", id="fatigue-11"),
    pytest.param("fatigue", {"fatigue": None}, "fatigue", "from 0 to 10", id="fatigue-missing"),
    pytest.param("fatigue", {"context": "stress"}, "context", "Choose one", id="fatigue-context"),
    pytest.param("mobility", {"aid": "skateboard"}, "aid", "Choose one", id="mobility-aid"),
    pytest.param("mobility", {"falls": "-1"}, "falls", "from 0 to 20", id="mobility-falls"),
    pytest.param("mobility", {"minutes": HUGE}, "minutes", "from 0 to 600", id="mobility-huge"),
    pytest.param("bad_day", {"reason": "bored"}, "reason", "Choose one", id="bad-day-reason"),
    pytest.param("bad_day", {"reason": None}, "reason", "Choose a reason.", id="bad-day-missing"),
    pytest.param("bad_day", {"occurred_at": FAR_FUTURE}, "occurred_at", "future", id="when-future"),
    pytest.param("fatigue", {"occurred_at": LONG_AGO}, "occurred_at", "five", id="when-old"),
    pytest.param("fatigue", {"occurred_at": "soon"}, "occurred_at", "date and", id="when-words"),
    pytest.param("fatigue", {"occurred_at": None}, "occurred_at", "Enter when", id="when-none"),
    pytest.param("mobility", {"note": "n" * 1001}, "note", "under 1000", id="note-long"),
    pytest.param("mobility", {"note": "a\x00b"}, "note", "control", id="note-nul"),
]


def test_edit_valid_base_changes_the_entry(patient: Visitor, people: People) -> None:
    entry = own_entry(people, "fatigue")
    before = counts()
    data = {**base_for("/log/fatigue"), "fatigue": "8", "context": "", "note": "after lunch"}
    response = patient.post(f"/entries/{entry.id}/edit", data)
    assert response.status_code == 302, field_errors_of(response)
    assert counts() == before
    after = snapshot(entry)
    assert (after["fatigue"], after["context"], after["note"]) == (8, None, "after lunch")


@pytest.mark.parametrize(("kind", "overrides", "field", "message"), EDIT_CASES)
def test_edit_refuses_and_leaves_the_entry_alone(
    patient: Visitor,
    people: People,
    kind: str,
    overrides: dict[str, Value],
    field: str,
    message: str,
) -> None:
    entry = own_entry(people, kind)
    before, stored = counts(), snapshot(entry)
    data = build(base_for(f"/log/{kind}"), overrides, people)
    response = patient.post(f"/entries/{entry.id}/edit", data)
    assert_refused(response, field, message, before)
    assert snapshot(entry) == stored


NOT_FOUND_IDS: dict[str, Callable[[People], str]] = {
    "another-persons": lambda people: own_entry(people, "fatigue", "other_patient").id,
    "not-a-uuid": lambda _people: "123",
    "nul": lambda _people: "%00",
    "sql": lambda _people: "1%27%20OR%20%271%27=%271",
    "unknown-uuid": lambda _people: "8d0a5a0c-0f3e-4f57-9d59-3a0c2e5b9e11",
}


@pytest.mark.parametrize("action", ["edit", "delete", "restore"])
@pytest.mark.parametrize("whose", sorted(NOT_FOUND_IDS))
def test_entries_not_the_users_are_not_found(
    patient: Visitor, people: People, action: str, whose: str
) -> None:
    entry_id = NOT_FOUND_IDS[whose](people)
    others = list(db.session.scalars(select(Entry)))
    for entry in others:  # restoring must not bring back someone else's deleted entry
        if action == "restore":
            entries.delete_entry(entry)
    db.session.commit()
    stored = [snapshot(e) for e in others]
    before = counts()
    data = base_for("/log/fatigue")
    if action == "edit":
        assert patient.get(f"/entries/{entry_id}/edit").status_code == 404
    response = patient.post(f"/entries/{entry_id}/{action}", data)
    assert response.status_code == 404
    assert counts() == before
    assert [snapshot(e) for e in others] == stored


def test_a_deleted_entry_cannot_be_edited(patient: Visitor, people: People) -> None:
    entry = own_entry(people, "fatigue")
    entries.delete_entry(entry)
    db.session.commit()
    stored = snapshot(entry)
    data = {**base_for("/log/fatigue"), "fatigue": "2"}
    assert patient.post(f"/entries/{entry.id}/edit", data).status_code == 404
    assert snapshot(entry) == stored


# ----------------------------------------------------------------------------- account


def fresh_code(state: str = "new") -> Callable[[People], str]:
    """A link code of the unlinked therapist: new, used or expired."""

    def make(people: People) -> str:
        code = care_links.make_code(db.session, people.other_therapist)
        if state == "used":
            code.used_at = utcnow()
        elif state == "expired":
            code.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        return code.code

    return make


LINK_CASES = [
    pytest.param({"code": None}, "code", "Enter the code.", id="missing"),
    pytest.param({"code": "   "}, "code", "Enter the code.", id="blank"),
    pytest.param({"code": "A" * 21}, "code", "20 characters", id="long"),
    pytest.param({"code": "ABCD\x00EFGH"}, "code", "control", id="nul"),
    pytest.param({"code": "ZZZZ-ZZZZ"}, "code", "not valid", id="unknown"),
    pytest.param({"code": fresh_code("used")}, "code", "not valid", id="used"),
    pytest.param({"code": fresh_code("expired")}, "code", "not valid", id="expired"),
]


def test_link_valid_base_links_the_therapist(patient: Visitor, people: People) -> None:
    code = fresh_code()(people)
    before = counts()
    typed = f"{code[:4].lower()} - {code[4:].lower()}"  # as read aloud and typed
    checked = patient.post("/account/links", {"code": typed})
    assert checked.status_code == 200
    assert counts() == before  # seeing whose code it is shares nothing
    response = patient.post("/account/links/confirm", {"code": code})
    assert response.status_code == 302
    assert counts() == {**before, "care_links": before["care_links"] + 1}
    assert care_links.active_link(db.session, people.other_therapist.id, people.patient.id)


@pytest.mark.parametrize(("overrides", "field", "message"), LINK_CASES)
def test_link_refuses(
    patient: Visitor,
    people: People,
    overrides: dict[str, Value],
    field: str,
    message: str,
) -> None:
    data = build({"code": fresh_code()}, overrides, people)
    before = counts()
    response = patient.post("/account/links", data)
    assert_refused(response, field, message, before)


DELETE_CASES = [
    pytest.param({"password": None}, "password", "Enter your password.", id="missing"),
    pytest.param({"password": ""}, "password", "Enter your password.", id="empty"),
    pytest.param({"password": "wrong password"}, "password", "not your password", id="wrong"),
    pytest.param({"password": "p" * 201}, "password", "200 characters", id="long"),
]


def test_delete_account_valid_base_deletes_everything(patient: Visitor, people: People) -> None:
    own_entry(people, "fatigue")
    own_entry(people, "fatigue", "other_patient")
    before, patient_id = counts(), people.patient.id
    response = patient.post("/account/delete", {"password": PASSWORD})
    assert response.status_code == 302
    db.session.expunge_all()
    assert db.session.get(User, patient_id) is None
    assert counts() == {
        **before,
        "users": before["users"] - 1,
        "entries": before["entries"] - 1,
        "care_links": before["care_links"] - 1,
    }


@pytest.mark.parametrize(("overrides", "field", "message"), DELETE_CASES)
def test_delete_account_refuses(
    patient: Visitor,
    people: People,
    overrides: dict[str, Value],
    field: str,
    message: str,
) -> None:
    own_entry(people, "fatigue")
    before = counts()
    data = build({"password": PASSWORD}, overrides, people)
    response = patient.post("/account/delete", data)
    assert_refused(response, field, message, before)
    assert patient.get("/today").status_code == 200  # still here, still logged in


# ----------------------------------------------------------------------------- therapists

PRESCRIBE = {
    "custom_name": "Heel raises",
    "discipline": "physio",
    "sets": "2",
    "reps": "10",
    "days_per_week": "5",
    "start_date": TODAY.isoformat(),
    "end_date": (TODAY + timedelta(days=28)).isoformat(),
    "note": "Hold the kitchen counter.",
}

PRESCRIBE_CASES = [
    *number_cases({c: LIMITS[c] for c in DOSE_COLUMNS}),
    pytest.param({"days_per_week": "0"}, "days_per_week", "from 1 to 7", id="days-0"),
    pytest.param({"days_per_week": "8"}, "days_per_week", "from 1 to 7", id="days-8"),
    pytest.param({"days_per_week": HUGE}, "days_per_week", "from 1 to 7", id="days-huge"),
    pytest.param({"days_per_week": "daily"}, "days_per_week", "whole number", id="days-words"),
    pytest.param({"days_per_week": None}, "days_per_week", "Enter days a week.", id="days-none"),
    pytest.param({"days_per_week": ""}, "days_per_week", "Enter days a week.", id="days-empty"),
    pytest.param({"start_date": None}, "start_date", "Enter a start date.", id="start-missing"),
    pytest.param({"start_date": "monday"}, "start_date", "Enter a date.", id="start-words"),
    pytest.param({"start_date": "2025-02-30"}, "start_date", "Enter a date.", id="start-feb-30"),
    pytest.param({"start_date": "1999-12-31"}, "start_date", "after the year 2000", id="start-old"),
    pytest.param(
        {"start_date": f"{TODAY.year + 6}-01-01"}, "start_date", "next five years", id="start-far"
    ),
    pytest.param(
        {"end_date": (TODAY - timedelta(days=1)).isoformat()},
        "end_date",
        "on or after the start date",
        id="end-before-start",
    ),
    pytest.param({"end_date": "soon"}, "end_date", "Enter a date.", id="end-words"),
    pytest.param({"custom_name": None}, "custom_name", "name a custom one", id="name-missing"),
    pytest.param({"custom_name": " "}, "custom_name", "name a custom one", id="name-blank"),
    pytest.param({"custom_name": "n" * 121}, "custom_name", "120 characters", id="name-long"),
    pytest.param({"custom_name": "Heel\x00"}, "custom_name", "control", id="name-nul"),
    pytest.param({"discipline": "yoga"}, "discipline", "Choose one of the", id="disc-unknown"),
    pytest.param({"exercise_id": "999999"}, "exercise_id", "Choose one of the", id="exercise-id"),
    pytest.param({"note": "n" * 1001}, "note", "1000 characters", id="note-long"),
    pytest.param({"note": "a\x1fb"}, "note", "control", id="note-control"),
]


def test_prescribe_valid_base_stores_one_item(therapist: Visitor, people: People) -> None:
    before = counts()
    url = f"/therapist/patients/{people.patient.id}/programme"
    response = therapist.post(url, PRESCRIBE)
    assert response.status_code == 302, field_errors_of(response)
    assert counts() == {**before, "programme_items": before["programme_items"] + 1}
    item = db.session.scalars(select(ProgrammeItem)).one()
    assert (item.patient_id, item.therapist_id) == (people.patient.id, people.therapist.id)
    assert (item.custom_name, item.discipline, item.sets, item.reps, item.minutes) == (
        "Heel raises",
        "physio",
        2,
        10,
        None,
    )
    assert (item.days_per_week, item.start_date, item.end_date) == (
        5,
        TODAY,
        TODAY + timedelta(days=28),
    )
    assert item.note == "Hold the kitchen counter."


@pytest.mark.parametrize(("overrides", "field", "message"), PRESCRIBE_CASES)
def test_prescribe_refuses(
    therapist: Visitor,
    people: People,
    overrides: dict[str, Value],
    field: str,
    message: str,
) -> None:
    before = counts()
    url = f"/therapist/patients/{people.patient.id}/programme"
    response = therapist.post(url, build(PRESCRIBE, overrides, people))
    assert_refused(response, field, message, before)


def revoked_patient(people: People) -> int:
    """The linked patient, after they stopped sharing."""
    care_link = db.session.scalars(select(CareLink)).one()
    care_links.revoke(care_link)
    db.session.commit()
    return people.patient.id


NOT_LINKED: dict[str, Callable[[People], int]] = {
    "unlinked-patient": lambda people: people.other_patient.id,
    "another-therapist": lambda people: people.other_therapist.id,
    "the-therapist": lambda people: people.therapist.id,
    "revoked-link": revoked_patient,
    "nobody": lambda _people: 999_999,
    "beyond-any-id": lambda _people: 10**20,
}


@pytest.mark.parametrize("whose", sorted(NOT_LINKED))
def test_prescribe_for_someone_not_linked_is_not_found(
    therapist: Visitor, people: People, whose: str
) -> None:
    patient_id = NOT_LINKED[whose](people)
    before = counts()
    response = therapist.post(f"/therapist/patients/{patient_id}/programme", PRESCRIBE)
    assert response.status_code == 404
    assert counts() == before


@pytest.mark.parametrize("number", [MAX_ID + 1, 10**20])
@pytest.mark.parametrize(
    ("role", "method", "url"),
    [
        ("patient", "POST", "/today/items/{}/done"),
        ("patient", "POST", "/account/links/{}/revoke"),
        ("therapist", "GET", "/therapist/patients/{}"),
        ("therapist", "POST", "/therapist/patients/{}/programme"),
        ("therapist", "POST", "/therapist/programme/{}/stop"),
    ],
)
def test_ids_too_large_for_any_row_are_not_found(
    client: CsrfClient, people: People, role: str, method: str, url: str, number: int
) -> None:
    visitor = sign_in(client, people.patient if role == "patient" else people.therapist)
    before = counts()
    if method == "GET":
        response = visitor.get(url.format(number))
    else:
        response = visitor.post(url.format(number), PRESCRIBE)
    assert response.status_code == 404
    assert counts() == before


# ----------------------------------------------------------------------------- random input

# Values a form field may receive: any text (control characters and NUL included), numbers
# in and far out of range, words of the vocabulary, dates and times near and far, ids.
VALUES = st.one_of(
    st.just(""),
    st.text(max_size=30),
    st.text(st.characters(max_codepoint=0x20), min_size=1, max_size=4),
    st.integers(-5, 60_000).map(str),
    st.integers().map(str),
    st.sampled_from([HUGE, str(-(10**12)), str(2**31), str(2**63), "1e3", "0x10", "²", "٣"]),
    st.integers(NOTE_MAX - 2, NOTE_MAX + 3).map(lambda n: "n" * n),
    st.sampled_from(
        sorted({*DISCIPLINES, *AIDS, *SETTINGS, *FATIGUE_CONTEXTS, *BAD_DAY_REASONS, *ROLES})
    ),
    st.sampled_from(timezone_names()),
    st.integers(-6 * 366 * 24, 72).map(lambda hours: local(timedelta(hours=hours))),
    st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1)).map(
        lambda d: d.strftime("%Y-%m-%dT%H:%M")
    ),
    st.dates(date(1990, 1, 1), date(2040, 1, 1)).map(date.isoformat),
    st.uuids().map(str),
    st.emails(),
)
STRAY_KEYS = st.text(min_size=1, max_size=12).filter(lambda key: key != "csrf_token")


def form_data(base: dict[str, str], fields: Sequence[str]) -> st.SearchStrategy[dict[str, str]]:
    """The valid base with some fields left out or changed, and some stray keys added."""

    def mix(drop: set[str], changes: dict[str, str], stray: dict[str, str]) -> dict[str, str]:
        kept = {k: v for k, v in base.items() if k not in drop}
        return {**stray, **kept, **changes}

    return st.builds(
        mix,
        st.sets(st.sampled_from(sorted(base))),
        st.dictionaries(st.sampled_from(fields), VALUES, max_size=4),
        st.dictionaries(STRAY_KEYS, VALUES, max_size=2),
    )


RANDOM = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def assert_said_why(response: TestResponse) -> None:
    """A refused form names at least one field and says what is wrong with it."""
    assert response.status_code == 400
    assert field_errors_of(response), form_error(response.get_data(as_text=True))


def assert_text(value: str | None, limit: int) -> None:
    """Stored text is trimmed, within its limit, free of control characters."""
    if value is not None:
        assert len(value) <= limit
        assert value == value.strip()
        assert not CONTROL.search(value)


def assert_sound_entry(entry: Entry, kind: str, user_id: int) -> None:
    """An entry whole and within bounds: numbers, words of the vocabulary, text and time."""
    assert (entry.kind, entry.user_id, entry.deleted_at) == (kind, user_id, None)
    for column in (*DOSE_COLUMNS, "falls", "near_falls"):
        value = getattr(entry, column)
        assert value is None or 0 <= value <= LIMITS[column], column
    for column in ("effort", "pain", "fatigue"):
        value = getattr(entry, column)
        assert value is None or 0 <= value <= LIMITS["scale"], column
    words = {
        "discipline": DISCIPLINES,
        "aid": AIDS,
        "setting": SETTINGS,
        "context": FATIGUE_CONTEXTS,
        "reason": BAD_DAY_REASONS,
    }
    for column, vocabulary in words.items():
        value = getattr(entry, column)
        assert value is None or value in vocabulary, column
    needed = {
        "exercise": ("discipline",),
        "fatigue": ("fatigue",),
        "mobility": ("aid", "setting", "falls", "near_falls"),
        "bad_day": ("reason",),
    }
    assert all(getattr(entry, column) is not None for column in needed[kind])
    if kind == "exercise":
        assert entry.exercise_id is not None or entry.name
    assert_text(entry.note, NOTE_MAX)
    assert_text(entry.name, NAME_MAX)
    when = to_local(entry.occurred_at, TZ)
    now = local_now(TZ)
    slack = timedelta(minutes=5)  # the clock moves on between the request and this check
    assert now - timedelta(days=5 * 366) - slack <= when <= now + timedelta(hours=1)
    assert entry.local_date == when.date()


@pytest.mark.parametrize("route", LOG_ROUTES + QUICK_ROUTES)
@RANDOM
@given(data=st.data())
def test_random_entry_forms_never_fail_or_half_save(
    patient: Visitor, people: People, route: str, data: st.DataObject
) -> None:
    kind = kind_of(route)
    form = data.draw(form_data(base_for(route), field_names(ENTRY_FORMS[kind])), label="form")
    user_id = people.patient.id
    try:
        response = patient.post(route, form)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400), response.status_code
        stored = list(db.session.scalars(select(Entry)))
        if response.status_code == 302:
            assert len(stored) == 1
            assert_sound_entry(stored[0], kind, user_id)
        else:
            assert_said_why(response)
            assert stored == []
    finally:
        db.session.rollback()
        db.session.execute(delete(Entry))
        db.session.commit()


def assert_sound_item(item: ProgrammeItem, patient_id: int, therapist_id: int) -> None:
    """A programme item whole and within bounds."""
    assert (item.patient_id, item.therapist_id) == (patient_id, therapist_id)
    for column in DOSE_COLUMNS:
        value = getattr(item, column)
        assert value is None or 0 <= value <= LIMITS[column], column
    assert 1 <= item.days_per_week <= 7
    assert item.discipline in DISCIPLINES
    assert item.exercise_id is not None or item.custom_name
    assert date(2000, 1, 1) <= item.start_date
    assert item.start_date.year <= date.today().year + 5
    assert item.end_date is None or item.end_date >= item.start_date
    assert_text(item.custom_name, NAME_MAX)
    assert_text(item.note, NOTE_MAX)


@RANDOM
@given(form=form_data(PRESCRIBE, field_names(ProgrammeItemForm)))
def test_random_prescriptions_never_fail_or_half_save(
    therapist: Visitor, people: People, form: dict[str, str]
) -> None:
    url = f"/therapist/patients/{people.patient.id}/programme"
    try:
        response = therapist.post(url, form)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400), response.status_code
        stored = list(db.session.scalars(select(ProgrammeItem)))
        if response.status_code == 302:
            assert len(stored) == 1
            assert_sound_item(stored[0], people.patient.id, people.therapist.id)
        else:
            assert_said_why(response)
            assert stored == []
    finally:
        db.session.rollback()
        db.session.execute(delete(ProgrammeItem))
        db.session.commit()


EDIT = {k: v for k, v in PRESCRIBE.items() if k not in ("custom_name", "discipline")}


@RANDOM
@given(form=form_data(EDIT, field_names(ProgrammeEditForm)))
def test_random_programme_edits_never_fail_or_half_save(
    therapist: Visitor, people: People, form: dict[str, str]
) -> None:
    """An edit is stored whole and sound, or not at all."""
    item = ProgrammeItem(
        patient_id=people.patient.id,
        therapist_id=people.therapist.id,
        custom_name="Heel raises",
        discipline="physio",
        sets=1,
        reps=1,
        days_per_week=1,
        start_date=TODAY,
        note="as prescribed",
    )
    db.session.add(item)
    db.session.commit()
    before = {c.key: getattr(item, c.key) for c in ProgrammeItem.__table__.columns}
    try:
        response = therapist.post(f"/therapist/programme/{item.id}/edit", form)
        event(f"status {response.status_code}")
        assert response.status_code in (302, 400), response.status_code
        db.session.expire_all()
        stored = db.session.get(ProgrammeItem, item.id)
        assert stored is not None
        after = {c.key: getattr(stored, c.key) for c in ProgrammeItem.__table__.columns}
        if response.status_code == 302:
            assert_sound_item(stored, people.patient.id, people.therapist.id)
        else:
            assert_said_why(response)
            assert after == before
    finally:
        db.session.rollback()
        db.session.execute(delete(ProgrammeItem))
        db.session.commit()


def people_in(people: People) -> list[User]:
    """The cast's accounts."""
    return [people.patient, people.other_patient, people.therapist, people.other_therapist]


@RANDOM
@given(form=form_data(SIGNUP, field_names(SignupForm)))
def test_random_signups_never_fail_or_half_save(
    app: Flask, people: People, form: dict[str, str]
) -> None:
    known = {people.patient.id, people.other_patient.id, people.therapist.id}
    known.add(people.other_therapist.id)
    client: CsrfClient = app.test_client()  # type: ignore[assignment]  # a new visitor
    # Hundreds of sign-ups from one address: the limit has its own tests (test_passwords.py).
    app.config["SIGNUP_LIMIT_PER_ADDRESS"] = 1_000_000
    try:
        response = client.post("/signup", data=form)
        event(f"status {response.status_code}")
        assert response.status_code in (200, 400), response.status_code
        new = list(db.session.scalars(select(User).where(User.id.not_in(known))))
        if response.status_code == 200 and not new:  # the same answer for a known email
            assert form["email"].strip().lower() in {p.email for p in people_in(people)}
        elif response.status_code == 200:
            assert len(new) == 1
            user = new[0]
            assert user.role in ROLES
            assert user.timezone in timezone_names()
            assert user.display_name
            assert_text(user.display_name, 80)
            assert_text(user.email, 254)
            assert user.email == user.email.lower()
            assert "@" in user.email
            assert user.password_hash.startswith("scrypt:")
        else:
            assert_said_why(response)
            assert new == []
    finally:
        db.session.rollback()
        db.session.execute(delete(User).where(User.id.not_in(known)))
        db.session.commit()


@RANDOM
@given(form=form_data({"code": "ABCD-EFGH"}, field_names(LinkForm)))
def test_random_link_codes_never_fail(patient: Visitor, form: dict[str, str]) -> None:
    # The limit on wrong codes has its own tests: here every answer must say what is wrong.
    config = patient.client.application.config
    config["LINK_CODE_LIMIT_PER_PERSON"] = config["LINK_CODE_LIMIT_PER_ADDRESS"] = 10**6
    before = counts()
    response = patient.post("/account/links", form)
    # No link code exists: none is valid.
    assert_said_why(response)
    assert counts() == before


REMINDERS = {
    "fatigue_on": "y",
    "fatigue_time": "15:00",
    "fatigue_days": "2",
    "walking_time": "18:00",
    "walking_day": "6",
}


@RANDOM
@given(form=form_data(REMINDERS, field_names(ReminderForm)))
def test_random_reminder_settings_never_fail_or_half_save(
    patient: Visitor, people: People, form: dict[str, str]
) -> None:
    """Saved whole (302) or refused with the reason at a field (400); never a 500."""
    db.session.rollback()
    before = db.session.get(ReminderSettings, people.patient.id)
    before_row = None if before is None else (before.fatigue_times, before.updated_at)
    response = patient.post("/account/reminders", form)
    db.session.rollback()
    after = db.session.get(ReminderSettings, people.patient.id)
    if response.status_code == 302:
        assert after is not None
        for at in [after.programme_time, after.walking_time, *after.fatigue_times.split(",")]:
            assert reminders.parse_time(at)
        assert 0 <= after.walking_day <= 6
        assert 0 < after.fatigue_days <= reminders.EVERY_DAY
    else:
        assert_said_why(response)
        after_row = None if after is None else (after.fatigue_times, after.updated_at)
        assert after_row == before_row
