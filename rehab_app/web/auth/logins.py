"""Logging in and out on the web, and the account emails, shared by the auth views.

Password hashes and checks within the guessing limits, fresh sessions, where a person lands,
and sending account emails within their limits.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from flask import (
    current_app,
    g,
    has_app_context,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.security import check_password_hash, generate_password_hash

from config import Config
from rehab_app.core import emails, mail, sessions, throttle, tokens
from rehab_app.extensions import db
from rehab_app.models import User
from rehab_app.web import logs
from rehab_app.web.roles import session_lifetime

PASSWORD_HASH = Config.PASSWORD_HASH_METHOD


@cache
def _dummy_hash(method: str) -> str:
    # Checked when the email is unknown, so that a wrong email takes as long as a wrong password.
    return generate_password_hash("not a real password, only for timing", method)


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively: store and look them up lower-cased."""
    return email.strip().lower()


def hash_password(password: str, method: str | None = None) -> str:
    """Hash a password with scrypt at the configured, OWASP-strength cost."""
    if method is None:
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else PASSWORD_HASH
    return generate_password_hash(password, method=method)


def home_for(user: User) -> str:
    """Where a user lands after logging in."""
    return url_for("therapist.caseload" if user.is_therapist else "patient.today")


def fresh_session() -> None:
    """Forget everything in this browser's session, and give it its new CSRF token at once.

    The new token goes out with this answer. Left to the next request, every request the page
    sends meanwhile (the service worker keeping pages, a second tab, a sync) would mint a token
    of its own, the last answer's cookie would win, and the page's forms would be refused.
    """
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's copy of the old token for this request
    generate_csrf()


def log_in(user: User, *, remember: bool) -> None:
    """Start a new login on this device: a fresh session, a new CSRF token, a new token row."""
    # Nothing of a previous person or login carries over (the CSRF token included).
    fresh_session()
    sessions.start(
        db.session,
        user,
        remember=remember,
        lifetime=session_lifetime(remember=remember),
        device=sessions.device_label(request.user_agent.string),
    )
    db.session.commit()
    login_user(user, remember=remember, duration=session_lifetime(remember=True))
    logs.event("login")


def log_out() -> None:
    """End this device's login on the server and forget everything in its session."""
    token = getattr(current_user, "session_token", None)
    sessions.end(db.session, token)
    db.session.commit()
    logs.event("logout")  # while the user is still known to the log line
    logout_user()
    fresh_session()


def login_limits() -> throttle.Limits:
    """The login limits of the configuration (also used for the delete-account password)."""
    cfg = current_app.config
    return throttle.Limits(
        free_per_pair=cfg["LOGIN_LIMIT_PER_ACCOUNT"],
        free_per_address=cfg["LOGIN_LIMIT_PER_ADDRESS"],
        window_seconds=cfg["LOGIN_WINDOW_SECONDS"],
        max_delay=cfg["LOGIN_MAX_DELAY_SECONDS"],
    )


def checked_password(user: User | None, password: str, attempt: throttle.Attempt) -> bool:
    """Check a password through the login limits; raise throttle.PleaseWait to slow guessing."""
    limits = login_limits()
    mine = throttle.count_attempt(db.session, attempt, limits)
    db.session.commit()  # counted before it is checked: parallel guesses see each other
    wait = throttle.wait_ahead(db.session, attempt, limits, mine)
    if wait:
        throttle.withdraw(db.session, mine)
        db.session.commit()
        raise throttle.PleaseWait(wait)
    if user is None:  # a wrong email takes as long as a wrong password
        method = current_app.config["PASSWORD_HASH_METHOD"]
        check_password_hash(_dummy_hash(method), password)
        return False
    if not check_password_hash(user.password_hash, password):
        return False  # stays counted
    throttle.record_success(db.session, attempt, mine)
    db.session.commit()
    return True


def please_wait(seconds: int) -> str:
    """What a person asked to wait reads: how long, and why."""
    unit = "second" if seconds == 1 else "seconds"
    return (
        f"Please wait {seconds} {unit}, then try again. After several wrong passwords "
        "we slow down new tries, so that no one can guess yours."
    )


def asked_to_wait(template: str, seconds: int, **context: Any) -> tuple[str, int, dict[str, str]]:
    """A page asking to wait (its message already on the form): 429 with Retry-After."""
    return render_template(template, **context), 429, {"Retry-After": str(seconds)}


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: never an open redirect to another site. Browsers drop tabs and
    # newlines from URLs (so "/\t/evil" is "//evil"), and a newline cannot go in a header.
    if (
        target
        and target.isprintable()
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target
    return None


def send_mail(to: str, message: tuple[str, str]) -> None:
    """Send one of emails.py's messages (printed to the console in development)."""
    settings = mail.MailSettings.from_config(current_app.config, console=current_app.debug)
    subject, body = message
    mail.send(settings, to, subject, body)


def wait_for_mail(seconds: int) -> str:
    """What a person asking for too many emails reads."""
    minutes = max(1, (seconds + 59) // 60)
    unit = "minute" if minutes == 1 else "minutes"
    return (
        "We have sent several emails from here in the last few minutes. Please look for them "
        f"(and in your spam folder), or try again in {minutes} {unit}."
    )


def _mail_limit(kind: str, email: str | None, per_email: str, per_address: str) -> int:
    """Count an emailing request; the seconds to wait, or 0 to go ahead."""
    cfg = current_app.config
    keys = throttle.request_keys(kind, request.remote_addr, email)
    limits = {keys[0]: cfg[per_address]}
    if email is not None:
        limits[keys[1]] = cfg[per_email]
    return throttle.allow_request(db.session, limits, cfg["LOGIN_WINDOW_SECONDS"])


def _check_email(heading: str) -> str:
    return render_template("auth/check_email.html", heading=heading)


def _send_confirmation(user: User) -> None:
    """Make a sign-up link for a person and email it (the caller commits first)."""
    hours = current_app.config["CONFIRM_HOURS"]
    token = tokens.issue(db.session, user, "confirm", timedelta(hours=hours))
    db.session.commit()
    link = url_for("auth.confirm_email", token=token, _external=True)
    send_mail(user.email, emails.confirm_signup(user.display_name, link, hours))
