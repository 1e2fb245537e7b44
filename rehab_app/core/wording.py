"""How entries read in plain words, for pages and exports alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from rehab_app.models import walk_score

from .timeutil import to_local
from .vocab import (
    AID_SHORT,
    AIDS,
    BAD_DAY_REASONS,
    DISCIPLINES,
    ENTRY_KINDS,
    FATIGUE_CONTEXTS,
    KIND_COUNTED,
    SETTINGS,
)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def dose_text(source: Any) -> str:
    """A dose in words: '3 sets of 10', 'hold 5 s', '20 min', '400 m', ''ah' 12 s at 70 dB'."""
    parts = []
    sets, reps = getattr(source, "sets", None), getattr(source, "reps", None)
    if sets and reps:
        parts.append(f"{sets} × {reps}")  # noqa: RUF001 - the multiplication sign is meant
    elif reps:
        parts.append(_plural(reps, "rep", "reps"))
    elif sets:
        parts.append(_plural(sets, "set", "sets"))
    if getattr(source, "hold_seconds", None):
        parts.append(f"hold {source.hold_seconds} s")
    if getattr(source, "minutes", None):
        parts.append(f"{source.minutes} min")
    if getattr(source, "distance_m", None):
        parts.append(f"{source.distance_m} m")
    if getattr(source, "phonation_seconds", None):
        parts.append(f"'ah' {source.phonation_seconds} s")
    if getattr(source, "loudness_db", None):
        parts.append(f"{source.loudness_db} dB")
    if getattr(source, "rests", None) is not None and getattr(source, "rests", None) != 0:
        parts.append(_plural(source.rests, "rest", "rests"))
    return " · ".join(parts)


def entry_title(entry: Any) -> str:
    """The headline of an entry."""
    if entry.kind == "exercise":
        return entry.name or DISCIPLINES.get(entry.discipline or "", "Exercise")
    if entry.kind == "fatigue":
        return f"Fatigue {entry.fatigue} out of 10"
    if entry.kind == "mobility":
        return AIDS.get(entry.aid or "", "Walking")
    if entry.kind == "walk_test":
        score = walk_score(entry.trial_1_seconds, entry.trial_2_seconds)
        return "Timed 7.6 m walk" + (f": {score:.1f} s" if score is not None else "")
    if entry.reason == "relapse":
        return "Relapse or flare-up"
    return f"Bad day: {BAD_DAY_REASONS.get(entry.reason or '', '').lower()}"


def day_gist(entries: Iterable[Any]) -> str:
    """What a day's entries come to, in one line: 'Logged today: 3 exercises, 1 fatigue rating'.

    Kinds in their usual order, counted; the phone says the same (views.js `dayGist`).
    """
    counts = Counter(e.kind for e in entries)
    if not counts:
        return "Nothing logged yet today."
    order = [k for k in ENTRY_KINDS if k in counts] + sorted(set(counts) - set(ENTRY_KINDS))
    parts = []
    for kind in order:
        one, many = KIND_COUNTED.get(kind, (kind.replace("_", " "),) * 2)
        parts.append(_plural(counts[kind], one, many))
    return "Logged today: " + ", ".join(parts)


def entry_details(entry: Any) -> str:
    """The details of an entry, in one line."""
    parts: list[str] = []
    if entry.kind == "exercise":
        parts.append(DISCIPLINES.get(entry.discipline or "", ""))
        if dose := dose_text(entry):
            parts.append(dose)
        if entry.effort is not None:
            parts.append(f"effort {entry.effort}/10")
        if entry.pain is not None:
            parts.append(f"pain {entry.pain}/10")
    elif entry.kind == "fatigue":
        if entry.context:
            parts.append(FATIGUE_CONTEXTS.get(entry.context, entry.context))
    elif entry.kind == "mobility":
        parts.append(SETTINGS.get(entry.setting or "", ""))
        if entry.distance_m:
            parts.append(f"{entry.distance_m} m")
        if entry.minutes:
            parts.append(f"{entry.minutes} min")
        if entry.falls:
            parts.append(_plural(entry.falls, "fall", "falls"))
        if entry.near_falls:
            parts.append(_plural(entry.near_falls, "near-fall", "near-falls"))
    elif entry.kind == "walk_test":
        trials = [t for t in (entry.trial_1_seconds, entry.trial_2_seconds) if t is not None]
        parts.append(" and ".join(f"{t:.1f} s" for t in trials))
        parts.append(AID_SHORT.get(entry.aid or "", ""))
        parts.append(SETTINGS.get(entry.setting or "", ""))
    if entry.by_carer:
        parts.append("entered by a carer")
    return " · ".join(p for p in parts if p)


def local_time(utc: datetime, tz: str) -> str:
    """A stored UTC time as the person's local clock time, like 14:05."""
    return to_local(utc, tz).strftime("%H:%M")


def long_date(day: date) -> str:
    """A date in words, like Saturday 21 November 2026."""
    return f"{day:%A} {day.day} {day:%B %Y}"
