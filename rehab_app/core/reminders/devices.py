"""A person's push subscriptions: checking, adding and removing a device."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rehab_app.models import (
    PushSubscription,
    ReminderSettings,
)

from .schedule import MAX_ENDPOINT, slots


class BadSubscription(ValueError):
    """A push subscription the server will not post to; the message says why, plainly."""


def _b64url_bytes(text: object, name: str) -> bytes:
    import base64
    import binascii

    if not isinstance(text, str) or not text or len(text) > 200:
        raise BadSubscription(f"keys.{name} is missing.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadSubscription(f"keys.{name} is not base64url.") from None


def check_subscription(
    body: dict[str, Any], hosts: Sequence[str], allow_http: bool = False
) -> tuple[str, str, str]:
    """A browser's PushSubscription JSON as (endpoint, p256dh, auth), or BadSubscription.

    The server will post to the endpoint, so it must be https on a known push service
    (not any address a script chose: the server's own network, for one).
    """
    from urllib.parse import urlsplit

    endpoint = body.get("endpoint")
    keys = body.get("keys")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT:
        raise BadSubscription(f"endpoint must be a URL of at most {MAX_ENDPOINT} characters.")
    try:
        url = urlsplit(endpoint)
        host = (url.hostname or "").lower()
    except ValueError:
        raise BadSubscription("endpoint is not a URL.") from None
    secure = url.scheme == "https" or (allow_http and url.scheme == "http")
    known = any(host == h or host.endswith("." + h) for h in hosts)
    if not secure or not known or url.username or url.password:
        raise BadSubscription("endpoint is not the https address of a known push service.")
    if not isinstance(keys, dict):
        raise BadSubscription('Send {"endpoint": ..., "keys": {"p256dh": ..., "auth": ...}}.')
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    point = _b64url_bytes(p256dh, "p256dh")
    if len(point) != 65 or point[0] != 4:
        raise BadSubscription("keys.p256dh must be an uncompressed P-256 point (65 bytes).")
    if len(_b64url_bytes(auth, "auth")) != 16:
        raise BadSubscription("keys.auth must be 16 bytes.")
    return endpoint, str(p256dh), str(auth)


def subscribe(
    session: Session,
    user_id: int,
    login_id: int,
    endpoint: str,
    p256dh: str,
    auth: str,
    device: str,
) -> tuple[PushSubscription, bool]:
    """Keep a device's subscription for this login; (it, True when new).

    An endpoint names one browser: if another login (another person on a shared phone, or
    an earlier login) held it, it moves to this one, so only the person logged in gets it.
    """
    found = session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if found is not None and found.user_id == user_id and found.login_id == login_id:
        found.p256dh, found.auth = p256dh, auth
        return found, False
    if found is not None:
        session.delete(found)
        session.flush()
    row = PushSubscription(
        user_id=user_id,
        login_id=login_id,
        endpoint=endpoint,
        p256dh=p256dh,
        auth=auth,
        device=device[:120],
    )
    session.add(row)
    session.flush()
    return row, True


def unsubscribe(session: Session, user_id: int, endpoint: object) -> bool:
    """Forget one of the person's devices; False when it was not theirs (or not there)."""
    if not isinstance(endpoint, str):
        return False
    gone = session.execute(
        delete(PushSubscription).where(
            PushSubscription.user_id == user_id, PushSubscription.endpoint == endpoint
        )
    )
    return bool(getattr(gone, "rowcount", 0))


def devices_of(session: Session, user_id: int) -> int:
    """How many devices get the person's reminders."""
    from sqlalchemy import func

    count = session.scalar(
        select(func.count())
        .select_from(PushSubscription)
        .where(PushSubscription.user_id == user_id)
    )
    return int(count or 0)


def reminders_on(session: Session, user_id: int) -> bool:
    """Whether a person gets any reminder (all a therapist is shown: never what or when)."""
    settings = session.get(ReminderSettings, user_id)
    return settings is not None and bool(slots(settings))
