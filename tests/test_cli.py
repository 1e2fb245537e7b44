"""Command-line tools: `flask demo-data`, `create-user`, `purge-deleted` and `sync prune`."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from statistics import mean
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from rehab_app.core.demo import DEMO_PASSWORD
from rehab_app.core.timeutil import local_today
from rehab_app.extensions import db
from rehab_app.models import CareLink, Entry, User, utcnow
from tests.helpers.accounts import CsrfClient, login, make_user
from tests.helpers.pages import visible

DEMO_LOGINS = {
    "therapist@demo.rehablog.test": "therapist",
    "stable@demo.rehablog.test": "patient",
    "worsening@demo.rehablog.test": "patient",
    "relapse@demo.rehablog.test": "patient",
    "ot@demo.rehablog.test": "therapist",
    "slt@demo.rehablog.test": "therapist",
}


def count(model: type) -> int:
    """Rows of one table."""
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def log_in(client: CsrfClient, email: str, password: str) -> Any:
    """Post the login form; return the response."""
    return client.post("/login", data={"email": email, "password": password})


def mean_fatigue(email: str, first: date, last: date) -> float:
    """A demo patient's mean fatigue rating between two dates (inclusive)."""
    ratings = db.session.scalars(
        select(Entry.fatigue)
        .join(User, User.id == Entry.user_id)
        .where(
            User.email == email,
            Entry.kind == "fatigue",
            Entry.local_date.between(first, last),
        )
    ).all()
    assert len(ratings) > 15, f"too few ratings for {email}"
    return mean(ratings)


def test_demo_data_makes_a_clinic_a_therapist_and_three_linked_patients(
    runner: Any, client: CsrfClient
) -> None:
    result = runner.invoke(args=["demo-data"])

    assert result.exit_code == 0, result.output
    for email, role in DEMO_LOGINS.items():
        assert any(role in line and email in line for line in result.output.splitlines())
    assert f"password: {DEMO_PASSWORD}" in result.output
    roles = {email: role for email, role in db.session.execute(select(User.email, User.role))}
    assert roles == DEMO_LOGINS
    # Sam's three patients; one of them linked Sam's team, so Priya (OT) sees her too.
    assert count(CareLink) == 4

    today = local_today("Europe/London")
    for email, role in DEMO_LOGINS.items():
        days = db.session.execute(
            select(func.min(Entry.local_date), func.max(Entry.local_date))
            .join(User, User.id == Entry.user_id)
            .where(User.email == email)
        ).one()
        if role == "therapist":
            assert days == (None, None)
        else:  # about six months, up to the last few days
            assert days[0] <= today - timedelta(days=170), email
            assert days[1] >= today - timedelta(days=7), email

    response = log_in(client, "therapist@demo.rehablog.test", DEMO_PASSWORD)
    assert response.status_code == 302
    page = visible(client.get("/therapist").get_data(as_text=True))
    assert "People who share their log with you (3)" in page
    for name in ("Alex Morgan (demo)", "Jo Patel (demo)", "Chris Lee (demo)"):
        assert name in page


@pytest.mark.parametrize(
    ("email", "low", "high"),
    [
        ("worsening@demo.rehablog.test", 1.0, 10.0),  # clearly more tired by the end
        ("stable@demo.rehablog.test", -1.0, 1.0),  # about the same
    ],
    ids=["worsening", "stable"],
)
def test_demo_fatigue_trends(runner: Any, email: str, low: float, high: float) -> None:
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    today = local_today("Europe/London")
    first_day = db.session.scalar(select(func.min(Entry.local_date)))
    first_month = mean_fatigue(email, first_day, first_day + timedelta(days=29))
    last_month = mean_fatigue(email, today - timedelta(days=29), today)
    assert low <= last_month - first_month <= high, (first_month, last_month)


