"""Clinics and teams (issue 14): an admin lets therapists in, a team shares a caseload.

Through the pages, as the people do it: a therapist asks to join with the clinic's code and
waits; the clinic's admin lets them in (and no one else can); the admin makes a team; a patient
links the team with one code and one consent, sees each member, and can stop sharing with one
of them or with the whole team; someone who joins the team later sees its patients, someone
taken out no longer does.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from rehab_app.core import care_links, clinics
from rehab_app.core.demo import CLINIC_NAME, COLLEAGUE_EMAIL, DEMO_PASSWORD, THERAPIST_EMAIL
from rehab_app.extensions import db
from rehab_app.models import CareLink, Clinic, ClinicMember, Team, TeamMember, User
from tests.helpers.accounts import PASSWORD, CsrfClient, People, link, login, make_user
from tests.helpers.pages import section, visible


def as_user(app: Any, user: User) -> CsrfClient:
    """A client of its own, logged in as this user."""
    client: CsrfClient = app.test_client()
    login(client, user)
    return client


def waiting_therapist(name: str = "Nell New") -> User:
    """A therapist account no one has vouched for yet."""
    user = make_user("therapist", name=name)
    user.approved_at = None
    db.session.commit()
    return user


@pytest.fixture
def clinic(people: People) -> Clinic:
    """The linked therapist's clinic, with them as its admin."""
    made = clinics.create_clinic(db.session, "Riverside Neuro", people.therapist)
    db.session.commit()
    return made


def colleague_in(clinic: Clinic, name: str = "Priya OT") -> User:
    """A therapist who asked to join the clinic and was let in (a member, not an admin)."""
    colleague = make_user("therapist", name=name)
    clinics.ask_to_join(db.session, colleague, clinic.join_code)
    clinics.approve(db.session, clinic.id, colleague.id)
    db.session.commit()
    return colleague


def caseload_names(client: CsrfClient) -> str:
    return visible(client.get("/therapist").get_data(as_text=True))


# ------------------------------------------------------------------------- letting therapists in


def test_a_new_therapist_asks_to_join_and_the_admin_lets_them_in(
    app: Any, people: People, clinic: Clinic
) -> None:
    nell = waiting_therapist()
    newcomer = as_user(app, nell)
    waiting = newcomer.get("/therapist")
    assert waiting.status_code == 403
    assert "Ask your clinic" in visible(waiting.get_data(as_text=True))

    wrong = newcomer.post("/clinic/join", data={"code": "ABCD-EFGH"})
    assert wrong.status_code == 400
    assert clinics.CLINIC_CODE_NOT_VALID in visible(wrong.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).select_from(ClinicMember)) == 1  # the admin

    typed = clinics.shown_code(clinic).lower().replace("-", " ")  # as read across a room
    asked = newcomer.post("/clinic/join", data={"code": typed}, follow_redirects=True)
    assert "Asked to join Riverside Neuro" in visible(asked.get_data(as_text=True))
    assert newcomer.get("/therapist").status_code == 403  # still waiting

    admin = as_user(app, people.therapist)
    page = visible(admin.get("/clinic").get_data(as_text=True))
    waiting_list = page.split("Waiting for you")[1].split("Teams")[0]
    assert nell.display_name in waiting_list and nell.email in waiting_list
    assert clinics.shown_code(clinic) in page
    let_in = admin.post(f"/clinic/therapists/{nell.id}/approve", follow_redirects=True)
    assert f"{nell.display_name} is in Riverside Neuro" in visible(let_in.get_data(as_text=True))

    assert newcomer.get("/therapist").status_code == 200
    assert "No one is waiting" in visible(admin.get("/clinic").get_data(as_text=True))


def test_the_waiting_page_is_marked_as_the_clinic_in_the_menu(app: Any) -> None:
    """Patients shows the waiting page to a therapist not yet let in: the menu says Clinic."""
    client = as_user(app, waiting_therapist())
    for path in ("/therapist", "/clinic"):
        page = client.get(path).get_data(as_text=True)
        assert "Your account is waiting for approval" in page
        current = re.findall(r'<a href="([^"]+)" aria-current="page">', page)
        assert current == ["/clinic"], (path, current)


