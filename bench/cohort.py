"""A synthetic caseload: one therapist, many patients, years of daily entries, as plain rows.

Each day of each patient is drawn by the demo data's day generator (`rehab_app.core.demo`), so the
entries look like the demo's: one to three fatigue ratings a day, exercise sessions for the
programme items, walks outdoors and time indoors with falls and near-falls, bad days and
unlogged days. What is added here is a course over the years for each person (stable, slowly
worsening, relapsing, or stopping logging), holidays without entries, programmes that change
at each review, a few edited and deleted entries, sync clients and the therapist's access
record. Rows come out in the order a live server would have written them (by time), so that
a person's entries are spread over the table as they are in real life, not packed together.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import cast

from werkzeug.security import generate_password_hash

from config import TestConfig
from rehab_app.core import demo
from rehab_app.core.catalogue import CATALOGUE
from rehab_app.core.demo import DayState, PatientSpec
from rehab_app.core.timeutil import local_today, to_utc
from rehab_app.models import Entry, Exercise, ProgrammeItem, new_id, utcnow

PASSWORD = "bench-password-2026"
THERAPIST_EMAIL = "therapist@bench.rehablog.test"
THERAPIST_NAME = "Dr Bench Mark"
TZ = demo.DEMO_TZ  # the demo's day generator writes times in this zone
# The walking-aid ladder a worsening person climbs, one rung at a time.
LADDER = ("none", "one_stick", "two_sticks", "frame", "manual_wheelchair")
# How each person's years go, and how common each course is in the caseload (weights).
COURSES = {"stable": 50, "worsening": 20, "relapsing": 20, "stopped_logging": 10}
# A prescribed dose for each field an exercise records: (lowest, highest, step).
DOSES = {
    "sets": (2, 3, 1),
    "reps": (6, 15, 1),
    "hold_seconds": (10, 30, 5),
    "minutes": (5, 20, 5),
    "distance_m": (200, 600, 50),
    "phonation_seconds": (8, 15, 1),
    "loudness_db": (68, 78, 1),
    "rests": (0, 2, 1),
}
FIRST_NAMES = (
    "Alex Ash Casey Charlie Chris Drew Eli Jamie Jo Jordan Kim Lee Morgan Nico Pat Robin "
    "Rowan Sam Sasha Taylor"
).split()
LAST_NAMES = (
    "Ahmed Brown Chen Davies Evans Hughes Jones Kelly Khan Lee Morgan Murphy Nowak Okafor "
    "Patel Silva Smith Taylor Williams Wilson"
).split()
DELETED_SHARE, EDITED_SHARE = 0.01, 0.02  # entries later deleted (tombstones), or changed
SYNCING_SHARE = 0.6  # patients who also use the offline app (a sync client)
# Items in force at once: the demo's day generator times the k-th item at 9:30 + 1.5 h * k.
MAX_ITEMS = 7

Event = tuple[str, str, str | None]  # the demo's planted events: (kind, reason or where, note)
Progress = Callable[[int, int], None]

ENTRY_COLUMNS = tuple(c.name for c in Entry.__table__.columns)
ITEM_COLUMNS = tuple(c.name for c in ProgrammeItem.__table__.columns)
CREATED, UPDATED, DELETED = (
    ENTRY_COLUMNS.index(c) for c in ("created_at", "updated_at", "deleted_at")
)


@dataclass
class Rows:
    """Rows of one table, each a list of values in the order of `columns`."""

    table: str
    columns: tuple[str, ...]
    rows: list[list[object]] = field(default_factory=list)


@dataclass
class Cohort:
    """Everything to load, table by table in foreign-key order, and who is who."""

    therapist_id: int
    patient_ids: list[int]
    tables: list[Rows]
    courses: Counter[str]
    now: datetime


def catalogue_exercises() -> list[Exercise]:
    """The seeded catalogue as unsaved objects, with the ids the loader gives them (1, 2…)."""
    return [
        Exercise(
            id=i,
            slug=e["slug"],
            name=e["name"],
            discipline=e["discipline"],
            category=e["category"],
            description=e["description"],
            records=",".join(e["records"]),
        )
        for i, e in enumerate(CATALOGUE, start=1)
    ]


def generate(
    patients: int, years: float, seed: int = 1, progress: Progress | None = None
) -> Cohort:
    """A therapist linked to `patients` people, each with `years` of daily entries to today."""
    rng = random.Random(seed)
    now = utcnow()
    today = local_today(TZ, now)
    days = round(365 * years)
    first = today - timedelta(days=days - 1)
    exercises = catalogue_exercises()
    therapist_id = 1
    patient_ids = list(range(2, patients + 2))
    pool = list(itertools.product(FIRST_NAMES, LAST_NAMES))  # names repeat past 400 people
    names = rng.sample(pool, min(patients, len(pool))) + rng.choices(
        pool, k=max(0, patients - len(pool))
    )
    joined = _utc(first - timedelta(days=1), time(10, 0))
    hashed = generate_password_hash(PASSWORD, method=TestConfig.PASSWORD_HASH_METHOD)

    # Accounts made by the operator, as the demo's: emails confirmed, the therapist approved
    # (logging in needs both).
    users = Rows(
        "users",
        (
            "id",
            "email",
            "password_hash",
            "display_name",
            "role",
            "timezone",
            "created_at",
            "email_confirmed_at",
            "approved_at",
        ),
    )
    users.rows.append(
        [
            therapist_id,
            THERAPIST_EMAIL,
            hashed,
            THERAPIST_NAME,
            "therapist",
            TZ,
            joined,
            joined,
            joined,
        ]
    )
    links = Rows("care_links", ("id", "therapist_id", "patient_id", "created_at", "revoked_at"))
    items = Rows("programme_items", ITEM_COLUMNS)
    entries = Rows("entries", ENTRY_COLUMNS)
    clients = Rows(
        "sync_clients", ("id", "user_id", "created_at", "last_mutation_id", "last_seen_at")
    )
    item_ids = itertools.count(1)
    courses: Counter[str] = Counter()
    for n, (patient_id, (given, family)) in enumerate(zip(patient_ids, names, strict=True)):
        users.rows.append(
            [
                patient_id,
                f"patient{n + 1:04d}@bench.rehablog.test",
                hashed,
                f"{given} {family}",
                "patient",
                TZ,
                joined,
                joined,
                None,
            ]
        )
        links.rows.append([n + 1, therapist_id, patient_id, joined + timedelta(hours=1), None])
        course = rng.choices(list(COURSES), weights=list(COURSES.values()))[0]
        courses[course] += 1
        spec = _spec(rng, course, days, f"p{patient_id}")
        programme = _programme(rng, exercises, patient_id, therapist_id, first, today, item_ids)
        items.rows.extend(_row(item, ITEM_COLUMNS) for item in programme)
        log = _log(rng, spec, patient_id, programme, first, days, today, now)
        entries.rows.extend(log)
        if log and rng.random() < SYNCING_SHARE:
            last = max(cast(datetime, row[CREATED]) for row in log)
            seen = min(now, last + timedelta(minutes=rng.randint(0, 90)))
            clients.rows.append([new_id(), patient_id, joined, len(log), seen])
        if progress is not None:
            progress(n + 1, patients)

    # A live server writes rows as time goes by: order them so, then number the changes.
    at = ENTRY_COLUMNS.index("occurred_at")
    entries.rows.sort(key=lambda row: row[at])  # type: ignore[arg-type, return-value]
    last_seq = _number_changes([entries, items])
    counter = Rows("change_counter", ("id", "value"), [[1, last_seq]])
    events = _access_events(rng, therapist_id, patient_ids, first, today)
    tables = [users, links, items, entries, clients, counter, events]
    return Cohort(therapist_id, patient_ids, tables, courses, now)


def _utc(day: date, at: time) -> datetime:
    """Naive UTC for a wall-clock time on a day in the cohort's time zone."""
    return to_utc(datetime.combine(day, at), TZ)


