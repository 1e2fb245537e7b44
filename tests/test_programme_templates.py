"""Programme templates a team shares (issue 14), through the pages.

A member saves a patient's current programme for their team; another member starts a second
patient's programme from it with one choice (each exercise added from today, at the template's
dose, synced like any item); a therapist outside the team neither sees nor uses it; removing a
template changes no one's programme.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from rehab_app.core import clinics
from rehab_app.core.timeutil import local_today
from rehab_app.extensions import db
from rehab_app.models import ProgrammeItem, ProgrammeTemplate, Team, User
from tests.helpers.accounts import CsrfClient, People, link, login, make_user
from tests.helpers.pages import section, visible


def as_user(app: Any, user: User) -> CsrfClient:
    client: CsrfClient = app.test_client()
    login(client, user)
    return client


def prescribe(client: CsrfClient, patient: User, name: str, reps: str) -> None:
    answer = client.post(
        f"/therapist/patients/{patient.id}/programme",
        data={
            "exercise_id": "",
            "custom_name": name,
            "discipline": "physio",
            "sets": "2",
            "reps": reps,
            "days_per_week": "5",
            "start_date": local_today(patient.timezone).isoformat(),
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:400]


def team_of_two(people: People) -> tuple[Team, User]:
    """The linked therapist's clinic and MS team, with an OT colleague in it."""
    clinic = clinics.create_clinic(db.session, "Riverside", people.therapist)
    team = clinics.create_team(db.session, clinic.id, "MS team")
    colleague = make_user("therapist", name="Priya OT")
    clinics.ask_to_join(db.session, colleague, clinic.join_code)
    clinics.approve(db.session, clinic.id, colleague.id)
    for member in (people.therapist, colleague):
        clinics.add_to_team(db.session, team, member.id)
    db.session.commit()
    return team, colleague


def items_of(patient: User) -> list[tuple[str | None, int | None, int | None]]:
    return [
        (i.custom_name, i.sets, i.reps)
        for i in db.session.scalars(
            select(ProgrammeItem)
            .where(ProgrammeItem.patient_id == patient.id)
            .order_by(ProgrammeItem.id)
        )
    ]


def test_a_saved_programme_starts_another_patients_with_one_choice(
    app: Any, people: People
) -> None:
    team, colleague = team_of_two(people)
    lin = as_user(app, people.therapist)
    prescribe(lin, people.patient, "Heel raises", "10")
    prescribe(lin, people.patient, "Sit to stand", "8")
    saved = lin.post(
        f"/therapist/patients/{people.patient.id}/templates",
        data={"team_id": str(team.id), "name": "MS balance,  early"},
        follow_redirects=True,
    )
    assert "Saved for MS team: MS balance, early, 2 exercises" in visible(
        saved.get_data(as_text=True)
    )

    link(colleague, people.other_patient)
    priya = as_user(app, colleague)
    page = priya.get(f"/therapist/patients/{people.other_patient.id}").get_data(as_text=True)
    shown = visible(section(page, "templates-h"))
    assert "MS team: MS balance, early (2 exercises)" in shown
    assert "Heel raises: 2 \u00d7 10, 5 days a week" in shown  # the multiplication sign
    template = db.session.scalars(select(ProgrammeTemplate)).one()
    started = priya.post(
        f"/therapist/patients/{people.other_patient.id}/from-template",
        data={"template_id": str(template.id)},
        follow_redirects=True,
    )
    assert "from MS balance, early: Heel raises, Sit to stand" in visible(
        started.get_data(as_text=True)
    )
    assert items_of(people.other_patient) == [("Heel raises", 2, 10), ("Sit to stand", 2, 8)]
    # The patient's Today lists them at once.
    today = as_user(app, people.other_patient).get("/today").get_data(as_text=True)
    assert "Heel raises" in today and "Sit to stand" in today


def test_someone_outside_the_team_neither_sees_nor_uses_its_templates(
    app: Any, people: People
) -> None:
    team, _colleague = team_of_two(people)
    lin = as_user(app, people.therapist)
    prescribe(lin, people.patient, "Heel raises", "10")
    lin.post(
        f"/therapist/patients/{people.patient.id}/templates",
        data={"team_id": str(team.id), "name": "MS balance"},
    )
    template = db.session.scalars(select(ProgrammeTemplate)).one()
    outsider = people.other_therapist
    link(outsider, people.other_patient)
    una = as_user(app, outsider)
    page = una.get(f"/therapist/patients/{people.other_patient.id}").get_data(as_text=True)
    assert "MS balance" not in page and 'id="templates-h"' not in page
    started = una.post(
        f"/therapist/patients/{people.other_patient.id}/from-template",
        data={"template_id": str(template.id)},
    )
    assert started.status_code == 400  # not one of the choices they have
    assert items_of(people.other_patient) == []
    assert una.post(f"/therapist/templates/{template.id}/delete").status_code == 404
    saved = una.post(
        f"/therapist/patients/{people.other_patient.id}/templates",
        data={"team_id": str(team.id), "name": "Mine now"},
    )
    assert saved.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ProgrammeTemplate)) == 1


