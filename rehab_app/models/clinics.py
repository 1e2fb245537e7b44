"""Clinics and teams: who vouches for a therapist, and who shares a caseload.

A clinic's admins approve the therapists who ask to join it (a therapist is in at most one
clinic). A team is some of a clinic's therapists (a person's PT, OT and SLT); a patient who
links a team with one code gives one consent (a `TeamLink`), and each member then holds a care
link of their own that points at it, so that every page that asks "is this therapist linked?"
keeps asking only that (rehab_app/core/clinics.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Model
from .log import DoseColumns, Exercise
from .people import NEVER_REUSE_IDS, User, utcnow


class Clinic(Model):
    """An organisation whose admins vouch for its therapists."""

    __tablename__ = "clinics"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # Given by an admin to colleagues, who type it to ask to join (care_links' alphabet).
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ClinicMember(Model):
    """A therapist's place in a clinic: waiting until one of its admins lets them in."""

    __tablename__ = "clinic_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"), index=True)
    # One clinic a therapist: the one that vouches for them.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Set when an admin lets them in: a therapist vouched for elsewhere still waits here.
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)

    clinic: Mapped[Clinic] = relationship()
    user: Mapped[User] = relationship()


class Team(Model):
    """Some of a clinic's therapists who share the caseload of the people who link the team."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("clinic_id", "name", name="uq_teams_clinic_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    clinic: Mapped[Clinic] = relationship()


class TeamMember(Model):
    """A therapist in a team."""

    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_team_members_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship()


class TeamLink(Model):
    """A patient's one consent for a team: each member's care link points at it."""

    __tablename__ = "team_links"
    __table_args__ = (
        Index("ix_team_links_team_patient", "team_id", "patient_id"),
        # One standing consent a patient and team: two of the team's codes entered at once
        # (two phones, a double tap) make one (care_links.link_team; migration 0016).
        Index(
            "uq_team_links_standing",
            "team_id",
            "patient_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    team: Mapped[Team] = relationship()


class ProgrammeTemplate(Model):
    """A programme a team shares ("MS balance, early"): its members start a patient's from it."""

    __tablename__ = "programme_templates"
    __table_args__ = (
        UniqueConstraint("team_id", "name", name="uq_programme_templates_team_name"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    # Who saved it (NULL once their account is gone; the template stays the team's).
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    team: Mapped[Team] = relationship()
    items: Mapped[list[TemplateItem]] = relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="TemplateItem.id",
    )


class TemplateItem(DoseColumns, Model):
    """One exercise of a template, with the dose and days a patient's item would start with."""

    __tablename__ = "template_items"
    __table_args__ = (CheckConstraint("days_per_week BETWEEN 1 AND 7", name="days_per_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("programme_templates.id", ondelete="CASCADE"), index=True
    )
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"))
    custom_name: Mapped[str | None] = mapped_column(String(120))
    discipline: Mapped[str] = mapped_column(String(16))
    days_per_week: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    template: Mapped[ProgrammeTemplate] = relationship(back_populates="items")
    exercise: Mapped[Exercise | None] = relationship()

    @property
    def name(self) -> str:
        """The exercise's name, from the catalogue or the therapist's own."""
        return self.exercise.name if self.exercise else (self.custom_name or "Exercise")
