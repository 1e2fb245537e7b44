"""Passkeys (WebAuthn): the options a browser needs, and checking what its authenticator answers.

The cryptography is py_webauthn's (`webauthn` on PyPI): this module only decides the policy
(discoverable credentials, user verification preferred, the sign counter checked), keeps each
challenge for one use and a few minutes, and stores or finds the credential rows.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from rehab_app.models import Passkey, User, utcnow

# How long a person has to answer their device's prompt (slow hands, a second try).
CHALLENGE_SECONDS = 300
# The longest credential id the passkeys table holds (WebAuthn allows up to 1023 bytes).
MAX_CREDENTIAL_ID = 1023
MAX_NAME = 80
DEFAULT_NAME = "Passkey"
REGISTER, LOG_IN = "register", "login"


class PasskeyError(Exception):
    """A passkey step that cannot be accepted; the message is written for the person."""


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys belong to: the site's domain (RP ID), its name and its origin."""

    id: str
    name: str
    origin: str


@dataclass(frozen=True)
class NewCredential:
    """A credential an authenticator has just made and the server has checked."""

    credential_id: bytes
    public_key: bytes
    sign_count: int
    transports: str


def user_handle(secret: str, user_id: int) -> bytes:
    """The WebAuthn user id of an account: stable, random-looking, no id or email in it."""
    return hmac.new(secret.encode(), f"passkey-user:{user_id}".encode(), hashlib.sha256).digest()


def b64url(data: bytes) -> str:
    """Bytes as unpadded base64url, as WebAuthn's JSON uses."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: object) -> bytes:
    """Unpadded base64url back to bytes; PasskeyError for anything else."""
    if not isinstance(text, str) or len(text) > 4 * MAX_CREDENTIAL_ID:
        raise PasskeyError("That passkey answer could not be read.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise PasskeyError("That passkey answer could not be read.") from error


# ----------------------------------------------------------------------------- challenges


def new_challenge(purpose: str, challenge: bytes, now: datetime | None = None) -> dict[str, str]:
    """What the session keeps of a challenge: for which step, its bytes, until when."""
    until = (now or utcnow()) + timedelta(seconds=CHALLENGE_SECONDS)
    return {"purpose": purpose, "challenge": b64url(challenge), "until": until.isoformat()}


def take_challenge(kept: object, purpose: str, now: datetime | None = None) -> bytes:
    """The challenge a step may be checked against (the caller has already removed it)."""
    if not isinstance(kept, Mapping) or kept.get("purpose") != purpose:
        raise PasskeyError("This passkey request has expired. Please try again.")
    try:
        until = datetime.fromisoformat(str(kept["until"]))
        challenge = from_b64url(kept["challenge"])
    except (KeyError, ValueError, PasskeyError) as error:
        raise PasskeyError("This passkey request has expired. Please try again.") from error
    if (now or utcnow()) > until:
        raise PasskeyError("This passkey request has expired. Please try again.")
    return challenge


# ----------------------------------------------------------------------------- adding a passkey


def registration_options(
    rp: RelyingParty, user: User, handle: bytes, existing: Sequence[Passkey]
) -> tuple[dict[str, Any], bytes]:
    """Options for navigator.credentials.create() (as JSON-ready data) and their challenge."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=handle,
        user_name=user.email,
        user_display_name=user.display_name,
        challenge=secrets.token_bytes(32),
        timeout=CHALLENGE_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        # The same device cannot be added twice: its authenticator says it already has one.
        exclude_credentials=[_descriptor(p) for p in existing],
    )
    return json.loads(options_to_json(options)), options.challenge


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    transports = []
    for name in passkey.transports.split(","):
        try:
            transports.append(AuthenticatorTransport(name))
        except ValueError:
            continue
    return PublicKeyCredentialDescriptor(id=passkey.credential_id, transports=transports or None)