def test_demo_caseload_flags_only_the_worsening_patient(runner: Any, client: CsrfClient) -> None:
    """Jo's slow worsening is worth reviewing, with the numbers; Alex's steady log is not."""
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    log_in(client, "therapist@demo.rehablog.test", DEMO_PASSWORD)
    page = client.get("/therapist").get_data(as_text=True)
    rows = {
        name: visible(row)
        for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", page, re.S)
        for name in ("Alex Morgan", "Jo Patel", "Chris Lee")
        if name in row
    }
    assert re.search(r"Slow change: Fatigue up from about \d+ to \d+ since [A-Z]", rows["Jo Patel"])
    assert "Recent: Walking aid outdoors: one stick → two sticks → frame" in rows["Jo Patel"]
    assert re.search(r"Recent: \d+ falls", rows["Jo Patel"])
    assert "Nothing flagged" in rows["Alex Morgan"]
    # Chris's row depends on his last 28 days: a programme done less than two thirds of the
    # time is flagged (tests/test_caseload.py), a relapse over 4 weeks ago is not.
    assert "Relapse or flare-up logged" not in rows["Chris Lee"]


def test_demo_data_twice_refuses_and_adds_nothing(runner: Any) -> None:
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    before = (count(User), count(CareLink), count(Entry))

    again = runner.invoke(args=["demo-data"])

    assert again.exit_code != 0
    assert "Demo data is already loaded." in again.output
    assert "Traceback" not in again.output
    assert (count(User), count(CareLink), count(Entry)) == before


def test_demo_data_if_empty_leaves_a_used_database_alone(runner: Any, app: Flask) -> None:
    make_user("patient", "someone@example.test")

    result = runner.invoke(args=["demo-data", "--if-empty"])

    assert result.exit_code == 0
    assert "already has accounts" in result.output
    assert "demo data not loaded" in result.output
    assert DEMO_PASSWORD not in result.output
    assert count(User) == 1 and count(Entry) == 0 and count(CareLink) == 0


def test_demo_data_if_empty_after_demo_data_reprints_the_logins(runner: Any) -> None:
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    before = (count(User), count(CareLink), count(Entry))

    result = runner.invoke(args=["demo-data", "--if-empty"])

    assert result.exit_code == 0
    assert "demo data not loaded" in result.output
    assert "worsening@demo.rehablog.test" in result.output
    assert f"password: {DEMO_PASSWORD}" in result.output
    assert (count(User), count(CareLink), count(Entry)) == before


def test_demo_data_if_empty_loads_into_an_empty_database(runner: Any) -> None:
    result = runner.invoke(args=["demo-data", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert count(User) == len(DEMO_LOGINS) and count(Entry) > 1000


NEW_USER = ["--email", "Pat.Smith@Example.TEST", "--name", "Pat Smith", "--role", "therapist"]


@pytest.mark.parametrize(
    ("args", "typed"),
    [
        ([*NEW_USER, "--password", "a long enough password"], None),
        (
            ["create-user"],
            "Pat.Smith@Example.TEST\nPat Smith\ntherapist\n"
            "a long enough password\na long enough password\n",
        ),
    ],
    ids=["options", "prompts"],
)
def test_create_user_makes_an_account_that_can_log_in(
    runner: Any, client: CsrfClient, args: list[str], typed: str | None
) -> None:
    if args[0] != "create-user":
        args = ["create-user", *args]
    result = runner.invoke(args=args, input=typed)

    assert result.exit_code == 0, result.output
    assert "Created therapist pat.smith@example.test." in result.output
    user = db.session.scalars(select(User)).one()
    assert (user.email, user.display_name, user.role) == (
        "pat.smith@example.test",
        "Pat Smith",
        "therapist",
    )
    response = log_in(client, "PAT.SMITH@example.test", "a long enough password")
    assert response.status_code == 302
    assert response.headers["Location"] == "/therapist"


@pytest.mark.parametrize(
    "existing", ["pat.smith@example.test", "PAT.SMITH@EXAMPLE.TEST"], ids=["same", "other-case"]
)
def test_create_user_refuses_a_taken_email(runner: Any, app: Flask, existing: str) -> None:
    make_user("patient", existing.lower())

    result = runner.invoke(args=["create-user", *NEW_USER, "--password", "a long enough password"])

    assert result.exit_code != 0
    assert "There is already an account for pat.smith@example.test." in result.output
    assert count(User) == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--password", "too short"], "use at least 10 characters"),
        (
            ["--password", "a long enough password", "--timezone", "Mars/Olympus"],
            "unknown time zone",
        ),
        (["--password", "a long enough password", "--name", "Dr \u202eyoJ"], "hidden"),
    ],
    ids=["short-password", "unknown-time-zone", "reversed-name"],
)
def test_create_user_refuses_bad_input(
    runner: Any, app: Flask, extra: list[str], message: str
) -> None:
    result = runner.invoke(args=["create-user", *NEW_USER, *extra])

    assert result.exit_code != 0
    assert message in result.output
    assert count(User) == 0


