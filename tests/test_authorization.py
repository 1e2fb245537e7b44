"""Who may do what: every route for every kind of visitor, and what each of them gets to see.

The matrix below is the single statement of the app's access rules. It must name every route
of `app.url_map`, so that a route added without deciding who may use it fails the suite.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from rehab_app.core import care_links
from rehab_app.core.timeutil import local_now
from rehab_app.extensions import db
from rehab_app.models import (
    AppointmentNote,
    CalendarFeed,
    CareLink,
    ClinicMember,
    EmailToken,
    Entry,
    LinkCode,
    Passkey,
    ProgrammeItem,
    ProgrammeTemplate,
    PushSubscription,
    ReminderSettings,
    SyncClient,
    Team,
    TeamLink,
    TeamMember,
    User,
    UserSession,
)
from tests.helpers.accounts import PASSWORD, CsrfClient, People, link, login
from tests.helpers.authorization import (
    ACTORS,
    ANON,
    ENTRY_NOTE,
    EXPECTED,
    INSIDERS,
    ITEM_NAME,
    ITEM_NOTE,
    JSON_ROUTES,
    LINKED,
    OTHER,
    OWNER,
    OWNER_NAME,
    PATIENTS,
    SECRETS,
    THERAPISTS,
    UNLINKED,
    World,
    as_actor,
    form,
    make_world,
    url,
)

# Where an anonymous 302 leads when it is not to the login page: these log someone in.
ANON_REDIRECTS = {
    ("/login", "POST"): "/today",
    ("/password/reset/<token>", "GET"): "/password/reset",
}
# The page the matrix's forms are sent from.
SENT_FROM = "/a/page?of=the-site"

# Anonymous redirects to the login page that are not a page asking to log in (no ?next=).
NO_NEXT = {"/", "/logout", "/signup/confirm/<token>", "/signup/resend"}
# The only writes after which a logged-in person is sent to the login page: they end the session.
LEAVING = {("/logout", "POST"), ("/account/delete", "POST")}


@pytest.fixture
def world(people: People) -> World:
    """The cast, and the owner's things."""
    return make_world(people)


def json_body(rule: str, world: World, method: str = "POST") -> dict[str, object]:
    """A valid JSON body for an API route."""
    if rule == "/account/reminders/devices":
        if method == "DELETE":
            return {"endpoint": world.endpoint}
        return {
            "endpoint": "https://push.example.test/new-device",
            "keys": {"p256dh": "BA" + "A" * 85, "auth": "A" * 22},
        }
    if rule == "/api/v1/sync/push":
        edit = {"id": world.entry_id, "fatigue": 9, "note": "changed by someone"}
        return {
            "client_id": world.client_id,
            "mutations": [{"id": 1, "op": "update", "entry": edit}],
        }
    return {}


# ----------------------------------------------------------------------------- what a write changes


def _one(stmt: Any) -> tuple[Any, ...]:
    return tuple(db.session.execute(stmt).one())


def _entry_counts(w: World) -> tuple[int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.scalar(select(func.count()).select_from(Entry).where(Entry.user_id == u))
        for u in (w.owner_id, w.other_id)
    )


