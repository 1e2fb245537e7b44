"""A mutation's fields checked and cleaned by the rules the web forms use too."""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from rehab_app.models import (
    Entry,
    Exercise,
    ProgrammeItem,
    User,
    utcnow,
)

from ..validation import (
    BROKEN_TEXT_MESSAGE,
    CONTROL_CHARS_MESSAGE,
    EXERCISE_MISSING_MESSAGE,
    PAST_MESSAGE,
    has_control_chars,
    has_lone_surrogates,
    time_window_error,
)
from ..vocab import (
    NAME_MAX,
    NOTE_MAX,
    WALK_SECONDS_MAX,
    WALK_SECONDS_MESSAGE,
)
from .rules import (
    CHOICES,
    COMMON_FIELDS,
    KIND_FIELDS,
    NUMBER_LIMITS,
    READ_ONLY,
    REFERENCE_FIELDS,
    REQUIRED,
    REQUIRED_MESSAGES,
    SECONDS_FIELDS,
    Rejection,
)

# Per kind, the fields a mutation may set; and what an entry carries that is not a field.
_ALLOWED = {kind: frozenset((*COMMON_FIELDS, *names)) for kind, names in KIND_FIELDS.items()}
_NOT_FIELDS = frozenset(("id", "kind", *READ_ONLY))


def clean_fields(
    session: Session,
    user: User,
    kind: str,
    data: dict[str, Any],
    partial: bool,
    current: Entry | None = None,
) -> dict[str, Any]:
    """The entry columns to set from a mutation's fields, checked as the web forms check them.

    A create must carry every required field; an update (partial) carries only the fields
    that changed, and the entry they make with the current values must still be valid.
    Raises Rejection with the first problem found.
    """
    allowed = _ALLOWED[kind]
    given = {k: v for k, v in data.items() if k not in _NOT_FIELDS}
    if not given.keys() <= allowed:
        for name in sorted(given):  # the first in order, as the phone may show it
            if name not in allowed:
                raise Rejection("unknown_field", f"A {kind} entry has no field {name!r}.", name)

    fields: dict[str, Any] = {}
    for name, value in given.items():
        fields[name] = _clean_value(name, value)
    if not partial:
        for name in allowed:
            fields.setdefault(name, None)
        if fields["occurred_at"] is None:
            raise Rejection("invalid", "Enter when it happened.", "occurred_at")
        fields["by_carer"] = bool(fields["by_carer"])
    if "by_carer" in fields and fields["by_carer"] is None:
        fields["by_carer"] = False
    if "occurred_at" in fields:
        if fields["occurred_at"] is None:
            raise Rejection("invalid", "Enter when it happened.", "occurred_at")
        error = time_window_error(fields["occurred_at"], utcnow())
        if error:
            raise Rejection("invalid", error, "occurred_at")

    def merged(name: str) -> Any:
        return fields[name] if name in fields else getattr(current, name, None)

    if kind == "exercise":
        # First, as the form: an exercise from the list brings its own name and therapy (so
        # "therapy" is required only of one's own), and one with neither is asked its name.
        _clean_exercise(session, user, fields, merged)
    for name in REQUIRED[kind]:
        if merged(name) is None:
            raise Rejection("invalid", REQUIRED_MESSAGES[name], name)
    if kind == "mobility":  # as the form: no count is a count of none
        for name in ("falls", "near_falls"):
            if name in fields and fields[name] is None:
                fields[name] = 0
            elif not partial:
                fields.setdefault(name, 0)
    return fields


