"""A caseload row's markup that depends on its stored summary alone, made when it is stored.

Rendering every row's cells from its summary on each load cost about 0.2 ms a person, most of
the page at hundreds of people (bench/README.md). Those cells change only when the summary
does, so they are rendered when the summary is stored and kept beside it (CaseloadSummary);
a load puts them into the page as they are. Who the person is (their name and email, which
they can change) and what depends on the viewer or the clock (the last activity, "nothing
logged for N days") are never stored: the page adds them live.

The stored markup is templates/therapist/_caseload_cells.html, with the reason items of
_reasons.html that the patient page shows too, rendered through a Jinja environment of its own
(no Flask here): autoescape on, the caseload's words as its only globals. `shown_with()` names
those templates and the code of their words: a deploy that changes any of them renders the
stored rows again, from their stored summaries. The rows around it are put together by
`table_body()`, in plain Python: a template loop cost more a row than the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from html import escape
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .. import adherence, reason_details, reasons, timeutil, trends, vocab
from ..charts import periods
from . import rows, summary, table
from .rows import SUMMARY_VERSION, CaseloadRow, Flag, ShownRow
from .table import SHOWN_FLAGS, activity_words

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
CELLS_TEMPLATE = "therapist/_caseload_cells.html"
# Every template the stored markup comes from (the cells import the reason items).
TEMPLATE_NAMES = (CELLS_TEMPLATE, "therapist/_reasons.html")

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
_env.globals.update(
    adherence_detail=table.adherence_detail,
    falls_text=table.falls_text,
    fatigue_change_text=table.fatigue_change_text,
    percent_text=table.percent_text,
    short_date=summary.short_date,
)


@dataclass(frozen=True)
class StoredMarkup:
    """A row's stored markup: its cells, and its reasons' items before and after the fold."""

    cells: str
    reasons_shown: str
    reasons_more: str


def render(row: CaseloadRow) -> StoredMarkup:
    """The markup of a summary's cells and reasons (it holds no last activity, no silence)."""
    macros = _env.get_template(CELLS_TEMPLATE).module
    return StoredMarkup(
        cells=str(macros.cells(row)),  # type: ignore[attr-defined]
        reasons_shown=str(macros.reason_items(row.flags[:SHOWN_FLAGS])),  # type: ignore[attr-defined]
        reasons_more=str(macros.reason_items(row.flags[SHOWN_FLAGS:])),  # type: ignore[attr-defined]
    )


@lru_cache(maxsize=1024)
def reason_item(kind: str, text: str) -> str:
    """A rule's reason (a Flag without a found Reason) as a list item, as the stored ones are
    made: for the live "nothing logged for N days", rendered once for each wording."""
    macros = _env.get_template(CELLS_TEMPLATE).module
    return str(macros.reason_items([Flag(kind, text)]))  # type: ignore[attr-defined]


class Body:
    """The table's rows as one string of markup, put into the page as it is.

    Jinja asks for `__html__()` and makes one Markup of the plain string it gets; a Markup
    given instead is copied twice more on the way (a Markup of a Markup copies it through a
    plain str), which at 1,000 people is 3 MB copied for nothing (bench/README.md).
    """

    __slots__ = ("html",)

    def __init__(self, html: str) -> None:
        self.html = html

    def __html__(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


def table_body(rows: Iterable[ShownRow], patient_url: str, tz: str, now: datetime) -> Body:
    """The caseload table's rows: each one's stored markup, with who the person is, the fold
    of their reasons and their last activity (in the therapist's time zone `tz`) put in live.

    Plain Python rather than a template loop, which cost more a row than reading the row
    did; the markup is the cells template's neighbour in therapist/caseload.html's words.
    Everything put in is escaped here, or is stored markup (ShownRow): with the standard
    library's `html.escape` (the same five characters as markupsafe's, into a plain str; half
    the cost a call, twice a row).
    """
    zone, link = timeutil.zone(tz), escape(patient_url)
    today = now.replace(tzinfo=UTC).astimezone(zone).date()
    out = []
    for r in rows:
        name = escape(r.name)
        if r.reasons:
            reasons = f'<ul class="flags">{r.reasons_shown}</ul>'
            if r.more:
                reasons += (
                    f'<details class="more-flags"><summary>{r.more} more reason'
                    f'{"" if r.more == 1 else "s"}<span class="visually-hidden"> for {name}'
                    f'</span></summary><ul class="flags">{r.reasons_more}</ul></details>'
                )
        else:
            reasons = '<span class="hint">Nothing flagged</span>'
        if r.last_sync is None:
            activity = "Never"
        else:
            local = zone.fromutc(r.last_sync.replace(tzinfo=zone))  # UTC to local, aware
            activity = (
                f'<time datetime="{r.last_sync.isoformat()}Z">{activity_words(local, today)}</time>'
            )
        flagged = ' class="flagged"' if r.reasons else ""
        out.append(
            f'<tr role="row"{flagged}>'
            f'<th scope="row" role="rowheader" class="col-name">'
            f'<a href="{link}{r.patient_id}">{name}</a>'
            f'<span class="hint email">{escape(r.email)}</span></th>'
            f'<td role="cell" class="col-review" data-label="Worth reviewing">'
            f'<div class="cell">{reasons}</div></td>{r.cells}'
            f'<td role="cell" data-label="Last activity"><div class="cell">{activity}</div></td>'
            "</tr>\n"
        )
    return Body("".join(out))  # escaped above, or stored markup


# The code whose words the stored markup shows: the caseload's rows and cells, the reasons'
# sentences and details (and the lists they say aloud, charts.periods), the trends' names and
# numbers they quote, adherence, the vocabulary.
_WORDS = (rows, summary, table, adherence, reasons, reason_details, periods, vocab)


@cache
def shown_with() -> str:
    """What the stored markup is made with: SUMMARY_VERSION, its templates and its words' code.

    A hash of their text, the same in every process running the same code; a stored row made
    with anything else is rendered again from its summary.
    """
    digest = hashlib.sha256(f"{SUMMARY_VERSION}".encode())
    for name in TEMPLATE_NAMES:
        digest.update((TEMPLATES / name).read_bytes())
    sources = [Path(__file__), *(Path(str(m.__file__)) for m in _WORDS)]
    sources += sorted(Path(str(trends.__file__)).parent.glob("*.py"))
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]
