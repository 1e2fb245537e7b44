"""A caseload row and its flags, the thresholds behind them, a row as stored JSON, and a row
as the page shows it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from rehab_app.models import (
    User,
)

from .. import trends
from ..adherence import Adherence
from ..reasons import UNLOGGED, Reason
from ..vocab import AID_LEVEL, AID_SHORT

# Enough history for trends.review() (its 12-month window and the two years before as baseline),
# whatever a person's time zone.
HISTORY_DAYS = trends.HISTORY_DAYS + 2

FATIGUE_DAYS, FATIGUE_BEFORE_DAYS = 7, 28

AID_DAYS, AID_CHANGE_DAYS = 14, 90

FALLS_DAYS = 28

# The simple rules of "worth reviewing", besides the slow-change signals of trends.review().
FATIGUE_RISE = 1.5  # points, 7-day mean against the 28 days before

MIN_FATIGUE_DAYS = (3, 7)  # days with a rating needed in the 7 days and in the 28 before

ADHERENCE_DROP = 30  # percentage points, the last 14 days against the 28 days before

MIN_PLANNED = 4  # sessions planned in each stretch before a drop counts

# Less than two thirds of the planned sessions done over 28 days is worth a look even without
# a drop (someone who has done little for weeks has nothing left to drop from).
LOW_ADHERENCE = 200 / 3  # percent

# Near-falls in 28 days, and more than in the 28 days before: someone who often nearly falls
# is not flagged on every visit for the same thing (any fall counts at once).
NEAR_FALLS = 3

SILENT_DAYS = 14  # days without any entry or sync, for someone who used to log

QUERY_MAX = 100

# Raise when what a stored summary holds, or how it is computed, changes: every stored one is
# then recomputed on its next read.
# 2: reasons found in months of the log are stored as data (reasons.Reason), not as words.
# 3: fatigue's trend pools its relapse stretch levels (trends.FATIGUE_RELAPSE_STEP).
# 4: a day tagged heat or infection stands for its spell (trends.heat_or_infection_spells).
# 5: each window's baseline is up to two years of log before it (trends.BASELINE_DAYS).
SUMMARY_VERSION = 5


@dataclass(frozen=True)
class AidChange:
    """The main aid in one setting changed within 90 days: the aids in turn, and since when."""

    setting: str  # "outdoors" or "indoors"
    path: tuple[str, ...]  # the main aids in turn, oldest first; the last is today's
    on: date  # the first day of today's main aid

    @property
    def rises(self) -> bool:
        """True when today's aid is higher on the ladder than the first one."""
        return AID_LEVEL.get(self.path[-1], 0) > AID_LEVEL.get(self.path[0], 0)

    @property
    def text(self) -> str:
        """Like "outdoors: one stick → two sticks → frame"."""
        return f"{self.setting}: " + " → ".join(AID_SHORT.get(a, a) for a in self.path)


@dataclass(frozen=True)
class Aids:
    """The main walking aid outdoors and indoors over the last 14 days, and their changes."""

    outdoors: str | None = None
    indoors: str | None = None
    changes: tuple[AidChange, ...] = ()

    @property
    def level(self) -> int | None:
        """The higher rung of the two, for sorting (None when no aid was logged)."""
        rungs = [AID_LEVEL.get(a, 0) for a in (self.outdoors, self.indoors) if a is not None]
        return max(rungs) if rungs else None

    @property
    def text(self) -> str:
        """Like "frame outdoors, one stick indoors", "one stick" or a dash."""
        if self.outdoors == self.indoors or None in (self.outdoors, self.indoors):
            aid = self.outdoors or self.indoors
            where = ""
            if self.outdoors != self.indoors:
                where = " outdoors" if self.outdoors else " indoors"
            return "—" if aid is None else AID_SHORT.get(aid, aid) + where
        return (
            f"{AID_SHORT.get(self.outdoors or '', self.outdoors)} outdoors, "
            f"{AID_SHORT.get(self.indoors or '', self.indoors)} indoors"
        )


@dataclass(frozen=True)
class Flag:
    """One reason a patient is worth reviewing: a slow change (trend) or a recent event."""

    kind: str  # "trend" (months of data, trends.review) or "recent" (the rules above)
    text: str
    # A reason found in months of the log: stored as data, its words made when it is read.
    reason: Reason | None = None

    @classmethod
    def of(cls, reason: Reason) -> Flag:
        """A found reason's flag: a possible unlogged relapse is recent, a signal slow change."""
        kind = "recent" if reason.measure == UNLOGGED else "trend"
        return cls(kind, reason.sentence, reason)

    @property
    def details(self) -> list[str]:
        """How a found reason was found (the numbers behind its words); none for the rules."""
        return self.reason.details if self.reason is not None else []