# ----------------------------------------------------------------------------- purge-deleted


def old_tombstone(user: User, deleted_days_ago: float, note: str) -> Entry:
    """A fatigue rating with content, deleted some days ago (through the app's own delete)."""
    from rehab_app.core import entries as log
    from rehab_app.core.timeutil import local_now

    entry, _ = log.create_entry(
        db.session,
        user,
        "fatigue",
        {"fatigue": 7, "context": "heat", "note": note, "by_carer": True},
        local_now(user.timezone) - timedelta(days=deleted_days_ago + 1),
    )
    db.session.commit()
    log.delete_entry(entry)
    entry.deleted_at = utcnow() - timedelta(days=deleted_days_ago)
    db.session.commit()
    return entry


def entry_row(entry_id: str) -> dict[str, Any]:
    """An entry's stored row, every column, read afresh."""
    db.session.expire_all()
    return dict(
        db.session.execute(select(Entry.__table__).where(Entry.id == entry_id)).one()._mapping
    )


def test_purge_deleted_wipes_old_tombstones_and_keeps_the_rest(
    runner: Any, client: CsrfClient, app: Flask
) -> None:
    owner = make_user("patient")
    old = [old_tombstone(owner, 31 + n, f"old private note {n}") for n in range(3)]
    recent = old_tombstone(owner, 2, "recent private note")
    before = {e.id: entry_row(e.id) for e in (*old, recent)}

    result = runner.invoke(args=["purge-deleted", "--batch", "2"])  # two batches

    assert result.exit_code == 0, result.output
    assert "Wiped the content of 3 entries deleted more than 30 days ago." in result.output
    kept = ("id", "user_id", "kind", "occurred_at", "local_date", "created_at", "updated_at")
    for entry in old:
        row, was = entry_row(entry.id), before[entry.id]
        assert {k: row[k] for k in (*kept, "deleted_at", "change_seq")} == {
            k: was[k] for k in (*kept, "deleted_at", "change_seq")
        }
        content = {k: v for k, v in row.items() if k not in (*kept, "deleted_at", "change_seq")}
        assert content == {**dict.fromkeys(content), "by_carer": False}, content
    assert entry_row(recent.id) == before[recent.id]  # still within the undo and sync window

    again = runner.invoke(args=["purge-deleted"])
    assert "Wiped the content of 0 entries" in again.output
    assert entry_row(recent.id) == before[recent.id]

    # A device that syncs for the first time still learns of every delete.
    from tests.helpers.api import register

    login(client, owner)
    client_id = register(client)
    pulled = client.get(f"/api/v1/sync/pull?client_id={client_id}&cursor=0").get_json()
    tombstones = {c["id"]: c for c in pulled["changes"] if c.get("deleted_at")}
    assert set(tombstones) == {e.id for e in (*old, recent)}
    assert "private note" not in json.dumps(pulled)


def test_an_entry_past_the_window_cannot_be_restored(runner: Any, client: CsrfClient) -> None:
    owner = make_user("patient")
    entry = old_tombstone(owner, 31, "old private note")
    runner.invoke(args=["purge-deleted"])
    login(client, owner)

    response = client.post(f"/entries/{entry.id}/restore", follow_redirects=True)

    assert "deleted more than 30 days ago and cannot come back" in visible(
        response.get_data(as_text=True)
    )
    assert entry_row(entry.id)["deleted_at"] is not None


