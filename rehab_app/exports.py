"""Exports of a person's own data: JSON (everything) and CSV (entries). No Flask here."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from .models import AccessEvent, CareLink, Entry, ProgrammeItem, User, utcnow
from .vocab import DOSE_FIELDS

ENTRY_COLUMNS = (
    "id",
    "kind",
    "occurred_at_utc",
    "local_date",
    "discipline",
    "name",
    *DOSE_FIELDS,
    "effort",
    "pain",
    "fatigue",
    "context",
    "aid",
    "setting",
    "falls",
    "near_falls",
    "reason",
    "by_carer",
    "note",
    "created_at_utc",
    "updated_at_utc",
)


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def entry_record(entry: Entry) -> dict[str, Any]:
    """One entry as a flat record with the export's column names."""
    record: dict[str, Any] = {}
    for column in ENTRY_COLUMNS:
        attr = column.removesuffix("_utc")
        record[column] = _iso(getattr(entry, attr))
    return record


def programme_record(item: ProgrammeItem) -> dict[str, Any]:
    """One programme item as a record."""
    return {
        "id": item.id,
        "name": item.name,
        "discipline": item.discipline,
        "dose": item.dose(),
        "days_per_week": item.days_per_week,
        "start_date": _iso(item.start_date),
        "end_date": _iso(item.end_date),
        "note": item.note,
        "stopped_at_utc": _iso(item.stopped_at),
    }


def export_json(
    user: User,
    entries: Iterable[Entry],
    programme: Iterable[ProgrammeItem],
    links: Iterable[CareLink],
    accesses: Iterable[AccessEvent] = (),
) -> dict[str, Any]:
    """Everything we hold about a person, as one JSON-ready document."""
    return {
        "format": "rehab-log-export/1",
        "exported_at_utc": _iso(utcnow()),
        "account": {
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "timezone": user.timezone,
            "created_at_utc": _iso(user.created_at),
        },
        "entries": [entry_record(e) for e in entries],
        "programme": [programme_record(i) for i in programme],
        "care_links": [
            {
                "therapist": link.therapist.display_name,
                "linked_at_utc": _iso(link.created_at),
                "revoked_at_utc": _iso(link.revoked_at),
            }
            for link in links
        ],
        "access_record": [
            {"therapist": a.therapist_name, "what": a.what, "at_utc": _iso(a.at)} for a in accesses
        ],
    }


def _safe_cell(value: Any) -> Any:
    # A cell starting with = + - @ is run as a formula by spreadsheet programs.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(entries: Sequence[Entry]) -> str:
    """A person's entries as CSV, one row an entry, safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ENTRY_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for entry in entries:
        writer.writerow({k: _safe_cell(v) for k, v in entry_record(entry).items()})
    return out.getvalue()
