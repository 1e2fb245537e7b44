"""Rules an entry must meet, shared by the web forms and the sync API (no Flask here)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import datetime, timedelta

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_PAST = timedelta(days=5 * 366)
MAX_FUTURE = timedelta(hours=1)

# A lone half of a UTF-16 pair ("\ud800" in JSON): no database can store it as UTF-8.
LONE_SURROGATES = re.compile(r"[\ud800-\udfff]")

CONTROL_CHARS_MESSAGE = "Please remove the invisible control characters."
FUTURE_MESSAGE = "That is in the future. Enter when it happened."
PAST_MESSAGE = "Enter a date within the last five years."
BROKEN_TEXT_MESSAGE = "This text has a broken character that cannot be stored. Type it again."
EXERCISE_MISSING_MESSAGE = "Choose an exercise or type its name."
OWN_THERAPY_MESSAGE = "Choose the kind of therapy for your own exercise."
WALK_TRIAL_MESSAGES = {
    "trial_1_seconds": "Time the first walk, or type its seconds.",
    "trial_2_seconds": "Time the second walk, or type its seconds.",
}


def phone_rules() -> dict[str, object]:
    """The entry rules the phone checks before it saves (static/js/validate.js), as data: the
    server's own limits and words, so that phone and server give one verdict in one wording
    (tests/test_phone_verdicts.py runs the same cases through both)."""
    return {
        "max_future_ms": int(MAX_FUTURE.total_seconds() * 1000),
        "max_past_ms": int(MAX_PAST.total_seconds() * 1000),
        "control_chars": CONTROL_CHARS.pattern,
        "messages": {
            "future": FUTURE_MESSAGE,
            "past": PAST_MESSAGE,
            "control_chars": CONTROL_CHARS_MESSAGE,
            "exercise_missing": EXERCISE_MISSING_MESSAGE,
            "own_therapy": OWN_THERAPY_MESSAGE,
        },
    }


def normal_uuid(text: object) -> str | None:
    """The canonical form of a UUID given as text, or None when it is not one."""
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        return None


def has_control_chars(value: object) -> bool:
    """True for text holding invisible control characters (PostgreSQL cannot store NUL)."""
    return isinstance(value, str) and CONTROL_CHARS.search(value) is not None


def has_lone_surrogates(value: object) -> bool:
    """True for text holding half of a UTF-16 pair, which cannot be stored (JSON allows it)."""
    return isinstance(value, str) and LONE_SURROGATES.search(value) is not None


# Characters that change how a name looks without being seen: bidi controls turn "Dr Ann"
# around or hide part of it, zero-width ones make two names that look the same differ.
BIDI_CONTROLS = frozenset(
    [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f"]
) | {"\u061c"}
ZERO_WIDTH = frozenset(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
# Letters that draw nothing (Hangul fillers, the braille blank): a name of them looks empty.
BLANK_LETTERS = frozenset(["\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"])
# Unicode categories never wanted in a name: control, format, unassigned, private use,
# surrogates, line and paragraph separators.
REFUSED_CATEGORIES = frozenset(["Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"])

NAME_INVISIBLE_MESSAGE = (
    "Your name has hidden or control characters in it (such as direction or zero-width marks). "
    "Please type it again using letters, spaces and punctuation only."
)
NAME_EMPTY_MESSAGE = "Enter a name people can read: at least one letter or number."


def name_error(name: str) -> str | None:
    """Why a display name is refused (hidden or control characters, nothing visible), or None.

    A therapist's name is what a patient reads before sharing their health data: it must
    look like what it is, so nothing in it may hide, reverse or impersonate.
    """
    for char in name:
        if (
            char in BIDI_CONTROLS
            or char in ZERO_WIDTH
            or unicodedata.category(char) in REFUSED_CATEGORIES
        ):
            return NAME_INVISIBLE_MESSAGE
    if not any(
        unicodedata.category(char)[0] in "LNPS" and char not in BLANK_LETTERS for char in name
    ):
        return NAME_EMPTY_MESSAGE
    return None


def time_window_error(when: datetime, now: datetime) -> str | None:
    """Why a time is not accepted for an entry (too far in the future or past), or None.

    Both times must be on the same clock (both local wall-clock, or both UTC).
    """
    if when > now + MAX_FUTURE:
        return FUTURE_MESSAGE
    if when < now - MAX_PAST:
        return PAST_MESSAGE
    return None