def reason_sentences(markup: str) -> list[str]:
    """The reasons worth reviewing as read: each item's words, without its disclosure."""
    items = re.findall(
        r'<li class="flag flag-\w+">(.*?)(?:<details class="how-found|</li>)', markup, re.S
    )
    return [visible(item) for item in items]


def test_the_caseload_patient_page_and_summary_say_the_same(
    runner: Any, client: CsrfClient
) -> None:
    """Jo's reasons read word for word the same in the three places a therapist meets them."""
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    log_in(client, "therapist@demo.rehablog.test", DEMO_PASSWORD)
    jo = db.session.scalars(select(User).where(User.display_name.startswith("Jo Patel"))).one()
    caseload = client.get("/therapist").get_data(as_text=True)
    [row] = [r for r in re.findall(r"<tr\b[^>]*>(.*?)</tr>", caseload, re.S) if "Jo Patel" in r]
    on_caseload = reason_sentences(row)
    on_page = reason_sentences(client.get(f"/therapist/patients/{jo.id}").get_data(as_text=True))
    summary = client.get(f"/therapist/patients/{jo.id}/summary").get_data(as_text=True)
    assert on_caseload == on_page == reason_sentences(summary)
    assert re.search(
        r"Slow change: Fatigue up from about \d+ to \d+ since [A-Z]", " ".join(on_page)
    )
    assert re.search(r"Slow change: Walks about (a quarter|a third|half)", " ".join(on_page))
    for sentence in on_page:
        assert not re.search(r"\bp [=<]|weeks|a year", sentence), sentence


# ----------------------------------------------------------------------------- sync prune


def test_sync_prune_forgets_only_old_outcomes_their_app_has_pulled_past(
    runner: Any, client: CsrfClient
) -> None:
    import uuid

    from sqlalchemy import update

    from rehab_app.models import SyncClient, SyncOutcome
    from tests.helpers.api import fatigue, post, register

    owner = make_user("patient")
    login(client, owner)

    def push(client_id: str, *numbers: int, change: dict[int, str]) -> list[dict[str, Any]]:
        mutations = [
            {**fatigue(n, str(uuid.UUID(int=n + 10))), "change_id": change[n]} for n in numbers
        ]
        body = {"client_id": client_id, "mutations": mutations}
        response = post(client, "/api/v1/sync/push", body)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["results"]

    phone, old_phone = register(client), register(client)
    change = {n: str(uuid.uuid4()) for n in range(1, 5)}
    push(phone, 1, 2, 3, change=change)
    assert client.get(f"/api/v1/sync/pull?client_id={phone}").status_code == 200
    push(phone, 4, change=change)  # decided, but the app has not pulled since
    forgotten = {1: str(uuid.uuid4())}
    push(old_phone, 1, change=forgotten)
    client.get(f"/api/v1/sync/pull?client_id={old_phone}")
    db.session.execute(db.delete(SyncClient).where(SyncClient.id == old_phone))  # forgotten
    db.session.execute(update(SyncOutcome).values(decided_at=utcnow() - timedelta(days=91)))
    db.session.execute(  # change 3 was decided recently
        update(SyncOutcome)
        .where(SyncOutcome.change_id == change[3])
        .values(decided_at=utcnow() - timedelta(days=10))
    )
    db.session.commit()

    result = runner.invoke(args=["sync", "prune", "--batch", "1"])

    assert result.exit_code == 0, result.output
    assert "Forgot 2 sync outcomes decided more than 90 days ago" in result.output
    left = set(db.session.scalars(select(SyncOutcome.change_id)))
    assert left == {change[3], change[4], forgotten[1]}
    # The change whose answer the app may not have had is still answered as decided.
    assert push(phone, 4, change=change)[0] == {
        "mutation_id": 4,
        "status": "applied",
        "entry_id": str(uuid.UUID(int=14)),
        "created": True,
        "repeated": True,
    }
    # Once a pull has told the app, it goes too; a rerun with nothing to do forgets nothing.
    client.get(f"/api/v1/sync/pull?client_id={phone}")
    assert "Forgot 1 sync outcomes" in runner.invoke(args=["sync", "prune"]).output
    assert "Forgot 0 sync outcomes" in runner.invoke(args=["sync", "prune"]).output
