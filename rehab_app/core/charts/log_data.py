"""What the charts draw: a person's log reduced to plain data, by local date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ..vocab import BAD_DAY_REASONS
from .aids import AidUse
from .exercise import SessionMinutes
from .walk_times import WalkTime


@dataclass(frozen=True)
class LogData:
    """A person's log reduced to what the charts draw, by local date."""

    fatigue: Sequence[tuple[date, int]] = ()
    sessions: Sequence[SessionMinutes] = ()
    aids: Sequence[AidUse] = ()
    bad_days: Sequence[tuple[date, str | None]] = ()
    walks: Sequence[WalkTime] = ()


def bad_day_words(reason: str | None) -> str:
    """A bad day's reason in words."""
    return BAD_DAY_REASONS.get(reason or "", "Bad day")
