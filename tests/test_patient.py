"""Patient pages: Today, logging each kind of entry, History with edit, delete and restore."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from rehab_app.core.entries import create_entry
from rehab_app.core.timeutil import local_now, local_today
from rehab_app.core.vocab import DISCIPLINES
from rehab_app.core.wording import day_gist, long_date
from rehab_app.extensions import db
from rehab_app.models import Entry, Exercise, User, utcnow
from tests.helpers.accounts import CsrfClient, People, login, make_user
from tests.helpers.entries import add_entry, add_item, fill_day
from tests.helpers.pages import TIMES, section, visible

TZ = "Europe/London"  # the time zone of the people fixture's patients
FORM_TIME = "%Y-%m-%dT%H:%M"


# ----------------------------------------------------------------------------- reading pages


def entry_text(markup: str, entry_id: str) -> str | None:
    """The visible text of one entry in a list of entries, or None when it is not listed."""
    match = re.search(rf'<li\b[^>]*\bid="entry-{entry_id}"[^>]*>(.*?)</li>', markup, re.S)
    return visible(match.group(1)) if match else None


class _Forms(HTMLParser):
    """Collects what each form on a page would submit, as a browser would."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, str]]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("action") or "", {}))
            return
        if not self.forms:
            return
        values = self.forms[-1][1]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type") or "text"
            if kind in ("radio", "checkbox"):
                if "checked" in a:  # a browser sends "on" only when there is no value at all
                    values[name] = a["value"] or "" if "value" in a else "on"
            elif kind not in ("submit", "button"):
                values[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            # The first option is sent when none is selected.
            if "selected" in a or self._select not in values:
                values[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea and self.forms:
            values = self.forms[-1][1]
            # Browsers drop the one line break that opens a textarea's content.
            values[self._textarea] = re.sub(r"^\r?\n", "", values[self._textarea])
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.forms:
            self.forms[-1][1][self._textarea] += data


def form_values(markup: str, action: str = "") -> dict[str, str]:
    """What the form with that action (empty: posts to its own page) would submit."""
    parser = _Forms()
    parser.feed(markup)
    for form_action, values in parser.forms:
        if form_action == action:
            return values
    raise AssertionError(f"no form with action {action!r}")


# ----------------------------------------------------------------------------- making data


def live_entries(user: User) -> list[Entry]:
    """A person's entries that are not deleted."""
    return list(
        db.session.scalars(
            select(Entry).where(Entry.user_id == user.id, Entry.deleted_at.is_(None))
        )
    )


def entry_count() -> int:
    """All rows of the entries table, tombstones included."""
    return db.session.scalar(select(func.count()).select_from(Entry)) or 0


def now_field(tz: str = TZ) -> str:
    """The local time now, as a datetime-local field holds it."""
    return local_now(tz).strftime(FORM_TIME)


# ----------------------------------------------------------------------------- Today


@pytest.mark.parametrize(
    ("logged", "shown"),
    [({"distance_m": 200}, ("", "")), ({"minutes": 36}, ("", ""))],
    ids=["distance only", "minutes only"],
)
def test_a_walk_s_distance_and_minutes_are_carried_together_or_not_at_all(
    patient_client: CsrfClient, people: People, logged: dict[str, int], shown: tuple[str, str]
) -> None:
    add_entry(people.patient, "mobility", days_ago=1, aid="frame", setting="indoors", **logged)
    page = patient_client.get("/today").get_data(as_text=True)
    assert "Filled in from your last entry. Change" in section(page, "walk-h")
    form = form_values(page, "/today/mobility")
    assert (form["aid"], form["setting"]) == ("frame", "indoors")
    assert (form["distance_m"], form["minutes"]) == shown

    # A 200 m walk logged now is stored as 200 m, without the last walk's 36 minutes.
    form["distance_m"] = "200"
    patient_client.post("/today/mobility", data=form)
    newest = max(live_entries(people.patient), key=lambda e: e.occurred_at)
    assert (newest.distance_m, newest.minutes) == (200, None)


@pytest.mark.parametrize(
    ("start", "end", "stopped", "shown"),
    [
        (0, None, False, True),
        (-30, 0, False, True),
        (-30, -1, False, False),
        (1, None, False, False),
        (-30, None, True, False),
    ],
    ids=["starts-today", "ends-today", "ended-yesterday", "starts-tomorrow", "stopped"],
)
def test_today_lists_only_items_in_force(
    patient_client: CsrfClient,
    people: People,
    start: int,
    end: int | None,
    stopped: bool,
    shown: bool,
) -> None:
    item = add_item(
        people.patient, name="Step-ups on the bottom stair", start=start, end=end, stopped=stopped
    )
    page = patient_client.get("/today").get_data(as_text=True)
    exercises = section(page, "programme-h")
    assert ("Step-ups on the bottom stair" in exercises) is shown
    assert (f'action="/today/items/{item.id}/done"' in page) is shown
    if shown:
        assert "Done" in exercises
        assert "0 of 5 days this week" in exercises
    else:
        assert "No exercises from a therapist yet" in exercises


def test_done_logs_the_prescribed_dose(patient_client: CsrfClient, people: People) -> None:
    item = add_item(people.patient, slug="sit-to-stand", sets=2, reps=10)
    action = f"/today/items/{item.id}/done"
    today = patient_client.get("/today").get_data(as_text=True)
    assert "Done today" not in today
    assert f"2 {TIMES} 10" in section(today, "programme-h")

    response = patient_client.post(action, data=form_values(today, action), follow_redirects=True)
    page = response.get_data(as_text=True)

    assert "Saved: Sit to stand, done." in visible(page)
    assert "Done today" in section(page, "programme-h")
    assert "1 of 5 days this week" in section(page, "programme-h")
    logged = section(page, "logged-h")
    assert "Sit to stand" in logged and f"2 {TIMES} 10" in logged
    (entry,) = live_entries(people.patient)
    assert entry.kind == "exercise"
    assert entry.programme_item_id == item.id
    assert entry.exercise_id == item.exercise_id
    assert (entry.discipline, entry.name, entry.sets, entry.reps) == (
        "physio",
        "Sit to stand",
        2,
        10,
    )
    assert entry.local_date == local_today(TZ)
    assert abs(entry.occurred_at - utcnow()) < timedelta(minutes=2)


@pytest.mark.parametrize(
    ("dose", "lighter"),
    [
        ({"sets": 2, "reps": 10}, [f"1 {TIMES} 10", f"2 {TIMES} 8", f"2 {TIMES} 5"]),
        (
            {"sets": 3, "reps": 8, "hold_seconds": 5},
            [f"2 {TIMES} 8 · hold 5 s", f"3 {TIMES} 6 · hold 4 s", f"3 {TIMES} 4 · hold 3 s"],
        ),
        ({"minutes": 20}, ["15 min", "10 min"]),
        ({"phonation_seconds": 12, "loudness_db": 70}, ["'ah' 9 s · 70 dB", "'ah' 6 s · 70 dB"]),
        ({"reps": 1}, []),  # nothing lighter than one: no "Less today"
        ({}, []),
    ],
)
def test_less_today_offers_the_lighter_versions_of_the_dose(
    patient_client: CsrfClient, people: People, dose: dict[str, int], lighter: list[str]
) -> None:
    add_item(people.patient, name="Practice", **dose)
    page = patient_client.get("/today").get_data(as_text=True)
    offered = re.findall(r'name="lighter" value="[a-z_]+">Done: ([^<]+)<', page)
    assert [unescape(o) for o in offered] == lighter
    assert ("Less today" in section(page, "programme-h")) is bool(lighter)


def test_less_today_logs_the_lighter_dose_in_one_tap(
    patient_client: CsrfClient, people: People
) -> None:
    item = add_item(people.patient, slug="sit-to-stand", sets=2, reps=10)
    action = f"/today/items/{item.id}/done"
    today = patient_client.get("/today").get_data(as_text=True)
    data = {**form_values(today, action), "lighter": "three_quarters"}
    page = patient_client.post(action, data=data, follow_redirects=True).get_data(as_text=True)

    assert f"Saved: Sit to stand, 2 {TIMES} 8." in visible(page)
    assert "Done today" in section(page, "programme-h")
    (entry,) = live_entries(people.patient)
    assert (entry.programme_item_id, entry.sets, entry.reps) == (item.id, 2, 8)


def test_a_lighter_version_no_longer_offered_saves_nothing(
    patient_client: CsrfClient, people: People
) -> None:
    """The page was drawn before the therapist changed the dose to one set: "one set fewer" is
    gone, and a tap on it says so instead of logging a dose nobody chose."""
    item = add_item(people.patient, slug="sit-to-stand", sets=2, reps=10)
    action = f"/today/items/{item.id}/done"
    data = {**form_values(patient_client.get("/today").get_data(as_text=True), action)}
    item.sets = 1
    db.session.commit()
    for lighter in ("one_set_fewer", "no-such-thing"):
        response = patient_client.post(
            action, data={**data, "lighter": lighter}, follow_redirects=True
        )
        assert response.status_code == 200
        assert "no longer offered" in visible(response.get_data(as_text=True))
    assert live_entries(people.patient) == []


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("item", {}),
        ("/today/fatigue", {"fatigue": "6"}),
        ("/today/bad_day", {"reason": "heat"}),
        ("/log/fatigue", {"fatigue": "4", "context": "heat"}),
        ("/log/bad_day", {"reason": "pain"}),
    ],
    ids=["done-button", "fatigue-button", "bad-day-button", "fatigue-form", "bad-day-form"],
)
def test_sending_the_same_form_twice_stores_one_entry(
    patient_client: CsrfClient, people: People, url: str, data: dict[str, str]
) -> None:
    if url == "item":
        url = f"/today/items/{add_item(people.patient, name='Bridge').id}/done"
    if url.startswith("/log/"):
        data = {**data, "occurred_at": now_field()}
    data = {**data, "entry_id": str(uuid.uuid4())}  # as the page sets it, once per form

    first = patient_client.post(url, data=data)
    retry = patient_client.post(url, data=data)  # e.g. the phone resends after a timeout

    assert first.status_code == retry.status_code == 302
    assert [e.id for e in live_entries(people.patient)] == [data["entry_id"]]
    assert entry_count() == 1