def _count(model: Any, *where: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# (rule, POST) -> (what to look at, the actors whose request must change it). Everyone else's
# request must leave it exactly as it was.
Probe = Callable[[World], object]
PROBES: dict[tuple[str, str], tuple[Probe, tuple[str, ...]]] = {
    ("/signup", "POST"): (lambda w: _count(User), (ANON,)),
    ("/today/items/<int:item_id>/done", "POST"): (_entry_counts, (OWNER,)),
    ("/today/<kind>", "POST"): (_entry_counts, PATIENTS),
    ("/log/<kind>", "POST"): (_entry_counts, PATIENTS),
    ("/entries/<entry_id>/edit", "POST"): (
        lambda w: _one(
            select(Entry.fatigue, Entry.note, Entry.updated_at).where(Entry.id == w.entry_id)
        ),
        (OWNER,),
    ),
    ("/entries/<entry_id>/delete", "POST"): (
        lambda w: _one(select(Entry.deleted_at).where(Entry.id == w.entry_id)),
        (OWNER,),
    ),
    ("/entries/<entry_id>/restore", "POST"): (
        lambda w: _one(select(Entry.deleted_at).where(Entry.id == w.deleted_entry_id)),
        (OWNER,),
    ),
    ("/therapist/link-codes", "POST"): (lambda w: _count(LinkCode), THERAPISTS),
    ("/therapist/patients/<int:patient_id>/programme", "POST"): (
        lambda w: _count(ProgrammeItem, ProgrammeItem.patient_id == w.owner_id),
        (LINKED,),
    ),
    ("/therapist/programme/<int:item_id>/stop", "POST"): (
        lambda w: _one(select(ProgrammeItem.stopped_at).where(ProgrammeItem.id == w.item_id)),
        (LINKED,),
    ),
    ("/therapist/programme/<int:item_id>/edit", "POST"): (
        lambda w: _one(
            select(
                ProgrammeItem.sets,
                ProgrammeItem.reps,
                ProgrammeItem.days_per_week,
                ProgrammeItem.note,
                ProgrammeItem.change_seq,
            ).where(ProgrammeItem.id == w.item_id)
        ),
        (LINKED,),
    ),
    ("/account/links/confirm", "POST"): (
        lambda w: (
            _one(select(LinkCode.used_at).where(LinkCode.code == w.code)),
            _count(CareLink),
        ),
        PATIENTS,
    ),
    ("/account/links/<int:link_id>/revoke", "POST"): (
        lambda w: _one(select(CareLink.revoked_at).where(CareLink.id == w.link_id)),
        (OWNER,),
    ),
    ("/api/v1/clients", "POST"): (
        lambda w: tuple(
            _count(SyncClient, SyncClient.user_id == u) for u in (w.owner_id, w.other_id)
        ),
        PATIENTS,
    ),
    ("/api/v1/sync/push", "POST"): (
        lambda w: (
            _one(select(Entry.fatigue, Entry.note, Entry.change_seq).where(Entry.id == w.entry_id)),
            _one(select(SyncClient.last_mutation_id).where(SyncClient.id == w.client_id)),
            _entry_counts(w),
        ),
        (OWNER,),
    ),
    ("/account/passkeys/<int:passkey_id>/remove", "POST"): (
        lambda w: _count(Passkey, Passkey.user_id == w.owner_id),
        (OWNER,),
    ),
    ("/account/passkeys/register", "POST"): (lambda w: _count(Passkey), ()),
    ("/login/passkey", "POST"): (
        lambda w: tuple(db.session.execute(select(Passkey.sign_count, Passkey.last_used_at))),
        (),
    ),
    ("/account/delete", "POST"): (
        lambda w: tuple(_count(User, User.email == f"{who}@example.test") for who in EVERYONE),
        PATIENTS + THERAPISTS,
    ),
    ("/account/security/logins/<int:login_id>/end", "POST"): (
        lambda w: _count(UserSession, UserSession.id == w.login_id),
        (OWNER,),
    ),
    ("/account/security/logins/end-others", "POST"): (
        lambda w: _count(UserSession, UserSession.id == w.login_id),
        (OWNER,),
    ),
    ("/account/reminders", "POST"): (
        lambda w: tuple(
            _count(ReminderSettings, ReminderSettings.user_id == u)
            for u in (w.owner_id, w.other_id)
        ),
        PATIENTS,
    ),
    ("/account/reminders/devices", "POST"): (
        lambda w: tuple(
            _count(PushSubscription, PushSubscription.user_id == u)
            for u in (w.owner_id, w.other_id)
        ),
        PATIENTS,
    ),
    ("/account/reminders/calendar", "POST"): (
        lambda w: tuple(
            db.session.scalar(select(CalendarFeed.token_hash).where(CalendarFeed.user_id == u))
            for u in (w.owner_id, w.other_id)
        ),
        PATIENTS,
    ),
    ("/account/reminders/calendar/revoke", "POST"): (
        lambda w: _count(CalendarFeed, CalendarFeed.user_id == w.owner_id),
        (OWNER,),
    ),
    ("/account/reminders/devices", "DELETE"): (
        lambda w: _count(PushSubscription, PushSubscription.endpoint == w.endpoint),
        (OWNER,),
    ),
    ("/clinic/join", "POST"): (lambda w: _count(ClinicMember), (UNLINKED,)),
    ("/therapist/patients/<int:patient_id>/notes", "POST"): (
        lambda w: _count(AppointmentNote),
        (LINKED,),
    ),
    ("/therapist/patients/<int:patient_id>/templates", "POST"): (
        lambda w: _count(ProgrammeTemplate),
        (LINKED,),
    ),
    ("/therapist/patients/<int:patient_id>/from-template", "POST"): (
        lambda w: _count(ProgrammeItem, ProgrammeItem.patient_id == w.owner_id),
        (LINKED,),
    ),
    ("/therapist/templates/<int:template_id>/delete", "POST"): (
        lambda w: _count(ProgrammeTemplate),
        (LINKED,),
    ),
    ("/therapist/notes/<int:note_id>/delete", "POST"): (
        lambda w: _count(AppointmentNote),
        (LINKED,),
    ),
    ("/clinic/therapists/<int:user_id>/approve", "POST"): (
        lambda w: _one(select(User.approved_at).where(User.id == w.waiting_id)),
        (LINKED,),
    ),
    ("/clinic/therapists/<int:user_id>/decline", "POST"): (
        lambda w: _count(ClinicMember, ClinicMember.user_id == w.waiting_id),
        (LINKED,),
    ),
    ("/clinic/therapists/<int:user_id>/admin", "POST"): (
        lambda w: _one(select(ClinicMember.is_admin).where(ClinicMember.user_id == w.colleague_id)),
        (LINKED,),
    ),
    ("/clinic/therapists/<int:user_id>/remove", "POST"): (
        lambda w: (_count(ClinicMember), _count(TeamMember)),
        (LINKED,),
    ),
    ("/clinic/teams", "POST"): (lambda w: _count(Team), (LINKED,)),
    # The colleague is in the team already: adding them again changes nothing.
    ("/clinic/teams/<int:team_id>/members", "POST"): (lambda w: _count(TeamMember), ()),
    ("/clinic/teams/<int:team_id>/members/<int:user_id>/remove", "POST"): (
        lambda w: (_count(TeamMember), _count(CareLink, CareLink.therapist_id == w.colleague_id)),
        (LINKED,),
    ),
    ("/account/teams/<int:team_link_id>/stop", "POST"): (
        lambda w: (
            _one(select(TeamLink.revoked_at).where(TeamLink.id == w.team_link_id)),
            _count(CareLink, CareLink.revoked_at.is_(None)),
        ),
        (OWNER,),
    ),
    ("/signup/resend", "POST"): (lambda w: _count(EmailToken), ()),
    ("/password/forgot", "POST"): (lambda w: _count(EmailToken), (ANON,)),
    ("/password/reset", "POST"): (lambda w: _password_hashes(), ()),
    ("/account/password", "POST"): (lambda w: _password_hashes(), PATIENTS + THERAPISTS),
}


def _password_hashes() -> tuple[str, ...]:
    return tuple(db.session.scalars(select(User.password_hash).order_by(User.id)))


# The email names of the cast (tests.conftest.People).
EVERYONE = ("owner", "other", "linked", "unlinked")
# Posts that store nothing of anyone's (a failed login would, but these are valid; a caseload
# search is kept in the signed session cookie only).
STORE_NOTHING = {
    ("/login", "POST"),
    ("/logout", "POST"),
    ("/account/links", "POST"),
    ("/therapist", "POST"),
    ("/account/passkeys/register/options", "POST"),  # a challenge in the session, no row
    ("/login/passkey/options", "POST"),
}


def snapshot(probe: Probe, world: World) -> object:
    """What the probe sees now, read afresh from the database."""
    db.session.rollback()
    return probe(world)


def routes(app: Flask) -> set[tuple[str, str]]:
    """Every (rule, method) the app answers, leaving out HEAD and OPTIONS."""
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }


def without_csrf(html: str) -> str:
    """A page with its CSRF tokens (signed with a timestamp, so ever-changing) taken out."""
    html = re.sub(r'(name="csrf_token"[^>]*value=)"[^"]*"', r'\1""', html)
    return re.sub(r'(<meta name="csrf-token" content=)"[^"]*"', r'\1""', html)


# ----------------------------------------------------------------------------- the matrix


def test_matrix_names_every_route_and_nothing_else(app: Flask) -> None:
    """A new route without an entry, or an entry for a route that is gone, fails here."""
    assert routes(app) - set(EXPECTED) == set(), "routes with no expected statuses"
    assert set(EXPECTED) - routes(app) == set(), "expected statuses for routes that are gone"
    for key, row in EXPECTED.items():
        assert set(row) == set(ACTORS), key


def test_every_write_says_what_it_may_change() -> None:
    """Each POST route has a probe (or stores nothing), so unauthorized writes are caught."""
    posts = {key for key in EXPECTED if key[1] in ("POST", "DELETE")}
    assert posts == set(PROBES) | STORE_NOTHING


CASES = [(rule, method, actor) for (rule, method) in EXPECTED for actor in ACTORS]


@pytest.mark.parametrize(
    ("rule", "method", "actor"), CASES, ids=[f"{m} {r} as {a}" for r, m, a in CASES]
)
def test_authorization_matrix(
    client: CsrfClient, world: World, rule: str, method: str, actor: str
) -> None:
    """Each visitor's status; refused writes change nothing, allowed ones change something."""
    as_actor(client, world, actor)
    path = url(rule, world)
    probe, changers = PROBES.get((rule, method), (None, ()))
    before = snapshot(probe, world) if probe else None

    if method == "GET":
        response = client.get(path)
    elif (rule, method) in JSON_ROUTES:
        headers = {"X-CSRFToken": client.csrf_token()}
        send = client.delete if method == "DELETE" else client.post
        response = send(path, json=json_body(rule, world, method), headers=headers)
    else:
        # Sent from a page of the site: a form sent logged out leads, after the login, back to
        # that page (roles.ask_to_log_in), not to its own address, which answers only a POST.
        response = client.post(
            path,
            data=form(rule, method, world),
            headers={"Referer": f"http://localhost{SENT_FROM}"},
        )

    expected = EXPECTED[(rule, method)][actor]
    body = response.get_data(as_text=True)
    assert response.status_code == expected, body[:800]
    if response.status_code == 302:
        target = urlsplit(response.headers["Location"])
        if actor == ANON:
            assert target.path == ANON_REDIRECTS.get((rule, method), "/login")
            if target.path == "/login" and rule not in NO_NEXT:
                assert parse_qs(target.query)["next"] == [path if method == "GET" else SENT_FROM]
        elif (rule, method) not in LEAVING:  # never bounced back to log in
            assert target.path != "/login"
    if probe is not None:
        after = snapshot(probe, world)
        if actor in changers:
            assert after != before, f"{actor}'s {method} {rule} should have changed {before}"
        else:
            assert after == before, f"{actor} changed {before} to {after}"
    if actor not in INSIDERS:
        for secret in SECRETS:
            assert secret not in body, f"{actor} was shown {secret!r}"