def test_only_an_admin_of_that_clinic_lets_anyone_in(
    app: Any, people: People, clinic: Clinic
) -> None:
    nell = waiting_therapist()
    clinics.ask_to_join(db.session, nell, clinic.join_code)
    other_admin = make_user("therapist", name="Other Admin")
    clinics.create_clinic(db.session, "Hillside", other_admin)
    colleague = colleague_in(clinic, "Plain Member")

    # Another clinic's admin: not one of theirs to let in.
    assert (
        as_user(app, other_admin).post(f"/clinic/therapists/{nell.id}/approve").status_code == 404
    )
    # A member who is not an admin; a patient; the newcomer themself.
    assert as_user(app, colleague).post(f"/clinic/therapists/{nell.id}/approve").status_code == 403
    assert (
        as_user(app, people.patient).post(f"/clinic/therapists/{nell.id}/approve").status_code
        == 403
    )
    assert as_user(app, nell).post(f"/clinic/therapists/{nell.id}/approve").status_code == 403
    db.session.expire_all()
    assert db.session.get(User, nell.id).approved_at is None  # type: ignore[union-attr]


def test_a_declined_request_goes_and_the_therapist_may_ask_again(
    app: Any, people: People, clinic: Clinic
) -> None:
    nell = waiting_therapist()
    clinics.ask_to_join(db.session, nell, clinic.join_code)
    db.session.commit()
    admin = as_user(app, people.therapist)
    turned = admin.post(f"/clinic/therapists/{nell.id}/decline", follow_redirects=True)
    assert "Turned down Nell New's request" in visible(turned.get_data(as_text=True))
    assert clinics.membership(db.session, nell.id) is None
    assert as_user(app, nell).get("/therapist").status_code == 403
    again = as_user(app, nell).post("/clinic/join", data={"code": clinic.join_code})
    assert again.status_code == 302
    assert [u.id for u in clinics.waiting(db.session, clinic.id)] == [nell.id]


def test_a_therapist_vouched_for_elsewhere_still_waits_for_the_clinic(
    people: People, clinic: Clinic
) -> None:
    vouched = make_user("therapist", name="Vic Vouched")  # approved by the operators
    clinics.ask_to_join(db.session, vouched, clinic.join_code)
    team = clinics.create_team(db.session, clinic.id, "MS team")
    db.session.commit()
    assert [u.id for u in clinics.waiting(db.session, clinic.id)] == [vouched.id]
    with pytest.raises(LookupError):
        clinics.add_to_team(db.session, team, vouched.id)


def test_a_therapist_in_one_clinic_cannot_ask_another(
    app: Any, people: People, clinic: Clinic
) -> None:
    other = clinics.create_clinic(db.session, "Hillside", make_user("therapist"))
    db.session.commit()
    answer = as_user(app, people.therapist).post("/clinic/join", data={"code": other.join_code})
    assert answer.status_code == 400
    assert "You are already in Riverside Neuro" in visible(answer.get_data(as_text=True))


# ----------------------------------------------------------------------------------------- teams


def test_a_team_needs_a_name_of_its_own(app: Any, people: People, clinic: Clinic) -> None:
    admin = as_user(app, people.therapist)
    for name, message in (
        ("   ", "Give the team a name."),
        ("x" * 81, "At most 80 characters."),
        ("MS\u202eteam", "hidden"),
    ):
        answer = admin.post("/clinic/teams", data={"name": name})
        assert answer.status_code == 400, name
        assert message.lower() in visible(answer.get_data(as_text=True)).lower(), name
    assert admin.post("/clinic/teams", data={"name": "MS  team"}).status_code == 302
    twice = admin.post("/clinic/teams", data={"name": "MS team"})
    assert twice.status_code == 400
    assert "There is already a team called MS team" in visible(twice.get_data(as_text=True))
    assert [t.name for t in db.session.scalars(select(Team))] == ["MS team"]


