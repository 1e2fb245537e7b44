"""Demo data: a therapist and three linked patients with six months of plausible entries.

No Flask here: the caller passes a session and commits. Everything is drawn from one seeded
random generator, so the same seed and day give the same log.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from config import Config

from .models import (
    BadDay,
    CareLink,
    Entry,
    Exercise,
    ExerciseSession,
    FatigueRating,
    MobilityUse,
    ProgrammeItem,
    User,
    WalkTest,
    new_id,
    utcnow,
)
from .timeutil import to_utc
from .vocab import BAD_DAY_REASONS, LIMITS

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - a published demo login, not a secret
DEMO_TZ = "Europe/London"
THERAPIST_EMAIL = "therapist@demo.rehablog.test"
DEMO_EMAILS: tuple[str, ...] = (
    THERAPIST_EMAIL,
    "stable@demo.rehablog.test",
    "worsening@demo.rehablog.test",
    "relapse@demo.rehablog.test",
)
DAYS = 182  # six months of days, ending today
RELAPSE_DAYS_AGO = 70  # Chris's relapse, about ten weeks before today

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DayState:
    """How a patient is on one day: the means the day's entries are drawn around."""

    fatigue: float  # mean fatigue rating, 0-10
    distance_m: float  # typical outdoor walk
    speed_m_min: float  # walking speed outdoors
    aid_out: str
    aid_in: str
    walk_out_p: float  # chance of an outdoor walk that day
    near_fall_p: float  # chance of a near-fall per day
    dose_factor: float  # fraction of the prescribed reps/holds/minutes managed
    effort_shift: float  # added to the usual effort
    skip_p: float  # chance of logging nothing
    bad_day_p: float  # chance of a (random) bad day
    carer_p: float  # chance that an entry is logged by a carer


@dataclass(frozen=True)
class PatientSpec:
    """A demo patient: who they are, their programme and how their six months go."""

    key: str
    email: str
    display_name: str
    programme: tuple[tuple[str, int, dict[str, int]], ...]  # (slug, days_per_week, dose)
    state: Callable[[int], DayState]  # days ago -> state
    events: dict[int, list[tuple[str, str, str | None]]]  # days ago -> planted events


def _lerp(a: float, b: float, frac: float) -> float:
    """Linear interpolation between a and b, frac clamped to 0..1."""
    frac = min(1.0, max(0.0, frac))
    return a + (b - a) * frac


def _stable_state(days_ago: int) -> DayState:
    """Alex: steady, with ordinary noise and rare near-falls."""
    return DayState(
        fatigue=4.0,
        distance_m=1200,
        speed_m_min=42,
        aid_out="one_stick",
        aid_in="none",
        walk_out_p=0.65,
        near_fall_p=0.03,
        dose_factor=1.0 + 0.05 * (DAYS - days_ago) / DAYS,
        effort_shift=0.0,
        skip_p=0.28,
        bad_day_p=0.025,
        carer_p=0.02,
    )


def _worsening_state(days_ago: int) -> DayState:
    """Jo: slow worsening of fatigue, walking, aid, near-falls and reps at the same effort."""
    frac = (DAYS - 1 - days_ago) / (DAYS - 1)  # 0 six months ago, 1 today
    if days_ago > 60:
        aid_out, aid_in = "one_stick", "none"
    elif days_ago > 21:
        aid_out, aid_in = "two_sticks", "one_stick"
    else:
        aid_out, aid_in = "frame", "one_stick"
    return DayState(
        fatigue=_lerp(4.0, 6.0, frac),
        distance_m=_lerp(900, 380, frac),
        speed_m_min=_lerp(38, 24, frac),
        aid_out=aid_out,
        aid_in=aid_in,
        walk_out_p=_lerp(0.7, 0.45, frac),
        near_fall_p=_lerp(0.04, 0.45, frac**1.5),
        dose_factor=_lerp(1.0, 0.7, frac),
        effort_shift=0.0,
        skip_p=_lerp(0.27, 0.33, frac),
        bad_day_p=_lerp(0.025, 0.06, frac),
        carer_p=_lerp(0.01, 0.08, frac),
    )


