"""The authorization matrix: every route, every kind of visitor, the status each one gets.

The single statement of the app's access rules, walked by tests/test_authorization.py (which
checks that it names every route of `app.url_map`) and by tests/test_security_headers.py.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from rehab_app.core import (
    calendar_feed,
    care_links,
    clinics,
    notes,
    programme_templates,
    sessions,
    sync,
)
from rehab_app.core import entries as log
from rehab_app.core.timeutil import local_now, local_today
from rehab_app.extensions import db
from rehab_app.models import (
    Passkey,
    ProgrammeItem,
    PushSubscription,
    User,
    UserSession,
)
from tests.helpers.accounts import PASSWORD, CsrfClient, People, login, make_user

ANON, OWNER, OTHER, LINKED, UNLINKED = (
    "anonymous",
    "owner",
    "other_patient",
    "linked_therapist",
    "unlinked_therapist",
)
ACTORS = (ANON, OWNER, OTHER, LINKED, UNLINKED)
PATIENTS = (OWNER, OTHER)
THERAPISTS = (LINKED, UNLINKED)

NEW_PASSWORD = "a quiet walk by the river"
# Words only the owner and their linked therapist may ever see. No apostrophes: Jinja escapes them.
OWNER_NAME = "Olive Owner"
ENTRY_NOTE = "OLIVE-PRIVATE-NOTE tremor worse after the heat"
ITEM_NAME = "Olive heel raises"
ITEM_NOTE = "OLIVE-PROGRAMME-NOTE keep a chair nearby"
APPOINTMENT_NOTE = "OLIVE-APPOINTMENT-NOTE heel raises on good days"
SECRETS = (OWNER_NAME, "owner@example.test", ENTRY_NOTE, ITEM_NAME, ITEM_NOTE, APPOINTMENT_NOTE)
# The actors allowed to see them.
INSIDERS = (OWNER, LINKED)


def everyone(status: int) -> dict[str, int]:
    """The same status for every visitor."""
    return dict.fromkeys(ACTORS, status)


def logged_out(anonymous: int) -> dict[str, int]:
    """A page for visitors who have not logged in: logged-in people are sent home (302)."""
    return {ANON: anonymous, **dict.fromkeys(PATIENTS + THERAPISTS, 302)}


def patients(owner: int, other: int) -> dict[str, int]:
    """A patient page: anonymous visitors go to log in, therapists are refused (403)."""
    return {ANON: 302, OWNER: owner, OTHER: other, LINKED: 403, UNLINKED: 403}


def therapists(linked: int, unlinked: int) -> dict[str, int]:
    """A therapist page: anonymous visitors go to log in, patients are refused (403)."""
    return {ANON: 302, OWNER: 403, OTHER: 403, LINKED: linked, UNLINKED: unlinked}


def members(status: int) -> dict[str, int]:
    """A page for anyone with an account, patient or therapist, about their own account."""
    return {ANON: 302, **dict.fromkeys(PATIENTS + THERAPISTS, status)}


def api(owner: int, other: int) -> dict[str, int]:
    """A sync API route: JSON 401 for anonymous visitors (never a redirect), 403 for therapists."""
    return {ANON: 401, OWNER: owner, OTHER: other, LINKED: 403, UNLINKED: 403}


# (rule, method) -> {actor: status}, with URL parameters naming the owner's things (see `url`).
EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("/static/<path:filename>", "GET"): everyone(200),
    ("/", "GET"): everyone(302),
    ("/healthz", "GET"): everyone(200),
    ("/readyz", "GET"): everyone(200),
    ("/signup", "GET"): logged_out(200),
    # Everyone who signs up reads "Check your email"; logged-in people are sent home.
    ("/signup", "POST"): {ANON: 200, **dict.fromkeys(PATIENTS + THERAPISTS, 302)},
    ("/signup/confirm/<token>", "GET"): everyone(302),
    ("/signup/resend", "POST"): everyone(302),
    ("/password/forgot", "GET"): logged_out(200),
    ("/password/forgot", "POST"): {ANON: 200, **dict.fromkeys(PATIENTS + THERAPISTS, 302)},
    # A reset link moves its token into the session; without a standing one the page says so.
    ("/password/reset/<token>", "GET"): everyone(302),
    ("/password/reset", "GET"): everyone(400),
    ("/password/reset", "POST"): everyone(400),
    ("/login", "GET"): logged_out(200),
    ("/login", "POST"): everyone(302),
    ("/logout", "POST"): everyone(302),
    ("/today", "GET"): patients(owner=200, other=200),
    ("/today/items/<int:item_id>/done", "POST"): patients(owner=302, other=404),
    ("/today/<kind>", "POST"): patients(owner=302, other=302),
    ("/log/<kind>", "GET"): patients(owner=200, other=200),
    ("/log/<kind>", "POST"): patients(owner=302, other=302),
    ("/entries/<entry_id>/edit", "GET"): patients(owner=200, other=404),
    ("/entries/<entry_id>/edit", "POST"): patients(owner=302, other=404),
    ("/entries/<entry_id>/delete", "POST"): patients(owner=302, other=404),
    ("/entries/<entry_id>/restore", "POST"): patients(owner=302, other=404),
    ("/history", "GET"): patients(owner=200, other=200),
    ("/progress", "GET"): patients(owner=200, other=200),
    ("/therapist", "GET"): therapists(linked=200, unlinked=200),
    ("/therapist", "POST"): therapists(linked=302, unlinked=302),
    ("/therapist/link-codes", "POST"): therapists(linked=201, unlinked=201),
    ("/therapist/patients/<int:patient_id>", "GET"): therapists(linked=200, unlinked=404),
    # A linked patient's exports and printable summary (rehab_app/web/therapist/exports.py).
    ("/therapist/patients/<int:patient_id>/export.csv", "GET"): therapists(
        linked=200, unlinked=404
    ),
    ("/therapist/patients/<int:patient_id>/export.fhir.json", "GET"): therapists(
        linked=200, unlinked=404
    ),
    ("/therapist/patients/<int:patient_id>/summary", "GET"): therapists(linked=200, unlinked=404),
    ("/therapist/patients/<int:patient_id>/programme", "POST"): therapists(
        linked=302, unlinked=404
    ),
    ("/therapist/programme/<int:item_id>/stop", "POST"): therapists(linked=302, unlinked=404),
    ("/therapist/programme/<int:item_id>/edit", "GET"): therapists(linked=200, unlinked=404),
    ("/therapist/programme/<int:item_id>/edit", "POST"): therapists(linked=302, unlinked=404),
    # Appointment notes: written for a linked patient; taken back only by their writer.
    ("/therapist/patients/<int:patient_id>/notes", "POST"): therapists(linked=302, unlinked=404),
    ("/therapist/notes/<int:note_id>/delete", "POST"): therapists(linked=302, unlinked=404),
    # A team's programme templates: for a linked patient, by a member of the team (the linked
    # therapist is in the clinic's team; the unlinked one in none).
    ("/therapist/patients/<int:patient_id>/templates", "POST"): therapists(
        linked=302, unlinked=404
    ),
    ("/therapist/patients/<int:patient_id>/from-template", "POST"): therapists(
        linked=302, unlinked=404
    ),
    ("/therapist/templates/<int:template_id>/delete", "POST"): therapists(linked=302, unlinked=404),
    ("/account", "GET"): members(200),
    ("/account/security", "GET"): members(200),
    ("/account/password", "GET"): members(200),
    ("/account/password", "POST"): members(302),
    # The owner's other login (see make_world): anyone else gets the 404 of an unknown one.
    ("/account/security/logins/<int:login_id>/end", "POST"): {
        ANON: 302,
        OWNER: 302,
        OTHER: 404,
        LINKED: 404,
        UNLINKED: 404,
    },
    ("/account/security/logins/end-others", "POST"): members(302),
    # Checking a code shows whose it is (200); only the confirmation links (302).
    ("/account/links", "POST"): patients(owner=200, other=200),
    ("/account/links/confirm", "POST"): patients(owner=302, other=302),
    ("/account/links/<int:link_id>/revoke", "POST"): patients(owner=302, other=404),
    # Reminders are for patients; each saves their own settings.
    ("/account/reminders", "GET"): patients(owner=200, other=200),
    ("/account/reminders", "POST"): patients(owner=302, other=302),
    # A device's push subscription (JSON): 401 rather than a login page; the owner's device
    # (see make_world) is not another person's to remove.
    ("/account/reminders/devices", "POST"): api(owner=201, other=201),
    ("/account/reminders/devices", "DELETE"): api(owner=204, other=404),
    # The calendar address is shown once when made; stopping it stops only one's own.
    ("/account/reminders/calendar", "POST"): patients(owner=200, other=200),
    ("/account/reminders/calendar/revoke", "POST"): patients(owner=302, other=302),
    # A calendar app fetches the feed with no login: only the secret address opens it.
    ("/calendar/<token>.ics", "GET"): everyone(404),
    ("/account/export.json", "GET"): members(200),
    ("/account/export.csv", "GET"): members(200),
    ("/account/delete", "GET"): members(200),
    ("/account/delete", "POST"): members(302),
    # Passkeys: for patients and therapists alike; the JSON steps answer JSON, never a page.
    ("/account/passkeys", "GET"): members(200),
    ("/account/passkeys/<int:passkey_id>/remove", "POST"): {
        ANON: 302,
        OWNER: 302,
        **dict.fromkeys((OTHER, *THERAPISTS), 404),
    },
    ("/account/passkeys/register/options", "POST"): {
        ANON: 401,
        **dict.fromkeys(PATIENTS + THERAPISTS, 200),
    },
    # An empty body is no credential: refused, whoever sends it.
    ("/account/passkeys/register", "POST"): {
        ANON: 401,
        **dict.fromkeys(PATIENTS + THERAPISTS, 400),
    },
    ("/login/passkey/options", "POST"): everyone(200),
    ("/login/passkey", "POST"): everyone(400),
    ("/api/v1/openapi.json", "GET"): everyone(200),
    # The installable app: the same for everyone, no personal data.
    ("/manifest.webmanifest", "GET"): everyone(200),
    ("/sw.js", "GET"): everyone(200),
    ("/offline", "GET"): everyone(200),
    ("/api/v1/clients", "POST"): api(owner=201, other=201),
    # The owner's client id: another person gets the 404 of an unknown client.
    ("/api/v1/sync/push", "POST"): api(owner=200, other=404),
    ("/api/v1/sync/pull", "GET"): api(owner=200, other=404),
    # The session's own token: any patient asks for their own.
    ("/api/v1/sync/token", "GET"): api(owner=200, other=200),
    # Clinics (see make_world): the linked therapist is the admin of a clinic with a team; the
    # unlinked one is in no clinic. Any therapist sees where they stand and may ask to join
    # (asking twice is one request); only the clinic's admin lets people in and makes teams.
    ("/clinic", "GET"): therapists(linked=200, unlinked=200),
    ("/clinic/join", "POST"): therapists(linked=302, unlinked=302),
    ("/clinic/therapists/<int:user_id>/approve", "POST"): therapists(linked=302, unlinked=403),
    ("/clinic/therapists/<int:user_id>/decline", "POST"): therapists(linked=302, unlinked=403),
    ("/clinic/therapists/<int:user_id>/admin", "POST"): therapists(linked=302, unlinked=403),
    ("/clinic/therapists/<int:user_id>/remove", "POST"): therapists(linked=302, unlinked=403),
    ("/clinic/teams", "POST"): therapists(linked=302, unlinked=403),
    ("/clinic/teams/<int:team_id>/members", "POST"): therapists(linked=302, unlinked=403),
    ("/clinic/teams/<int:team_id>/members/<int:user_id>/remove", "POST"): therapists(
        linked=302, unlinked=403
    ),
    # The owner linked the clinic's team: stopping it is theirs alone.
    ("/account/teams/<int:team_link_id>/stop", "POST"): patients(owner=302, other=404),
}


@dataclass(frozen=True)
class World:
    """The owner's things that the URLs of the matrix point at."""

    people: People
    entry_id: str  # a live fatigue rating with a private note
    deleted_entry_id: str  # deleted, so that restoring it is a change
    item_id: int  # prescribed to the owner by the linked therapist
    link_id: int  # the owner's care link to the linked therapist
    code: str  # an unused link code of the unlinked therapist
    owner_id: int
    other_id: int
    client_id: str  # the owner's registered sync client
    login_id: int  # the owner's login on another device
    passkey_id: int  # one of the owner's passkeys
    endpoint: str  # the push endpoint of the owner's other device
    clinic_code: str  # the code of the linked therapist's clinic (they are its admin)
    team_id: int  # the clinic's team: the linked therapist and a colleague
    colleague_id: int  # the linked therapist's colleague in the team
    waiting_id: int  # a therapist who asked to join the clinic
    team_link_id: int  # the owner's consent for the team
    note_id: int  # the linked therapist's note of an appointment with the owner
    template_id: int  # the team's template, saved from the owner's programme, its exercise renamed

    def user(self, actor: str) -> User | None:
        """The account an actor logs in as."""
        p = self.people
        return {
            ANON: None,
            OWNER: p.patient,
            OTHER: p.other_patient,
            LINKED: p.therapist,
            UNLINKED: p.other_therapist,
        }[actor]