def linked_team(app: Any, people: People, clinic: Clinic) -> tuple[Team, User, CsrfClient]:
    """The admin's MS team with a colleague, linked by the owner with a code of the colleague's."""
    admin = as_user(app, people.therapist)
    admin.post("/clinic/teams", data={"name": "MS team"})
    team = db.session.scalars(select(Team)).one()
    colleague = make_user("therapist", name="Priya OT")
    clinics.ask_to_join(db.session, colleague, clinic.join_code)
    db.session.commit()
    admin.post(f"/clinic/therapists/{colleague.id}/approve")
    for member in (people.therapist, colleague):
        added = admin.post(
            f"/clinic/teams/{team.id}/members", data={f"team{team.id}-user_id": str(member.id)}
        )
        assert added.status_code == 302

    made = as_user(app, colleague).post("/therapist/link-codes", data={"team_id": str(team.id)})
    assert made.status_code == 201
    shown = visible(made.get_data(as_text=True))
    assert "everyone in MS team: Lin Linked, Priya OT" in shown
    typed = _code_on(made.get_data(as_text=True))

    owner = as_user(app, people.other_patient)
    offer = visible(owner.post("/account/links", data={"code": typed}).get_data(as_text=True))
    assert "Share your log with this team?" in offer
    assert "Everyone in the team will see everything you log: Lin Linked" in offer
    assert "linked@example.test Priya OT" in offer.replace(" ,", ",")
    done = owner.post("/account/links/confirm", data={"code": typed}, follow_redirects=True)
    assert "Everyone in MS team can now see your log: Lin Linked and Priya OT" in visible(
        done.get_data(as_text=True)
    )
    return team, colleague, owner


def _code_on(markup: str) -> str:
    return visible(markup).split("days. ")[1].split()[0]


def test_a_patient_links_a_team_once_and_every_member_sees_them(
    app: Any, people: People, clinic: Clinic
) -> None:
    _team, colleague, owner = linked_team(app, people, clinic)
    otto = people.other_patient.display_name
    assert otto in caseload_names(as_user(app, people.therapist))
    shared = caseload_names(as_user(app, colleague))
    assert otto in shared
    # Otto linked the team, not the colleague: the caption does not say he linked them.
    assert "People who share their log with you (1)" in shared
    patient_page = f"/therapist/patients/{people.other_patient.id}"
    assert as_user(app, colleague).get(patient_page).status_code == 200

    account = visible(owner.get("/account").get_data(as_text=True))
    assert "MS team Riverside Neuro, since" in account
    assert "Lin Linked Stop sharing with Lin Linked" in account
    assert "Priya OT Stop sharing with Priya OT" in account


def test_someone_added_later_sees_the_team_patients_and_someone_taken_out_does_not(
    app: Any, people: People, clinic: Clinic
) -> None:
    team, colleague, _owner = linked_team(app, people, clinic)
    admin = as_user(app, people.therapist)
    slt = colleague_in(clinic, "Sol SLT")
    patient_page = f"/therapist/patients/{people.other_patient.id}"
    assert as_user(app, slt).get(patient_page).status_code == 404

    admin.post(f"/clinic/teams/{team.id}/members", data={f"team{team.id}-user_id": str(slt.id)})
    assert as_user(app, slt).get(patient_page).status_code == 200

    taken = admin.post(f"/clinic/teams/{team.id}/members/{colleague.id}/remove")
    assert taken.status_code == 302
    assert as_user(app, colleague).get(patient_page).status_code == 404
    assert people.other_patient.display_name not in caseload_names(as_user(app, colleague))
    # Back in the team: the patient's consent to the team stands, so they see them again.
    admin.post(
        f"/clinic/teams/{team.id}/members", data={f"team{team.id}-user_id": str(colleague.id)}
    )
    assert as_user(app, colleague).get(patient_page).status_code == 200