@pytest.mark.parametrize(
    ("url", "first", "second"),
    [
        ("/today/fatigue", {"fatigue": "4"}, {"fatigue": "6"}),
        ("/log/exercise", {"name": "Sit to stand", "reps": "10"}, {"name": "Pitch glides"}),
    ],
    ids=["fatigue-button", "exercise-form"],
)
def test_the_same_id_with_other_content_is_a_second_entry(
    patient_client: CsrfClient,
    people: People,
    url: str,
    first: dict[str, str],
    second: dict[str, str],
) -> None:
    """Two entries sent from one page kept for offline use, before its script gave them their
    own ids, share the id the page was kept with: the second is not a retry of the first."""
    kept_id = str(uuid.uuid4())
    extra = {"occurred_at": now_field(), "discipline": "slt"} if url.startswith("/log/") else {}
    for data in (first, second):
        response = patient_client.post(url, data={**extra, **data, "entry_id": kept_id})
        assert response.status_code == 302
    stored = live_entries(people.patient)
    assert len(stored) == 2
    assert kept_id in [e.id for e in stored]


def test_new_entry_form_says_already_saved_on_retry(
    patient_client: CsrfClient, people: People
) -> None:
    form = form_values(patient_client.get("/log/fatigue").get_data(as_text=True))
    form["fatigue"] = "5"
    patient_client.post("/log/fatigue", data=form)
    retry = patient_client.post("/log/fatigue", data=form, follow_redirects=True)
    assert "Already saved." in visible(retry.get_data(as_text=True))
    assert len(live_entries(people.patient)) == 1


