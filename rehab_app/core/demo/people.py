"""The demo's people and their six months: who they are, and how each day goes for them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..vocab import BAD_DAY_REASONS

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - a published demo login, not a secret

DEMO_TZ = "Europe/London"

THERAPIST_EMAIL = "therapist@demo.rehablog.test"
# The therapist's clinic: Sam is its admin; Priya (an OT) shares the MS team's caseload with
# Sam; Lee has asked to join and waits for Sam to let them in.
CLINIC_NAME = "Riverside Neuro Rehab (demo)"
TEAM_NAME = "MS team"
COLLEAGUE_EMAIL = "ot@demo.rehablog.test"
COLLEAGUE_NAME = "Priya Shah, OT (demo)"
NEWCOMER_EMAIL = "slt@demo.rehablog.test"
NEWCOMER_NAME = "Lee Brown, SLT (demo)"
# The patient who linked the team (one code, one consent) rather than Sam alone.
TEAM_PATIENT = "worsening@demo.rehablog.test"

DEMO_EMAILS: tuple[str, ...] = (
    THERAPIST_EMAIL,
    "stable@demo.rehablog.test",
    "worsening@demo.rehablog.test",
    "relapse@demo.rehablog.test",
    COLLEAGUE_EMAIL,
    NEWCOMER_EMAIL,
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
