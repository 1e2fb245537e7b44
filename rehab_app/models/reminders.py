"""Reminders: a person's settings, the sends made, push subscriptions and calendar feeds."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import (
    Mapped,
    mapped_column,
)

from .base import Model
from .people import utcnow


class ReminderSettings(Model):
    """What a person wants to be reminded of, when (their local times) and when not.

    One row per person, made when they first save the reminders page. Times are local
    wall-clock times ("HH:MM"); days are a bit mask, Monday = 1, Sunday = 64.
    """

    __tablename__ = "reminder_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # Off unless the person asks: a locked phone shows a notification's text to anyone.
    show_details: Mapped[bool] = mapped_column(Boolean, default=False)
    quiet_from: Mapped[str | None] = mapped_column(String(5))
    quiet_until: Mapped[str | None] = mapped_column(String(5))
    programme_on: Mapped[bool] = mapped_column(Boolean, default=False)
    programme_time: Mapped[str] = mapped_column(String(5), default="10:00")
    programme_days: Mapped[int] = mapped_column(Integer, default=127)
    fatigue_on: Mapped[bool] = mapped_column(Boolean, default=False)
    # One or two times a day, comma-separated ("09:00,15:00").
    fatigue_times: Mapped[str] = mapped_column(String(11), default="15:00")
    fatigue_days: Mapped[int] = mapped_column(Integer, default=127)
    walking_on: Mapped[bool] = mapped_column(Boolean, default=False)
    walking_time: Mapped[str] = mapped_column(String(5), default="18:00")
    walking_day: Mapped[int] = mapped_column(Integer, default=6)  # 0 Monday ... 6 Sunday
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ReminderSend(Model):
    """One reminder for one person, slot and local day: the row is claimed before sending.

    The unique constraint is the once-only rule: whichever sender inserts the row first
    sends; every other sender's INSERT does nothing (ON CONFLICT DO NOTHING), on SQLite and
    PostgreSQL alike, however many `flask reminders send-due` run at once.
    """

    __tablename__ = "reminder_sends"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "slot", "local_date", name="uq_reminder_sends_slot"),
        Index("ix_reminder_sends_status_next", "status", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    slot: Mapped[str] = mapped_column(String(5))  # the local time it was set for, "HH:MM"
    local_date: Mapped[date] = mapped_column(Date)
    claimed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # claimed -> sent | skipped | no_device | retry -> sent | failed
    status: Mapped[str] = mapped_column(String(16), default="claimed")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime)
    delivered: Mapped[int] = mapped_column(Integer, default=0)  # devices that accepted it


class PushSubscription(Model):
    """One device's Web Push subscription, tied to the login it was made in.

    Logging that device out deletes the login row and, with it (ON DELETE CASCADE), the
    subscription: a shared phone stops getting the reminders of whoever logged out.
    """

    __tablename__ = "push_subscriptions"
    __table_args__ = (Index("ix_push_subscriptions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    login_id: Mapped[int] = mapped_column(
        ForeignKey("user_sessions.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(String(128))
    auth: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime)


class CalendarFeed(Model):
    """A person's private calendar feed: the URL's long random token, stored only hashed.

    Resetting it makes a new token (the old URL stops working); revoking deletes the row.
    """

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