# ----------------------------------------------------------------------------- whose data


def test_the_owner_and_the_linked_therapist_see_the_owner_data(
    client: CsrfClient, app: Flask, world: World
) -> None:
    """The secrets of the leak checks do show where they belong, so those checks can fail."""
    login(client, world.people.patient)
    assert ENTRY_NOTE in client.get("/history").get_data(as_text=True)
    assert ITEM_NAME in client.get("/today").get_data(as_text=True)
    assert ENTRY_NOTE in client.get("/account/export.json").get_data(as_text=True)
    assert ENTRY_NOTE in client.get("/account/export.csv").get_data(as_text=True)

    therapist = app.test_client()
    login(therapist, world.people.therapist)
    assert OWNER_NAME in therapist.get("/therapist").get_data(as_text=True)
    page = therapist.get(f"/therapist/patients/{world.people.patient.id}").get_data(as_text=True)
    assert ENTRY_NOTE in page
    assert ITEM_NAME in page


def test_a_therapist_sees_only_linked_patients_on_their_list(app: Flask, world: World) -> None:
    """Each therapist's list holds the patients who linked them, and no one else."""
    people = world.people
    link(people.other_therapist, people.other_patient)
    pages = {}
    for therapist in (people.therapist, people.other_therapist):
        client = app.test_client()
        login(client, therapist)
        response = client.get("/therapist")
        assert response.status_code == 200
        pages[therapist.email] = response.get_data(as_text=True)

    linked, unlinked = pages[people.therapist.email], pages[people.other_therapist.email]
    assert OWNER_NAME in linked and people.other_patient.display_name not in linked
    assert people.other_patient.display_name in unlinked and OWNER_NAME not in unlinked