def _row(obj: object, columns: Sequence[str]) -> list[object]:
    """An unsaved ORM object's column values, in table order (unset ones are None)."""
    values = vars(obj)
    return [values.get(name) for name in columns]


def _spec(rng: random.Random, course: str, days: int, key: str) -> PatientSpec:
    """A patient's years as the demo's day generator reads them: a state per day and events."""
    aid_out = rng.choices(LADDER[:4], weights=(20, 45, 20, 15))[0]
    base = DayState(
        fatigue=rng.uniform(2.5, 5.5),
        distance_m=rng.uniform(300, 1500),
        speed_m_min=rng.uniform(22, 45),
        aid_out=aid_out,
        aid_in=LADDER[max(0, LADDER.index(aid_out) - 1)],
        walk_out_p=rng.uniform(0.35, 0.75),
        near_fall_p=rng.uniform(0.01, 0.06),
        dose_factor=1.0,
        effort_shift=0.0,
        skip_p=rng.uniform(0.05, 0.35),
        bad_day_p=rng.uniform(0.01, 0.04),
        carer_p=rng.uniform(0.0, 0.05),
    )
    silent = _holidays(rng, days)
    events: dict[int, list[Event]] = {}
    # Worsening starts between six months ago and the start; relapses anywhere in between.
    onset = rng.randint(min(180, days), days) if course == "worsening" else 0
    candidates = range(10, days - 10) if days > 30 else range(days)
    relapses = (
        sorted(rng.sample(candidates, min(len(candidates), rng.randint(1, 3))))
        if course == "relapsing"
        else []
    )
    for r in relapses:
        events.setdefault(r, []).append(
            ("bad_day", "relapse", "New symptoms. Called the MS nurse.")
        )
        events.setdefault(r - 1, []).append(("bad_day", "relapse", None))
        if rng.random() < 0.5:
            events.setdefault(r - 9, []).append(("bad_day", "relapse", "Steroids started today."))
    falls = {"stable": (0, 2), "worsening": (2, 8), "relapsing": (1, 4)}.get(course, (0, 2))
    latest = onset or days
    for _ in range(rng.randint(*falls)):
        where = rng.choice(("outdoors", "indoors"))
        events.setdefault(rng.randrange(latest), []).append(("fall", where, "Fell, no harm done."))
    if course == "stopped_logging":
        silent |= set(range(rng.randint(15, 120)))
    events = {d: e for d, e in events.items() if d not in silent}
    residual = rng.uniform(0.0, 0.3)  # what a relapse leaves behind once recovery is over

    def state(days_ago: int) -> DayState:
        s = base
        if onset and days_ago < onset:
            frac = (onset - days_ago) / onset  # 0 at the onset, 1 today
            s = replace(
                s,
                fatigue=s.fatigue + 2.0 * frac,
                distance_m=s.distance_m * (1 - 0.5 * frac),
                speed_m_min=s.speed_m_min * (1 - 0.3 * frac),
                aid_out=_rung_up(s.aid_out) if frac > 0.6 else s.aid_out,
                near_fall_p=s.near_fall_p + 0.3 * frac**1.5,
                dose_factor=1 - 0.3 * frac,
                skip_p=s.skip_p + 0.05 * frac,
                bad_day_p=s.bad_day_p + 0.03 * frac,
            )
        hit = max((_relapse_hit(r - days_ago, residual) for r in relapses), default=0.0)
        if hit:
            s = replace(
                s,
                fatigue=s.fatigue + 3.0 * hit,
                distance_m=s.distance_m * (1 - 0.55 * hit),
                speed_m_min=s.speed_m_min * (1 - 0.3 * hit),
                aid_out=_rung_up(s.aid_out) if hit > 0.9 else s.aid_out,
                near_fall_p=s.near_fall_p + 0.2 * hit,
                dose_factor=s.dose_factor * (1 - 0.3 * hit),
                effort_shift=1.5 * hit,
                skip_p=s.skip_p + 0.1 * hit,
                carer_p=s.carer_p + 0.05 * hit,
            )
        if days_ago in silent:
            s = replace(s, skip_p=1.0, bad_day_p=0.0)
        return s

    return PatientSpec(key, "", "", (), state, events)


