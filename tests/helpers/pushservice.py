"""A Web Push service stand-in on loopback: checks each request as a real push service would.

It verifies the VAPID header (RFC 8292: an ES256 JWT whose audience is this origin, signed by
the key in `k`), and decrypts the aes128gcm body (RFC 8291) with the private key of the device
it was addressed to, written here from the RFCs with `cryptography` alone, so that a mistake in
the library that encrypts cannot hide behind the same mistake in the check.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


@dataclass
class Device:
    """A browser's push subscription: its own key pair and auth secret, made in the test."""

    path: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    def subscription(self, origin: str) -> dict[str, Any]:
        """The JSON a browser's PushSubscription.toJSON() gives."""
        return {
            "endpoint": f"{origin}{self.path}",
            "keys": {"p256dh": b64url(_point(self.key.public_key())), "auth": b64url(self.auth)},
        }

    def decrypt(self, body: bytes) -> bytes:
        """RFC 8291 / RFC 8188: one aes128gcm record, decrypted with this device's key."""
        salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        sender_point = body[21 : 21 + idlen]
        ciphertext = body[21 + idlen :]
        assert idlen == 65 and len(ciphertext) <= rs, "one record, keyed by the sender's point"
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_point)
        shared = self.key.exchange(ec.ECDH(), sender)
        info = b"WebPush: info\x00" + _point(self.key.public_key()) + sender_point
        ikm = _hkdf(self.auth, shared, info, 32)
        cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
        nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
        padded = AESGCM(cek).decrypt(nonce, ciphertext, None)
        text = padded.rstrip(b"\x00")
        assert text.endswith(b"\x02"), "the last record ends with the delimiter 2"
        return text[:-1]


@dataclass
class Received:
    """One push the service accepted: to which device, with which claims, saying what."""

    path: str
    claims: dict[str, Any]
    public_key: str
    ttl: int
    payload: dict[str, Any]


class PushService:
    """The stand-in: devices register here; a path's answer can be set (201, 404, 410, 503)."""

    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.answers: dict[str, int] = {}
        self.received: list[Received] = []
        self.refused: list[str] = []
        self.lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = service.handle(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        # Polled every 20 ms rather than the default 500: close() waits for the next poll, and
        # each test of tests/test_webpush.py starts and closes one.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def device(self, name: str) -> Device:
        """A new device whose endpoint is on this service."""
        device = Device(f"/push/{name}")
        self.devices[device.path] = device
        return device

    def refuse(self, why: str) -> int:
        with self.lock:
            self.refused.append(why)
        return 400 if why.startswith("bad") else 401

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """Check one request as a push service does; decrypt and keep it when it is right."""
        lower = {k.lower(): v for k, v in headers.items()}
        if path not in self.devices:
            return 404
        if lower.get("content-encoding") != "aes128gcm":
            return self.refuse("bad content-encoding")
        if "ttl" not in lower:
            return self.refuse("bad: no TTL")
        claims, public_key = self.check_vapid(lower.get("authorization", ""))
        if claims is None:
            return self.refuse("unauthorized: VAPID")
        try:
            payload = json.loads(self.devices[path].decrypt(body))
        except Exception as error:
            return self.refuse(f"bad body: {error!r}")
        answer = self.answers.get(path, 201)
        if answer < 300:
            with self.lock:
                self.received.append(Received(path, claims, public_key, int(lower["ttl"]), payload))
        return answer

    def check_vapid(self, header: str) -> tuple[dict[str, Any] | None, str]:
        """RFC 8292: `vapid t=<JWT>, k=<key>`, the JWT ES256-signed by k, aud this origin."""
        if not header.startswith("vapid "):
            return None, ""
        parts = dict(p.strip().split("=", 1) for p in header[6:].split(","))
        token, k = parts.get("t", ""), parts.get("k", "")
        try:
            head_b64, claims_b64, sig_b64 = token.split(".")
            head = json.loads(unb64url(head_b64))
            claims = json.loads(unb64url(claims_b64))
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(k))
            sig = unb64url(sig_b64)
            der = encode_dss_signature(
                int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
            )
            public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except (ValueError, InvalidSignature, KeyError):
            return None, ""
        now = time.time()
        if head.get("alg") != "ES256" or claims.get("aud") != self.origin:
            return None, ""
        if not (now < claims.get("exp", 0) <= now + 24 * 3600):
            return None, ""
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return None, ""
        return claims, k

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