@pytest.mark.parametrize("tz", ["Europe/London", "Pacific/Auckland", "America/Los_Angeles"])
def test_fatigue_button_stores_now_on_the_persons_own_date(client: CsrfClient, tz: str) -> None:
    user = make_user("patient", timezone=tz)
    login(client, user)
    before = local_today(tz)
    response = client.post("/today/fatigue", data={"fatigue": "7"}, follow_redirects=True)
    after = local_today(tz)

    page = response.get_data(as_text=True)
    assert "Saved: fatigue 7 out of 10." in visible(page)
    (entry,) = live_entries(user)
    assert entry.kind == "fatigue" and entry.fatigue == 7
    assert abs(entry.occurred_at - utcnow()) < timedelta(minutes=2)
    assert entry.local_date in (before, after)  # the person's date, not the server's or UTC's
    assert "Fatigue 7 out of 10" in section(page, "logged-h")
    assert long_date(entry.local_date) in visible(page)  # Today's heading is their date


@pytest.mark.parametrize(
    ("tz", "local", "utc", "day"),
    [
        # Summer in New Zealand (UTC+13): breakfast is still the previous day in UTC.
        ("Pacific/Auckland", "2026-01-15 08:30", "2026-01-14 19:30", "2026-01-15"),
        # Winter in New Zealand (UTC+12).
        ("Pacific/Auckland", "2026-07-01 11:00", "2026-06-30 23:00", "2026-07-01"),
        # Evening in California (UTC-8) is already the next day in UTC.
        ("America/Los_Angeles", "2026-01-15 20:00", "2026-01-16 04:00", "2026-01-15"),
        # Just after midnight in a British summer (UTC+1).
        ("Europe/London", "2026-07-01 00:30", "2026-06-30 23:30", "2026-07-01"),
    ],
)
def test_entry_keeps_the_local_date_and_stores_utc(
    client: CsrfClient, tz: str, local: str, utc: str, day: str
) -> None:
    user = make_user("patient", timezone=tz)
    occurred = datetime.fromisoformat(local)
    entry, created = create_entry(db.session, user, "fatigue", {"fatigue": 5}, occurred)
    db.session.commit()

    assert created
    assert entry.occurred_at == datetime.fromisoformat(utc)
    assert entry.local_date == date.fromisoformat(day)

    login(client, user)
    page = client.get(f"/history?until={day}").get_data(as_text=True)
    assert long_date(date.fromisoformat(day)) in section(page, f"day-{day}")
    text = entry_text(page, entry.id)
    assert text is not None
    assert local[-5:] in text and utc[-5:] not in text  # their clock time, not UTC's


