"""The password policy, checked offline: long enough, not the email, not a common password.

Used by sign-up, password change and reset alike. Nothing is sent anywhere: the list of
common passwords ships with the app (common_passwords.txt, one a line).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

MIN_LENGTH = 10
MAX_LENGTH = 200
LENGTH_MESSAGE = f"Use from {MIN_LENGTH} to {MAX_LENGTH} characters."
EMAIL_MESSAGE = "Do not use your email address, or its first part, as your password."
COMMON_MESSAGE = (
    "This password is too easy to guess: it is a common one or a simple pattern. "
    "A few words in a row is stronger and easy to remember."
)
BLOCKLIST = Path(__file__).with_name("common_passwords.txt")
# Runs people type without thinking: along the alphabet, the digits or a keyboard row.
RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertzuiopasdfghjklyxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
# Digits, spaces and symbols added at either end do not make a common password uncommon.
PADDING = re.compile(r"^[\W\d_]+|[\W\d_]+$")


class WeakPassword(ValueError):
    """A password the policy refuses; its message says why, in words for the person."""


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-case."""
    lines = BLOCKLIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _is_pattern(text: str) -> bool:
    """One short piece repeated (aaaaaaaaaa, abcabcabca) or a run along a row or sequence."""
    for size in (1, 2, 3, 4):
        unit = text[:size]
        if len(text) > size and (unit * (len(text) // size + 1)).startswith(text):
            return True
    return any(text in run or text in run[::-1] for run in RUNS)


def _variants(password: str) -> set[str]:
    """The forms of a password to look up: as typed, without padding, without spaces."""
    lowered = password.strip().lower()
    squeezed = re.sub(r"[\s._-]+", "", lowered)
    return {lowered, squeezed, PADDING.sub("", lowered), PADDING.sub("", squeezed)} - {""}


def check_password(password: str, email: str = "") -> None:
    """Raise WeakPassword when the policy refuses a new password for this email."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise WeakPassword(LENGTH_MESSAGE)
    variants = _variants(password)
    email = email.strip().lower()
    if email:
        local = email.partition("@")[0]
        own = {email, local, re.sub(r"[\W\d_]+", "", local)} - {""}
        if variants & own:
            raise WeakPassword(EMAIL_MESSAGE)
    # Patterns only on what is left of some length: "qw" + digits is caught by its digits.
    if variants & common_passwords() or any(_is_pattern(v) for v in variants if len(v) >= 4):
        raise WeakPassword(COMMON_MESSAGE)
