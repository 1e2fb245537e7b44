"""The caseload table: sorting, columns, and each cell in words."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ..adherence import Adherence
from ..timeutil import to_local
from .rows import CaseloadRow, ShownRow
from .summary import _plural, short_date

SORT_KEYS: dict[str, Callable[[ShownRow], Any]] = {
    "name": lambda r: r.name.casefold(),
    "synced": lambda r: r.last_sync,
    "week": lambda r: r.week_percent,
    "month": lambda r: r.month_percent,
    "fatigue": lambda r: r.fatigue_mean,
    "fatigue_change": lambda r: r.fatigue_change,
    "aid": lambda r: None if r.aid_level is None else (r.aid_level, r.aid_changes),
    "falls": lambda r: (r.falls, r.near_falls),
    "review": lambda r: (r.reasons, r.slow_changes),
}

# The order a first click sorts in: the worrying end first, names A to Z.
FIRST_DIRECTION: Mapping[str, str] = {
    "name": "asc",
    "synced": "asc",
    "week": "asc",
    "month": "asc",
    "fatigue": "desc",
    "fatigue_change": "desc",
    "aid": "desc",
    "falls": "desc",
    "review": "desc",
}

DEFAULT_SORT = ("review", "desc")


def parse_sort(key: str | None, direction: str | None, order: str | None = None) -> tuple[str, str]:
    """A valid (key, direction) from query parameters; anything else is the default.

    `order` ("fatigue-desc", from the Sort by menu) wins over `sort` and `dir` (the headers).
    """
    if order:
        key, _, direction = order.rpartition("-")
    if key not in SORT_KEYS:
        return DEFAULT_SORT
    if direction not in ("asc", "desc"):
        direction = FIRST_DIRECTION[key]
    return key, direction


def sort_rows(rows: Iterable[ShownRow], key: str, direction: str) -> list[ShownRow]:
    """Rows sorted by a column; rows without a value go last either way, then by name."""
    get = SORT_KEYS[key]
    by_name = sorted(rows, key=lambda r: (r.name.casefold(), r.patient_id))
    known = [r for r in by_name if get(r) is not None]
    unknown = [r for r in by_name if get(r) is None]
    return sorted(known, key=get, reverse=direction == "desc") + unknown


@dataclass(frozen=True)
class Column:
    """A caseload column: its sort key, its heading and how each sort order reads."""

    key: str
    label: str
    ascending: str
    descending: str

    def order(self, direction: str) -> str:
        """How one sort order reads, like "highest first"."""
        return self.ascending if direction == "asc" else self.descending


COLUMNS = (
    Column("name", "Name", "A to Z", "Z to A"),
    Column("review", "Worth reviewing", "fewest reasons first", "most reasons first"),
    Column("synced", "Last activity", "longest ago first", "most recent first"),
    Column("week", "Programme, 7 days", "lowest first", "highest first"),
    Column("month", "Programme, 28 days", "lowest first", "highest first"),
    Column("fatigue", "Fatigue, 7-day mean", "lowest first", "highest first"),
    Column("fatigue_change", "Fatigue change", "biggest fall first", "biggest rise first"),
    Column("aid", "Main walking aid", "least support first", "most support first"),
    Column("falls", "Falls, 28 days", "fewest first", "most first"),
)

# The table's columns at a desk or on a tablet, those that matter first, some with shorter
# headings; the 7-day programme and the fatigue change sit under the 28-day programme and the
# fatigue mean.
TABLE_LABELS = {"fatigue": "Fatigue, 7 days", "aid": "Walking aid"}

TABLE_COLUMNS = tuple(
    replace(column, label=TABLE_LABELS.get(column.key, column.label))
    for key in ("name", "review", "month", "fatigue", "aid", "falls", "synced")
    for column in COLUMNS
    if column.key == key
)

# Sort orders of the menu whose values sit in another column's cell: that column is marked.
SHOWN_IN = {"week": "month", "fatigue_change": "fatigue"}

# Reasons shown in a row before "more reasons" folds the rest away: a row stays short enough
# that the rows below it are in sight.
SHOWN_FLAGS = 2


def percent_text(a: Adherence) -> str:
    """Like 80%, or a dash when nothing was planned."""
    return "—" if a.percent is None else f"{a.percent:.0f}%"


def adherence_detail(a: Adherence) -> str:
    """Like "4 of 5 sessions, 2 bad days (1 relapse)", or why there is no percentage."""
    if a.planned:
        parts = [f"{a.done} of {_plural(a.planned, 'session')}"]
    else:
        parts = ["nothing planned"]
    if a.bad_days:
        bad = _plural(a.bad_days, "bad day")
        if a.relapse_days:
            bad += f" ({_plural(a.relapse_days, 'relapse day')})"
        parts.append(bad)
    return ", ".join(parts)


def last_activity_text(when: datetime | None, tz: str, now: datetime) -> str:
    """Like "Today, 09:12", "Yesterday, 18:40", "3 days ago" or "Never"."""
    if when is None:
        return "Never"
    return activity_words(to_local(when, tz), to_local(now, tz).date())


def activity_words(local: datetime, today: date) -> str:
    """last_activity_text() of a local time, on a local today (a table works out today once)."""
    days = (today - local.date()).days
    if days <= 0:
        return f"Today, {local.hour:02}:{local.minute:02}"
    if days == 1:
        return f"Yesterday, {local.hour:02}:{local.minute:02}"
    if days < 14:
        return f"{days} days ago"
    return f"{short_date(local.date())} {local.year}"


def fatigue_change_text(change: float | None) -> str:
    """Like "up 1.2" or "down 0.4"; a dash without enough ratings."""
    if change is None:
        return "—"
    if round(change, 1) == 0:
        return "no change"
    return f"{'up' if change > 0 else 'down'} {abs(change):.1f}"


def falls_text(row: CaseloadRow) -> str:
    """Like "1 fall, 2 near-falls", or "None"."""
    parts = []
    if row.falls:
        parts.append(_plural(row.falls, "fall"))
    if row.near_falls:
        parts.append(_plural(row.near_falls, "near-fall"))
    return ", ".join(parts) or "None"
