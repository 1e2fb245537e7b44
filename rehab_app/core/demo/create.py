"""Writing the demo: the accounts, care links, programmes and every day's entries."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from config import Config
from rehab_app.models import (
    BadDay,
    CareLink,
    Entry,
    Exercise,
    ExerciseSession,
    FatigueRating,
    MobilityUse,
    ProgrammeItem,
    TeamLink,
    TeamMember,
    User,
    WalkTest,
    new_id,
    utcnow,
)

from ..programme_templates import save as save_template
from ..timeutil import to_utc
from ..vocab import LIMITS
from .clinic import TEMPLATE_NAME, demo_clinic, demo_notes
from .people import (
    BAD_DAY_NOTES,
    COLLEAGUE_EMAIL,
    DAYS,
    DEMO_EMAILS,
    DEMO_PASSWORD,
    DEMO_TZ,
    EXERCISE_NOTES,
    FATIGUE_NOTES,
    MOBILITY_NOTES,
    NEWCOMER_EMAIL,
    PATIENTS,
    RANDOM_BAD_DAY_REASONS,
    TEAM_PATIENT,
    THERAPIST_EMAIL,
    THERAPIST_NAME,
    DayState,
    PatientSpec,
    Progress,
)


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
    team = demo_clinic(session, therapist, hashed, _utc(start - timedelta(days=30), time(9, 10)))
    for p in patients:
        linked = joined + timedelta(hours=1)
        if p.email != TEAM_PATIENT:
            session.add(CareLink(therapist_id=therapist.id, patient_id=p.id, created_at=linked))
            continue
        team_link = TeamLink(team_id=team.id, patient_id=p.id, created_at=linked)
        session.add(team_link)
        session.flush()
        for member in session.scalars(
            select(TeamMember.user_id).where(TeamMember.team_id == team.id)
        ):
            session.add(
                CareLink(
                    therapist_id=member,
                    patient_id=p.id,
                    created_at=linked,
                    team_link_id=team_link.id,
                )
            )
    exercises = _exercises(session, {slug for s in PATIENTS for slug, _, _ in s.programme})
    programmes = [
        _programme(session, spec, patient, therapist, exercises, start)
        for spec, patient in zip(PATIENTS, patients, strict=True)
    ]
    demo_notes(session, therapist, patients, today)
    session.flush()
    # Alex's programme, kept by the MS team as a template to start others' from.
    save_template(session, therapist, team, TEMPLATE_NAME, programmes[0])

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
        ("therapist", COLLEAGUE_EMAIL, DEMO_PASSWORD),
        ("therapist", NEWCOMER_EMAIL, DEMO_PASSWORD),
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