def test_revoking_a_link_hides_the_patient_again(app: Flask, world: World) -> None:
    """Once the owner stops sharing, the therapist's next request is refused as not found."""
    people = world.people
    therapist = app.test_client()
    login(therapist, people.therapist)
    patient_page = f"/therapist/patients/{people.patient.id}"
    assert therapist.get(patient_page).status_code == 200

    owner = app.test_client()
    login(owner, people.patient)
    assert owner.post(f"/account/links/{world.link_id}/revoke").status_code == 302

    assert therapist.get(patient_page).status_code == 404
    assert OWNER_NAME not in therapist.get("/therapist").get_data(as_text=True)
    assert therapist.post(f"/therapist/programme/{world.item_id}/stop").status_code == 404
    edit = form("/therapist/programme/<int:item_id>/edit", "POST", world)
    assert therapist.get(f"/therapist/programme/{world.item_id}/edit").status_code == 404
    assert (
        therapist.post(f"/therapist/programme/{world.item_id}/edit", data=edit).status_code == 404
    )
    prescribe = form("/therapist/patients/<int:patient_id>/programme", "POST", world)
    assert therapist.post(f"{patient_page}/programme", data=prescribe).status_code == 404
    db.session.rollback()
    item = db.session.get(ProgrammeItem, world.item_id)
    assert item is not None and item.stopped_at is None
    assert (item.sets, item.reps, item.note) == (2, 10, ITEM_NOTE)
    assert _count(ProgrammeItem, ProgrammeItem.patient_id == people.patient.id) == 1


def test_a_new_link_code_brings_the_therapist_back(app: Flask, world: World) -> None:
    """Revoking is not for ever: the patient can share again with a new code."""
    people = world.people
    owner = app.test_client()
    login(owner, people.patient)
    owner.post(f"/account/links/{world.link_id}/revoke")
    therapist = app.test_client()
    login(therapist, people.therapist)
    page = f"/therapist/patients/{people.patient.id}"
    assert therapist.get(page).status_code == 404

    made = therapist.post("/therapist/link-codes")
    assert made.status_code == 201
    db.session.rollback()
    code = db.session.scalars(
        select(LinkCode.code).where(LinkCode.therapist_id == people.therapist.id)
    ).one()
    assert care_links.format_code(code) in made.get_data(as_text=True)
    assert owner.post("/account/links", data={"code": code}).status_code == 200
    assert owner.post("/account/links/confirm", data={"code": code}).status_code == 302
    assert therapist.get(page).status_code == 200