def _relapse_state(days_ago: int) -> DayState:
    """Chris: stable, a relapse ten weeks ago, four hard weeks, then partial recovery."""
    since = RELAPSE_DAYS_AGO - days_ago  # days since the relapse; negative before it
    if since < 0:
        hit = 0.0
    elif since < 28:
        hit = 1.0
    else:
        hit = max(0.3, 1.0 - 0.7 * (since - 28) / 21)  # eases over three weeks to 30%
    return DayState(
        fatigue=4.3 + 3.0 * hit,
        distance_m=1000 * (1 - 0.55 * hit),
        speed_m_min=40 - 12 * hit,
        aid_out="two_sticks" if 0 <= since < 21 else "one_stick",
        aid_in="one_stick" if 0 <= since < 28 else "none",
        walk_out_p=0.6 - 0.25 * hit,
        near_fall_p=0.04 + 0.2 * hit,
        dose_factor=1.0 - 0.3 * hit,
        effort_shift=1.5 * hit,
        skip_p=0.28 + 0.1 * hit,
        bad_day_p=0.025 + 0.03 * hit,
        carer_p=0.015 + 0.05 * hit,
    )


PATIENTS: tuple[PatientSpec, ...] = (
    PatientSpec(
        key="stable",
        email="stable@demo.rehablog.test",
        display_name="Alex Morgan (demo)",
        programme=(
            ("sit-to-stand", 5, {"sets": 2, "reps": 10}),
            ("standing-balance-near-support", 5, {"reps": 5, "hold_seconds": 20}),
            ("pace-a-task", 3, {"minutes": 20, "rests": 2}),
            ("long-strong-ah", 5, {"phonation_seconds": 12, "loudness_db": 75}),
        ),
        state=_stable_state,
        events={},
    ),
    PatientSpec(
        key="worsening",
        email="worsening@demo.rehablog.test",
        display_name="Jo Patel (demo)",
        programme=(
            ("sit-to-stand", 5, {"sets": 2, "reps": 10}),
            ("heel-raises", 5, {"sets": 2, "reps": 12}),
            ("seated-marching", 4, {"minutes": 10, "rests": 1}),
            ("putty-squeeze", 4, {"sets": 3, "reps": 10}),
            ("effortful-swallow", 7, {"reps": 10}),
        ),
        state=_worsening_state,
        events={
            47: [("fall", "outdoors", "Caught my foot on the kerb. Bruised knee, no other harm.")],
            19: [("fall", "indoors", "Legs gave way in the kitchen. Partner helped me up.")],
            6: [("fall", "outdoors", "Lost balance turning with the frame. Sat on the path.")],
        },
    ),
    PatientSpec(
        key="relapse",
        email="relapse@demo.rehablog.test",
        display_name="Chris Lee (demo)",
        programme=(
            ("bridge-lift", 4, {"sets": 2, "reps": 8, "hold_seconds": 5}),
            ("heel-to-toe-standing", 5, {"reps": 4, "hold_seconds": 15}),
            ("pedal-exerciser", 3, {"minutes": 15, "rests": 1}),
            ("choose-todays-priorities", 7, {"minutes": 5}),
            ("pa-ta-ka-drill", 5, {"sets": 3, "reps": 10}),
        ),
        state=_relapse_state,
        events={
            RELAPSE_DAYS_AGO: [
                (
                    "bad_day",
                    "relapse",
                    "New numbness and a weaker left leg since yesterday. Called the MS nurse.",
                )
            ],
            RELAPSE_DAYS_AGO - 1: [("bad_day", "relapse", "Still numb. Resting most of the day.")],
            RELAPSE_DAYS_AGO - 4: [("bad_day", "fatigue", None)],
            RELAPSE_DAYS_AGO - 9: [("bad_day", "relapse", "Steroids started today.")],
            RELAPSE_DAYS_AGO - 16: [("bad_day", "fatigue", "Could only manage the priorities.")],
            RELAPSE_DAYS_AGO - 23: [("bad_day", "no_help", None)],
        },
    ),
)

THERAPIST_NAME = "Dr Sam Okafor (demo)"

EXERCISE_NOTES = (
    "Felt wobbly on the last set.",
    "Did these after lunch instead.",
    "Easier than last week.",
    "Hard going today.",
    "Legs stiff to start with, better after.",
    "Took it slowly.",
)
FATIGUE_NOTES = (
    "Slept badly.",
    "Warm on the bus.",
    "Busy morning.",
    "Had a nap, helped a bit.",
    "Long phone call wore me out.",
)
MOBILITY_NOTES = (
    "Walked to the shop and back.",
    "Round the park, sat on the bench twice.",
    "Windy, kept it short.",
    "Walked to the post box.",
)
BAD_DAY_NOTES: dict[str, tuple[str, ...]] = {
    "fatigue": ("Wiped out all day.", "Could not get going."),
    "heat": ("Too hot to do much.",),
    "infection": ("Bladder infection, on antibiotics.", "Bad cold."),
    "pain": ("Legs aching badly.",),
    "no_help": ("Carer could not come today.",),
    "other": ("Hospital appointment took the whole day.",),
}
# Relapses are planted, never random.
RANDOM_BAD_DAY_REASONS = tuple(r for r in BAD_DAY_REASONS if r != "relapse")


