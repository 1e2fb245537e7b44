"""The reminders page: plain words, every message next to its field, nothing half-saved."""

from __future__ import annotations

import re
from datetime import date

import pytest
from flask import Flask

from rehab_app.extensions import db
from rehab_app.models import ReminderSettings
from tests.helpers.accounts import CsrfClient, People

VALID = {
    "programme_on": "y",
    "programme_time": "09:30",
    "programme_days": ["0", "2", "4"],
    "fatigue_on": "y",
    "fatigue_time": "15:00",
    "fatigue_time2": "",
    "fatigue_days": ["0", "1", "2", "3", "4", "5", "6"],
    "walking_time": "18:00",
    "walking_day": "6",
    "quiet_from": "22:00",
    "quiet_until": "07:00",
}


def error_at(html: str, field_id: str) -> str:
    """The error message shown next to a field (its id-error paragraph)."""
    match = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', html, re.S)
    assert match, f"no error next to {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1)).replace("Error: ", "").strip()


def saved(people: People) -> ReminderSettings | None:
    db.session.rollback()
    return db.session.get(ReminderSettings, people.patient.id)


def test_the_account_page_leads_to_reminders(patient_client: CsrfClient) -> None:
    page = patient_client.get("/account").get_data(as_text=True)
    assert 'href="/account/reminders"' in page


def test_a_new_person_sees_every_reminder_off(patient_client: CsrfClient) -> None:
    page = patient_client.get("/account/reminders").get_data(as_text=True)
    assert "Remind me to do my exercises" in page
    assert "checked" not in re.search(r'<input[^>]*id="programme_on"[^>]*>', page).group(0)
    assert "Europe/London" in page


def test_saving_sets_the_reminders(patient_client: CsrfClient, people: People) -> None:
    response = patient_client.post("/account/reminders", data=VALID)
    assert response.status_code == 302
    row = saved(people)
    assert row is not None
    assert (row.programme_on, row.programme_time, row.programme_days) == (True, "09:30", 0b10101)
    assert (row.fatigue_on, row.fatigue_times, row.fatigue_days) == (True, "15:00", 127)
    assert (row.walking_on, row.quiet_from, row.quiet_until) == (False, "22:00", "07:00")
    assert row.show_details is False and row.paused is False
    page = patient_client.get("/account/reminders").get_data(as_text=True)
    assert "Your reminders are set." in page
    assert 'value="09:30"' in page


def test_two_fatigue_times_and_the_pause(patient_client: CsrfClient, people: People) -> None:
    data = {**VALID, "fatigue_time2": "11:00", "paused": "y", "show_details": "y"}
    assert patient_client.post("/account/reminders", data=data).status_code == 302
    row = saved(people)
    assert row is not None
    assert row.fatigue_times == "11:00,15:00"
    assert row.paused and row.show_details
    page = patient_client.get("/account/reminders").get_data(as_text=True)
    assert "All reminders are paused" in page


CASES = [
    ({"programme_time": ""}, "programme_time", "Enter the time for this reminder, like 09:30."),
    ({"programme_time": "25:00"}, "programme_time", "Enter a time like 09:30."),
    ({"programme_time": "nine"}, "programme_time", "Enter a time like 09:30."),
    ({"programme_days": []}, "programme_days", "Choose at least one day."),
    ({"programme_days": ["9"]}, "programme_days", None),
    ({"fatigue_time2": "15:00"}, "fatigue_time2", "Choose a different time, or leave this empty."),
    (
        {"fatigue_time": "23:00"},
        "fatigue_time",
        "This time is in your quiet hours (22:00 to 07:00)",
    ),
    ({"programme_time": "06:59"}, "programme_time", "in your quiet hours"),
    ({"quiet_until": ""}, "quiet_until", "Enter both times of your quiet hours, or neither."),
    ({"quiet_from": "", "quiet_until": "07:00"}, "quiet_from", "Enter both times"),
    ({"quiet_until": "22:00"}, "quiet_until", "must end at a different time"),
    ({"walking_on": "y", "walking_day": "8"}, "walking_day", "Choose one of the options."),
    ({"walking_on": "y", "walking_time": "\x00"}, "walking_time", "Enter a time like 09:30."),
]


