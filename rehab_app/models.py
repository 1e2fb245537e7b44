"""The data model: people, care links, the exercise catalogue, programmes and entries."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    insert,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    UOWTransaction,
    mapped_column,
    relationship,
)

from .extensions import Model
from .vocab import DOSE_FIELDS, LIMITS, WALK_SECONDS_MAX, WALK_TRIALS

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


class User(UserMixin, Model):  # type: ignore[misc]  # Flask-Login ships no types
    """A person with an account: a patient or a therapist."""

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
    # Therapists only: set when someone vouches for them (`flask approve-therapist`).
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


class CareLink(Model):
    """A patient's consent for a therapist to see their log, until revoked."""

    __tablename__ = "care_links"
    __table_args__ = (Index("ix_care_links_pair", "therapist_id", "patient_id"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    therapist: Mapped[User] = relationship(foreign_keys=[therapist_id])
    patient: Mapped[User] = relationship(foreign_keys=[patient_id])


class Exercise(Model):
    """An exercise of the catalogue, saying what to record for it."""

    __tablename__ = "exercises"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    discipline: Mapped[str] = mapped_column(String(16), index=True)
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    # Comma-separated dose field names, in display order.
    records: Mapped[str] = mapped_column(String(200))

    @property
    def record_fields(self) -> list[str]:
        """The dose fields a person records for this exercise."""
        return [f for f in self.records.split(",") if f]


DOSE_COLUMNS = DOSE_FIELDS


class ProgrammeItem(Model):
    """An exercise a therapist prescribes to a patient, with a target dose."""

    __tablename__ = "programme_items"
    __table_args__ = (
        CheckConstraint("days_per_week BETWEEN 1 AND 7", name="days_per_week"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        Index("ix_programme_items_patient_change_seq", "patient_id", "change_seq"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"))
    custom_name: Mapped[str | None] = mapped_column(String(120))
    discipline: Mapped[str] = mapped_column(String(16))
    sets: Mapped[int | None] = mapped_column(Integer)
    reps: Mapped[int | None] = mapped_column(Integer)
    hold_seconds: Mapped[int | None] = mapped_column(Integer)
    minutes: Mapped[int | None] = mapped_column(Integer)
    distance_m: Mapped[int | None] = mapped_column(Integer)
    phonation_seconds: Mapped[int | None] = mapped_column(Integer)
    loudness_db: Mapped[int | None] = mapped_column(Integer)
    rests: Mapped[int | None] = mapped_column(Integer)
    days_per_week: Mapped[int] = mapped_column(Integer, default=7)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    # Where this row's latest change sits in the change feed (see stamp_changes).
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))

    exercise: Mapped[Exercise | None] = relationship()
    # None once the prescribing therapist's account is deleted: the item stays the patient's.
    therapist: Mapped[User | None] = relationship(foreign_keys=[therapist_id])
    patient: Mapped[User] = relationship(foreign_keys=[patient_id])

    @property
    def name(self) -> str:
        """The exercise's name, from the catalogue or the therapist's own."""
        return self.exercise.name if self.exercise else (self.custom_name or "Exercise")

    def dose(self) -> dict[str, int]:
        """The prescribed dose fields that are set."""
        return {f: getattr(self, f) for f in DOSE_COLUMNS if getattr(self, f) is not None}

    def is_active_on(self, day: date) -> bool:
        """True when the item is part of the programme on that day."""
        if self.stopped_at is not None:
            return False
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


def _range(column: str, low: int, high: int) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR {column} BETWEEN {low} AND {high}", name=column)


class Entry(Model):
    """One logged thing: an exercise session, a fatigue rating, mobility-aid use or a bad day.

    One table for every kind (single-table inheritance): one id space, one change feed
    for sync, one History. Ids are UUIDs a client may generate offline.
    """

    __tablename__ = "entries"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('exercise', 'fatigue', 'mobility', 'bad_day', 'walk_test')", name="kind"
        ),
        *(_range(c, 0, LIMITS[c]) for c in (*DOSE_COLUMNS, "falls", "near_falls")),
        *(_range(c, 0, LIMITS["scale"]) for c in ("effort", "pain", "fatigue")),
        *(
            CheckConstraint(f"{c} IS NULL OR ({c} > 0 AND {c} <= {WALK_SECONDS_MAX})", name=c)
            for c in WALK_TRIALS
        ),
        Index("ix_entries_user_date", "user_id", "local_date"),
        Index("ix_entries_user_kind_occurred", "user_id", "kind", "occurred_at"),
        Index("ix_entries_user_change_seq", "user_id", "change_seq"),
        # The caseload's last activity per person, read from the index alone (bench/README.md).
        Index("ix_entries_user_updated_created", "user_id", "updated_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    local_date: Mapped[date] = mapped_column(Date)  # the day in the person's own time zone
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    by_carer: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    # Where this entry's latest change sits in the change feed (see stamp_changes).
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))

    # Exercise sessions.
    discipline: Mapped[str | None] = mapped_column(String(16))
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"))
    programme_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_items.id", ondelete="SET NULL")
    )
    name: Mapped[str | None] = mapped_column(String(120))
    sets: Mapped[int | None] = mapped_column(Integer)
    reps: Mapped[int | None] = mapped_column(Integer)
    hold_seconds: Mapped[int | None] = mapped_column(Integer)
    phonation_seconds: Mapped[int | None] = mapped_column(Integer)
    loudness_db: Mapped[int | None] = mapped_column(Integer)
    rests: Mapped[int | None] = mapped_column(Integer)
    effort: Mapped[int | None] = mapped_column(Integer)
    pain: Mapped[int | None] = mapped_column(Integer)
    # Exercise sessions and mobility-aid use.
    minutes: Mapped[int | None] = mapped_column(Integer)
    distance_m: Mapped[int | None] = mapped_column(Integer)
    # Fatigue ratings.
    fatigue: Mapped[int | None] = mapped_column(Integer)
    context: Mapped[str | None] = mapped_column(String(32))
    # Mobility-aid use.
    aid: Mapped[str | None] = mapped_column(String(32))
    setting: Mapped[str | None] = mapped_column(String(16))
    falls: Mapped[int | None] = mapped_column(Integer)
    near_falls: Mapped[int | None] = mapped_column(Integer)
    # Bad days and relapses.
    reason: Mapped[str | None] = mapped_column(String(32))
    # Timed 7.6 m walks (with aid and setting): two trials in seconds, to a tenth.
    trial_1_seconds: Mapped[float | None] = mapped_column(Float)
    trial_2_seconds: Mapped[float | None] = mapped_column(Float)

    user: Mapped[User] = relationship(back_populates="entries")
    exercise: Mapped[Exercise | None] = relationship()
    programme_item: Mapped[ProgrammeItem | None] = relationship()

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "entry"}