def create_demo(
    session: Session,
    today: date,
    progress: Progress | None = None,
    seed: int = 7,
    password_method: str = Config.PASSWORD_HASH_METHOD,
) -> list[tuple[str, str, str]]:
    """Add a demo therapist and three linked patients with six months of entries; return logins."""
    existing = session.scalar(select(User.id).where(User.email.in_(DEMO_EMAILS)).limit(1))
    if existing is not None:
        raise ValueError("Demo data is already loaded.")
    rng = random.Random(seed)
    # One hash for the one shared demo password: hashing is slow on purpose.
    hashed = generate_password_hash(DEMO_PASSWORD, method=password_method)
    start = today - timedelta(days=DAYS - 1)
    joined = _utc(start - timedelta(days=2), time(10, 0))
    therapist = User(
        email=THERAPIST_EMAIL,
        password_hash=hashed,
        display_name=THERAPIST_NAME,
        role="therapist",
        timezone=DEMO_TZ,
        created_at=_utc(start - timedelta(days=30), time(9, 0)),
        # Demo accounts are made by the operator: confirmed, and the therapist vouched for.
        email_confirmed_at=_utc(start - timedelta(days=30), time(9, 0)),
        approved_at=_utc(start - timedelta(days=30), time(9, 5)),
    )
    patients = [
        User(
            email=spec.email.lower(),
            password_hash=hashed,
            display_name=spec.display_name,
            role="patient",
            timezone=DEMO_TZ,
            created_at=joined,
            email_confirmed_at=joined,
        )
        for spec in PATIENTS
    ]
    session.add_all([therapist, *patients])
    session.flush()
    session.add_all(
        CareLink(therapist_id=therapist.id, patient_id=p.id, created_at=joined + timedelta(hours=1))
        for p in patients
    )
    exercises = _exercises(session, {slug for s in PATIENTS for slug, _, _ in s.programme})
    programmes = [
        _programme(session, spec, patient, therapist, exercises, start)
        for spec, patient in zip(PATIENTS, patients, strict=True)
    ]
    session.flush()

    total = DAYS * len(PATIENTS)
    done = 0
    now = utcnow()
    for spec, patient, items in zip(PATIENTS, patients, programmes, strict=True):
        for offset in range(DAYS):
            day = start + timedelta(days=offset)
            entries = _day_entries(rng, spec, patient.id, items, day, (today - day).days)
            session.add_all(e for e in entries if e.occurred_at <= now)
            done += 1
            if progress is not None:
                progress(done, total)
            if done % 28 == 0:
                session.flush()
    session.flush()
    return demo_logins()


def demo_logins() -> list[tuple[str, str, str]]:
    """The demo accounts' (role, email, password), for printing."""
    return [
        ("therapist", THERAPIST_EMAIL, DEMO_PASSWORD),
        *(("patient", spec.email, DEMO_PASSWORD) for spec in PATIENTS),
    ]


def _utc(day: date, at: time) -> datetime:
    """Naive UTC for a local wall-clock time on a day in the demo time zone."""
    return to_utc(datetime.combine(day, at), DEMO_TZ)


def _exercises(session: Session, slugs: set[str]) -> dict[str, Exercise]:
    """The catalogue exercises with these slugs, by slug (missing ones are left out)."""
    rows = session.scalars(select(Exercise).where(Exercise.slug.in_(sorted(slugs))))
    return {e.slug: e for e in rows}


def _programme(
    session: Session,
    spec: PatientSpec,
    patient: User,
    therapist: User,
    exercises: dict[str, Exercise],
    start: date,
) -> list[ProgrammeItem]:
    """Prescribe a patient's programme from the catalogue, with doses fitting each exercise."""
    items = []
    for slug, days_per_week, dose in spec.programme:
        exercise = exercises.get(slug)
        if exercise is None:
            continue
        fields = {f: v for f, v in dose.items() if f in exercise.record_fields}
        items.append(
            ProgrammeItem(
                patient_id=patient.id,
                therapist_id=therapist.id,
                exercise_id=exercise.id,
                discipline=exercise.discipline,
                days_per_week=days_per_week,
                start_date=start,
                created_at=_utc(start, time(11, 0)),
                updated_at=_utc(start, time(11, 0)),
                **fields,
            )
        )
    session.add_all(items)
    return items


