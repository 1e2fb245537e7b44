"""Exports of a person's own data: JSON (everything) and CSV (entries). No Flask here."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from rehab_app.models import (
    AccessEvent,
    CareLink,
    Entry,
    Passkey,
    ProgrammeItem,
    SyncClient,
    User,
    UserSession,
    utcnow,
)

from .kinds import all_fields
from .vocab import DOSE_FIELDS

FORMAT = "rehab-log-export/2"
# Who prescribed an item whose therapist has since deleted their account.
DELETED_ACCOUNT = "a deleted account"

# One column a field of the entry kinds (kinds.py), ids of other rows left out.
ENTRY_COLUMNS = (
    "id",
    "kind",
    "occurred_at_utc",
    "local_date",
    *(name for name, spec in all_fields().items() if spec.exported),
    "by_carer",
    "note",
    "created_at_utc",
    "updated_at_utc",
)


def iso(value: Any) -> Any:
    """A date or time as ISO 8601 text (times in UTC, with a Z); anything else as it is."""
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
        record[column] = iso(getattr(entry, attr))
    return record


def programme_record(item: ProgrammeItem) -> dict[str, Any]:
    """One programme item as a record."""
    return {
        "id": item.id,
        "name": item.name,
        "discipline": item.discipline,
        "dose": item.dose(),
        "days_per_week": item.days_per_week,
        "start_date": iso(item.start_date),
        "end_date": iso(item.end_date),
        "note": item.note,
        "stopped_at_utc": iso(item.stopped_at),
        "prescribed_by": item.therapist.display_name if item.therapist else DELETED_ACCOUNT,
        "prescribed_at_utc": iso(item.created_at),
    }


def account_record(user: User) -> dict[str, Any]:
    """The account itself."""
    record = {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role,
        "timezone": user.timezone,
        "created_at_utc": iso(user.created_at),
        "email_confirmed_at_utc": iso(user.email_confirmed_at),
    }
    if user.is_therapist:
        record["approved_at_utc"] = iso(user.approved_at)
    return record


def login_record(row: UserSession) -> dict[str, Any]:
    """One signed-in device (never its token, which is not kept anyway)."""
    return {
        "device": row.device,
        "started_at_utc": iso(row.created_at),
        "last_used_at_utc": iso(row.last_seen_at),
        "expires_at_utc": iso(row.expires_at),
        "remembered": row.remember,
    }


def sync_client_record(client: SyncClient) -> dict[str, Any]:
    """One installed app that syncs the log."""
    return {
        "id": client.id,
        "registered_at_utc": iso(client.created_at),
        "last_seen_at_utc": iso(client.last_seen_at),
        "last_change_applied": client.last_mutation_id,
    }


def passkey_record(passkey: Passkey) -> dict[str, Any]:
    """One passkey, by the name the person gave it."""
    return {
        "name": passkey.name,
        "added_at_utc": iso(passkey.created_at),
        "last_used_at_utc": iso(passkey.last_used_at),
    }


def full_entry_record(entry: Entry) -> dict[str, Any]:
    """An entry for the JSON export: a deleted one is there too, marked deleted."""
    return {
        **entry_record(entry),
        "deleted": entry.deleted_at is not None,
        "deleted_at_utc": iso(entry.deleted_at),
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
        "format": FORMAT,
        "exported_at_utc": iso(utcnow()),
        "account": account_record(user),
        "entries": [full_entry_record(e) for e in entries],
        "programme": [programme_record(i) for i in programme],
        "care_links": [
            {
                "therapist": link.therapist.display_name,
                # Shared through a team's one consent (rehab_app/core/clinics.py), if so.
                "team": link.team_link.team.name if link.team_link is not None else None,
                "linked_at_utc": iso(link.created_at),
                "revoked_at_utc": iso(link.revoked_at),
            }
            for link in links
        ],
        "access_record": [
            {"therapist": a.therapist_name, "what": a.what, "at_utc": iso(a.at)} for a in accesses
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


PROGRAMME_COLUMNS = (
    "patient",
    "name",
    "discipline",
    *DOSE_FIELDS,
    "days_per_week",
    "start_date",
    "end_date",
    "note",
    "stopped_at_utc",
    "prescribed_at_utc",
)


def export_programme_csv(items: Sequence[ProgrammeItem]) -> str:
    """The programme items a therapist prescribed, one row an item, safe in a spreadsheet."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PROGRAMME_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        record = programme_record(item)
        row = {
            "patient": item.patient.display_name,
            **{k: v for k, v in record.items() if k in PROGRAMME_COLUMNS},
            **item.dose(),
        }
        writer.writerow({k: _safe_cell(v) for k, v in row.items()})
    return out.getvalue()
