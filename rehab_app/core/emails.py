"""The words of the emails the app sends: plain text, short, kind, and no health data."""

from __future__ import annotations

SIGN_OFF = "\n\nRehab Log\n(You cannot reply to this email.)\n"


def confirm_signup(name: str, link: str, hours: int) -> tuple[str, str]:
    """Subject and body of the email that confirms a new account's address."""
    body = (
        f"Hello {name},\n\n"
        "Please confirm your email address to finish creating your Rehab Log account:\n\n"
        f"{link}\n\n"
        f"The link works once, for {hours} hours. If you did not sign up, you can ignore "
        "this email: no account will be usable without it."
    )
    return "Confirm your email for Rehab Log", body + SIGN_OFF


def signup_again(login_link: str, forgot_link: str) -> tuple[str, str]:
    """Subject and body for the owner of an email someone tried to sign up with again."""
    body = (
        "Hello,\n\n"
        "Someone tried to create a Rehab Log account with this email address. You already "
        "have one, so nothing was changed.\n\n"
        f"If it was you, log in here:\n{login_link}\n\n"
        f"If you have forgotten your password, you can set a new one here:\n{forgot_link}\n\n"
        "If it was not you, you can ignore this email."
    )
    return "About your Rehab Log account", body + SIGN_OFF


def reset_password(link: str, minutes: int) -> tuple[str, str]:
    """Subject and body of a password reset email."""
    body = (
        "Hello,\n\n"
        "Someone (we hope you) asked to set a new password for your Rehab Log account. "
        "Open this link to choose one:\n\n"
        f"{link}\n\n"
        f"The link works once, for {minutes} minutes. If you did not ask, you can ignore this "
        "email: your password stays as it is."
    )
    return "Set a new password for Rehab Log", body + SIGN_OFF