def _clamp(value: float, low: int, high: int) -> int:
    """Round and keep within low..high."""
    return max(low, min(high, round(value)))


def _at(rng: random.Random, day: date, first_hour: float, last_hour: float) -> datetime:
    """A random local time (to 5 minutes) between two hours on a day, as naive UTC."""
    minutes = rng.uniform(first_hour * 60, last_hour * 60)
    minutes = 5 * math.floor(minutes / 5)
    return _utc(day, time(int(minutes // 60), int(minutes % 60)))


def _day_entries(
    rng: random.Random,
    spec: PatientSpec,
    user_id: int,
    items: list[ProgrammeItem],
    day: date,
    days_ago: int,
) -> list[Entry]:
    """One patient's entries for one day (often none)."""
    state = spec.state(days_ago)
    events = spec.events.get(days_ago, [])
    bad_reasons = [reason for kind, reason, _ in events if kind == "bad_day"]
    random_bad = rng.random() < state.bad_day_p
    if not events and not random_bad and rng.random() < state.skip_p:
        return []
    summer = day.month in (6, 7, 8)
    out: list[Entry] = []

    def base(cls: type[Entry], occurred: datetime, notes: tuple[str, ...] = ()) -> Entry:
        note = rng.choice(notes) if notes and rng.random() < 0.05 else None
        return cls(
            id=new_id(),
            user_id=user_id,
            occurred_at=occurred,
            local_date=day,
            by_carer=rng.random() < state.carer_p,
            note=note,
            created_at=occurred,
            updated_at=occurred,
        )

    for kind, reason, note in events:
        if kind == "bad_day":
            entry = base(BadDay, _at(rng, day, 9, 12))
            entry.reason, entry.note = reason, note
            out.append(entry)
    if random_bad and not bad_reasons:
        reason = rng.choice(RANDOM_BAD_DAY_REASONS)
        if reason == "heat" and not summer:
            reason = "fatigue"
        entry = base(BadDay, _at(rng, day, 10, 20), BAD_DAY_NOTES.get(reason, ()))
        entry.reason = reason
        bad_reasons.append(reason)
        out.append(entry)
    bad = bool(bad_reasons)

    # Fatigue: 1-3 ratings, lower in the morning and higher in the afternoon.
    day_mean = state.fatigue + rng.gauss(0, 0.7) + (1.5 if bad else 0.0)
    count = rng.choices((1, 2, 3), weights=(30, 45, 25))[0]
    slots = {1: [rng.choice(("morning", "afternoon"))], 2: ["morning", "afternoon"]}.get(
        count, ["morning", "midday", "afternoon"]
    )
    for slot in slots:
        hours, shift = {"morning": ((7.5, 10), -1.0), "midday": ((11.5, 14), 0.0)}.get(
            slot, ((15, 18.5), 1.0)
        )
        entry = base(FatigueRating, _at(rng, day, *hours), FATIGUE_NOTES)
        entry.fatigue = _clamp(day_mean + shift + rng.gauss(0, 0.5), 0, LIMITS["scale"])
        entry.context = _fatigue_context(rng, slot, summer, bad_reasons)
        out.append(entry)

    # Exercise sessions for the programme items due, on most days.
    for index, item in enumerate(items):
        chance = item.days_per_week / 7 * (0.45 if bad else 0.85)
        if rng.random() >= chance:
            continue
        first = 9.5 + 1.5 * index
        entry = base(ExerciseSession, _at(rng, day, first, first + 1.5), EXERCISE_NOTES)
        entry.programme_item_id = item.id
        entry.exercise_id = item.exercise_id
        entry.name = item.name
        entry.discipline = item.discipline
        for field, value in item.dose().items():
            setattr(entry, field, _dose(rng, field, value, state.dose_factor, bad))
        entry.effort = _clamp(rng.gauss(5 + state.effort_shift, 1.0), 0, LIMITS["scale"])
        entry.pain = _clamp(abs(rng.gauss(0.5, 1.3)), 0, LIMITS["scale"])
        out.append(entry)

    out.extend(_mobility(rng, spec, state, day, days_ago, bad, base))
    if days_ago % WALK_TEST_EVERY == WALK_TEST_EVERY // 2 and not bad:
        out.append(_walk_test(spec, state, user_id, day, days_ago))
    return out


WALK_TEST_EVERY = 14  # days between timed walks, as a therapist might ask


def _walk_test(spec: PatientSpec, state: DayState, user_id: int, day: date, days_ago: int) -> Entry:
    """A timed 7.6 m walk indoors, as fast as is safe: a little quicker than the usual pace."""
    # Its own generator, as for near-falls: the shared draws must not shift the demo's story.
    own = random.Random(f"walk-test:{spec.key}:{days_ago}")
    usual = 7.6 / (state.speed_m_min / 60) * 0.8
    occurred = _at(own, day, 11, 16)
    return WalkTest(
        id=new_id(),
        user_id=user_id,
        occurred_at=occurred,
        local_date=day,
        by_carer=own.random() < state.carer_p,
        created_at=occurred,
        updated_at=occurred,
        trial_1_seconds=round(usual * own.lognormvariate(0, 0.06), 1),
        trial_2_seconds=round(usual * own.lognormvariate(0, 0.06), 1),
        aid=state.aid_in,
        setting="indoors",
    )


def _fatigue_context(
    rng: random.Random, slot: str, summer: bool, bad_reasons: list[str]
) -> str | None:
    """An optional context for a fatigue rating."""
    if "infection" in bad_reasons and rng.random() < 0.7:
        return "infection"
    if slot == "morning":
        return "poor_sleep" if rng.random() < 0.08 else None
    if summer and slot == "afternoon" and rng.random() < 0.3:
        return "heat"
    if slot == "afternoon" and rng.random() < 0.12:
        return "after_exertion"
    return "heat" if rng.random() < 0.02 else None


def _dose(rng: random.Random, field: str, value: int, factor: float, bad: bool) -> int:
    """A done dose near the prescribed one."""
    limit = LIMITS[field]
    if field == "sets":
        return max(1, value - (1 if bad or rng.random() < 0.1 else 0))
    if field == "rests":
        return _clamp(value + rng.choice((0, 0, 0, 1)) + (1 if bad else 0), 0, limit)
    if field == "loudness_db":
        return _clamp(rng.gauss(value - 3 * (1 - factor), 2), 40, limit)
    scaled = value * factor * (0.8 if bad else 1.0)
    return _clamp(rng.gauss(scaled, max(0.6, 0.08 * value)), 1, limit)


def _mobility(
    rng: random.Random,
    spec: PatientSpec,
    state: DayState,
    day: date,
    days_ago: int,
    bad: bool,
    base: Callable[..., Entry],
) -> list[Entry]:
    """The day's mobility-aid entries: an outdoor walk, time indoors, falls and near-falls."""
    events = spec.events.get(days_ago, [])
    falls = {where: note for kind, where, note in events if kind == "fall"}
    walk_out = "outdoors" in falls or rng.random() < state.walk_out_p * (0.5 if bad else 1.0)
    walk_in = "indoors" in falls or rng.random() < 0.55 or (not walk_out and rng.random() < 0.6)
    out: list[Entry] = []
    near_p = state.near_fall_p / (int(walk_out) + int(walk_in) or 1)
    for setting, go in (("outdoors", walk_out), ("indoors", walk_in)):
        if not go:
            continue
        if setting == "outdoors":
            entry = base(MobilityUse, _at(rng, day, 10, 17), MOBILITY_NOTES)
            entry.aid = state.aid_out
            distance = state.distance_m * rng.lognormvariate(0, 0.18) * (0.7 if bad else 1.0)
            entry.distance_m = _clamp(distance / 10, 2, LIMITS["distance_m"] // 10) * 10
            if rng.random() < 0.6:
                entry.minutes = _clamp(entry.distance_m / state.speed_m_min, 1, LIMITS["minutes"])
        else:
            entry = base(MobilityUse, _at(rng, day, 18, 21.5))
            entry.aid = state.aid_in
            entry.minutes = _clamp(rng.gauss(40 if not bad else 25, 12), 5, LIMITS["minutes"])
        entry.setting = setting
        entry.falls = 1 if setting in falls else 0
        if setting in falls:
            entry.note = falls[setting]
        # Drawn from the day's own generator, not the shared one: the shared draws shift with
        # the weekday and season of today, and the demo's story (who is flagged) must not.
        roll = random.Random(f"near-falls:{spec.key}:{days_ago}:{setting}").random()
        entry.near_falls = 2 if roll < near_p / 5 else 1 if roll < near_p else 0
        out.append(entry)
    return out
