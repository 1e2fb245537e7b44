"""The access record: which therapist looked at whose data, when and how (no Flask here).

Append-only (see models.AccessEvent): rows are added, never changed; they go only when the
person deletes their account. The person sees their own record on their Account page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from rehab_app.models import AccessEvent, User, utcnow

from .timeutil import to_local

# What a therapist did, in the words the person reads ("… looked at …").
ACCESS_KINDS: dict[str, str] = {
    "patient_page": "opened your page (programme, entries and charts)",
    "caseload": "saw your summary numbers on their list of patients",
    "export_csv": "downloaded your entries as a spreadsheet (CSV)",
    "export_fhir": "downloaded your entries for a health record system (FHIR)",
    "print_summary": "opened your printable summary",
}
# How many rows the Account page lists; it says how many there are in all.
SHOWN = 50


@dataclass(frozen=True)
class AccessRecord:
    """A person's access record: the newest events and how many there are in all."""

    events: Sequence[AccessEvent]
    total: int


def _check(what: str) -> None:
    if what not in ACCESS_KINDS:
        raise ValueError(f"unknown kind of access: {what!r}")


def record_access(session: Session, therapist: User, patient: User, what: str) -> None:
    """Add one access event (the caller commits, with whatever else the request does)."""
    _check(what)
    session.add(
        AccessEvent(
            therapist_id=therapist.id,
            therapist_name=therapist.display_name,
            patient_id=patient.id,
            what=what,
            at=utcnow(),
        )
    )


class Looked(Protocol):
    """What the access record reads of a person looked at: a User, or a caseload row."""

    @property
    def id(self) -> int: ...

    @property
    def timezone(self) -> str: ...


def record_caseload_views(
    session: Session, therapist: User, patients: Iterable[Looked], now: datetime | None = None
) -> int:
    """Record a caseload view once a day per patient (their local day); return rows added.

    The caseload shows every patient's summary numbers, so each view is a look at their
    data; one row per patient per page load would bury the rest of the record, so a
    therapist's caseload looks are kept to one a day per patient. Two queries at most,
    whatever the caseload's size.
    """
    now = now or utcnow()
    people = {p.id: p for p in patients}
    if not people:
        return 0
    recent = session.execute(
        select(AccessEvent.patient_id, AccessEvent.at).where(
            AccessEvent.therapist_id == therapist.id,
            AccessEvent.what == "caseload",
            AccessEvent.at >= now - timedelta(days=2),
            AccessEvent.patient_id.in_(people),
        )
    ).all()
    seen = {(pid, to_local(at, people[pid].timezone).date()) for pid, at in recent if pid in people}
    rows = [
        {
            "at": now,
            "therapist_id": therapist.id,
            "therapist_name": therapist.display_name,
            "patient_id": pid,
            "what": "caseload",
        }
        for pid, p in people.items()
        if (pid, to_local(now, p.timezone).date()) not in seen
    ]
    if rows:
        session.execute(insert(AccessEvent), rows)
    return len(rows)


def accesses_for(session: Session, patient_id: int, limit: int = SHOWN) -> AccessRecord:
    """A person's access record, newest first, at most `limit` events, and the total."""
    events = session.scalars(
        select(AccessEvent)
        .where(AccessEvent.patient_id == patient_id)
        .order_by(AccessEvent.at.desc(), AccessEvent.id.desc())
        .limit(limit)
    ).all()
    total = session.scalar(
        select(func.count()).select_from(AccessEvent).where(AccessEvent.patient_id == patient_id)
    )
    return AccessRecord(events, total or 0)


@dataclass(frozen=True)
class ShownAccess:
    """Looks of one kind by one therapist within a day, as the person reads them.

    Reloads of a page are each recorded, but ten lines in two minutes hide the rest of the
    record: repeated looks in a row on the same local day are one line, with their count.
    """

    who: str
    what: str
    when: datetime  # the person's local wall-clock time of the latest look
    at: datetime  # UTC, for <time datetime>
    count: int = 1
    first: datetime | None = None  # local time of the earliest look, when more than one

    @property
    def times(self) -> str:
        """Like "", or " (10 times, from 09:12)"."""
        if self.count == 1 or self.first is None:
            return ""
        return f" ({self.count} times, from {self.first:%H:%M})"


def shown_accesses(record: AccessRecord, tz: str) -> list[ShownAccess]:
    """The record's events in plain words and the person's local time, newest first.

    Consecutive looks by the same therapist of the same kind on the same local day are one.
    """
    out: list[ShownAccess] = []
    for e in record.events:
        when = to_local(e.at, tz)
        last = out[-1] if out else None
        what = describe(e.what)
        if (
            last is not None
            and last.who == e.therapist_name
            and last.what == what
            and last.when.date() == when.date()
        ):
            out[-1] = ShownAccess(last.who, what, last.when, last.at, last.count + 1, when)
        else:
            out.append(ShownAccess(e.therapist_name, what, when, e.at))
    return out


def describe(what: str) -> str:
    """What a kind of access means, in plain words (an unknown code is shown as it is)."""
    return ACCESS_KINDS.get(what, what.replace("_", " "))
