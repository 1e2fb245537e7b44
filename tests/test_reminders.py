"""Sending reminders: at each person's own local time, across clock changes, exactly once."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rehab_app.core import entries as log
from rehab_app.core import reminders, sessions
from rehab_app.extensions import db
from rehab_app.models import ProgrammeItem, PushSubscription, ReminderSend, ReminderSettings, User
from tests.helpers.accounts import make_user


class Recorder(reminders.Sender):
    """A push service in memory that answers as told and keeps what it was sent (thread-safe)."""

    def __init__(self, answer: str = "ok") -> None:
        self.answer = answer
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def send(self, subscription: PushSubscription, payload: dict[str, Any]) -> str:
        with self.lock:
            self.sent.append((subscription.endpoint, payload))
        return self.answer


def person(tz: str = "Europe/London", devices: int = 1, **settings: Any) -> User:
    """A patient with reminder settings and a push subscription per device."""
    user = make_user("patient", timezone=tz)
    row = reminders.settings_for(db.session, user.id)
    for key, value in settings.items():
        setattr(row, key, value)
    db.session.add(row)
    for n in range(devices):
        sessions.start(db.session, user, remember=True, lifetime=timedelta(days=30))
        db.session.flush()
        login_id = max(s.id for s in sessions.for_user(db.session, user.id, datetime(2000, 1, 1)))
        db.session.add(
            PushSubscription(
                user_id=user.id,
                login_id=login_id,
                endpoint=f"https://push.example.test/{user.id}/{n}",
                p256dh="p",
                auth="a",
            )
        )
    db.session.commit()
    return user


def send(now: datetime, sender: reminders.Sender | None = None) -> reminders.Report:
    return reminders.send_due(db.session, sender or Recorder(), now)


FATIGUE_8 = {"fatigue_on": True, "fatigue_times": "08:00"}


@pytest.mark.parametrize(
    ("tz", "day", "utc_hour"),
    [
        ("Europe/London", date(2026, 3, 28), 8),  # the Saturday before: GMT
        ("Europe/London", date(2026, 3, 29), 7),  # clocks went forward at 01:00: BST
        ("Europe/London", date(2026, 10, 24), 7),  # the Saturday before: BST
        ("Europe/London", date(2026, 10, 25), 8),  # clocks went back at 02:00: GMT
        ("America/New_York", date(2026, 3, 7), 13),  # EST
        ("America/New_York", date(2026, 3, 8), 12),  # EDT from 02:00 that morning
        ("Australia/Sydney", date(2026, 4, 5), 22),  # AEDT ends at 03:00: 08:00 AEST is 22:00
    ],
)
def test_eight_in_the_morning_is_eight_local_on_both_sides_of_a_clock_change(
    app: Flask, tz: str, day: date, utc_hour: int
) -> None:
    person(tz, **FATIGUE_8)
    at = datetime.combine(day, datetime.min.time()) + timedelta(hours=utc_hour)
    if utc_hour >= 20:  # the local morning is the UTC evening before
        at -= timedelta(days=1)
    recorder = Recorder()
    assert send(at - timedelta(minutes=1), recorder).claimed == 0
    assert send(at - timedelta(hours=1), recorder).claimed == 0
    report = send(at, recorder)
    assert (report.claimed, report.sent) == (1, 1)
    assert send(at + timedelta(minutes=1), recorder).claimed == 0
    assert send(at + timedelta(hours=1), recorder).claimed == 0
    assert len(recorder.sent) == 1
    row = db.session.scalars(select(ReminderSend)).one()
    assert (row.local_date, row.slot, row.status) == (day, "08:00", "sent")


def test_a_time_the_autumn_change_repeats_is_sent_once(app: Flask) -> None:
    person(fatigue_on=True, fatigue_times="01:30")
    recorder = Recorder()
    first, again = datetime(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 1, 30)  # both 01:30
    assert send(first, recorder).sent == 1
    assert send(again, recorder).claimed == 0
    assert len(recorder.sent) == 1


def test_a_time_the_spring_change_skips_still_comes_once(app: Flask) -> None:
    person(fatigue_on=True, fatigue_times="01:30")  # 29 March 2026 goes from 01:00 to 02:00
    recorder = Recorder()
    for minute in range(0, 4 * 60):
        send(datetime(2026, 3, 28, 23, 0) + timedelta(minutes=minute), recorder)
    assert len(recorder.sent) == 1
    assert db.session.scalar(select(ReminderSend.local_date)) == date(2026, 3, 29)


def test_a_minute_by_minute_day_sends_each_slot_once(app: Flask) -> None:
    """A whole day of `send-due` every minute: two check-ins, one programme, once each."""
    user = person(fatigue_on=True, fatigue_times="09:00,15:30", programme_on=True)
    db.session.add(
        ProgrammeItem(
            patient_id=user.id,
            therapist_id=make_user("therapist").id,
            custom_name="Sit to stand",
            discipline="physio",
            reps=8,
            days_per_week=7,
            start_date=date(2026, 1, 1),
        )
    )
    db.session.commit()
    recorder = Recorder()
    start = datetime(2026, 6, 10, 0, 0)  # BST: local = UTC + 1
    for minute in range(0, 24 * 60, 1):
        send(start + timedelta(minutes=minute), recorder)
    tags = sorted(p["tag"] for _, p in recorder.sent)
    assert tags == [
        "reminder-fatigue-2026-06-10",
        "reminder-fatigue-2026-06-10",
        "reminder-programme-2026-06-10",
    ]
    assert db.session.scalar(select(func.count()).select_from(ReminderSend)) == 3


def test_days_paused_and_late(app: Flask) -> None:
    """Not on a day left out, not while paused, not more than GRACE late."""
    person(fatigue_on=True, fatigue_times="08:00", fatigue_days=reminders.days_mask([0]))
    monday, tuesday = datetime(2026, 6, 8, 7, 0), datetime(2026, 6, 9, 7, 0)
    assert send(tuesday).claimed == 0
    assert send(monday + reminders.GRACE).claimed == 0  # half an hour late: stale, not sent
    assert send(monday + reminders.GRACE - timedelta(minutes=1)).sent == 1
    db.session.execute(db.update(ReminderSettings).values(paused=True))
    db.session.commit()
    assert send(monday + timedelta(days=7)).claimed == 0


def test_the_notification_says_nothing_of_health_unless_chosen(app: Flask) -> None:
    person(fatigue_on=True, fatigue_times="08:00")
    person(fatigue_on=True, fatigue_times="08:00", show_details=True)
    recorder = Recorder()
    send(datetime(2026, 6, 8, 7, 0), recorder)
    bodies = sorted((p["title"], p["body"]) for _, p in recorder.sent)
    plain = ("Rehab Log", "Your reminder. Tap to open Rehab Log.")
    assert plain in bodies
    assert any("fatigue" in f"{t} {b}".lower() for t, b in bodies)
    assert all(p["url"] == "/log/fatigue" for _, p in recorder.sent)


def test_a_programme_reminder_offers_done_and_with_its_words_fatigue(app: Flask) -> None:
    """The phone's "Done" needs the account's key (its store) and time zone; "Fatigue" is a
    health word, offered only when the person chose words on the lock screen."""
    plain = person(
        programme_on=True, programme_time="10:00", fatigue_on=True, fatigue_times="10:00"
    )
    worded = person(
        tz="America/New_York", programme_on=True, programme_time="10:00", show_details=True
    )
    therapist = make_user("therapist")
    for user in (plain, worded):
        db.session.add(
            ProgrammeItem(
                patient_id=user.id,
                therapist_id=therapist.id,
                custom_name="Heel raises",
                discipline="physio",
                reps=10,
                days_per_week=7,
                start_date=date(2026, 1, 1),
            )
        )
    db.session.commit()
    recorder = Recorder()
    key = {plain.id: "key-of-plain", worded.id: "key-of-worded"}
    reminders.send_due(db.session, recorder, datetime(2026, 6, 8, 9, 0), key.__getitem__)
    reminders.send_due(db.session, recorder, datetime(2026, 6, 8, 14, 0), key.__getitem__)
    got = {
        p["tag"].split("-")[1] + (" worded" if p["title"] != "Rehab Log" else ""): (
            p.get("actions"),
            p.get("account"),
            p.get("tz"),
        )
        for _, p in recorder.sent
    }
    assert got == {
        "programme": (["done"], "key-of-plain", "Europe/London"),
        "fatigue": (None, None, None),  # the tap is the check-in
        "programme worded": (["done", "fatigue"], "key-of-worded", "America/New_York"),
    }
    # Without a way to name the account, no "Done": the tap opens Today instead.
    again = Recorder()
    reminders.send_due(db.session, again, datetime(2026, 6, 9, 9, 0))
    assert all("actions" not in p for _, p in again.sent) and again.sent


def test_nothing_for_a_programme_already_done_today(app: Flask) -> None:
    user = person(programme_on=True, programme_time="10:00")
    item = ProgrammeItem(
        patient_id=user.id,
        therapist_id=make_user("therapist").id,
        custom_name="Heel raises",
        discipline="physio",
        reps=10,
        days_per_week=7,
        start_date=date(2026, 1, 1),
    )
    db.session.add(item)
    db.session.commit()
    log.create_entry(
        db.session,
        user,
        "exercise",
        {"discipline": "physio", "name": "Heel raises", "programme_item_id": item.id, "reps": 10},
        datetime(2026, 6, 8, 8, 15),
    )
    db.session.commit()
    recorder = Recorder()
    report = send(datetime(2026, 6, 8, 9, 0), recorder)  # 10:00 BST
    assert (report.claimed, report.skipped, len(recorder.sent)) == (1, 1, 0)
    assert send(datetime(2026, 6, 9, 9, 0), recorder).sent == 1  # not done the next day


def test_a_device_the_push_service_forgot_is_deleted(app: Flask) -> None:
    person(fatigue_on=True, fatigue_times="08:00", devices=2)
    report = send(datetime(2026, 6, 8, 7, 0), Recorder("gone"))
    assert report.gone == 2
    assert db.session.scalar(select(func.count()).select_from(PushSubscription)) == 0


def test_failures_are_tried_again_with_backoff_then_given_up(app: Flask) -> None:
    person(fatigue_on=True, fatigue_times="08:00")
    down = Recorder("retry")
    t = datetime(2026, 6, 8, 7, 0)
    assert send(t, down).retrying == 1
    row = db.session.scalars(select(ReminderSend)).one()
    assert (row.status, row.next_try_at) == ("retry", t + timedelta(minutes=1))
    assert send(t + timedelta(seconds=30), down).retrying == 0  # not before its time
    send(t + timedelta(minutes=1), down)
    db.session.refresh(row)
    assert row.next_try_at == t + timedelta(minutes=3)  # waited 2 minutes this time
    up = Recorder("ok")
    assert send(t + timedelta(minutes=3), up).sent == 1
    assert len(up.sent) == 1
    db.session.refresh(row)
    assert (row.status, row.attempts) == ("sent", 3)


def test_no_device_is_recorded_and_not_retried(app: Flask) -> None:
    person(fatigue_on=True, fatigue_times="08:00", devices=0)
    assert send(datetime(2026, 6, 8, 7, 0)).no_device == 1
    assert send(datetime(2026, 6, 8, 7, 5)).claimed == 0


def test_several_senders_at_once_send_each_reminder_once(app: Flask) -> None:
    """Eight processes' worth of senders, released together: each person hears once."""
    people = [person(fatigue_on=True, fatigue_times="08:00") for _ in range(5)]
    recorder = Recorder()
    now = datetime(2026, 6, 8, 7, 0)
    barrier = threading.Barrier(8, timeout=20)
    errors: list[BaseException] = []
    engine = db.engine

    def sender() -> None:
        try:
            with Session(engine) as own:
                barrier.wait()
                reminders.send_due(own, recorder, now)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    endpoints = sorted(e for e, _ in recorder.sent)
    assert endpoints == sorted(f"https://push.example.test/{p.id}/0" for p in people)
    assert db.session.scalar(select(func.count()).select_from(ReminderSend)) == 5


def test_send_due_refuses_without_vapid_keys(app: Flask, runner: Any) -> None:
    app.config["VAPID_PRIVATE_KEY"] = ""
    result = runner.invoke(args=["reminders", "send-due"])
    assert result.exit_code != 0
    assert "VAPID_PRIVATE_KEY is not set" in result.output


def test_vapid_keys_command_makes_a_usable_pair(app: Flask, runner: Any) -> None:
    from rehab_app.core.webpush import public_key_of

    result = runner.invoke(args=["reminders", "vapid-keys"])
    assert result.exit_code == 0
    private = result.output.split("VAPID_PRIVATE_KEY=")[1].split()[0]
    assert public_key_of(private) in result.output
    app.config["VAPID_PRIVATE_KEY"] = private
    result = runner.invoke(args=["reminders", "send-due"])
    assert result.exit_code == 0, result.output
    assert "Reminders: 0 due" in result.output