def _rung_up(aid: str) -> str:
    return LADDER[min(len(LADDER) - 1, LADDER.index(aid) + 1)] if aid in LADDER else aid


def _relapse_hit(since: int, residual: float) -> float:
    """How hard a relapse weighs `since` days after it: four hard weeks, three to ease."""
    if since < 0:
        return 0.0
    if since < 28:
        return 1.0
    return max(residual, 1.0 - (since - 28) / 21)


def _holidays(rng: random.Random, days: int) -> set[int]:
    """Up to three stretches of 5 to 16 days without any entry (days ago)."""
    silent: set[int] = set()
    for _ in range(rng.randint(0, 3)):
        start = rng.randint(min(20, days - 1), days - 1)
        silent |= set(range(start, min(days, start + rng.randint(5, 16))))
    return silent


def _programme(
    rng: random.Random,
    exercises: Sequence[Exercise],
    patient_id: int,
    therapist_id: int,
    first: date,
    today: date,
    ids: Iterator[int],
) -> list[ProgrammeItem]:
    """Three to six items at the start, then a review every two to six months.

    Each review stops up to two items and prescribes up to two new ones (seven at most in
    force); a few items are six-week courses with an end date.
    """
    items: list[ProgrammeItem] = []

    def prescribe(day: date, current: Sequence[ProgrammeItem]) -> ProgrammeItem:
        taken = {i.exercise_id for i in current}
        exercise = rng.choice([e for e in exercises if e.id not in taken])
        dose = {f: _dose(rng, f) for f in exercise.record_fields}
        at = _utc(day, time(11, 0))
        item = ProgrammeItem(
            id=next(ids),
            patient_id=patient_id,
            therapist_id=therapist_id,
            exercise_id=exercise.id,
            discipline=exercise.discipline,
            days_per_week=rng.choice((3, 4, 5, 5, 7)),
            start_date=day,
            end_date=day + timedelta(days=41) if rng.random() < 0.1 else None,
            created_at=at,
            updated_at=at,
            **dose,
        )
        item.exercise = exercise  # for item.name, which the day generator reads
        items.append(item)
        return item

    active: list[ProgrammeItem] = []
    for _ in range(rng.randint(3, 6)):
        active.append(prescribe(first, active))
    review = first + timedelta(days=rng.randint(60, 180))
    while review < today:
        active = [i for i in active if i.end_date is None or i.end_date >= review]
        for item in rng.sample(active, k=max(0, min(rng.randint(0, 2), len(active) - 2))):
            item.stopped_at = item.updated_at = _utc(review, time(11, 30))
            active.remove(item)
        for _ in range(rng.randint(0 if len(active) >= 4 else 1, 2)):
            if len(active) < MAX_ITEMS:
                active.append(prescribe(review, active))
        review += timedelta(days=rng.randint(60, 180))
    return items