def verify_registration(rp: RelyingParty, credential: object, challenge: bytes) -> NewCredential:
    """Check an authenticator's new credential against the challenge, RP ID and origin."""
    if not isinstance(credential, dict):
        raise PasskeyError("That passkey answer could not be read.")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=False,
        )
    # Anything a crafted answer makes the library raise is a refusal, never a server error.
    except Exception as error:
        raise PasskeyError("This passkey could not be checked. Please try again.") from error
    if len(verified.credential_id) > MAX_CREDENTIAL_ID:
        raise PasskeyError("This passkey could not be checked. Please try again.")
    response = credential.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    known = {t.value for t in AuthenticatorTransport}
    kept = [t for t in transports if t in known] if isinstance(transports, list) else []
    return NewCredential(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=",".join(dict.fromkeys(kept)),
    )


def clean_name(name: object) -> str:
    """A passkey's name as shown in the list: trimmed, printable, short, never empty."""
    if not isinstance(name, str):
        return DEFAULT_NAME
    text = " ".join("".join(c for c in name if c.isprintable()).split())
    return text[:MAX_NAME] or DEFAULT_NAME


def add(
    session: Session, user: User, new: NewCredential, name: object, now: datetime | None = None
) -> Passkey:
    """Store a checked credential as one of a person's passkeys."""
    passkey = Passkey(
        user_id=user.id,
        credential_id=new.credential_id,
        public_key=new.public_key,
        sign_count=new.sign_count,
        transports=new.transports,
        name=clean_name(name),
        created_at=now or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(passkey)
    except IntegrityError as error:
        raise PasskeyError("This passkey has already been added.") from error
    return passkey


# ----------------------------------------------------------------------------- logging in


def authentication_options(rp: RelyingParty) -> tuple[dict[str, Any], bytes]:
    """Options for navigator.credentials.get() with no account named (discoverable)."""
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=secrets.token_bytes(32),
        timeout=CHALLENGE_SECONDS * 1000,
        allow_credentials=[],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return json.loads(options_to_json(options)), options.challenge


UNKNOWN = (
    "This passkey is not one Rehab Log knows: it may have been removed. "
    "Log in with your email and password."
)


def find(session: Session, credential: object) -> Passkey:
    """The stored passkey an assertion names, by its credential id."""
    if not isinstance(credential, dict):
        raise PasskeyError("That passkey answer could not be read.")
    raw_id = from_b64url(credential.get("rawId"))
    passkey = session.scalar(select(Passkey).where(Passkey.credential_id == raw_id))
    if passkey is None:
        raise PasskeyError(UNKNOWN)
    return passkey


def verify_login(
    rp: RelyingParty,
    passkey: Passkey,
    handle: bytes,
    credential: dict[str, Any],
    challenge: bytes,
    now: datetime | None = None,
) -> None:
    """Check an assertion with the passkey's public key; move its sign counter on."""
    response = credential.get("response")
    given = response.get("userHandle") if isinstance(response, dict) else None
    # A discoverable passkey names its account; it must be the one the credential belongs to.
    if given is not None and not hmac.compare_digest(from_b64url(given), handle):
        raise PasskeyError(UNKNOWN)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=False,
        )
    # As in verify_registration: a crafted answer is refused, never a server error. A sign
    # counter that did not move forward (a cloned authenticator) is refused here too.
    except Exception as error:
        raise PasskeyError("This passkey could not be checked. Please try again.") from error
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now or utcnow()


# ----------------------------------------------------------------------------- the list


def for_user(session: Session, user_id: int) -> Sequence[Passkey]:
    """A person's passkeys, newest first."""
    return session.scalars(
        select(Passkey)
        .where(Passkey.user_id == user_id)
        .order_by(Passkey.created_at.desc(), Passkey.id.desc())
    ).all()


def remove(session: Session, user_id: int, passkey_id: int) -> Passkey | None:
    """Remove one of a person's own passkeys; the removed row, or None when not theirs."""
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user_id:
        return None
    session.execute(delete(Passkey).where(Passkey.id == passkey.id))
    return passkey
