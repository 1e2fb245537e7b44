"""Passkeys, the domain module: options, checks by py_webauthn against a real software key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from rehab_app.core import passkeys
from rehab_app.extensions import db
from rehab_app.models import Passkey, utcnow
from tests.helpers.accounts import People
from tests.helpers.softkey import SoftKey

RP = passkeys.RelyingParty(id="rehab.example", name="Rehab Log", origin="https://rehab.example")
SECRET = "test-secret"


def register(people: People, key: SoftKey, name: object = "My phone") -> Passkey:
    """Add the key as one of the owner's passkeys, as the views do."""
    user = people.patient
    handle = passkeys.user_handle(SECRET, user.id)
    options, challenge = passkeys.registration_options(RP, user, handle, [])
    new = passkeys.verify_registration(RP, key.create(options), challenge)
    passkey = passkeys.add(db.session, user, new, name)
    db.session.commit()
    return passkey


def log_in(people: People, key: SoftKey, **answer: object) -> Passkey:
    """Answer a login challenge with the key; the passkey it names, checked."""
    options, challenge = passkeys.authentication_options(RP)
    credential = key.get(options, **answer)  # type: ignore[arg-type]
    passkey = passkeys.find(db.session, credential)
    handle = passkeys.user_handle(SECRET, passkey.user_id)
    passkeys.verify_login(RP, passkey, handle, credential, challenge)
    return passkey


@pytest.fixture
def key() -> SoftKey:
    """A software authenticator for the test RP."""
    return SoftKey(RP.id, RP.origin)


def test_registration_asks_for_a_discoverable_passkey_and_names_no_one(
    app: Flask, people: People
) -> None:
    """Resident key required (no email typed later), user verification preferred, no id leaked."""
    user = people.patient
    handle = passkeys.user_handle(SECRET, user.id)
    options, challenge = passkeys.registration_options(RP, user, handle, [])
    selection = options["authenticatorSelection"]
    assert selection["residentKey"] == "required"
    assert selection["userVerification"] == "preferred"
    assert options["rp"] == {"id": "rehab.example", "name": "Rehab Log"}
    assert passkeys.from_b64url(options["challenge"]) == challenge and len(challenge) == 32
    assert passkeys.from_b64url(options["user"]["id"]) == handle
    assert str(user.id).encode() not in handle and user.email.encode() not in handle
    assert handle != passkeys.user_handle(SECRET, people.other_patient.id)


def test_a_real_key_registers_and_logs_in(app: Flask, people: People, key: SoftKey) -> None:
    """The credential is stored with its public key; a login moves the counter and the date."""
    passkey = register(people, key)
    assert passkey.credential_id == key.credential_id
    assert (passkey.name, passkey.transports, passkey.last_used_at) == (
        "My phone",
        "internal",
        None,
    )
    used = log_in(people, key)
    assert used.id == passkey.id and used.user_id == people.patient.id
    assert used.sign_count == 1 and used.last_used_at is not None


def test_the_same_device_is_excluded_from_adding_again(
    app: Flask, people: People, key: SoftKey
) -> None:
    """The options name the passkeys a person has, so their device says it already has one."""
    register(people, key)
    existing = passkeys.for_user(db.session, people.patient.id)
    options, _ = passkeys.registration_options(RP, people.patient, b"h", existing)
    assert [c["id"] for c in options["excludeCredentials"]] == [passkeys.b64url(key.credential_id)]
    assert options["excludeCredentials"][0]["transports"] == ["internal"]
    options, challenge = passkeys.registration_options(RP, people.other_patient, b"h", [])
    new = passkeys.verify_registration(RP, key.create(options), challenge)
    with pytest.raises(passkeys.PasskeyError, match="already been added"):
        passkeys.add(db.session, people.other_patient, new, "Again")


@pytest.mark.parametrize("where", ["challenge", "origin", "rp_id"])
def test_registration_for_another_challenge_or_site_is_refused(
    app: Flask, people: People, key: SoftKey, where: str
) -> None:
    """A phishing site's answer, or an old one, is not stored."""
    options, challenge = passkeys.registration_options(RP, people.patient, b"h", [])
    if where == "challenge":
        challenge = b"x" * 32
    origin = "https://rehab.example.evil" if where == "origin" else None
    if where == "rp_id":
        options["rp"]["id"] = "evil.example"
    with pytest.raises(passkeys.PasskeyError):
        passkeys.verify_registration(RP, key.create(options, origin=origin), challenge)


def test_a_replayed_or_cloned_counter_is_refused(app: Flask, people: People, key: SoftKey) -> None:
    """The sign counter must move forward: an answer that repeats it is refused."""
    register(people, key)
    log_in(people, key)
    with pytest.raises(passkeys.PasskeyError):
        log_in(people, key, count_up=False)


def test_an_assertion_naming_another_account_is_refused(
    app: Flask, people: People, key: SoftKey
) -> None:
    """The user handle a device sends must be that of the credential's own account."""
    register(people, key)
    other = passkeys.user_handle(SECRET, people.other_patient.id)
    with pytest.raises(passkeys.PasskeyError, match="not one Rehab Log knows"):
        log_in(people, key, user_handle=other)


def test_a_wrong_signature_or_origin_is_refused(app: Flask, people: People, key: SoftKey) -> None:
    """Another key's signature, or an answer made for another site, logs no one in."""
    register(people, key)
    impostor = SoftKey(RP.id, RP.origin)
    impostor.credential_id, impostor.user_handle = key.credential_id, key.user_handle
    with pytest.raises(passkeys.PasskeyError, match="could not be checked"):
        log_in(people, impostor)
    with pytest.raises(passkeys.PasskeyError, match="could not be checked"):
        log_in(people, key, origin="https://rehab.example.evil")


def test_an_unknown_or_removed_passkey_is_refused(app: Flask, people: People, key: SoftKey) -> None:
    """Once removed, the device's credential names nothing."""
    passkey = register(people, key)
    assert passkeys.remove(db.session, people.other_patient.id, passkey.id) is None
    assert passkeys.remove(db.session, people.patient.id, passkey.id) is not None
    db.session.commit()
    with pytest.raises(passkeys.PasskeyError, match="may have been removed"):
        log_in(people, key)


def test_a_challenge_is_for_one_step_and_a_few_minutes() -> None:
    """Kept challenges expire and do not cross from adding a passkey to logging in."""
    now = utcnow()
    kept = passkeys.new_challenge(passkeys.LOG_IN, b"c" * 32, now)
    assert passkeys.take_challenge(kept, passkeys.LOG_IN, now) == b"c" * 32
    later = now + timedelta(seconds=passkeys.CHALLENGE_SECONDS + 1)
    for bad, purpose, when in [
        (kept, passkeys.REGISTER, now),
        (kept, passkeys.LOG_IN, later),
        (None, passkeys.LOG_IN, now),
        ({"purpose": "login", "challenge": 5, "until": "x"}, passkeys.LOG_IN, now),
    ]:
        with pytest.raises(passkeys.PasskeyError, match="expired"):
            passkeys.take_challenge(bad, purpose, when)


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("  My   phone ", "My phone"),
        ("", "Passkey"),
        (None, "Passkey"),
        (42, "Passkey"),
        ("a\u202eb\x00c", "abc"),
        ("x" * 200, "x" * 80),
    ],
)
def test_a_passkey_name_is_plain_and_short(given: object, shown: str) -> None:
    """Whatever the page sends, the list shows a short printable name."""
    assert passkeys.clean_name(given) == shown