def make_world(people: People) -> World:
    """Give the owner an entry, a deleted entry, a programme item; make a link code."""
    owner = people.patient
    entry, _ = log.create_entry(
        db.session,
        owner,
        "fatigue",
        {"fatigue": 6, "context": "heat", "note": ENTRY_NOTE, "by_carer": False},
        local_now(owner.timezone),
    )
    deleted, _ = log.create_entry(
        db.session,
        owner,
        "bad_day",
        {"reason": "heat", "note": None, "by_carer": False},
        local_now(owner.timezone),
    )
    log.delete_entry(deleted)
    item = ProgrammeItem(
        patient_id=owner.id,
        therapist_id=people.therapist.id,
        custom_name=ITEM_NAME,
        discipline="physio",
        sets=2,
        reps=10,
        days_per_week=5,
        start_date=local_today(owner.timezone),
        note=ITEM_NOTE,
    )
    db.session.add(item)
    code = care_links.make_code(db.session, people.other_therapist)
    client = sync.register_client(db.session, owner)
    sessions.start(db.session, owner, remember=True, lifetime=timedelta(days=1), device="A phone")
    passkey = Passkey(user_id=owner.id, credential_id=b"owner-key", public_key=b"k", name="Phone")
    db.session.add(passkey)
    db.session.commit()
    other_login = db.session.scalars(
        select(UserSession).where(UserSession.user_id == owner.id)
    ).one()
    calendar_feed.new_feed(db.session, owner.id)
    endpoint = "https://push.example.test/owner-phone"
    db.session.add(
        PushSubscription(
            user_id=owner.id, login_id=other_login.id, endpoint=endpoint, p256dh="p", auth="a"
        )
    )
    db.session.commit()
    care_link = care_links.active_link(db.session, people.therapist.id, owner.id)
    assert care_link is not None
    clinic = clinics.create_clinic(db.session, "Riverside", people.therapist)
    team = clinics.create_team(db.session, clinic.id, "MS team")
    colleague = make_user("therapist", "colleague@example.test", "Col League")
    waiting = make_user("therapist", "waiting@example.test", "Wai Ting")
    waiting.approved_at = None
    for therapist in (colleague, waiting):
        clinics.ask_to_join(db.session, therapist, clinic.join_code)
    clinics.approve(db.session, clinic.id, colleague.id)
    for member in (people.therapist, colleague):
        clinics.add_to_team(db.session, team, member.id)
    team_link = care_links.link_team(db.session, team.id, owner.id)
    today = local_today(owner.timezone)
    note = notes.write(db.session, people.therapist, owner, today, APPOINTMENT_NOTE, today)
    template = programme_templates.save(
        db.session, people.therapist, team, "MS balance, early", [item]
    )
    # An exercise the owner has not got yet: starting from the template adds it (one the owner
    # already has would not be added twice, and the start would change nothing).
    template.items[0].exercise_id = None
    template.items[0].custom_name = "Heel raises at a support"
    db.session.commit()
    return World(
        people,
        entry.id,
        deleted.id,
        item.id,
        care_link.id,
        code.code,
        owner.id,
        people.other_patient.id,
        client.id,
        other_login.id,
        passkey.id,
        endpoint,
        clinic.join_code,
        team.id,
        colleague.id,
        waiting.id,
        team_link.id,
        note.id,
        template.id,
    )


