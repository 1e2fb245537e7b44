"""Logins held on the server: a random token per login, stored hashed, ended at will.

A cookie names one login, never an account: deleting the row ends that login on every copy
of the cookie, and an account id that SQLite might hand out again opens nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, Table, bindparam, delete, inspect, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from rehab_app.models import User, UserSession, utcnow

# last_seen_at is written at most this often, so that a page view is not always a write.
TOUCH_EVERY = timedelta(minutes=5)


def hash_token(token: str) -> str:
    """The stored form of a token (SHA-256: a token is random, so no salt or slow hash)."""
    return hashlib.sha256(token.encode()).hexdigest()


def account_key(secret: str | bytes, user_id: int) -> str:
    """An opaque, stable name for an account on a phone (its stores, its kept pages).

    An HMAC of the id with the app's secret: it tells the phone whose data is whose without
    telling anyone the account id, and no one can make another account's key.
    """
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"phone-account:{user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def new_token() -> str:
    """A fresh random token (256 bits) for a cookie or an emailed link."""
    return secrets.token_urlsafe(32)


def device_label(user_agent: str | None) -> str:
    """A short, plain name for a browser and device, for the list of signed-in devices."""
    ua = user_agent or ""
    browser = "A browser"
    for pattern, name in (
        (r"Edg/", "Edge"),
        (r"SamsungBrowser/", "Samsung Internet"),
        (r"Firefox/|FxiOS/", "Firefox"),
        (r"Chrome/|CriOS/|Chromium/", "Chrome"),
        (r"Safari/", "Safari"),
    ):
        if re.search(pattern, ua):
            browser = name
            break
    system = ""
    for pattern, name in (
        (r"iPhone|iPad|iPod", "iPhone or iPad"),
        (r"Android", "Android"),
        (r"Windows", "Windows"),
        (r"Mac OS X|Macintosh", "Mac"),
        (r"CrOS", "Chromebook"),
        (r"Linux", "Linux"),
    ):
        if re.search(pattern, ua):
            system = name
            break
    return f"{browser} on {system}" if system else browser


def start(
    session: Session,
    user: User,
    *,
    remember: bool,
    lifetime: timedelta,
    device: str = "",
    now: datetime | None = None,
) -> str:
    """Start a login for a user; return its token (the only copy: only the hash is kept)."""
    now = now or utcnow()
    token = new_token()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=hash_token(token),
            remember=remember,
            device=device[:120],
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    user.session_token = token
    return token


def resolve(session: Session, token: str, now: datetime | None = None) -> UserSession | None:
    """The standing login a token belongs to, or None when it ended or expired."""
    row = session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    return row


@dataclass(frozen=True, slots=True)
class Login:
    """A standing login as a request needs it: what says whether to mark it as seen."""

    id: int
    remember: bool
    last_seen_at: datetime
    expires_at: datetime


_USERS = cast(Table, User.__table__)
_LOGINS = cast(Table, UserSession.__table__)
_USER_MAPPER = inspect(User)
# Each users column by the attribute it is set through (the same names today).
_USER_ATTRIBUTES = tuple((attr.columns[0].key, attr.key) for attr in _USER_MAPPER.column_attrs)

# Made once, not for every request; a Core statement, so that no ORM query runs for every
# request of a logged-in person (bench/README.md, Sync).
_LOGIN = (
    select(
        _LOGINS.c.id.label("login_id"),
        _LOGINS.c.remember.label("login_remember"),
        _LOGINS.c.last_seen_at.label("login_last_seen_at"),
        _LOGINS.c.expires_at.label("login_expires_at"),
        *_USERS.c,
    )
    .join(_USERS, _USERS.c.id == _LOGINS.c.user_id)
    .where(_LOGINS.c.token_hash == bindparam("token_hash"))
)


def resolve_user(
    session: Session, token: str, now: datetime | None = None
) -> tuple[Login, User] | None:
    """The standing login a token belongs to and its person, in one query; None when it
    ended or expired. Every request of a logged-in person asks (bench/README.md, Sync).

    The person is an ORM object of the session, as a query for it would give: the one the
    session holds already, or one made from the row's values, as loaded (no changes to
    flush). Made so, it costs a third of what the ORM's loading of the same row does.
    """
    found = session.connection().execute(_LOGIN, {"token_hash": hash_token(token)}).first()
    if found is None or found.login_expires_at <= (now or utcnow()):
        return None
    login = Login(
        found.login_id, found.login_remember, found.login_last_seen_at, found.login_expires_at
    )
    values = found._mapping
    key = _USER_MAPPER.identity_key_from_primary_key((values["id"],))
    user = session.identity_map.get(key)
    if not isinstance(user, User):
        user = User(**{attribute: values[column] for column, attribute in _USER_ATTRIBUTES})
        make_transient_to_detached(user)  # loaded, not new: every attribute as committed
        session.add(user)
    return login, user


def needs_touch(row: Login | UserSession, now: datetime | None = None) -> bool:
    """True when a login in use should be marked as seen (and kept alive) again."""
    return (now or utcnow()) - row.last_seen_at >= TOUCH_EVERY


def touch(
    session: Session, session_id: int, lifetime: timedelta, now: datetime | None = None
) -> None:
    """Mark a login as seen now: it lasts `lifetime` from now."""
    now = now or utcnow()
    session.execute(
        update(UserSession)
        .where(UserSession.id == session_id)
        .values(last_seen_at=now, expires_at=now + lifetime)
    )


def end(session: Session, token: str | None) -> None:
    """End one login (logging out)."""
    if token:
        session.execute(delete(UserSession).where(UserSession.token_hash == hash_token(token)))


def end_all(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """End every login of a person, but the one whose token is `keep`; return how many ended."""
    query = delete(UserSession).where(UserSession.user_id == user_id)
    if keep:
        query = query.where(UserSession.token_hash != hash_token(keep))
    return _deleted(session, query)


def end_one(session: Session, user_id: int, session_id: int) -> bool:
    """End one of a person's own logins by its row id (from the list of devices)."""
    query = delete(UserSession).where(UserSession.user_id == user_id, UserSession.id == session_id)
    return bool(_deleted(session, query))


def for_user(session: Session, user_id: int, now: datetime | None = None) -> Sequence[UserSession]:
    """A person's standing logins, most recently used first."""
    now = now or utcnow()
    return session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.expires_at > now)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()


def is_current(row: UserSession, token: str | None) -> bool:
    """True when the row is the login that token belongs to."""
    return bool(token) and secrets.compare_digest(row.token_hash, hash_token(token or ""))


def purge_expired(session: Session, now: datetime | None = None) -> int:
    """Delete logins past their expiry; return how many."""
    return _deleted(session, delete(UserSession).where(UserSession.expires_at <= (now or utcnow())))


def _deleted(session: Session, query: Delete) -> int:
    """Run a DELETE and return how many rows it removed."""
    return cast("CursorResult[Any]", session.execute(query)).rowcount or 0