def test_a_patient_who_stops_one_member_is_not_shared_with_them_again_by_the_team(
    app: Any, people: People, clinic: Clinic
) -> None:
    team, colleague, owner = linked_team(app, people, clinic)
    theirs = db.session.scalars(
        select(CareLink).where(CareLink.therapist_id == colleague.id, CareLink.revoked_at.is_(None))
    ).one()
    assert owner.post(f"/account/links/{theirs.id}/revoke").status_code == 302
    patient_page = f"/therapist/patients/{people.other_patient.id}"
    assert as_user(app, colleague).get(patient_page).status_code == 404
    assert as_user(app, people.therapist).get(patient_page).status_code == 200
    # The one member left: stopping them is not said to leave "the rest of the team".
    account = visible(owner.get("/account").get_data(as_text=True))
    assert "the rest of MS team" not in account
    said = "Lin Linked will no longer see your log, and no one else in MS team sees it through"
    assert said in account

    admin = as_user(app, people.therapist)
    admin.post(f"/clinic/teams/{team.id}/members/{colleague.id}/remove")
    admin.post(
        f"/clinic/teams/{team.id}/members", data={f"team{team.id}-user_id": str(colleague.id)}
    )
    assert as_user(app, colleague).get(patient_page).status_code == 404


def test_stopping_the_team_ends_every_member_link_under_it(
    app: Any, people: People, clinic: Clinic
) -> None:
    _team, colleague, owner = linked_team(app, people, clinic)
    team_link = care_links.patient_team_links(db.session, people.other_patient.id)[0]
    stopped = owner.post(f"/account/teams/{team_link.id}/stop", follow_redirects=True)
    assert "MS team can no longer see your log" in visible(stopped.get_data(as_text=True))
    patient_page = f"/therapist/patients/{people.other_patient.id}"
    for therapist in (people.therapist, colleague):
        assert as_user(app, therapist).get(patient_page).status_code == 404
    account = visible(owner.get("/account").get_data(as_text=True))
    assert "MS team" not in account and "No one. Your log is yours alone" in account


def test_a_team_code_works_only_while_its_maker_is_in_the_team(
    app: Any, people: People, clinic: Clinic
) -> None:
    team = clinics.create_team(db.session, clinic.id, "MS team")
    clinics.add_to_team(db.session, team, people.therapist.id)
    code = care_links.make_code(db.session, people.therapist, team).code
    db.session.commit()
    clinics.remove_from_team(db.session, team, people.therapist.id)
    db.session.commit()
    with pytest.raises(care_links.LinkCodeError):
        care_links.code_offer(db.session, code)
    # And a therapist outside a team cannot make one of its codes.
    answer = as_user(app, people.other_therapist).post(
        "/therapist/link-codes", data={"team_id": str(team.id)}
    )
    assert answer.status_code == 404
    for junk in ("x", "-1", "99999999999"):
        assert (
            as_user(app, people.therapist)
            .post("/therapist/link-codes", data={"team_id": junk})
            .status_code
            == 404
        )


def test_members_who_are_not_admins_see_the_teams_but_change_nothing(
    app: Any, people: People, clinic: Clinic
) -> None:
    team, colleague, _owner = linked_team(app, people, clinic)
    page = visible(as_user(app, colleague).get("/clinic").get_data(as_text=True))
    assert "MS team Lin Linked Priya OT" in page
    assert "Take out" not in page and "Make a team" not in page and "Waiting for you" not in page
    before = db.session.scalar(select(func.count()).select_from(TeamMember))
    answer = as_user(app, colleague).post(
        f"/clinic/teams/{team.id}/members/{people.therapist.id}/remove"
    )
    assert answer.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(TeamMember)) == before


# ------------------------------------------------------------------------------ demo and command


def test_the_demo_clinic_has_someone_waiting_and_a_team_sharing_a_patient(
    app: Any, runner: Any
) -> None:
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    admin = app.test_client()
    admin.post("/login", data={"email": THERAPIST_EMAIL, "password": DEMO_PASSWORD})
    page = visible(admin.get("/clinic").get_data(as_text=True))
    assert CLINIC_NAME in page and "Lee Brown, SLT (demo)" in page.split("Waiting for you")[1]
    colleague = app.test_client()
    colleague.post("/login", data={"email": COLLEAGUE_EMAIL, "password": DEMO_PASSWORD})
    caseload = visible(colleague.get("/therapist").get_data(as_text=True))
    assert "Jo Patel (demo)" in caseload and "Alex Morgan (demo)" not in caseload