@pytest.mark.parametrize(
    "target",
    ["/\t/evil.example/", "/\n/evil.example/", "/\r\n/evil.example/", "/\x00/evil.example/"],
    ids=["tab", "newline", "crlf", "nul"],
)
def test_logging_in_never_leads_to_another_site(
    client: CsrfClient, world: World, target: str
) -> None:
    """A `next` that browsers would read as "//evil.example/" leads home instead."""
    data = {"email": world.people.patient.email, "password": PASSWORD}
    response = client.post("/login", query_string={"next": target}, data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/today"


# (actor, method, a URL naming someone else's thing, the same URL naming nothing). The
# placeholders are filled from the world: {entry}, {deleted}, {item}, {link}, {owner}, {other},
# {linked}, {unlinked}; {none} is an id that exists nowhere.
FOREIGN = [
    (OTHER, "GET", "/entries/{entry}/edit", "/entries/{none}/edit"),
    (OTHER, "GET", "/entries/{deleted}/edit", "/entries/not-an-id/edit"),
    (OTHER, "POST", "/entries/{entry}/edit", "/entries/{none}/edit"),
    (OTHER, "POST", "/entries/{entry}/delete", "/entries/{none}/delete"),
    (OTHER, "POST", "/entries/{deleted}/restore", "/entries/{none}/restore"),
    (OTHER, "POST", "/today/items/{item}/done", "/today/items/999999/done"),
    (OTHER, "POST", "/account/links/{link}/revoke", "/account/links/999999/revoke"),
    *(
        (
            actor,
            "POST",
            "/account/security/logins/{login}/end",
            "/account/security/logins/999999/end",
        )
        for actor in (OTHER, LINKED)
    ),
    (UNLINKED, "GET", "/therapist/patients/{owner}", "/therapist/patients/999999"),
    (
        UNLINKED,
        "POST",
        "/therapist/patients/{owner}/programme",
        "/therapist/patients/999999/programme",
    ),
    (UNLINKED, "POST", "/therapist/programme/{item}/stop", "/therapist/programme/999999/stop"),
    (UNLINKED, "GET", "/therapist/programme/{item}/edit", "/therapist/programme/999999/edit"),
    (UNLINKED, "POST", "/therapist/programme/{item}/edit", "/therapist/programme/999999/edit"),
    # The linked therapist, about people who have not linked them.
    (LINKED, "GET", "/therapist/patients/{other}", "/therapist/patients/999999"),
    (LINKED, "GET", "/therapist/patients/{linked}", "/therapist/patients/999999"),
    (LINKED, "GET", "/therapist/patients/{unlinked}", "/therapist/patients/999999"),
    # Exports and the printable summary (rehab_app/web/therapist/exports.py).
    *(
        (
            actor,
            "GET",
            f"/therapist/patients/{{{whose}}}/{what}",
            f"/therapist/patients/999999/{what}",
        )
        for what in ("export.csv", "export.fhir.json", "summary")
        for actor, whose in ((UNLINKED, "owner"), (LINKED, "other"))
    ),
]


@pytest.mark.parametrize(
    ("actor", "method", "foreign", "missing"),
    FOREIGN,
    ids=[f"{m} {f} as {a}" for a, m, f, _ in FOREIGN],
)
def test_ids_that_are_not_yours_are_not_found(
    client: CsrfClient, world: World, actor: str, method: str, foreign: str, missing: str
) -> None:
    """Someone else's id gives the very same 404 as an id that does not exist."""
    p = world.people
    values = {
        "entry": world.entry_id,
        "deleted": world.deleted_entry_id,
        "item": world.item_id,
        "link": world.link_id,
        "login": world.login_id,
        "owner": p.patient.id,
        "other": p.other_patient.id,
        "linked": p.therapist.id,
        "unlinked": p.other_therapist.id,
        "none": uuid.uuid4(),
    }
    as_actor(client, world, actor)
    send = client.get if method == "GET" else client.post
    theirs, nothing = send(foreign.format(**values)), send(missing.format(**values))
    assert theirs.status_code == nothing.status_code == 404
    assert without_csrf(theirs.get_data(as_text=True)) == without_csrf(
        nothing.get_data(as_text=True)
    )


def test_someone_elses_entry_id_never_touches_their_entry(client: CsrfClient, world: World) -> None:
    """A client-made id that happens to be another person's makes a new entry of one's own."""
    login(client, world.people.other_patient)
    now = local_now("Europe/London").strftime("%Y-%m-%dT%H:%M")
    data = {"fatigue": "1", "occurred_at": now, "entry_id": world.entry_id}
    assert client.post("/log/fatigue", data=data).status_code == 302
    response = client.post(f"/today/items/{world.item_id}/done", data={"entry_id": world.entry_id})
    assert response.status_code == 404

    db.session.rollback()
    mine = db.session.get(Entry, world.entry_id)
    assert mine is not None
    assert (mine.user_id, mine.fatigue, mine.note) == (world.people.patient.id, 6, ENTRY_NOTE)
    theirs = db.session.scalars(
        select(Entry).where(Entry.user_id == world.people.other_patient.id)
    ).one()
    assert theirs.fatigue == 1 and theirs.id != world.entry_id


def test_someone_elses_programme_item_is_not_used(client: CsrfClient, world: World) -> None:
    """Another person's programme item neither prefills the form nor tags one's entry."""
    login(client, world.people.other_patient)
    page = client.get(f"/log/exercise?item={world.item_id}").get_data(as_text=True)
    assert ITEM_NAME not in page

    now = local_now("Europe/London").strftime("%Y-%m-%dT%H:%M")
    data = {
        "discipline": "physio",
        "exercise_id": "",
        "name": "My own squats",
        "reps": "5",
        "occurred_at": now,
        "programme_item_id": str(world.item_id),
    }
    assert client.post("/log/exercise", data=data).status_code == 302
    db.session.rollback()
    entry = db.session.scalars(
        select(Entry).where(Entry.user_id == world.people.other_patient.id)
    ).one()
    assert entry.name == "My own squats" and entry.programme_item_id is None


def test_history_offers_no_undo_for_someone_elses_entry(client: CsrfClient, world: World) -> None:
    """An undo link naming another person's deleted entry shows nothing of it."""
    login(client, world.people.other_patient)
    page = client.get(f"/history?undo={world.deleted_entry_id}").get_data(as_text=True)
    assert world.deleted_entry_id not in page
    assert "Undo delete" not in page


def test_exports_hold_only_ones_own_entries(client: CsrfClient, world: World) -> None:
    """The other patient's exports have their own entry and nothing of the owner's."""
    login(client, world.people.other_patient)
    client.post("/today/fatigue", data={"fatigue": "2"})
    document = client.get("/account/export.json").get_json()
    assert document is not None
    text = str(document)
    assert "other@example.test" in text
    assert world.entry_id not in text and ENTRY_NOTE not in text and ITEM_NAME not in text
    csv_text = client.get("/account/export.csv").get_data(as_text=True)
    assert len(csv_text.strip().splitlines()) == 2  # the header and their one entry
    assert world.entry_id not in csv_text


# ----------------------------------------------------------------------------- exports and summary


def test_the_linked_therapists_exports_hold_the_owner_data(
    client: CsrfClient, world: World
) -> None:
    """The leak checks on the exports can fail: the linked therapist's copies hold the secrets."""
    login(client, world.people.therapist)
    base = f"/therapist/patients/{world.people.patient.id}"
    assert ENTRY_NOTE in client.get(f"{base}/export.csv").get_data(as_text=True)
    assert ENTRY_NOTE in client.get(f"{base}/export.fhir.json").get_data(as_text=True)
    summary = client.get(f"{base}/summary").get_data(as_text=True)
    assert OWNER_NAME in summary and ITEM_NAME in summary
