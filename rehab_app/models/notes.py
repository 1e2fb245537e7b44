"""Appointment notes: what a therapist writes after seeing a person, for that person to read."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Model
from .people import NEVER_REUSE_IDS, utcnow


class AppointmentNote(Model):
    """A therapist's note of one appointment: the person reads it; no other therapist does.

    The therapist's name is kept as it was, so the note still says who wrote it after the
    therapist's account is gone (therapist_id then becomes NULL). Deleting the person's account
    deletes their notes (ON DELETE CASCADE).
    """

    __tablename__ = "appointment_notes"
    __table_args__ = (
        Index("ix_appointment_notes_patient_seen", "patient_id", "seen_on"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    therapist_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    therapist_name: Mapped[str] = mapped_column(String(80))
    seen_on: Mapped[date] = mapped_column(Date)  # the appointment's day
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
