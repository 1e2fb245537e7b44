"""The timed 7.6 m walk ("walk_test"): its form, words, exports, chart, series and its rule."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from rehab_app.core import charts, dashboard
from rehab_app.core.daily_series import patient_series
from rehab_app.core.timeutil import local_now
from rehab_app.core.vocab import WALK_SECONDS_MESSAGE
from rehab_app.core.walks import walk_change
from rehab_app.core.wording import day_gist, entry_details, entry_title
from rehab_app.extensions import db
from rehab_app.models import Entry, walk_score
from tests.helpers.accounts import CsrfClient, People, login
from tests.helpers.api import assert_json_error, post, register
from tests.helpers.entries import add_entry, row

FORM_TIME = "%Y-%m-%dT%H:%M"


def walk_form(**fields: str) -> dict[str, str]:
    """A walk test as the plain form (JavaScript off) posts it."""
    data = {
        "entry_id": str(uuid.uuid4()),
        "occurred_at": local_now("Europe/London").strftime(FORM_TIME),
        "trial_1_seconds": "8.2",
        "trial_2_seconds": "8.7",
        "aid": "one_stick",
        "setting": "outdoors",
    }
    data.update(fields)
    return data


def walks_of(people: People) -> list[Entry]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Entry).where(Entry.user_id == people.patient.id, Entry.kind == "walk_test")
        )
    )


# ----------------------------------------------------------------------------- the form


def test_the_form_offers_a_stopwatch_for_each_trial(patient_client: CsrfClient) -> None:
    page = patient_client.get("/log/walk_test").get_data(as_text=True)
    assert "Log timed 7.6 m walk" in page
    for name in ("trial_1_seconds", "trial_2_seconds"):
        assert f'name="{name}"' in page
    assert page.count('data-timer="tenths"') == 2  # timer.js attaches its clock to each


def test_a_walk_test_is_logged_with_javascript_off(
    patient_client: CsrfClient, people: People
) -> None:
    response = patient_client.post("/log/walk_test", data=walk_form(trial_1_seconds="8.24"))
    assert response.status_code == 302
    (walk,) = walks_of(people)
    assert (walk.trial_1_seconds, walk.trial_2_seconds) == (8.2, 8.7)
    assert (walk.aid, walk.setting) == ("one_stick", "outdoors")
    assert walk_score(walk.trial_1_seconds, walk.trial_2_seconds) == 8.5  # 8.45, a half up


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"trial_1_seconds": "0"}, "trial_1_seconds", WALK_SECONDS_MESSAGE),
        ({"trial_1_seconds": "0.04"}, "trial_1_seconds", WALK_SECONDS_MESSAGE),
        ({"trial_2_seconds": "-5"}, "trial_2_seconds", WALK_SECONDS_MESSAGE),
        ({"trial_2_seconds": "600.1"}, "trial_2_seconds", WALK_SECONDS_MESSAGE),
        ({"trial_2_seconds": "NaN"}, "trial_2_seconds", WALK_SECONDS_MESSAGE),
        ({"trial_2_seconds": "Infinity"}, "trial_2_seconds", WALK_SECONDS_MESSAGE),
        ({"trial_1_seconds": "quick"}, "trial_1_seconds", WALK_SECONDS_MESSAGE),
        ({"trial_2_seconds": ""}, "trial_2_seconds", "Time the second walk, or type its seconds."),
        ({"aid": "skates"}, "aid", "Choose one of the options."),
    ],
)
def test_bad_input_is_explained_next_to_its_field(
    patient_client: CsrfClient, people: People, fields: dict[str, str], field: str, message: str
) -> None:
    response = patient_client.post("/log/walk_test", data=walk_form(**fields))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    # The message sits in the field's own box, before the next field starts.
    box = page.split(f'for="{field}"', 1)[1].split('class="field', 1)[0]
    assert message.replace("'", "&#39;") in box
    assert walks_of(people) == []


def test_an_edit_keeps_the_trials(patient_client: CsrfClient, people: People) -> None:
    walk = add_entry(
        people.patient,
        "walk_test",
        trial_1_seconds=9.1,
        trial_2_seconds=9.5,
        aid="none",
        setting="indoors",
    )
    page = patient_client.get(f"/entries/{walk.id}/edit").get_data(as_text=True)
    assert 'value="9.1"' in page and 'value="9.5"' in page
    data = walk_form(trial_2_seconds="9.9", aid="none", setting="indoors")
    del data["entry_id"]
    assert patient_client.post(f"/entries/{walk.id}/edit", data=data).status_code == 302
    (walk,) = walks_of(people)
    assert (walk.trial_1_seconds, walk.trial_2_seconds) == (8.2, 9.9)


# ----------------------------------------------------------------------------- the API


def test_the_api_refuses_bad_trials_without_a_server_error(
    patient_client: CsrfClient, people: People
) -> None:
    client_id = register(patient_client)
    entry = {
        "id": str(uuid.uuid4()),
        "kind": "walk_test",
        "occurred_at": local_now("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
        "trial_1_seconds": 8.0,
        "trial_2_seconds": 1e400,  # JSON's way to overflow a float: infinity
        "aid": "none",
        "setting": "indoors",
    }
    body = {"client_id": client_id, "mutations": [{"id": 1, "op": "create", "entry": entry}]}
    raw = json.dumps(body).replace("Infinity", "1e400")
    response = patient_client.post(
        "/api/v1/sync/push",
        data=raw,
        content_type="application/json",
        headers={"X-CSRFToken": patient_client.csrf_token()},
    )
    assert response.status_code < 500
    if response.status_code == 200:
        (result,) = response.get_json()["results"]
        assert (result["status"], result["field"]) == ("rejected", "trial_2_seconds")
        assert result["message"] == WALK_SECONDS_MESSAGE
    else:
        assert_json_error(response, response.status_code)
    assert walks_of(people) == []
    assert_json_error(post(patient_client, "/api/v1/sync/push", {"mutations": "walk"}), 400)


# ----------------------------------------------------------------------------- words


def _walk(**fields: Any) -> SimpleNamespace:
    values = {"kind": "walk_test", "trial_1_seconds": 8.2, "trial_2_seconds": 8.7}
    values.update(aid="one_stick", setting="outdoors", by_carer=False)
    values.update(fields)
    return SimpleNamespace(**values)


def test_history_says_a_walk_test_in_words() -> None:
    assert entry_title(_walk()) == "Timed 7.6 m walk: 8.5 s"
    assert entry_details(_walk()) == "8.2 s and 8.7 s · one stick · Outdoors"
    assert day_gist([_walk(), _walk()]) == "Logged today: 2 walk tests"


@pytest.mark.parametrize(
    ("first", "second", "score"),
    [
        (8.2, 8.3, 8.3),
        (8.2, 8.4, 8.3),
        (10.0, 10.0, 10.0),
        (600.0, 599.9, 600.0),
        (8.0, None, None),
    ],
)
def test_the_score_is_the_mean_a_half_rounded_up(
    first: float, second: float | None, score: float | None
) -> None:
    assert walk_score(first, second) == score


# ----------------------------------------------------------------------------- exports


def test_the_csv_and_json_exports_carry_both_trials(
    patient_client: CsrfClient, people: People
) -> None:
    add_entry(
        people.patient,
        "walk_test",
        trial_1_seconds=7.5,
        trial_2_seconds=7.9,
        aid="frame",
        setting="indoors",
    )
    table = patient_client.get("/account/export.csv").get_data(as_text=True)
    (record,) = [r for r in csv.DictReader(io.StringIO(table)) if r["kind"] == "walk_test"]
    assert (record["trial_1_seconds"], record["trial_2_seconds"]) == ("7.5", "7.9")
    assert (record["aid"], record["setting"]) == ("frame", "indoors")
    data = patient_client.get("/account/export.json").get_json()
    (walk,) = [e for e in data["entries"] if e["kind"] == "walk_test"]
    assert (walk["trial_1_seconds"], walk["trial_2_seconds"]) == (7.5, 7.9)


# ----------------------------------------------------------------------------- series, chart


def test_walk_tests_feed_the_walk_time_series() -> None:
    rows = [
        row("walk_test", 3, trial_1_seconds=9.0, trial_2_seconds=10.0),
        row("walk_test", 1, trial_1_seconds=8.0, trial_2_seconds=8.0),
        row("walk_test", 1, trial_1_seconds=10.0, trial_2_seconds=10.0),
        row("mobility", 1, aid="none", setting="indoors"),
    ]
    series = patient_series(rows)
    assert series.walk_seconds == {rows[0].local_date: 9.5, rows[1].local_date: 9.0}
    assert series.aids == {rows[3].local_date: ["none"]}  # a walk test's aid is not aid use


def test_the_therapist_sees_a_walk_chart(therapist_client: CsrfClient, people: People) -> None:
    add_entry(
        people.patient,
        "walk_test",
        days_ago=2,
        trial_1_seconds=11.0,
        trial_2_seconds=12.0,
        aid="two_sticks",
        setting="indoors",
    )
    page = therapist_client.get(f"/therapist/patients/{people.patient.id}").get_data(as_text=True)
    assert "Timed 7.6 m walk (seconds, mean of two trials)" in page
    assert "Latest timed 7.6 m walk: 11.5 s" in page
    assert 'id="chart-walk-' in page


def test_only_the_therapist_is_told_of_a_real_change(
    app: Flask, therapist_client: CsrfClient, people: People
) -> None:
    for days_ago, seconds in ((28, 10.0), (21, 10.0), (14, 10.0), (7, 12.5), (1, 13.0)):
        add_entry(
            people.patient,
            "walk_test",
            days_ago=days_ago,
            trial_1_seconds=seconds,
            trial_2_seconds=seconds,
            aid="none",
            setting="indoors",
        )
    said = "The last two walks were each at least 25% slower than the ones before (10 s)"
    page = therapist_client.get(f"/therapist/patients/{people.patient.id}").get_data(as_text=True)
    assert said in page
    phone: CsrfClient = app.test_client()  # type: ignore[assignment]
    login(phone, people.patient)
    own = phone.get("/progress").get_data(as_text=True)
    assert "Latest timed 7.6 m walk: 13 s" in own
    assert "real change" not in own and "slower than" not in own


def test_the_walk_chart_says_when_there_is_nothing() -> None:
    period = charts.period_for("90d", date(2026, 3, 28))
    chart = charts.walk_chart([], period, [])
    assert chart.empty == "No timed walks logged in this period." and not chart.svgs
    data = dashboard.log_data([])
    assert list(data.walks) == []


# ----------------------------------------------------------------------------- the 20% rule

START = date(2026, 1, 5)


def walks(*seconds: float) -> dict[date, float]:
    """Walks a week apart, the first on START."""
    return {START + timedelta(weeks=i): s for i, s in enumerate(seconds)}


@pytest.mark.parametrize(
    ("seconds", "real"),
    [
        ((10.0, 10.0, 10.0, 12.0, 12.0), True),  # exactly 20% slower, twice
        ((10.0, 10.0, 10.0, 13.0, 12.5), True),
        ((10.0, 10.0, 10.0, 11.9, 12.5), False),  # 19% on one of the two
        ((10.0, 10.0, 10.0, 10.0, 14.0), False),  # one slow walk: a bad day
        ((10.0, 10.0, 10.0, 14.0, 10.0), False),  # slow, then back
        ((10.0, 12.0, 12.0), True),  # one walk before is reference enough
        ((12.0, 12.0), False),  # nothing to compare with
        ((20.0, 10.0, 10.0, 10.0, 12.0, 12.0), True),  # the reference is the last three before
        ((10.0, 10.0, 10.0, 8.0, 8.0), False),  # faster is not a slowing
    ],
)
def test_a_20_percent_slowing_held_on_two_walks_is_a_real_change(
    seconds: tuple[float, ...], real: bool
) -> None:
    change = walk_change(walks(*seconds))
    assert (change is not None) == real
    if change is not None:
        assert change.slow_days == tuple(sorted(walks(*seconds)))[-2:]
        assert change.slowing >= 0.2 - 1e-9


def test_the_rule_can_fail() -> None:
    """The rule is not always true or always false on the same walks, read backwards."""
    assert walk_change(walks(10.0, 10.0, 10.0, 12.0, 12.0)) is not None
    assert walk_change(walks(12.0, 12.0, 10.0, 10.0, 10.0)) is None
