"""The calendar feed: a private, revocable address whose file a real calendar library reads."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from icalendar import Calendar
from sqlalchemy import select

from rehab_app.extensions import db
from rehab_app.models import CalendarFeed, ProgrammeItem
from tests.helpers.accounts import CsrfClient, People

SETTINGS = {
    "programme_on": "y",
    "programme_time": "10:00",
    "programme_days": ["0", "2", "4"],
    "fatigue_on": "y",
    "fatigue_time": "15:00",
    "fatigue_days": [str(d) for d in range(7)],
    "walking_time": "18:00",
    "walking_day": "6",
}
NOTE = "PRIVATE-PROGRAMME-NOTE keep a chair near"


def make_address(client: CsrfClient) -> str:
    page = client.post("/account/reminders/calendar").get_data(as_text=True)
    match = re.search(r"<code>(http[^<]+)</code>", page)
    assert match, page[:1000]
    return match.group(1).replace("http://localhost", "")


def test_the_feed_has_the_programme_and_its_alarm(
    patient_client: CsrfClient, people: People
) -> None:
    db.session.add(
        ProgrammeItem(
            patient_id=people.patient.id,
            therapist_id=people.therapist.id,
            custom_name="Heel raises",
            discipline="physio",
            reps=10,
            days_per_week=3,
            start_date=date(2026, 1, 1),
            note=NOTE,
        )
    )
    db.session.commit()
    patient_client.post("/account/reminders", data=SETTINGS)
    address = make_address(patient_client)
    response = patient_client.get(address)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"Rehab Log: exercises", "Rehab Log: fatigue check-in"}
    exercises = events["Rehab Log: exercises"]
    start = exercises.decoded("dtstart")
    assert start.time() == time(10, 0) and str(start.tzinfo) == "Europe/London"
    assert exercises["rrule"]["BYDAY"] == ["MO", "WE", "FR"]
    assert "Heel raises" in str(exercises["description"])
    [alarm] = exercises.walk("VALARM")
    assert alarm["action"] == "DISPLAY" and alarm.decoded("trigger") == timedelta(0)
    fatigue = events["Rehab Log: fatigue check-in"]
    assert fatigue["rrule"]["FREQ"] == ["DAILY"]
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    assert NOTE not in response.get_data(as_text=True)


def test_making_an_address_keeps_the_settings_on_the_page(patient_client: CsrfClient) -> None:
    patient_client.post("/account/reminders", data=SETTINGS)
    page = patient_client.post("/account/reminders/calendar").get_data(as_text=True)
    assert re.search(
        r'<input[^>]*checked[^>]*id="fatigue_on"|<input[^>]*id="fatigue_on"[^>]*checked', page
    )
    assert 'value="10:00"' in page


def test_the_token_is_long_random_and_stored_hashed(patient_client: CsrfClient) -> None:
    address = make_address(patient_client)
    token = address.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 40
    stored = db.session.scalars(select(CalendarFeed.token_hash)).one()
    assert token not in stored and len(stored) == 64


def test_a_new_address_stops_the_old_one(patient_client: CsrfClient) -> None:
    old = make_address(patient_client)
    new = make_address(patient_client)
    assert old != new
    assert patient_client.get(old).status_code == 404
    assert patient_client.get(new).status_code == 200


def test_stopping_the_address(patient_client: CsrfClient, app: object) -> None:
    address = make_address(patient_client)
    response = patient_client.post("/account/reminders/calendar/revoke")
    assert response.status_code == 302
    page = patient_client.get("/account/reminders").get_data(as_text=True)
    assert "no longer works" in page
    assert "Make a calendar address" in page
    assert patient_client.get(address).status_code == 404


def test_the_address_needs_no_login_and_a_wrong_one_finds_nothing(
    patient_client: CsrfClient, app: object
) -> None:
    address = make_address(patient_client)
    stranger = app.test_client()  # type: ignore[attr-defined]
    assert stranger.get(address).status_code == 200
    assert stranger.get("/calendar/" + "A" * 43 + ".ics").status_code == 404
    assert stranger.get("/calendar/" + "A" * 500 + ".ics").status_code == 404


def test_paused_reminders_leave_an_empty_calendar(patient_client: CsrfClient) -> None:
    patient_client.post("/account/reminders", data={**SETTINGS, "paused": "y"})
    cal = Calendar.from_ical(patient_client.get(make_address(patient_client)).data)
    assert cal.walk("VEVENT") == []
