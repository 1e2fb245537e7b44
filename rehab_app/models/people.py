"""People and care: users, link codes and care links, with the ids and times every table uses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    text,
)
from sqlalchemy.orm import (
    Mapped,
    mapped_column,
    relationship,
)

from .base import Model

if TYPE_CHECKING:
    from .clinics import TeamLink
    from .log import Entry


# The largest integer id (PostgreSQL's INTEGER); a larger one cannot name a row.
MAX_ID = 2**31 - 1

# SQLite reuses the highest rowid after a delete unless the table says AUTOINCREMENT; an id
# that names a person or a grant must never come back for someone else (PostgreSQL's
# sequences never go back anyway).
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


def utcnow() -> datetime:
    """Return the current time in UTC, without tzinfo (as stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_id() -> str:
    """Return a new random UUID as text (clients may generate their own)."""
    return str(uuid.uuid4())


class User(Model):
    """A person with an account: a patient or a therapist.

    What Flask-Login asks of a user (is_active, is_authenticated, is_anonymous, get_id) is
    written out here rather than taken from its UserMixin, so that the models import without
    Flask. Two User objects are equal only when they are the same object (one per account in
    a database session), not by their login tokens."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('patient', 'therapist')", name="role"),
        Index("uq_users_email_lower", text("lower(email)"), unique=True),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased (see normalise_email), so the unique index is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Set when the person follows the link in the sign-up email; until then no login.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Therapists only: set when someone vouches for them (their clinic's admin, or
    # `flask approve-therapist`).
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)

    entries: Mapped[list[Entry]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_therapist(self) -> bool:
        """True for a therapist account."""
        return self.role == "therapist"

    @property
    def session_token(self) -> str | None:
        """The token of the login this object was loaded for (see sessions.py), if any."""
        return self.__dict__.get("_session_token")

    @session_token.setter
    def session_token(self, token: str | None) -> None:
        self.__dict__["_session_token"] = token

    @property
    def is_active(self) -> bool:
        """Flask-Login: an account that may log in (confirmation and approval are checked at
        login, in rehab_app/web/auth)."""
        return True

    @property
    def is_authenticated(self) -> bool:
        """Flask-Login: a loaded user is a logged-in one (the anonymous user is another class)."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """Flask-Login: never the anonymous user."""
        return False

    def get_id(self) -> str:
        """The login's session token: Flask-Login keeps it, never the account id, in cookies."""
        token = self.session_token
        if not token:
            raise RuntimeError("log in through sessions.start(), which gives the login a token")
        return token


class LinkCode(Model):
    """A short one-time code a therapist hands to a patient to ask for a care link."""

    __tablename__ = "link_codes"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    # A code for a team (one of the therapist's): it links the patient to every member.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))


class CareLink(Model):
    """A patient's consent for a therapist to see their log, until revoked."""

    __tablename__ = "care_links"
    __table_args__ = (
        Index("ix_care_links_pair", "therapist_id", "patient_id"),
        # One standing link a therapist and patient: two of a therapist's codes entered at once
        # (two phones, a double tap) make one (care_links.redeem_code; migration 0017).
        Index(
            "uq_care_links_standing",
            "therapist_id",
            "patient_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set when the link came with a team's consent (models/clinics.py): it ends with it.
    team_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("team_links.id", ondelete="SET NULL"), index=True
    )

    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    patient: Mapped[User] = relationship(foreign_keys=[patient_id])
    team_link: Mapped[TeamLink | None] = relationship()