def test_quick_walking_form_is_filled_in_from_the_last_walk(
    patient_client: CsrfClient, people: People
) -> None:
    first = form_values(patient_client.get("/today").get_data(as_text=True), "/today/mobility")
    assert first["setting"] == "indoors" and first["distance_m"] == ""

    add_entry(people.patient, "mobility", days_ago=3, aid="one_stick", setting="indoors")
    add_entry(
        people.patient,
        "mobility",
        days_ago=1,
        aid="two_sticks",
        setting="outdoors",
        distance_m=350,
        minutes=12,
        falls=1,
        near_falls=2,
    )
    page = patient_client.get("/today").get_data(as_text=True)
    assert "Filled in from your last entry, 350 metres in 12 minutes." in section(page, "walk-h")
    form = form_values(page, "/today/mobility")
    assert (form["aid"], form["setting"], form["distance_m"], form["minutes"]) == (
        "two_sticks",
        "outdoors",
        "350",
        "12",
    )
    assert form["falls"] == "" and form["near_falls"] == ""  # a fall is never carried over

    response = patient_client.post("/today/mobility", data=form, follow_redirects=True)
    assert "Saved: walking with two sticks or crutches." in visible(response.get_data(as_text=True))
    newest = max(live_entries(people.patient), key=lambda e: e.occurred_at)
    assert (newest.aid, newest.distance_m, newest.falls) == ("two_sticks", 350, 0)
    assert newest.local_date == local_today(TZ)


@pytest.mark.parametrize(
    ("kind", "last", "expected", "not_carried"),
    [
        (
            "exercise",
            {"discipline": "slt", "name": "Humming scales", "minutes": 5, "effort": 4},
            {},
            # "Same as last time" repeats it in one tap; the form is for another exercise, and
            # effort is about one session: nothing is carried over.
            {"discipline": "", "name": "", "minutes": "", "effort": "", "note": ""},
        ),
        (
            "fatigue",
            {"fatigue": 8, "context": "heat", "note": "Hot bus"},
            {},
            # A rating and its reason are about one moment: neither is carried over.
            {"fatigue": None, "context": "", "note": ""},
        ),
        (
            "mobility",
            {"aid": "frame", "setting": "outdoors", "distance_m": 120, "minutes": 9, "falls": 1},
            {"aid": "frame", "setting": "outdoors", "distance_m": "120", "minutes": "9"},
            {"falls": ""},
        ),
    ],
)
def test_new_entry_form_starts_from_now_and_the_last_values(
    patient_client: CsrfClient,
    people: People,
    kind: str,
    last: dict[str, Any],
    expected: dict[str, str],
    not_carried: dict[str, str | None],
) -> None:
    add_entry(people.patient, kind, days_ago=2, **last)
    before = local_now(TZ)
    form = form_values(patient_client.get(f"/log/{kind}").get_data(as_text=True))
    after = local_now(TZ)

    for name, value in expected.items():
        assert form[name] == value, name
    for name, value in not_carried.items():
        assert form.get(name) == value, name
    assert form["occurred_at"] in {before.strftime(FORM_TIME), after.strftime(FORM_TIME)}
    uuid.UUID(form["entry_id"])  # a fresh id, so that a resend is recognised


def test_exercise_form_lists_exercises_done_recently_first_without_choosing_one(
    patient_client: CsrfClient, people: People
) -> None:
    exercise = db.session.scalar(select(Exercise).where(Exercise.slug == "long-strong-ah"))
    assert exercise is not None
    add_entry(
        people.patient,
        "exercise",
        discipline="slt",
        exercise_id=exercise.id,
        name=exercise.name,
        phonation_seconds=12,
    )
    page = patient_client.get("/log/exercise").get_data(as_text=True)
    form = form_values(page)
    assert (form["exercise_id"], form["discipline"], form["phonation_seconds"]) == ("", "", "")
    select_ = page[page.index('<select id="exercise_id"') :]
    select_ = select_[: select_.index("</select>")]
    groups = re.findall(r'<optgroup label="([^"]+)">', select_)
    assert groups[0] == "Done recently"
    assert groups[1:] == list(DISCIPLINES.values())  # the rest by therapy
    recent = select_[select_.index('"Done recently"') : select_.index("</optgroup>")]
    assert f'value="{exercise.id}"' in recent
    assert select_.count(f'value="{exercise.id}"') == 1  # listed once, in its place at the top
    assert f"{exercise.name}, 'ah' 12 s" in visible(page)  # one tap away, as done last time


def test_an_exercise_of_one_s_own_needs_its_therapy_one_from_the_list_names_it(
    patient_client: CsrfClient, people: People
) -> None:
    page = patient_client.get("/log/exercise").get_data(as_text=True)
    own = {**form_values(page), "name": "Garden steps", "reps": "8"}
    response = patient_client.post("/log/exercise", data=own)
    assert response.status_code == 400
    assert "Choose the kind of therapy for your own exercise." in visible(
        response.get_data(as_text=True)
    )
    exercise = db.session.scalar(select(Exercise).where(Exercise.slug == "sit-to-stand"))
    assert exercise is not None
    listed = {**form_values(page), "exercise_id": str(exercise.id), "reps": "8"}
    assert patient_client.post("/log/exercise", data=listed).status_code == 302
    (entry,) = live_entries(people.patient)
    assert (entry.exercise_id, entry.discipline, entry.reps) == (exercise.id, "physio", 8)