def _clean_exercise(session: Session, user: User, fields: dict[str, Any], value: Any) -> None:
    if fields.get("exercise_id") is not None:
        exercise = session.get(Exercise, fields["exercise_id"])
        if exercise is None:
            raise Rejection("invalid", "Choose one of the exercises offered.", "exercise_id")
        # As the form: a catalogue exercise names itself and belongs to one therapy.
        fields["name"] = exercise.name
        fields["discipline"] = exercise.discipline
    elif value("exercise_id") is None and not value("name"):
        raise Rejection("invalid", EXERCISE_MISSING_MESSAGE, "name")
    if fields.get("programme_item_id") is not None:
        item = session.get(ProgrammeItem, fields["programme_item_id"])
        if item is None or item.patient_id != user.id:
            raise Rejection(
                "invalid", "That exercise is not in your programme.", "programme_item_id"
            )


def _clean_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "occurred_at":
        return _parse_time(value)
    if name == "by_carer":
        if not isinstance(value, bool):
            raise Rejection("invalid", "Say true or false.", name)
        return value
    if name in SECONDS_FIELDS:
        return walk_seconds(value, name)
    if name in NUMBER_LIMITS or name in REFERENCE_FIELDS:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON has one number type: 7.0 is 7, as for mutation ids
        high = NUMBER_LIMITS.get(name, 2**31 - 1)
        low = 0 if name in NUMBER_LIMITS else 1
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Rejection("invalid", f"Enter a whole number from {low} to {high}.", name)
        return value
    if not isinstance(value, str):
        raise Rejection("invalid", "Enter text.", name)
    if has_control_chars(value):
        raise Rejection("invalid", CONTROL_CHARS_MESSAGE, name)
    if has_lone_surrogates(value):
        raise Rejection("invalid", BROKEN_TEXT_MESSAGE, name)
    value = value.strip()
    if name in CHOICES:
        if value not in CHOICES[name]:
            raise Rejection("invalid", "Choose one of the options.", name)
        return value or None  # the fatigue context "" is "nothing in particular"
    if name == "note":
        if len(value) > NOTE_MAX:
            raise Rejection("invalid", f"Keep the note under {NOTE_MAX} characters.", name)
        return value or None
    if name == "name":
        if len(value) > NAME_MAX:
            raise Rejection("invalid", f"Keep the name under {NAME_MAX} characters.", name)
        return value or None
    raise Rejection("unknown_field", f"No field {name!r}.", name)  # pragma: no cover


def walk_seconds(value: Any, name: str) -> float:
    """A walk trial's seconds, to a tenth: more than 0, at most WALK_SECONDS_MAX."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Rejection("invalid", WALK_SECONDS_MESSAGE, name)
    seconds = round(float(value), 1)
    if not 0 < seconds <= WALK_SECONDS_MAX:
        raise Rejection("invalid", WALK_SECONDS_MESSAGE, name)
    return seconds


def _parse_time(value: Any) -> datetime:
    """An ISO 8601 time with its offset ("2026-03-01T09:30:00Z"), as naive UTC."""
    if not isinstance(value, str):
        raise Rejection("invalid", "Enter when it happened.", "occurred_at")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Rejection("invalid", "Enter a date and time.", "occurred_at") from None
    if parsed.tzinfo is None:
        raise Rejection("invalid", "Give the time in UTC, ending in Z.", "occurred_at")
    try:
        return parsed.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is before the year 1 in UTC
        raise Rejection("invalid", PAST_MESSAGE, "occurred_at") from None


# The form every app sends. Read with a pattern first: parsing each of a batch's ids (entry,
# change, undone change) with uuid.UUID cost a tenth of the apply (bench/README.md, Sync).
_CANONICAL_UUID = re.compile(
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def uuid_text(value: object) -> str | None:
    """A UUID written in 36 characters, as stored (lower case); None for anything else."""
    if not isinstance(value, str) or len(value) != 36:
        return None
    return _uuid_of(value)


@lru_cache(maxsize=4096)  # a batch reads each of its ids twice: up front, then deciding it
def _uuid_of(value: str) -> str | None:
    if _CANONICAL_UUID.fullmatch(value):
        return value.lower()
    try:  # anything else uuid.UUID reads in 36 characters, as before the pattern
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None


def _is_uuid(value: str) -> bool:
    return uuid_text(value) is not None