@pytest.mark.parametrize(("change", "field_id", "message"), CASES)
def test_each_mistake_is_named_at_its_field_and_nothing_is_saved(
    patient_client: CsrfClient, people: People, change: dict, field_id: str, message: str | None
) -> None:
    response = patient_client.post("/account/reminders", data={**VALID, **change})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    shown = error_at(html, field_id)
    if message:
        assert message in shown
    assert "Please correct the fields marked below." in html
    assert saved(people) is None


def test_a_reminder_that_is_off_needs_no_time(patient_client: CsrfClient, people: People) -> None:
    data = {**VALID, "programme_on": "", "programme_time": "", "programme_days": []}
    data.pop("programme_on")
    assert patient_client.post("/account/reminders", data=data).status_code == 302
    row = saved(people)
    assert row is not None and row.programme_on is False
    assert row.programme_time == "10:00"  # kept for when it is switched back on


def test_every_control_is_labelled_and_big_enough_by_its_class(patient_client: CsrfClient) -> None:
    """Each input has a visible label; checkboxes sit inside labels the CSS makes 44 px tall."""
    page = patient_client.get("/account/reminders").get_data(as_text=True)
    ids = re.findall(r'<input[^>]*\bid="([^"]+)"', page)
    assert ids
    for input_id in ids:
        if input_id == "csrf_token":
            continue
        assert f'for="{input_id}"' in page, input_id


def test_therapists_have_no_reminders_page(therapist_client: CsrfClient) -> None:
    assert therapist_client.get("/account/reminders").status_code == 403


def test_the_page_works_without_a_script(app: Flask, patient_client: CsrfClient) -> None:
    """A plain form post saves it: the page carries a real form and its CSRF token."""
    page = patient_client.get("/account/reminders").get_data(as_text=True)
    assert '<form method="post"' in page and 'name="csrf_token"' in page


def test_the_therapist_sees_only_whether_reminders_are_on(
    app: Flask, patient_client: CsrfClient, people: People
) -> None:
    from tests.helpers.accounts import login

    therapist = app.test_client()
    login(therapist, people.therapist)
    page = therapist.get(f"/therapist/patients/{people.patient.id}").get_data(as_text=True)
    assert "Reminders: off." in page
    patient_client.post("/account/reminders", data={**VALID, "quiet_from": "", "quiet_until": ""})
    page = therapist.get(f"/therapist/patients/{people.patient.id}").get_data(as_text=True)
    assert "Reminders: on." in page
    assert "09:30" not in page and "15:00" not in page
    patient_client.post("/account/reminders", data={**VALID, "paused": "y"})
    page = therapist.get(f"/therapist/patients/{people.patient.id}").get_data(as_text=True)
    assert "Reminders: off." in page


def test_the_export_holds_the_reminders_and_deleting_the_account_removes_them(
    patient_client: CsrfClient, people: People
) -> None:
    from sqlalchemy import func, select

    from rehab_app.models import CalendarFeed, ReminderSend

    patient_client.post("/account/reminders", data=VALID)
    patient_client.post("/account/reminders/calendar")
    document = patient_client.get("/account/export.json").get_json()
    reminders = document["reminders"]
    assert reminders["settings"]["programme"] == {"on": True, "time": "09:30", "days": [0, 2, 4]}
    assert reminders["settings"]["quiet_hours"] == ["22:00", "07:00"]
    assert reminders["calendar_feed"] is True and reminders["push_devices"] == 0
    db.session.add(
        ReminderSend(
            user_id=people.patient.id, kind="fatigue", slot="15:00", local_date=date(2026, 6, 8)
        )
    )
    db.session.commit()
    patient_client.post("/account/delete", data={"password": "correct horse battery"})
    db.session.rollback()
    for model in (ReminderSettings, CalendarFeed, ReminderSend):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model
