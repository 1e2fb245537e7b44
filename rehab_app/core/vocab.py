"""The words of the domain: roles, disciplines, aids, reasons and their plain labels."""

from __future__ import annotations

from typing import Final

ROLES: Final = {"patient": "Person logging their rehab", "therapist": "Therapist"}

DISCIPLINES: Final = {
    "physio": "Physiotherapy",
    "ot": "Occupational therapy",
    "slt": "Speech and language therapy",
    "cognitive": "Cognitive rehabilitation",
}

# The walking-aid ladder of DOMAIN.md, in order; LEVEL is its ordinal rung
# (an ankle-foot orthosis alone counts as no aid).
AIDS: Final = {
    "none": "No aid",
    "afo": "Ankle-foot orthosis (AFO)",
    "one_stick": "One stick, cane or crutch",
    "two_sticks": "Two sticks or crutches",
    "frame": "Walking frame or rollator",
    "manual_wheelchair": "Manual wheelchair",
    "powered_wheelchair": "Powered wheelchair or scooter",
}
AID_LEVEL: Final = {
    "none": 0,
    "afo": 0,
    "one_stick": 1,
    "two_sticks": 2,
    "frame": 2,
    "manual_wheelchair": 3,
    "powered_wheelchair": 3,
}

# The same aids in a word or two, for tables.
AID_SHORT: Final = {
    "none": "no aid",
    "afo": "AFO",
    "one_stick": "one stick",
    "two_sticks": "two sticks",
    "frame": "frame",
    "manual_wheelchair": "wheelchair",
    "powered_wheelchair": "powered chair",
}

SETTINGS: Final = {"indoors": "Indoors", "outdoors": "Outdoors"}

FATIGUE_CONTEXTS: Final = {
    "": "Nothing in particular",
    "heat": "Heat",
    "poor_sleep": "Poor sleep",
    "infection": "Infection or illness",
    "after_exertion": "After exertion",
    "other": "Something else",
}

BAD_DAY_REASONS: Final = {
    "fatigue": "Fatigue",
    "heat": "Heat",
    "infection": "Infection or illness",
    "relapse": "Relapse or flare-up",
    "pain": "Pain",
    "no_help": "No help available",
    "other": "Something else",
}

ENTRY_KINDS: Final = {
    "exercise": "Exercise",
    "fatigue": "Fatigue",
    "mobility": "Walking and mobility aid",
    "bad_day": "Bad day or relapse",
    "walk_test": "Timed 7.6 m walk",
}
# How entries of a kind are counted in a sentence ("3 exercises, 1 fatigue rating"): one, many.
KIND_COUNTED: Final = {
    "exercise": ("exercise", "exercises"),
    "fatigue": ("fatigue rating", "fatigue ratings"),
    "mobility": ("walking entry", "walking entries"),
    "bad_day": ("bad day", "bad days"),
    "walk_test": ("walk test", "walk tests"),
}

# The amounts an exercise can be dosed and recorded in, in display order.
DOSE_FIELDS: Final = (
    "sets",
    "reps",
    "hold_seconds",
    "minutes",
    "distance_m",
    "phonation_seconds",
    "loudness_db",
    "rests",
)

DOSE_LABELS: Final = {
    "sets": "Sets",
    "reps": "Repetitions",
    "hold_seconds": "Hold (seconds)",
    "minutes": "Minutes",
    "distance_m": "Distance (metres)",
    "phonation_seconds": "Sustained 'ah' (seconds)",
    "loudness_db": "Loudness (dB)",
    "rests": "Rests taken",
}

# Upper bounds a form or the API accepts: generous for real life, tight enough to catch typos.
LIMITS: Final = {
    "sets": 50,
    "reps": 500,
    "hold_seconds": 600,
    "minutes": 600,
    "distance_m": 50_000,
    "phonation_seconds": 120,
    "loudness_db": 130,
    "rests": 50,
    "falls": 20,
    "near_falls": 50,
    "scale": 10,
}
# The self-timed 7.6 m (25 foot) walk: two trials in seconds, to a tenth; its score is their mean.
WALK_TRIALS: Final = ("trial_1_seconds", "trial_2_seconds")
WALK_TRIAL_LABELS: Final = {
    "trial_1_seconds": "First walk (seconds)",
    "trial_2_seconds": "Second walk (seconds)",
}
WALK_SECONDS_MAX: Final = 600  # ten minutes: longer is a stopwatch left running
WALK_SECONDS_MESSAGE: Final = (
    f"Enter the seconds the walk took: more than 0 and at most {WALK_SECONDS_MAX} (10 minutes)."
)
NOTE_MAX = 1000
NAME_MAX = 120