class ExerciseSession(Entry):
    """An exercise done: discipline, exercise or free name, dose, effort and pain."""

    __mapper_args__ = {"polymorphic_identity": "exercise"}


class FatigueRating(Entry):
    """A 0-10 fatigue rating with optional context."""

    __mapper_args__ = {"polymorphic_identity": "fatigue"}


class MobilityUse(Entry):
    """Walking-aid use: which aid, where, how far or long, falls and near-falls."""

    __mapper_args__ = {"polymorphic_identity": "mobility"}


class BadDay(Entry):
    """A bad day or a relapse, with its reason."""

    __mapper_args__ = {"polymorphic_identity": "bad_day"}


class WalkTest(Entry):
    """A self-timed 7.6 m walk: two trials, the aid used, indoors or outdoors."""

    __mapper_args__ = {"polymorphic_identity": "walk_test"}

    @property
    def walk_seconds(self) -> float | None:
        """The score: the mean of the two trials, to a tenth of a second."""
        return walk_score(self.trial_1_seconds, self.trial_2_seconds)


def walk_score(first: float | None, second: float | None) -> float | None:
    """A walk test's score: the mean of its two trials, to a tenth; None without both.

    Counted in tenths and a half rounded up, so that the phone (views.js `walkScore`) says
    the same: Python's round(8.25, 1) is 8.2, JavaScript's Math.round gives 8.3.
    """
    if not first or not second:
        return None
    tenths = round(first * 10) + round(second * 10)
    return (tenths + 1) // 2 / 10


