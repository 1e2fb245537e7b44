"""The probe: what a batch's reads can find, asked in one query before anything is read."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Date,
    bindparam,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Connection

from rehab_app.models import Entry, SyncOutcome, User


def _days_around(written: set[str]) -> set[date]:
    """The days a batch's creates may fall on: the date each time is written with, and two
    either side (a time's own offset and the person's time zone move it at most that far).
    Found without parsing each time: that is done once, when the change is decided."""
    days = set()
    for text in written:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            continue
        for shift in _AROUND:
            try:
                days.add(day + shift)
            except OverflowError:  # the first or last days a date can hold
                continue
    return days


_AROUND = tuple(timedelta(days=n) for n in range(-2, 3))


def _probe(
    connection: Connection,
    user: User,
    change_ids: set[str],
    entry_ids: set[str],
    days: set[date],
) -> dict[str, Any]:
    """In one query: how many of the batch's change ids are decided, how many of its entry ids
    exist (anyone's), and the live entries on each of the days its creates may fall on."""
    found: dict[str, Any] = {"outcomes": 0, "entries": 0, "days": {}}
    if not (change_ids or entry_ids or days):
        return found
    # Each list padded to a power of two with its own last value (repeated, it finds nothing
    # more; an empty one is a NULL, which matches nothing), so that a few statements, each
    # compiled once, serve every batch: expanding an IN list for each push cost as much as
    # the rest of the statement (bench/README.md, Sync).
    lists: tuple[list[Any], ...] = (list(days), list(change_ids), list(entry_ids))
    sizes = (_bucket(len(lists[0])), _bucket(len(lists[1])), _bucket(len(lists[2])))
    params: dict[str, Any] = {"person": user.id}
    for prefix, values, size in zip(_PROBE_LISTS, lists, sizes, strict=True):
        padded: list[Any] = values or [None]
        padded += [padded[-1]] * (size - len(padded))
        params.update((f"{prefix}{i}", value) for i, value in enumerate(padded))
    for what, day, count in connection.execute(_probe_statement(*sizes), params):
        if what == "day":
            found["days"][day] = count
        else:
            found[what] = count
    return found


_PROBE_LISTS = ("day", "change", "entry")


def _bucket(length: int) -> int:
    """The power of two a list of this length is padded to (at least 1)."""
    return 1 if length <= 1 else 1 << (length - 1).bit_length()


@lru_cache(maxsize=64)
def _probe_statement(days: int, change_ids: int, entry_ids: int) -> CompoundSelect[str, date, int]:
    """The probe's query for lists of these lengths (bound parameters `person`, `day0`...,
    `change0`..., `entry0`...), made once for each: built for each push, it cost more than
    running it (bench/README.md, Sync)."""
    no_day = type_coerce(null(), Date)
    return union_all(
        # First: its date column types the union's.
        select(literal("day"), Entry.local_date, func.count())
        .where(
            Entry.user_id == bindparam("person"),
            Entry.local_date.in_([bindparam(f"day{i}", type_=Date) for i in range(days)]),
            Entry.deleted_at.is_(None),
        )
        .group_by(Entry.local_date),
        select(literal("outcomes"), no_day, func.count()).where(
            SyncOutcome.user_id == bindparam("person"),
            SyncOutcome.change_id.in_([bindparam(f"change{i}") for i in range(change_ids)]),
        ),
        select(literal("entries"), no_day, func.count())
        .select_from(Entry)
        .where(Entry.id.in_([bindparam(f"entry{i}") for i in range(entry_ids)])),
    )
