"""A summary's row as the caseload shows it, stored with the summary: its sort keys and markup.

Made whenever a summary is stored (load.store_summaries), and made again from the stored
summary alone when the templates or words that render it change (markup.shown_with).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from rehab_app.models import CaseloadSummary, User

from . import markup
from .rows import CaseloadRow, summary_from_json

# The stored row as the page reads it, in ShownRow's order.
SHOWN_COLUMNS = (
    CaseloadSummary.week_percent,
    CaseloadSummary.month_percent,
    CaseloadSummary.fatigue_mean,
    CaseloadSummary.fatigue_change,
    CaseloadSummary.aid_level,
    CaseloadSummary.aid_changes,
    CaseloadSummary.falls,
    CaseloadSummary.near_falls,
    CaseloadSummary.reasons,
    CaseloadSummary.slow_changes,
    CaseloadSummary.cells,
    CaseloadSummary.reasons_shown,
    CaseloadSummary.reasons_more,
)


def render_again(
    session: Session, sources: Mapping[int, str], people: Mapping[int, tuple[str, str, str]]
) -> dict[int, dict[str, Any]]:
    """Render stored summaries again with today's templates and words (after a deploy).

    Each row is changed only if its summary is still the one read (`source`): one that
    another process recomputed meanwhile keeps its own, newer markup.
    """
    values = {}
    for pid, text in session.execute(
        select(CaseloadSummary.patient_id, CaseloadSummary.summary).where(
            CaseloadSummary.patient_id.in_(list(sources))
        )
    ):
        name, email, tz = people[pid]
        person = User(id=pid, display_name=name, email=email, timezone=tz)
        values[pid] = shown_values(summary_from_json(text, person))
    session.connection().execute(
        update(CaseloadSummary)
        .where(
            CaseloadSummary.patient_id == bindparam("pid"),
            CaseloadSummary.source == bindparam("read_source"),
        )
        .values({c: bindparam(c) for c in ("shown_with", *(c.key for c in SHOWN_COLUMNS))}),
        [{"pid": pid, "read_source": sources[pid], **v} for pid, v in values.items()],
    )
    return values


def shown_values(row: CaseloadRow) -> dict[str, Any]:
    """A summary's row as stored for the page: its sort keys and its markup."""
    rendered = markup.render(row)
    return {
        "shown_with": markup.shown_with(),
        "week_percent": row.week.percent,
        "month_percent": row.month.percent,
        "fatigue_mean": row.fatigue_mean,
        "fatigue_change": row.fatigue_change,
        "aid_level": row.aids.level,
        "aid_changes": len(row.aids.changes),
        "falls": row.falls,
        "near_falls": row.near_falls,
        "reasons": len(row.flags),
        "slow_changes": sum(f.kind == "trend" for f in row.flags),
        "cells": rendered.cells,
        "reasons_shown": rendered.reasons_shown,
        "reasons_more": rendered.reasons_more,
    }