ENTRY_CLASSES: dict[str, type[Entry]] = {
    "exercise": ExerciseSession,
    "fatigue": FatigueRating,
    "mobility": MobilityUse,
    "bad_day": BadDay,
    "walk_test": WalkTest,
}


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


class SyncClient(Model):
    """An installed app (one browser on one device) that syncs one user's log."""

    __tablename__ = "sync_clients"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The client's mutations are applied strictly in order: this is the last one applied.
    last_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The highest last_mutation_id a pull has answered this client: the app drops every change
    # up to it from its outbox, so it never asks for their outcomes again (sync.prune_outcomes).
    pulled_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))


class SyncOutcome(Model):
    """What the server decided for one change a phone sent, so that a retry gets that answer.

    Kept per person by the change's own id (made on the phone, the same under any client id
    after a re-registration) and by client and mutation id (for changes sent without one). A
    retry of a rejected change is answered with its rejection, never a silent "duplicate", and
    a change already applied is never applied again (docs/sync.md, "Outcomes").
    """

    __tablename__ = "sync_outcomes"
    __table_args__ = (
        Index("ix_sync_outcomes_user_change", "user_id", "change_id", unique=True),
        Index("ix_sync_outcomes_client_mutation", "client_id", "mutation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # No foreign key: an outcome outlives the client that sent it (a re-registered phone
    # sends the same change again under its new client id).
    client_id: Mapped[str] = mapped_column(String(36))
    mutation_id: Mapped[int] = mapped_column(BigInteger)
    change_id: Mapped[str | None] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(10))
    # SHA-256 of the change as sent: the same id with other content is refused, not answered.
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text)  # the answer as JSON, without its mutation id
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ChangeCounter(Model):
    """One row (id 1): the last change sequence number handed out.

    A row rather than a database sequence: the UPDATE that takes numbers also locks the
    row until the transaction ends, so numbers become visible in the order they were
    handed out, and a reader whose cursor has passed a number never misses a change that
    commits later with a smaller one. SQLite serialises writers anyway.
    """

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


SYNCED_MODELS = (Entry, ProgrammeItem)


def next_change_seqs(connection: Connection, count: int) -> range:
    """Take `count` new change sequence numbers, holding the counter until commit."""
    last = connection.execute(
        update(ChangeCounter)
        .where(ChangeCounter.id == 1)
        .values(value=ChangeCounter.value + count)
        .returning(ChangeCounter.value)
    ).scalar_one_or_none()
    if last is None:  # a database made without the migrations (the test suite's)
        connection.execute(insert(ChangeCounter).values(id=1, value=count))
        last = count
    return range(last - count + 1, last + 1)


@event.listens_for(Session, "before_flush")
def stamp_changes(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    """Give every new or changed entry and programme item a new change sequence number.

    The one place that feeds the sync change feed, whoever writes: the web forms, a
    therapist, the sync API or a CLI command.
    """
    changed = [
        obj
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, SYNCED_MODELS)
        and (obj in session.new or session.is_modified(obj, include_collections=False))
    ]
    if not changed:
        return
    for obj, seq in zip(changed, next_change_seqs(session.connection(), len(changed)), strict=True):
        obj.change_seq = seq


class AccessEvent(Model):
    """One therapist look at one person's data: append-only, shown to the person.

    The therapist's name is kept as it was, so the record still says who looked after the
    therapist's account is gone (therapist_id then becomes NULL). Deleting the person's
    account deletes their record with everything else (ON DELETE CASCADE, in the database).
    """

    __tablename__ = "access_events"
    __table_args__ = (Index("ix_access_events_patient_at", "patient_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)  # UTC
    therapist_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
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


class CaseloadSummary(Model):
    """A person's caseload row and trend review as last computed (rehab_app/caseload.py).

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