def test_a_common_dose_tapped_is_sets_and_repetitions_without_javascript(
    patient_client: CsrfClient, people: People
) -> None:
    """The plain form reads the dose tapped; numbers typed that say otherwise are asked about."""
    exercise = db.session.scalar(select(Exercise).where(Exercise.slug == "sit-to-stand"))
    assert exercise is not None
    page = patient_client.get("/log/exercise").get_data(as_text=True)
    assert f"Or tap one: sets {TIMES} repetitions" in visible(page)
    listed = {**form_values(page), "exercise_id": str(exercise.id)}
    both = {**listed, "common_dose": "2x10", "sets": "3"}
    response = patient_client.post("/log/exercise", data=both)
    assert response.status_code == 400
    assert f"You tapped 2 {TIMES} 10 and typed other numbers: clear one of them." in visible(
        response.get_data(as_text=True)
    )
    assert live_entries(people.patient) == []
    for made_up in ("9x99", "0", "2x", "x"):  # not one offered: refused, not a crash
        answer = patient_client.post("/log/exercise", data={**listed, "common_dose": made_up})
        assert answer.status_code == 400, made_up
    assert live_entries(people.patient) == []
    tapped = {**listed, "common_dose": "2x10", "reps": "10"}  # the phone fills both as well
    assert patient_client.post("/log/exercise", data=tapped).status_code == 302
    (entry,) = live_entries(people.patient)
    assert (entry.exercise_id, entry.sets, entry.reps) == (exercise.id, 2, 10)


# ----------------------------------------------------------------------------- logging and History

KIND_CASES = [
    (
        "exercise",
        {
            "discipline": "physio",
            "exercise_id": "",
            "name": "Garden steps",
            "sets": "3",
            "reps": "8",
            "effort": "6",
            "pain": "2",
        },
        {"name": "Garden steps", "sets": 3, "reps": 8, "effort": 6, "pain": 2},
        ["Exercise", "Garden steps", "Physiotherapy", f"3 {TIMES} 8", "effort 6/10", "pain 2/10"],
    ),
    (
        "fatigue",
        {"fatigue": "7", "context": "heat"},
        {"fatigue": 7, "context": "heat"},
        ["Fatigue 7 out of 10", "Heat"],
    ),
    (
        "mobility",
        {
            "aid": "frame",
            "setting": "outdoors",
            "distance_m": "250",
            "minutes": "10",
            "falls": "1",
            "near_falls": "2",
        },
        {"aid": "frame", "setting": "outdoors", "distance_m": 250, "falls": 1, "near_falls": 2},
        ["Walking frame or rollator", "Outdoors", "250 m", "10 min", "1 fall", "2 near-falls"],
    ),
    (
        "exercise",
        # A catalogue exercise keeps its own therapy and name, whatever the selector said.
        {
            "discipline": "physio",
            "exercise_id": "long-strong-ah",
            "name": "",
            "phonation_seconds": "10",
        },
        {"discipline": "slt", "name": 'Long strong "ah"', "phonation_seconds": 10},
        ['Long strong "ah"', "Speech and language therapy", "'ah' 10 s"],
    ),
    ("bad_day", {"reason": "heat"}, {"reason": "heat"}, ["Bad day: heat"]),
    ("bad_day", {"reason": "relapse"}, {"reason": "relapse"}, ["Relapse or flare-up"]),
]


@pytest.mark.parametrize(("kind", "data", "stored", "shown"), KIND_CASES)
def test_each_kind_logged_by_its_form_shows_in_history(
    patient_client: CsrfClient,
    people: People,
    kind: str,
    data: dict[str, str],
    stored: dict[str, Any],
    shown: list[str],
) -> None:
    if data.get("exercise_id"):  # a catalogue slug in the table: the form sends its id
        exercise = db.session.scalar(select(Exercise).where(Exercise.slug == data["exercise_id"]))
        assert exercise is not None
        data = {**data, "exercise_id": str(exercise.id)}
        stored = {**stored, "exercise_id": exercise.id}
    when = local_now(TZ) - timedelta(hours=1)
    form = form_values(patient_client.get(f"/log/{kind}").get_data(as_text=True))
    form.update(data, occurred_at=when.strftime(FORM_TIME), note="Logged from the test")
    response = patient_client.post(f"/log/{kind}", data=form)
    assert response.status_code == 302, visible(response.get_data(as_text=True))

    (entry,) = live_entries(people.patient)
    assert entry.kind == kind
    assert {name: getattr(entry, name) for name in stored} == stored
    assert entry.local_date == when.date()
    page = patient_client.get(f"/history?until={when.date()}").get_data(as_text=True)
    text = entry_text(page, entry.id)
    assert text is not None
    for words in [*shown, when.strftime("%H:%M"), "Logged from the test"]:
        assert words in text
    assert long_date(when.date()) in section(page, f"day-{when.date().isoformat()}")