def test_a_template_needs_a_name_of_its_own_and_something_to_save(app: Any, people: People) -> None:
    team, _ = team_of_two(people)
    lin = as_user(app, people.therapist)
    url = f"/therapist/patients/{people.patient.id}/templates"
    empty = lin.post(url, data={"team_id": str(team.id), "name": "Early"})
    assert empty.status_code == 400
    assert "nothing in the programme to save" in visible(empty.get_data(as_text=True))
    prescribe(lin, people.patient, "Heel raises", "10")
    for name, message in (("  ", "Give the template a name."), ("x" * 81, "At most 80")):
        answer = lin.post(url, data={"team_id": str(team.id), "name": name})
        assert answer.status_code == 400
        assert message in visible(section(answer.get_data(as_text=True), "templates-h"))
    assert lin.post(url, data={"team_id": str(team.id), "name": "Early"}).status_code == 302
    twice = lin.post(url, data={"team_id": str(team.id), "name": "Early"})
    assert "MS team already has a template called Early" in visible(twice.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(ProgrammeTemplate)) == 1


def test_removing_a_template_changes_no_ones_programme(app: Any, people: People) -> None:
    team, colleague = team_of_two(people)
    lin = as_user(app, people.therapist)
    prescribe(lin, people.patient, "Heel raises", "10")
    lin.post(
        f"/therapist/patients/{people.patient.id}/templates",
        data={"team_id": str(team.id), "name": "Early"},
    )
    template = db.session.scalars(select(ProgrammeTemplate)).one()
    clinic_page = visible(as_user(app, colleague).get("/clinic").get_data(as_text=True))
    clinic_page = clinic_page.replace(" :", ":")  # the name is bold: a tag before the colon
    assert "Templates of MS team Early: Heel raises" in clinic_page
    removed = as_user(app, colleague).post(
        f"/therapist/templates/{template.id}/delete", follow_redirects=True
    )
    assert "No one's programme changed" in visible(removed.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(ProgrammeTemplate)) == 0
    assert items_of(people.patient) == [("Heel raises", 2, 10)]


def test_what_a_template_did_is_said_where_the_page_opens(app: Any, people: People) -> None:
    """Saved, started, removed: each message shows in the section the page scrolls to."""
    team, colleague = team_of_two(people)
    link(colleague, people.other_patient)
    lin = as_user(app, people.therapist)
    prescribe(lin, people.patient, "Heel raises", "10")
    page = lin.get(f"/therapist/patients/{people.patient.id}").get_data(as_text=True)
    action = re.search(r'action="/therapist/patients/\d+/templates#([\w-]+)"', page)
    assert action is not None
    refused = lin.post(
        f"/therapist/patients/{people.patient.id}/templates",
        data={"team_id": str(team.id), "name": " "},
    )
    assert f'id="{action.group(1)}"' in refused.get_data(as_text=True)

    saved = lin.post(
        f"/therapist/patients/{people.patient.id}/templates",
        data={"team_id": str(team.id), "name": "Early"},
    )
    shown = lin.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Saved for MS team: Early" in section(shown, saved.headers["Location"].split("#")[1])

    priya = as_user(app, colleague)
    template = db.session.scalars(select(ProgrammeTemplate)).one()
    started = priya.post(
        f"/therapist/patients/{people.other_patient.id}/from-template",
        data={"template_id": str(template.id)},
    )
    shown = priya.get(started.headers["Location"]).get_data(as_text=True)
    assert "from Early: Heel raises" in section(shown, "programme-h")

    removed = priya.post(f"/therapist/templates/{template.id}/delete")
    assert removed.headers["Location"].endswith(f"#team-{team.id}")
    shown = priya.get(removed.headers["Location"]).get_data(as_text=True)
    assert "No one's programme changed" in section(shown, f"team-{team.id}-h")


def test_a_template_adds_no_exercise_the_patient_already_has(app: Any, people: People) -> None:
    """A second tap, or a programme begun by hand: one of each exercise on Today, not two."""
    team, colleague = team_of_two(people)
    lin = as_user(app, people.therapist)
    prescribe(lin, people.patient, "Heel raises", "10")
    prescribe(lin, people.patient, "Sit to stand", "8")
    lin.post(
        f"/therapist/patients/{people.patient.id}/templates",
        data={"team_id": str(team.id), "name": "Early"},
    )
    template = db.session.scalars(select(ProgrammeTemplate)).one()
    link(colleague, people.other_patient)
    priya = as_user(app, colleague)
    prescribe(priya, people.other_patient, "sit to  stand", "5")  # begun by hand, own dose

    def start() -> str:
        answer = priya.post(
            f"/therapist/patients/{people.other_patient.id}/from-template",
            data={"template_id": str(template.id)},
            follow_redirects=True,
        )
        return section(answer.get_data(as_text=True), "programme-h")

    first = start()
    assert "from Early: Heel raises. Already in it, so not added again: Sit to stand." in first
    assert items_of(people.other_patient) == [("sit to  stand", 2, 5), ("Heel raises", 2, 10)]
    second = start()
    assert "Nothing added: Otto Other's programme already has each exercise of Early" in second
    assert len(items_of(people.other_patient)) == 2