def _dose(rng: random.Random, field: str) -> int:
    low, high, step = DOSES[field]
    return rng.randrange(low, high + 1, step)


def _log(
    rng: random.Random,
    spec: PatientSpec,
    patient_id: int,
    programme: Sequence[ProgrammeItem],
    first: date,
    days: int,
    today: date,
    now: datetime,
) -> list[list[object]]:
    """A patient's entries as rows, day by day (the items in force each day are the plan)."""
    spans = [
        (
            item,
            item.start_date,
            min(
                item.end_date or today,
                (item.stopped_at.date() - timedelta(days=1)) if item.stopped_at else today,
            ),
        )
        for item in programme
    ]
    rows: list[list[object]] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        due = [item for item, start, last in spans if start <= day <= last]
        # The demo's day generator: fatigue, exercise sessions, walking, bad days.
        for entry in demo.create._day_entries(rng, spec, patient_id, due, day, (today - day).days):
            row = _entry_row(rng, entry, now)  # first, so that the time of day draws the same
            if entry.occurred_at <= now:
                rows.append(row)
    return rows


def _entry_row(rng: random.Random, entry: Entry, now: datetime) -> list[object]:
    """An entry as a row; a few were changed later, or deleted (a tombstone)."""
    row = _row(entry, ENTRY_COLUMNS)
    roll = rng.random()
    if roll < DELETED_SHARE + EDITED_SHARE:
        later = min(now, entry.occurred_at + timedelta(minutes=rng.randint(1, 600)))
        row[UPDATED] = later
        if roll < DELETED_SHARE:
            row[DELETED] = later
    return row


def _number_changes(tables: Sequence[Rows]) -> int:
    """Stamp change_seq in the order of the rows' last changes, across tables; return the last."""
    stamped = [
        (row[t.columns.index("updated_at")], row, t.columns.index("change_seq"))
        for t in tables
        for row in t.rows
    ]
    stamped.sort(key=lambda s: s[0])  # type: ignore[arg-type, return-value]
    for seq, (_at, row, column) in enumerate(stamped, start=1):
        row[column] = seq
    return len(stamped)


def _access_events(
    rng: random.Random, therapist_id: int, patient_ids: Sequence[int], first: date, today: date
) -> Rows:
    """The therapist's record of looks: the caseload each working day, patients' pages now and then.

    Today is left out, so that the benchmark's first look of the day records its own.
    """
    events = Rows("access_events", ("at", "therapist_id", "therapist_name", "patient_id", "what"))
    day = first
    while day < today:
        if day.weekday() < 5:
            at = _utc(day, time(8, rng.randint(30, 59)))
            events.rows.extend(
                [at, therapist_id, THERAPIST_NAME, p, "caseload"] for p in patient_ids
            )
            for p in patient_ids:
                if rng.random() < 0.07:  # about twice a month
                    at = _utc(day, time(rng.randint(9, 16), rng.randint(0, 59)))
                    events.rows.append([at, therapist_id, THERAPIST_NAME, p, "patient_page"])
        day += timedelta(days=1)
    events.rows.sort(key=lambda row: row[0])  # type: ignore[arg-type, return-value]
    return events