@pytest.mark.parametrize(
    ("kind", "before", "change", "old_text", "new_text", "stored"),
    [
        ("fatigue", {"fatigue": 5}, {"fatigue": "3"}, "Fatigue 5", "Fatigue 3", {"fatigue": 3}),
        (
            "mobility",
            {"aid": "one_stick", "setting": "outdoors", "distance_m": 400},
            {"aid": "frame", "distance_m": "150"},
            "400 m",
            "150 m",
            {"aid": "frame", "distance_m": 150, "setting": "outdoors"},
        ),
    ],
)
def test_edit_changes_the_entry(
    patient_client: CsrfClient,
    people: People,
    kind: str,
    before: dict[str, Any],
    change: dict[str, str],
    old_text: str,
    new_text: str,
    stored: dict[str, Any],
) -> None:
    entry = add_entry(people.patient, kind, days_ago=1, **before)
    entry_id = entry.id
    week = f"/history?until={entry.local_date}"
    assert old_text in entry_text(patient_client.get(week).get_data(as_text=True), entry_id)

    form = form_values(patient_client.get(f"/entries/{entry_id}/edit").get_data(as_text=True))
    assert {name: form[name] for name in before} == {k: str(v) for k, v in before.items()}
    earlier = local_now(TZ) - timedelta(days=2)
    form.update(change, occurred_at=earlier.strftime(FORM_TIME))
    response = patient_client.post(f"/entries/{entry_id}/edit", data=form, follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "Changes saved." in visible(page)
    text = entry_text(page, entry_id)
    assert text is not None and new_text in text and old_text not in text
    db.session.refresh(entry)
    assert {name: getattr(entry, name) for name in stored} == stored
    assert entry.local_date == earlier.date()
    assert entry_count() == 1


def test_editing_a_done_item_keeps_it_done(patient_client: CsrfClient, people: People) -> None:
    item = add_item(people.patient, slug="sit-to-stand", sets=2, reps=10)
    patient_client.post(f"/today/items/{item.id}/done", data={"entry_id": str(uuid.uuid4())})
    (entry,) = live_entries(people.patient)

    form = form_values(patient_client.get(f"/entries/{entry.id}/edit").get_data(as_text=True))
    assert (form["sets"], form["reps"]) == ("2", "10")
    form["reps"] = "7"
    patient_client.post(f"/entries/{entry.id}/edit", data=form)

    today = patient_client.get("/today").get_data(as_text=True)
    assert "Done today" in section(today, "programme-h")
    assert f"2 {TIMES} 7" in section(today, "logged-h")
    db.session.refresh(entry)
    assert (entry.reps, entry.programme_item_id, entry.name) == (7, item.id, "Sit to stand")


def test_log_with_changes_starts_from_the_prescription(
    patient_client: CsrfClient, people: People
) -> None:
    item = add_item(people.patient, slug="heel-raises", sets=2, reps=12)
    form = form_values(patient_client.get(f"/log/exercise?item={item.id}").get_data(as_text=True))
    assert (form["programme_item_id"], form["sets"], form["reps"]) == (str(item.id), "2", "12")
    assert form["exercise_id"] == str(item.exercise_id)
    form.update(reps="8", effort="7")

    response = patient_client.post("/log/exercise", data=form, follow_redirects=True)

    exercises = section(response.get_data(as_text=True), "programme-h")
    assert "Done today" in exercises and "1 of 5 days this week" in exercises
    (entry,) = live_entries(people.patient)
    assert (entry.programme_item_id, entry.sets, entry.reps, entry.effort) == (item.id, 2, 8, 7)


def test_delete_leaves_a_tombstone_and_restore_brings_it_back(
    patient_client: CsrfClient, people: People
) -> None:
    item = add_item(people.patient, name="Wall press-ups", reps=10)
    patient_client.post(f"/today/items/{item.id}/done", data={"entry_id": str(uuid.uuid4())})
    (entry,) = live_entries(people.patient)
    entry_id = entry.id
    assert "Done today" in section(
        patient_client.get("/today").get_data(as_text=True), "programme-h"
    )

    deleted = patient_client.post(f"/entries/{entry_id}/delete", follow_redirects=True)
    page = deleted.get_data(as_text=True)
    assert "Entry deleted." in visible(page)
    assert "Deleted: Wall press-ups." in visible(page)
    assert "Undo delete" in visible(page)
    assert entry_text(page, entry_id) is None
    week = f"/history?until={entry.local_date}"
    assert entry_text(patient_client.get(week).get_data(as_text=True), entry_id) is None
    today = patient_client.get("/today").get_data(as_text=True)
    assert "Done today" not in today
    assert "Nothing yet today." in section(today, "logged-h")
    assert patient_client.get(f"/entries/{entry_id}/edit").status_code == 404
    db.session.refresh(entry)
    assert entry.deleted_at is not None  # the row stays, so other devices learn of the delete
    assert entry_count() == 1

    restored = patient_client.post(f"/entries/{entry_id}/restore", follow_redirects=True)
    page = restored.get_data(as_text=True)
    assert "Entry brought back." in visible(page)
    assert "Wall press-ups" in entry_text(page, entry_id)
    assert "Done today" in section(
        patient_client.get("/today").get_data(as_text=True), "programme-h"
    )
    db.session.refresh(entry)
    assert entry.deleted_at is None


def test_history_pages_seven_days_at_a_time_up_to_today(
    patient_client: CsrfClient, people: People
) -> None:
    today = local_today(TZ)
    for days_ago in (0, 6, 7, 15):
        add_entry(people.patient, "fatigue", days_ago=days_ago, fatigue=3, note=f"note {days_ago}")

    page = patient_client.get("/history").get_data(as_text=True)
    text = visible(page)
    assert "note 0" in text and "note 6" in text and "note 7" not in text
    first = today - timedelta(days=6)
    assert f"From {long_date(first)} to {long_date(today)}." in text
    before = first - timedelta(days=1)
    assert f'href="/history?until={before.isoformat()}">Week before' in page
    assert ">Week after<" not in page  # nothing after today

    page = patient_client.get(f"/history?until={before.isoformat()}").get_data(as_text=True)
    text = visible(page)
    assert f"From {long_date(before - timedelta(days=6))} to {long_date(before)}." in text
    assert "note 7" in text and "note 6" not in text and "note 15" not in text
    assert f'href="/history?until={today.isoformat()}">Week after' in page

    # Two pages back, "Week after" goes seven days on, never past today.
    page = patient_client.get(f"/history?until={(today - timedelta(days=10)).isoformat()}")
    html = page.get_data(as_text=True)
    assert "note 15" in visible(html)
    assert f'href="/history?until={(today - timedelta(days=3)).isoformat()}">Week after' in html


@pytest.mark.parametrize("weekday", range(7))
def test_the_day_before_is_on_the_same_page_whatever_the_weekday(
    patient_client: CsrfClient, people: People, weekday: int
) -> None:
    """The night before is on the page of a Monday as of any day: seven days up to the day,
    not a calendar week, which would start afresh on Monday and put it one tap away."""
    today = local_today(TZ)
    day = today - timedelta(days=14 + (today.weekday() - weekday) % 7)
    assert day.weekday() == weekday
    for days_before in (1, 6, 7):
        note = f"{days_before} days before"
        add_entry(people.patient, "fatigue", days_ago=(today - day).days + days_before, note=note)
    text = visible(patient_client.get(f"/history?until={day.isoformat()}").get_data(as_text=True))
    assert "1 days before" in text and "6 days before" in text
    assert "7 days before" not in text


def test_history_shows_one_kind_when_asked(patient_client: CsrfClient, people: People) -> None:
    add_entry(people.patient, "fatigue", fatigue=3)
    add_entry(people.patient, "bad_day", reason="heat")
    page = patient_client.get("/history?kind=fatigue").get_data(as_text=True)
    text = visible(days_shown(page))
    assert "Fatigue 3 out of 10" in text and "Bad day" not in text
    assert re.search(r'kind=fatigue"\s+aria-current="page">Fatigue<', page)
    # Paging keeps the filter; an unknown kind shows everything.
    assert re.search(r'href="/history\?until=[0-9-]+&amp;kind=fatigue">Week before', page)
    text = visible(days_shown(patient_client.get("/history?kind=nonsense").get_data(as_text=True)))
    assert "Fatigue 3 out of 10" in text and "Bad day" in text


def days_shown(page: str) -> str:
    """History's list of days, without the filter's words or the offline app's vocabulary."""
    start = page.index('id="history-days"')
    return page[start : page.index('id="history-empty"', start)]


def test_a_change_returns_to_the_week_and_the_entry(
    patient_client: CsrfClient, people: People
) -> None:
    entry = add_entry(people.patient, "fatigue", days_ago=20, fatigue=3)
    form = form_values(patient_client.get(f"/entries/{entry.id}/edit").get_data(as_text=True))
    form["fatigue"] = "4"
    response = patient_client.post(f"/entries/{entry.id}/edit", data=form)
    assert response.status_code == 302
    assert response.location == (f"/history?until={entry.local_date.isoformat()}#entry-{entry.id}")
    page = visible(patient_client.get(response.location).get_data(as_text=True))
    assert "Fatigue 4 out of 10" in page


def test_a_week_with_nothing_says_so(patient_client: CsrfClient, people: People) -> None:
    add_entry(people.patient, "fatigue", fatigue=3)
    text = visible(patient_client.get("/history?until=2020-01-31").get_data(as_text=True))
    assert "Nothing logged in these seven days." in text
    assert "Fatigue 3 out of 10" not in text


@pytest.mark.parametrize("by_carer", [True, False], ids=["carer", "self"])
def test_entries_by_a_carer_say_so(
    patient_client: CsrfClient, people: People, by_carer: bool
) -> None:
    form = form_values(patient_client.get("/log/fatigue").get_data(as_text=True))
    form["fatigue"] = "6"
    if by_carer:
        form["by_carer"] = "y"
    patient_client.post("/log/fatigue", data=form)

    (entry,) = live_entries(people.patient)
    assert entry.by_carer is by_carer
    for url in ("/history", "/today"):
        text = entry_text(patient_client.get(url).get_data(as_text=True), entry.id)
        assert text is not None
        assert ("entered by a carer" in text) is by_carer


def test_same_as_last_time_logs_an_exercise_again_in_one_tap(
    patient_client: CsrfClient, people: People
) -> None:
    sit = db.session.scalar(select(Exercise).where(Exercise.slug == "sit-to-stand"))
    assert sit is not None
    add_entry(
        people.patient,
        "exercise",
        days_ago=3,
        discipline="physio",
        exercise_id=sit.id,
        name=sit.name,
        sets=2,
        reps=8,
    )
    add_entry(people.patient, "exercise", days_ago=2, discipline="ot", name="Pegs", minutes=10)
    add_entry(
        people.patient,
        "exercise",
        days_ago=1,
        discipline="physio",
        exercise_id=sit.id,
        name=sit.name,
        sets=3,
        reps=10,
    )
    page = patient_client.get("/log/exercise").get_data(as_text=True)
    again = visible(section(page, "again-h"))
    # The latest of each exercise, most recent first.
    assert again.index("Sit to stand, 3 × 10") < again.index("Pegs, 10 min")  # noqa: RUF001
    assert "2 × 8" not in again  # noqa: RUF001

    form = form_values(page, "/today/exercise")  # the first: sit to stand, as last time
    response = patient_client.post("/today/exercise", data=form, follow_redirects=True)
    assert "Saved: Sit to stand." in visible(response.get_data(as_text=True))
    newest = max(live_entries(people.patient), key=lambda e: e.occurred_at)
    assert (newest.exercise_id, newest.sets, newest.reps) == (sit.id, 3, 10)
    assert newest.local_date == local_today(TZ)
    # The same form sent twice (a double tap without JavaScript) is one entry.
    patient_client.post("/today/exercise", data=form)
    assert len(live_entries(people.patient)) == 4


@pytest.mark.parametrize(
    "url", ["item", "/today/fatigue", "/log/fatigue"], ids=["done-button", "button", "form"]
)
def test_a_full_day_refuses_one_more_entry_with_a_message_next_to_the_form(
    patient_client: CsrfClient, people: People, url: str
) -> None:
    fill_day(people.patient, local_today(TZ), 200)
    data = {"fatigue": "6", "entry_id": str(uuid.uuid4())}
    if url == "item":
        url = f"/today/items/{add_item(people.patient, name='Bridge').id}/done"
    if url.startswith("/log/"):
        data["occurred_at"] = now_field()

    response = patient_client.post(url, data=data, follow_redirects=True)

    message = (
        "already has 200 entries, the most one day can hold. To save this one, delete some of "
        "that day's entries first."
    )
    page = response.get_data(as_text=True)
    if "items" in url:  # a one-tap button: the message comes back on Today
        assert response.request.path == "/today"
        assert message in visible(page)
    else:  # a form: the message sits with the time field, what was typed is kept
        assert response.status_code == 400
        error = re.search(r'<p class="error" id="occurred_at-error">(.*?)</p>', page, re.S)
        assert error is not None and message in visible(error.group(1))
        today = local_today(TZ)
        assert f"{today.day} {today:%B %Y} already has" in visible(error.group(1))
    assert entry_count() == 200

    # Another day still takes entries, and the same day does once one is deleted.
    yesterday = {
        "fatigue": "5",
        "occurred_at": (local_now(TZ) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    assert patient_client.post("/log/fatigue", data=yesterday).status_code == 302
    assert patient_client.post(url, data=data).status_code in (302, 400)
    assert entry_count() == 201  # the day is still full
    todays = [e for e in live_entries(people.patient) if e.local_date == local_today(TZ)]
    todays[0].deleted_at = utcnow()
    db.session.commit()
    assert patient_client.post(url, data=data).status_code == 302
    assert entry_count() == 202


def test_today_says_what_was_logged_in_one_line_at_the_top(
    patient_client: CsrfClient, people: People
) -> None:
    page = visible(patient_client.get("/today").get_data(as_text=True))
    assert page.index("Nothing logged yet today.") < page.index("Your exercises")

    add_entry(people.patient, "fatigue", fatigue=4)
    for name in ("Sit to stand", "Bridge"):
        add_entry(people.patient, "exercise", discipline="physio", name=name, reps=10)
    add_entry(people.patient, "fatigue", days_ago=1, fatigue=6)  # yesterday's is not counted
    page = visible(patient_client.get("/today").get_data(as_text=True))
    gist = "Logged today: 2 exercises, 1 fatigue rating"
    assert gist in page and page.index(gist) < page.index("Your exercises")


@pytest.mark.parametrize(
    ("kinds", "words"),
    [
        ([], "Nothing logged yet today."),
        (["bad_day", "fatigue"], "Logged today: 1 fatigue rating, 1 bad day"),
        (["mobility"] * 2 + ["exercise"], "Logged today: 1 exercise, 2 walking entries"),
        (["walk_test"], "Logged today: 1 walk test"),  # a kind without counted words yet
    ],
)
def test_the_day_gist_counts_kinds_in_their_usual_order(kinds: list[str], words: str) -> None:
    assert day_gist(SimpleNamespace(kind=k) for k in kinds) == words
