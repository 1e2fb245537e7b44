"""Records kept about care: the append-only access record and stored caseload summaries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    UOWTransaction,
    mapped_column,
)

from .base import Model
from .people import utcnow


class AccessEvent(Model):
    """One therapist look at one person's data: append-only, shown to the person.

    The therapist's name is kept as it was, so the record still says who looked after the
    therapist's account is gone (therapist_id then becomes NULL). Deleting the person's
    account deletes their record with everything else (ON DELETE CASCADE, in the database).
    """

    __tablename__ = "access_events"
    __table_args__ = (
        Index("ix_access_events_patient_at", "patient_id", "at"),
        # A therapist's caseload looks of the last two days (record_caseload_views), found in
        # the index instead of among every look the therapist ever made; it also serves the
        # therapist's foreign key (migration 0012, bench/README.md).
        Index("ix_access_events_therapist_what_at", "therapist_id", "what", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # UTC
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    therapist_name: Mapped[str] = mapped_column(String(80))
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    what: Mapped[str] = mapped_column(String(32))


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or delete a row of an append-only table."""


@event.listens_for(Session, "before_flush")
def refuse_access_event_changes(
    session: Session, _flush: UOWTransaction, _instances: object
) -> None:
    """The access record is append-only: the ORM may add rows, never change or delete them."""
    for obj in session.deleted:
        if isinstance(obj, AccessEvent):
            raise AppendOnlyError("access events cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AccessEvent) and session.is_modified(obj, include_collections=False):
            raise AppendOnlyError("access events cannot be changed")


@event.listens_for(Session, "do_orm_execute")
def refuse_bulk_access_event_changes(state: ORMExecuteState) -> None:
    """Refuse ORM bulk UPDATE and DELETE statements aimed at the access record."""
    if (state.is_update or state.is_delete) and any(
        m.class_ is AccessEvent for m in state.all_mappers
    ):
        raise AppendOnlyError("access events cannot be changed or deleted")


class CaseloadSummary(Model):
    """A person's caseload row and trend review as last computed (rehab_app/core/caseload.py).

    Reading two years of entries and reviewing every trend of everyone on each caseload load
    took seconds at a few hundred people; the row is kept here with the state it was computed
    from (`source`: the local day, time zone, latest entry change and programme change), and
    recomputed only when that state moved on: once a day, and after the person's data changed.
    """

    __tablename__ = "caseload_summaries"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)  # JSON, caseload.summary_to_json()
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    # The row as the caseload shows it, made from `summary` whenever it is stored (so it is
    # never staler than the summary), so that a load neither decodes JSON nor renders a
    # template a person: what it sorts by, as columns, and the markup of what depends on the
    # summary alone (caseload.markup), rendered with autoescape from the summary's own numbers
    # and words; never the person's name or email, which the page shows live. `shown_with`
    # names the templates and wording that rendered it (caseload.markup.SHOWN_WITH): after a
    # deploy that changes them, the row is rendered again from `summary`.
    shown_with: Mapped[str] = mapped_column(String(64), default="", server_default="")
    cells: Mapped[str] = mapped_column(Text, default="", server_default="")
    reasons_shown: Mapped[str] = mapped_column(Text, default="", server_default="")
    reasons_more: Mapped[str] = mapped_column(Text, default="", server_default="")
    reasons: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    slow_changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    week_percent: Mapped[float | None] = mapped_column(Float)
    month_percent: Mapped[float | None] = mapped_column(Float)
    fatigue_mean: Mapped[float | None] = mapped_column(Float)
    fatigue_change: Mapped[float | None] = mapped_column(Float)
    aid_level: Mapped[int | None] = mapped_column(Integer)
    aid_changes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    falls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    near_falls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