@dataclass(frozen=True)
class CaseloadRow:
    """One linked patient's summary."""

    patient_id: int
    name: str
    email: str
    timezone: str
    today: date
    last_sync: datetime | None  # UTC
    week: Adherence
    month: Adherence
    fatigue_mean: float | None
    fatigue_before: float | None
    aids: Aids
    falls: int
    near_falls: int
    flags: tuple[Flag, ...]

    @property
    def fatigue_change(self) -> float | None:
        """The 7-day mean minus the mean of the 28 days before."""
        if self.fatigue_mean is None or self.fatigue_before is None:
            return None
        return self.fatigue_mean - self.fatigue_before


def summary_to_json(row: CaseloadRow) -> str:
    """A summary as stored: its numbers and reasons, not who the person is nor their activity."""

    def adherence_dict(a: Adherence) -> dict[str, Any]:
        return {
            "first": a.first.isoformat(),
            "last": a.last.isoformat(),
            "done": a.done,
            "planned": a.planned,
            "bad_days": a.bad_days,
            "relapse_days": a.relapse_days,
            "by_item": [[k, list(v)] for k, v in a.by_item.items()],
        }

    return json.dumps(
        {
            "today": row.today.isoformat(),
            "week": adherence_dict(row.week),
            "month": adherence_dict(row.month),
            "fatigue_mean": row.fatigue_mean,
            "fatigue_before": row.fatigue_before,
            "aids": {
                "outdoors": row.aids.outdoors,
                "indoors": row.aids.indoors,
                "changes": [[c.setting, list(c.path), c.on.isoformat()] for c in row.aids.changes],
            },
            "falls": row.falls,
            "near_falls": row.near_falls,
            # A found reason as its data, so that its words are always today's.
            "flags": [[f.kind, f.reason.to_dict() if f.reason else f.text] for f in row.flags],
        },
        separators=(",", ":"),
    )


def summary_from_json(text: str, patient: User) -> CaseloadRow:
    """A stored summary for this person, without their last activity."""
    data = json.loads(text)

    def adherence_of(a: dict[str, Any]) -> Adherence:
        return Adherence(
            date.fromisoformat(a["first"]),
            date.fromisoformat(a["last"]),
            a["done"],
            a["planned"],
            a["bad_days"],
            a["relapse_days"],
            {int(k): (v[0], v[1]) for k, v in a["by_item"]},
        )

    aids = data["aids"]
    return CaseloadRow(
        patient_id=patient.id,
        name=patient.display_name,
        email=patient.email,
        timezone=patient.timezone,
        today=date.fromisoformat(data["today"]),
        last_sync=None,
        week=adherence_of(data["week"]),
        month=adherence_of(data["month"]),
        fatigue_mean=data["fatigue_mean"],
        fatigue_before=data["fatigue_before"],
        aids=Aids(
            aids["outdoors"],
            aids["indoors"],
            tuple(
                AidChange(s, tuple(path), date.fromisoformat(on)) for s, path, on in aids["changes"]
            ),
        ),
        falls=data["falls"],
        near_falls=data["near_falls"],
        flags=tuple(
            Flag.of(Reason.from_dict(value)) if isinstance(value, dict) else Flag(kind, value)
            for kind, value in data["flags"]
        ),
    )


class ShownRow(NamedTuple):
    """A caseload row as the page shows it: what it sorts by, the markup stored with its
    summary (caseload.markup), and what is read live (who the person is, their activity).

    A tuple, not an object: hundreds are made on every load.
    """

    patient_id: int
    name: str
    email: str
    timezone: str
    last_sync: datetime | None  # UTC
    looked_at: datetime | None  # the therapist's latest look at the caseload, UTC
    week_percent: float | None
    month_percent: float | None
    fatigue_mean: float | None
    fatigue_change: float | None
    aid_level: int | None  # the higher rung outdoors or indoors
    aid_changes: int
    falls: int
    near_falls: int
    reasons: int  # every reason worth reviewing, "nothing logged for N days" included
    slow_changes: int
    # The stored markup (markup.render(), made with autoescape from the summary, never from
    # anything the person typed): trusted as it is, and marked safe once, with the table's.
    cells: str
    reasons_shown: str  # the reasons' items before "more reasons"
    reasons_more: str  # and after it
    more: int  # how many are after it

    @property
    def id(self) -> int:
        """The person's id, as a User's (the access record reads it)."""
        return self.patient_id