def test_create_clinic_makes_the_first_admin(runner: Any, people: People) -> None:
    result = runner.invoke(args=["create-clinic", "Hillside", "--admin", "UNLINKED@example.test"])
    assert result.exit_code == 0, result.output
    assert "Created Hillside with unlinked@example.test as its admin" in result.output
    member = clinics.membership(db.session, people.other_therapist.id)
    assert member is not None and member.is_admin
    again = runner.invoke(args=["create-clinic", "Other", "--admin", "unlinked@example.test"])
    assert again.exit_code != 0 and "already in a clinic" in again.output
    nobody = runner.invoke(args=["create-clinic", "Other", "--admin", "nobody@example.test"])
    assert nobody.exit_code != 0 and "no account" in nobody.output


def test_someone_who_leaves_the_clinic_leaves_its_teams_and_keeps_their_own_patients(
    app: Any, people: People, clinic: Clinic
) -> None:
    team, colleague, _owner = linked_team(app, people, clinic)
    own_patient = make_user("patient", name="Pat Own")
    link(colleague, own_patient)
    admin = as_user(app, people.therapist)
    gone = admin.post(f"/clinic/therapists/{colleague.id}/remove", follow_redirects=True)
    assert "Priya OT is no longer in Riverside Neuro or its teams" in visible(
        gone.get_data(as_text=True)
    )
    assert clinics.membership(db.session, colleague.id) is None
    priya = as_user(app, colleague)
    assert priya.get(f"/therapist/patients/{people.other_patient.id}").status_code == 404
    assert priya.get(f"/therapist/patients/{own_patient.id}").status_code == 200
    # The team's consent stands for those still in it.
    assert admin.get(f"/therapist/patients/{people.other_patient.id}").status_code == 200
    assert [u.id for u in care_links.team_therapists(db.session, team.id)] == [people.therapist.id]


def test_the_only_admin_stays_until_someone_else_is_one(
    app: Any, people: People, clinic: Clinic
) -> None:
    colleague = colleague_in(clinic)
    admin = as_user(app, people.therapist)
    refused = admin.post(f"/clinic/therapists/{people.therapist.id}/remove", follow_redirects=True)
    assert "the clinic's only admin: make someone else an admin first" in visible(
        refused.get_data(as_text=True)
    )
    made = admin.post(f"/clinic/therapists/{colleague.id}/admin", follow_redirects=True)
    assert "Priya OT is now an admin of Riverside Neuro too" in visible(made.get_data(as_text=True))
    assert admin.post(f"/clinic/therapists/{people.therapist.id}/remove").status_code == 302
    assert clinics.membership(db.session, people.therapist.id) is None
    assert as_user(app, colleague).get("/clinic").status_code == 200
    assert "Waiting for you" in visible(
        as_user(app, colleague).get("/clinic").get_data(as_text=True)
    )


def test_the_patient_export_names_the_team_of_each_link(
    app: Any, people: People, clinic: Clinic
) -> None:
    _team, _colleague, owner = linked_team(app, people, clinic)
    document = owner.get("/account/export.json").get_json()
    shared = {(c["therapist"], c["team"]) for c in document["care_links"]}
    assert shared == {("Lin Linked", "MS team"), ("Priya OT", "MS team")}


def test_a_clinic_whose_only_admin_deletes_their_account_gets_another(
    app: Any, people: People, clinic: Clinic
) -> None:
    first = colleague_in(clinic, "First In")
    colleague_in(clinic, "Next In")  # joined later: not the one who takes over
    deleted = as_user(app, people.therapist).post("/account/delete", data={"password": PASSWORD})
    assert deleted.status_code == 302
    admins = [u.id for u, is_admin in clinics.members(db.session, clinic.id) if is_admin]
    assert admins == [first.id]  # the longest-standing one
    assert "Waiting for you" in visible(as_user(app, first).get("/clinic").get_data(as_text=True))


# ------------------------------------------------- messages where the admin tapped (issue 14)


