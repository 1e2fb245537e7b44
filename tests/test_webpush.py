"""Web Push end to end: a device subscribes through the app, a reminder reaches a push service
stand-in on loopback that checks the VAPID signature and decrypts the body with the device's key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from rehab_app.core import reminders
from rehab_app.core.timeutil import local_now
from rehab_app.core.webpush import WebPushSender, new_vapid_private_key, public_key_of
from rehab_app.extensions import db
from rehab_app.models import PushSubscription, ReminderSend, utcnow
from tests.helpers.accounts import CsrfClient, People, login
from tests.helpers.entries import add_item
from tests.helpers.pushservice import PushService

KEY = new_vapid_private_key()


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    yield service
    service.close()


def subscribe(client: CsrfClient, body: Any, csrf: bool = True) -> Any:
    headers = {"Accept": "application/json"}  # as static/js/reminders.js asks
    if csrf:
        headers["X-CSRFToken"] = client.csrf_token()
    return client.post("/account/reminders/devices", json=body, headers=headers)


def fatigue_at(people: People, at: str, **more: Any) -> None:
    row = reminders.settings_for(db.session, people.patient.id)
    row.fatigue_on, row.fatigue_times = True, at
    for key, value in more.items():
        setattr(row, key, value)
    db.session.add(row)
    db.session.commit()


def sender() -> WebPushSender:
    return WebPushSender(KEY, "mailto:care@example.test")


def count(model: Any) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_a_reminder_reaches_the_device_signed_and_encrypted(
    patient_client: CsrfClient, people: People, push_service: PushService
) -> None:
    phone = push_service.device("phone")
    assert subscribe(patient_client, phone.subscription(push_service.origin)).status_code == 201
    fatigue_at(people, "08:00")
    report = reminders.send_due(db.session, sender(), datetime(2026, 6, 8, 7, 0))
    assert report.sent == 1
    [got] = push_service.received
    assert got.path == "/push/phone"
    assert got.public_key == public_key_of(KEY)
    assert got.claims["sub"] == "mailto:care@example.test"
    assert got.ttl > 0
    assert got.payload == {
        "title": "Rehab Log",
        "body": "Your reminder. Tap to open Rehab Log.",
        "url": "/log/fatigue",
        "tag": "reminder-fatigue-2026-06-08",
    }
    assert push_service.refused == []


def test_the_stand_in_refuses_a_wrong_signature(
    app: Flask, people: People, push_service: PushService
) -> None:
    """The checks can fail: a push signed by another key than the one it names is refused."""
    phone = push_service.device("phone")
    service = push_service

    class Forger(WebPushSender):
        def send(self, subscription: PushSubscription, payload: dict[str, Any]) -> str:
            import requests

            from tests.helpers.pushservice import b64url

            body = b"\x00" * 100
            token = "eyJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJ4In0." + b64url(b"\x01" * 64)
            requests.post(
                subscription.endpoint,
                data=body,
                headers={
                    "Content-Encoding": "aes128gcm",
                    "TTL": "60",
                    "Authorization": f"vapid t={token}, k={public_key_of(KEY)}",
                },
                timeout=5,
            )
            return "ok"

    sub = phone.subscription(service.origin)
    row = PushSubscription(
        user_id=people.patient.id,
        login_id=_a_login(people),
        endpoint=sub["endpoint"],
        p256dh=sub["keys"]["p256dh"],
        auth=sub["keys"]["auth"],
    )
    db.session.add(row)
    db.session.commit()
    Forger(KEY, "mailto:x@example.test").send(row, {})
    assert service.received == [] and service.refused == ["unauthorized: VAPID"]


def _a_login(people: People) -> int:
    from rehab_app.core import sessions

    sessions.start(db.session, people.patient, remember=False, lifetime=timedelta(hours=1))
    db.session.flush()
    return max(s.id for s in sessions.for_user(db.session, people.patient.id, utcnow()))


@pytest.mark.parametrize("status", [404, 410])
def test_a_device_the_push_service_no_longer_knows_is_deleted(
    patient_client: CsrfClient, people: People, push_service: PushService, status: int
) -> None:
    phone, laptop = push_service.device("phone"), push_service.device("laptop")
    for device in (phone, laptop):
        subscribe(patient_client, device.subscription(push_service.origin))
    push_service.answers[phone.path] = status
    fatigue_at(people, "08:00")
    report = reminders.send_due(db.session, sender(), datetime(2026, 6, 8, 7, 0))
    assert (report.sent, report.gone) == (1, 1)
    endpoints = db.session.scalars(select(PushSubscription.endpoint)).all()
    assert endpoints == [f"{push_service.origin}{laptop.path}"]


def test_a_push_service_that_is_down_is_tried_again(
    patient_client: CsrfClient, people: People, push_service: PushService
) -> None:
    phone = push_service.device("phone")
    subscribe(patient_client, phone.subscription(push_service.origin))
    fatigue_at(people, "08:00")
    push_service.answers[phone.path] = 503
    t = datetime(2026, 6, 8, 7, 0)
    assert reminders.send_due(db.session, sender(), t).retrying == 1
    push_service.answers[phone.path] = 201
    assert reminders.send_due(db.session, sender(), t + timedelta(minutes=1)).sent == 1
    assert len(push_service.received) == 1
    assert count(PushSubscription) == 1


def test_logging_out_stops_reminders_on_that_device_only(
    app: Flask, people: People, push_service: PushService
) -> None:
    phone, laptop = app.test_client(), app.test_client()
    login(phone, people.patient)
    login(laptop, people.patient)
    subscribe(phone, push_service.device("phone").subscription(push_service.origin))
    subscribe(laptop, push_service.device("laptop").subscription(push_service.origin))
    assert count(PushSubscription) == 2
    phone.post("/logout")
    endpoints = db.session.scalars(select(PushSubscription.endpoint)).all()
    assert endpoints == [f"{push_service.origin}/push/laptop"]


def test_a_shared_phone_moves_to_whoever_subscribes_on_it(
    app: Flask, people: People, push_service: PushService
) -> None:
    """One browser, one endpoint: the next person's subscription replaces the last one's."""
    phone = push_service.device("shared")
    first, second = app.test_client(), app.test_client()
    login(first, people.patient)
    subscribe(first, phone.subscription(push_service.origin))
    login(second, people.other_patient)
    assert subscribe(second, phone.subscription(push_service.origin)).status_code == 201
    owners = db.session.scalars(select(PushSubscription.user_id)).all()
    assert owners == [people.other_patient.id]


def test_subscribing_twice_keeps_one_row(
    patient_client: CsrfClient, push_service: PushService
) -> None:
    body = push_service.device("phone").subscription(push_service.origin)
    assert subscribe(patient_client, body).status_code == 201
    assert subscribe(patient_client, body).status_code == 200
    assert count(PushSubscription) == 1


def test_removing_this_device(patient_client: CsrfClient, push_service: PushService) -> None:
    body = push_service.device("phone").subscription(push_service.origin)
    subscribe(patient_client, body)
    headers = {"X-CSRFToken": patient_client.csrf_token()}
    gone = patient_client.delete(
        "/account/reminders/devices", json={"endpoint": body["endpoint"]}, headers=headers
    )
    assert gone.status_code == 204
    again = patient_client.delete(
        "/account/reminders/devices", json={"endpoint": body["endpoint"]}, headers=headers
    )
    assert again.status_code == 404 and again.get_json()["error"] == "not_found"


GOOD_KEYS = None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"endpoint": "ftp://127.0.0.1/x"}, "https address of a known push service"),
        ({"endpoint": "https://evil.example/x"}, "known push service"),
        ({"endpoint": "https://user:pw@push.example.test/x"}, "known push service"),
        ({"endpoint": "https://127.0.0.1.evil.example/x"}, "known push service"),
        ({"endpoint": "https://push.example.test/" + "x" * 2100}, "at most 2048"),
        ({"endpoint": 7}, "endpoint must be a URL"),
        ({"keys": None}, "keys"),
        ({"keys": {"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "65 bytes"),
        ({"keys": {"auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "keys.p256dh is missing"),
        ({"keys": {"p256dh": "!!!", "auth": "x"}}, "keys.p256dh"),
        ({"auth_only": True}, "keys.auth must be 16 bytes"),
    ],
)
def test_a_subscription_the_server_will_not_post_to_is_refused(
    patient_client: CsrfClient, push_service: PushService, change: dict, words: str
) -> None:
    body = push_service.device("phone").subscription(push_service.origin)
    if change.pop("auth_only", False):
        body["keys"]["auth"] = "AAAA"
    body.update(change)
    response = subscribe(patient_client, body)
    assert response.status_code == 400
    assert words in response.get_json()["message"]
    assert count(PushSubscription) == 0


@pytest.mark.parametrize("body", ["not json", [], None, "[" * 1000])
def test_a_body_that_is_not_a_json_object_is_a_json_400(
    patient_client: CsrfClient, body: Any
) -> None:
    headers = {"X-CSRFToken": patient_client.csrf_token(), "Content-Type": "application/json"}
    data = body if isinstance(body, str) else ("null" if body is None else "[]")
    response = patient_client.post("/account/reminders/devices", data=data, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_json"


def test_without_the_csrf_header_nothing_is_stored(
    patient_client: CsrfClient, push_service: PushService
) -> None:
    body = push_service.device("phone").subscription(push_service.origin)
    response = subscribe(patient_client, body, csrf=False)
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"
    assert count(PushSubscription) == 0


def test_send_due_from_the_command_line_reaches_the_device_once(
    app: Flask, patient_client: CsrfClient, people: People, push_service: PushService
) -> None:
    """As a new user would: a fatigue check-in at this minute, `flask reminders send-due` twice."""
    subscribe(patient_client, push_service.device("phone").subscription(push_service.origin))
    fatigue_at(people, local_now(people.patient.timezone).strftime("%H:%M"))
    app.config.update(VAPID_PRIVATE_KEY=KEY, VAPID_SUBJECT="mailto:care@example.test")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["reminders", "send-due"])
    assert first.exit_code == 0, first.output
    assert "1 sent" in first.output
    second = runner.invoke(args=["reminders", "run", "--once"])
    assert second.exit_code == 0, second.output
    assert len(push_service.received) == 1
    assert count(ReminderSend) == 1


def test_a_programme_reminder_names_the_phone_s_store_for_its_done(
    app: Flask, patient_client: CsrfClient, people: People, push_service: PushService
) -> None:
    """The command line's reminder carries the account key the pages carry (the store the
    phone's "Done" writes to) and the person's time zone (whose "today" it is)."""
    subscribe(patient_client, push_service.device("phone").subscription(push_service.origin))
    add_item(people.patient, slug="sit-to-stand", reps=10)
    row = reminders.settings_for(db.session, people.patient.id)
    row.programme_on = True
    row.programme_time = local_now(people.patient.timezone).strftime("%H:%M")
    db.session.add(row)
    db.session.commit()
    app.config.update(VAPID_PRIVATE_KEY=KEY, VAPID_SUBJECT="mailto:care@example.test")
    result = app.test_cli_runner().invoke(args=["reminders", "send-due"])
    assert "1 sent" in result.output, result.output
    [got] = push_service.received
    page = patient_client.get("/today").get_data(as_text=True)
    assert f'data-account="{got.payload["account"]}"' in page
    assert (got.payload["actions"], got.payload["tz"]) == (["done"], people.patient.timezone)


def test_development_makes_its_own_key_once_and_production_needs_one(
    app: Flask, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rehab_app.web.patient.reminders import vapid_private_key

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    assert vapid_private_key() == ""  # as in production: no key configured, none made
    assert not (tmp_path / "vapid-private-key.txt").exists()

    # `make run` (development, whatever the debug flag): one key, made once and kept private.
    monkeypatch.setitem(app.config, "VAPID_KEY_IN_INSTANCE", True)
    key = vapid_private_key()
    assert public_key_of(key) and vapid_private_key() == key
    assert (tmp_path / "vapid-private-key.txt").stat().st_mode & 0o777 == 0o600
