"""Web Push: VAPID keys, and sending one encrypted reminder to one device (RFC 8291, 8292).

The encryption (aes128gcm) and the signed VAPID header are pywebpush's; this module says
what a push service's answer means for the subscription: 2xx sent, 404 or 410 gone for good
(delete it), anything else (a 5xx, 429, a network error) worth trying again later.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

from rehab_app.models import PushSubscription

from .reminders import Sender

log = logging.getLogger(__name__)

GONE = (404, 410)


class MissingVapidKeys(RuntimeError):
    """Reminders cannot be sent without the server's VAPID key pair."""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _private_key(private_b64url: str) -> ec.EllipticCurvePrivateKey:
    padded = private_b64url + "=" * (-len(private_b64url) % 4)
    raw = base64.urlsafe_b64decode(padded)
    if len(raw) != 32:
        raise ValueError(
            "VAPID_PRIVATE_KEY must be 32 bytes, base64url (flask reminders vapid-keys)"
        )
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def new_vapid_private_key() -> str:
    """A new P-256 private key as the 32 raw bytes in base64url (what VAPID_PRIVATE_KEY holds)."""
    key = ec.generate_private_key(ec.SECP256R1())
    return _b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def public_key_of(private_b64url: str) -> str:
    """The application server key browsers subscribe with: the uncompressed point, base64url."""
    point = (
        _private_key(private_b64url)
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return _b64url(point)


class WebPushSender(Sender):
    """Sends reminders through each device's push service, signed with the server's key."""

    def __init__(self, private_key: str, subject: str, ttl: int = 3600, timeout: float = 10.0):
        if not private_key:
            raise MissingVapidKeys(
                "VAPID_PRIVATE_KEY is not set: make one with `flask reminders vapid-keys`."
            )
        self.vapid = Vapid02(_private_key(private_key))
        self.subject, self.ttl, self.timeout = subject, ttl, timeout

    def send(self, subscription: PushSubscription, payload: dict[str, Any]) -> str:
        """Send one payload to one device: 'ok', 'gone' or 'retry'."""
        info = {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
        try:
            webpush(
                info,
                data=json.dumps(payload),
                vapid_private_key=self.vapid,
                vapid_claims={"sub": self.subject},  # a fresh dict: pywebpush adds aud and exp
                content_encoding="aes128gcm",
                ttl=self.ttl,
                timeout=self.timeout,
            )
        except WebPushException as error:
            status = error.response.status_code if error.response is not None else None
            if status in GONE:
                return "gone"
            log.warning("The push service answered %s", status)
            return "retry"
        except requests.RequestException as error:
            log.warning("The push service could not be reached: %s", type(error).__name__)
            return "retry"
        return "ok"