def flashes_on_top(markup: str) -> str:
    """The messages at the top of the page, above its heading."""
    box = re.search(r'<div class="flashes" id="flashes"[^>]*>(.*?)</div>', markup, re.S)
    assert box is not None
    return visible(box.group(1))


def test_what_an_admin_does_to_a_team_is_said_in_that_team_where_the_page_opens(
    app: Any, people: People, clinic: Clinic
) -> None:
    team, colleague, _owner = linked_team(app, people, clinic)
    admin = as_user(app, people.therapist)
    taken = admin.post(f"/clinic/teams/{team.id}/members/{colleague.id}/remove")
    assert taken.headers["Location"].endswith(f"#team-{team.id}")
    page = admin.get(taken.headers["Location"]).get_data(as_text=True)
    assert "Priya OT is no longer in MS team." in section(page, f"team-{team.id}-h")
    assert "no longer in MS team" not in flashes_on_top(page)

    made = admin.post(f"/clinic/therapists/{colleague.id}/admin")
    page = admin.get(made.headers["Location"]).get_data(as_text=True)
    assert "Priya OT is now an admin" in section(page, "members-h")
    assert "admin" not in flashes_on_top(page)


def test_an_admin_who_leaves_the_clinic_reads_so_at_the_top(
    app: Any, people: People, clinic: Clinic
) -> None:
    colleague = colleague_in(clinic)
    clinics.make_admin(db.session, clinic.id, colleague.id)
    db.session.commit()
    admin = as_user(app, people.therapist)
    left = admin.post(f"/clinic/therapists/{people.therapist.id}/remove", follow_redirects=True)
    page = left.get_data(as_text=True)
    assert 'id="members-h"' not in page  # no list to show the message in
    assert "Lin Linked is no longer in Riverside Neuro" in flashes_on_top(page)


@pytest.mark.parametrize("who", ["admin", "newcomer"])
def test_a_clinic_form_sent_back_opens_at_the_form(
    app: Any, people: People, clinic: Clinic, who: str
) -> None:
    """A form with errors comes back scrolled to itself, not to the top of a long page."""
    if who == "admin":
        client, path, data = as_user(app, people.therapist), "/clinic/teams", {"name": " "}
    else:
        client, path, data = as_user(app, waiting_therapist()), "/clinic/join", {"code": ""}
    page = client.get("/clinic").get_data(as_text=True)
    action = re.search(rf'<form method="post" action="{path}#([\w-]+)"', page)
    assert action is not None, f"no form posting to {path}#..."
    answer = client.post(path, data=data)
    assert answer.status_code == 400
    assert f'id="{action.group(1)}"' in answer.get_data(as_text=True)


def test_a_wrong_code_opens_the_account_page_at_the_code(app: Any, people: People) -> None:
    """Below a team's list, the code's error is out of sight unless the page opens there."""
    links = db.session.scalar(select(func.count()).select_from(CareLink))
    owner = as_user(app, people.other_patient)
    page = owner.get("/account").get_data(as_text=True)
    action = re.search(r'action="/account/links#([\w-]+)"', page)
    assert action is not None
    refused = owner.post("/account/links", data={"code": "ZZZZ-ZZZZ"})
    assert refused.status_code == 400
    assert f'id="{action.group(1)}"' in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CareLink)) == links


def test_stopping_the_team_names_a_member_the_patient_linked_on_their_own(
    app: Any, people: People, clinic: Clinic
) -> None:
    """ "MS team can no longer see your log" would be untrue while one of them still can."""
    link(people.therapist, people.other_patient)  # Lin, by a code of their own, before the team
    _team, _colleague, owner = linked_team(app, people, clinic)
    team_link = care_links.patient_team_links(db.session, people.other_patient.id)[0]
    stopped = visible(
        owner.post(f"/account/teams/{team_link.id}/stop", follow_redirects=True).get_data(
            as_text=True
        )
    )
    assert "MS team can no longer see your log" not in stopped
    assert "No one in MS team sees your log through the team any more." in stopped
    assert "Lin Linked still can: you linked them on their own" in stopped