def url(rule: str, world: World) -> str:
    """Fill a rule's parameters with the owner's things."""
    values: dict[str, object] = {
        "filename": "css/app.css",
        "kind": "fatigue",
        "entry_id": world.deleted_entry_id if rule.endswith("/restore") else world.entry_id,
        "item_id": world.item_id,
        "patient_id": world.people.patient.id,
        "link_id": world.link_id,
        "login_id": world.login_id,
        "token": "not-a-real-token",
        "passkey_id": world.passkey_id,
        "team_id": world.team_id,
        # Someone waiting to be let in; someone in the clinic and its team to take out or
        # make an admin.
        "user_id": world.colleague_id if rule.endswith(("/remove", "/admin")) else world.waiting_id,
        "team_link_id": world.team_link_id,
        "note_id": world.note_id,
        "template_id": world.template_id,
    }
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule)
    if rule == "/api/v1/sync/pull":
        path += f"?client_id={world.client_id}&cursor=0"
    return path


def as_actor(client: CsrfClient, world: World, actor: str) -> CsrfClient:
    """Log the client in as the actor (anonymous stays logged out)."""
    user = world.user(actor)
    if user is not None:
        login(client, user)
    return client


# Routes that take JSON with the CSRF token in the X-CSRFToken header, not a form.
JSON_ROUTES = {
    ("/account/reminders/devices", "POST"),
    ("/account/reminders/devices", "DELETE"),
    ("/api/v1/clients", "POST"),
    ("/api/v1/sync/push", "POST"),
    ("/account/passkeys/register/options", "POST"),
    ("/account/passkeys/register", "POST"),
    ("/login/passkey/options", "POST"),
    ("/login/passkey", "POST"),
}


