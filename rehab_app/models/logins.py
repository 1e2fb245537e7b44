"""Logins: password attempts, server-side sessions, emailed tokens and passkeys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import (
    Mapped,
    mapped_column,
)

from .base import Model
from .people import NEVER_REUSE_IDS, utcnow


class LoginAttempt(Model):
    """A failed login, kept for a while to limit guessing per account and per address.

    Kept in the database so that every stateless worker sees the same counts.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())


class UserSession(Model):
    """One login on one device: the cookie carries a random token, the table only its hash.

    Logging out deletes the row, so a copied cookie stops working at once; "Log out
    everywhere", a password change and account deletion delete all of a person's rows.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    device: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class EmailToken(Model):
    """A single-use, short-lived link sent by email (confirm a sign-up, reset a password).

    Only the token's hash is stored: a copy of the database does not open anyone's account.
    """

    __tablename__ = "email_tokens"
    __table_args__ = (
        CheckConstraint("purpose IN ('confirm', 'reset')", name="purpose"),
        Index("ix_email_tokens_user_id", "user_id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)


class Passkey(Model):
    """A WebAuthn credential (a passkey) a person can log in with instead of a password."""

    __tablename__ = "passkeys"
    __table_args__ = (Index("ix_passkeys_user_id", "user_id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary(1023), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)


class SentForm(Model):
    """A page's form that was acted on, by the one-time key it was drawn with
    (`core/sent_forms.py`): the same form sent again (a retry after an answer that never came,
    a reload that posts it again) finds it and is not acted on twice. Kept a week."""

    __tablename__ = "sent_forms"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_sent_forms_user_id_key"),
        Index("ix_sent_forms_user_id_sent_at", "user_id", "sent_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(36))
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
