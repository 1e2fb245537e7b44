"""Rules an entry must meet, shared by the web forms and the sync API (no Flask here)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_PAST = timedelta(days=5 * 366)
MAX_FUTURE = timedelta(hours=1)

CONTROL_CHARS_MESSAGE = "Please remove the invisible control characters."
FUTURE_MESSAGE = "That is in the future. Enter when it happened."
PAST_MESSAGE = "Enter a date within the last five years."


def normal_uuid(text: object) -> str | None:
    """The canonical form of a UUID given as text, or None when it is not one."""
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        return None


def has_control_chars(value: object) -> bool:
    """True for text holding invisible control characters (PostgreSQL cannot store NUL)."""
    return isinstance(value, str) and CONTROL_CHARS.search(value) is not None


def time_window_error(when: datetime, now: datetime) -> str | None:
    """Why a time is not accepted for an entry (too far in the future or past), or None.

    Both times must be on the same clock (both local wall-clock, or both UTC).
    """
    if when > now + MAX_FUTURE:
        return FUTURE_MESSAGE
    if when < now - MAX_PAST:
        return PAST_MESSAGE
    return None