def form(rule: str, method: str, world: World) -> dict[str, str]:
    """Valid form data, so that whoever is allowed gets the success status."""
    now = local_now("Europe/London").strftime("%Y-%m-%dT%H:%M")
    forms = {
        ("/signup", "POST"): {
            "display_name": "Nina New",
            "email": "new@example.test",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "role": "patient",
            "timezone": "Europe/London",
        },
        ("/login", "POST"): {"email": world.people.patient.email, "password": PASSWORD},
        ("/today/<kind>", "POST"): {"fatigue": "4"},
        ("/log/<kind>", "POST"): {
            "fatigue": "3",
            "occurred_at": now,
            "entry_id": str(uuid.uuid4()),
        },
        ("/entries/<entry_id>/edit", "POST"): {
            "fatigue": "9",
            "occurred_at": now,
            "note": "changed by someone",
        },
        ("/therapist/patients/<int:patient_id>/programme", "POST"): {
            "exercise_id": "",
            "custom_name": "Sit to stand",
            "discipline": "physio",
            "reps": "8",
            "days_per_week": "3",
            "start_date": local_today("Europe/London").isoformat(),
        },
        ("/therapist/programme/<int:item_id>/edit", "POST"): {
            "sets": "3",
            "reps": "12",
            "days_per_week": "4",
            "start_date": local_today("Europe/London").isoformat(),
            "note": "changed by someone",
        },
        ("/account/links", "POST"): {"code": care_links.format_code(world.code)},
        ("/account/links/confirm", "POST"): {"code": world.code},
        ("/account/delete", "POST"): {"password": PASSWORD},
        ("/account/reminders", "POST"): {
            "fatigue_on": "y",
            "fatigue_time": "15:00",
            "fatigue_days": "2",
            "walking_day": "6",
        },
        ("/password/forgot", "POST"): {"email": world.people.patient.email},
        ("/clinic/join", "POST"): {"code": world.clinic_code},
        ("/therapist/patients/<int:patient_id>/templates", "POST"): {
            "team_id": str(world.team_id),
            "name": "Falls prevention",
        },
        ("/therapist/patients/<int:patient_id>/from-template", "POST"): {
            "template_id": str(world.template_id)
        },
        ("/therapist/patients/<int:patient_id>/notes", "POST"): {
            "seen_on": local_today("Europe/London").isoformat(),
            "text": "Written by someone",
        },
        ("/clinic/teams", "POST"): {"name": "Falls team"},
        ("/clinic/teams/<int:team_id>/members", "POST"): {
            f"team{world.team_id}-user_id": str(world.colleague_id)
        },
        ("/password/reset", "POST"): {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        ("/account/password", "POST"): {
            "current": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    }
    return forms.get((rule, method), {})
