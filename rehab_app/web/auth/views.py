"""Accounts: sign up (confirmed by email), log in, log out, change or reset a password."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import cache
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    has_app_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from config import Config

from . import emails, logs, mail, pwa, sessions, throttle, tokens
from .access import session_lifetime
from .extensions import db
from .forms import (
    ActionForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from .models import User, utcnow

PASSWORD_HASH = Config.PASSWORD_HASH_METHOD

bp = Blueprint("auth", __name__)


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


@bp.after_app_request
def no_cookie_from_background_answers(response: Response) -> Response:
    """A logged-out page's background requests never write the session cookie.

    The service worker keeps pages and the offline page while the login page is open; an
    answer to one of those, made with the logged-out session and arriving after the login's
    answer, carried that session back in its cookie and logged the person out again ("Please
    log in to see that page" right after logging in). Such a request (a GET that is not a
    navigation, from a session with no login in it) has nothing to keep in the session: its
    changes (Flask-Login's freshness mark, a "please log in" message) are dropped.
    """
    background = request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate"
    if request.method in ("GET", "HEAD") and background and "_user_id" not in session:
        session.modified = False
    return response


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


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]] | str:
    """Create an account as a patient or a therapist; the email confirms it.

    A new and a known email get the same answer in about the same time (the password is
    hashed either way); the owner of a known email is told by email instead.
    """
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignupForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        wait = _mail_limit("signup", None, "", "SIGNUP_LIMIT_PER_ADDRESS")
        if wait:
            db.session.commit()
            form.form_errors.append(wait_for_mail(wait))
            return asked_to_wait("auth/signup.html", wait, form=form)
        password_hash = hash_password(form.password.data)
        user = User(
            email=email,
            password_hash=password_hash,
            display_name=form.display_name.data,
            role=form.role.data,
            timezone=form.timezone.data,
        )
        taken = db.session.scalar(select(User.id).where(func.lower(User.email) == email))
        if taken is None:
            db.session.add(user)
            try:
                db.session.flush()
            except IntegrityError:  # a twin sign-up raced us to the same email
                db.session.rollback()
                taken = True
        if taken is None:
            _send_confirmation(user)
        else:
            db.session.commit()
            login_link = url_for("auth.login", _external=True)
            forgot_link = url_for("auth.forgot_password", _external=True)
            send_mail(email, emails.signup_again(login_link, forgot_link))
        return _check_email("Check your email to confirm your account")
    if request.method == "POST":
        return render_template("auth/signup.html", form=form), 400
    return render_template("auth/signup.html", form=form)


@bp.route("/signup/confirm/<token>")
def confirm_email(token: str) -> Response:
    """Follow the link of a sign-up email: the address is confirmed, the person can log in."""
    if current_user.is_authenticated:  # someone is logged in here: keep the link for later
        return redirect(home_for(current_user))
    try:
        row = tokens.find(db.session, token, "confirm")
        tokens.use_up(db.session, row)
    except tokens.LinkInvalid:
        db.session.rollback()
        flash(
            "This confirmation link has expired or was already used. Log in with your email "
            "and password to get a new one.",
            "info",
        )
        return redirect(url_for("auth.login"))
    user = db.session.get(User, row.user_id)
    if user is not None and user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    db.session.commit()
    flash("Thank you: your email is confirmed. You can log in now.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/signup/resend", methods=["POST"])
def resend_confirmation() -> Response:
    """Send the sign-up link again, to someone who just gave the right password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = ActionForm()
    user_id = session.get("confirm_user")
    user = db.session.get(User, user_id) if form.validate_on_submit() and user_id else None
    if user is not None and user.email_confirmed_at is None:
        wait = _mail_limit(
            "signup", user.email, "RESET_LIMIT_PER_EMAIL", "SIGNUP_LIMIT_PER_ADDRESS"
        )
        if wait:
            db.session.commit()
            flash(wait_for_mail(wait), "info")
            return redirect(url_for("auth.login"))
        session.pop("confirm_user", None)
        _send_confirmation(user)
        flash("We sent you a new link. Open it to confirm your email, then log in.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]] | str:
    """Log in, with failed attempts limited per account and per address."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        attempt = throttle.Attempt.of(request.remote_addr, user.id if user else None, email)
        try:
            right = checked_password(user, form.password.data, attempt)
        except throttle.PleaseWait as wait:
            logs.event("login_throttled", logging.WARNING, seconds=wait.seconds)
            form.form_errors.append(please_wait(wait.seconds))
            return asked_to_wait("auth/login.html", wait.seconds, form=form)
        if right and user is not None:
            if user.email_confirmed_at is None:
                # Only someone who knows the password learns that the account waits for this.
                session["confirm_user"] = user.id
                form.form_errors.append(
                    "Please confirm your email first: open the link in the email we sent you "
                    "when you signed up."
                )
                return render_template("auth/login.html", form=form, resend=ActionForm()), 403
            log_in(user, remember=bool(form.remember.data))
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        form.form_errors.append("That email and password do not match an account.")
    if request.method == "POST":
        return render_template("auth/login.html", form=form), 400
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out (a POST with a CSRF token, so that no other site can log you out)."""
    form = ActionForm()
    if form.validate_on_submit():
        log_out()
        flash("You are logged out.", "info")
        return pwa.clear_site_data(redirect(url_for("auth.login")))
    return redirect(url_for("auth.login"))


# ----------------------------------------------------------------------------- passwords


def _set_password(user: User, password: str, *, keep: str | None = None) -> int:
    """Store a new password and end every other login of the person; return how many ended."""
    user.password_hash = hash_password(password)
    return sessions.end_all(db.session, user.id, keep=keep)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | tuple[str, int] | str:
    """Change one's password (the current one first); every other device is logged out."""
    user: User = current_user  # type: ignore[assignment]
    form = ChangePasswordForm(email=user.email)
    if form.validate_on_submit():
        if check_password_hash(user.password_hash, form.current.data):
            ended = _set_password(user, form.password.data, keep=user.session_token)
            db.session.commit()
            others = f"{ended} other device" if ended == 1 else f"{ended} other devices"
            message = "Your password is changed."
            if ended:
                message += f" We logged you out on {others}: they need the new password."
            flash(message, "success")
            return redirect(url_for("account.security"))
        form.current.errors.append("That is not your current password.")
    if request.method == "POST":
        return render_template("auth/change_password.html", form=form), 400
    return render_template("auth/change_password.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]] | str:
    """Ask for a reset link: the same answer, as fast, whether or not the email has an account."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        wait = _mail_limit("reset", email, "RESET_LIMIT_PER_EMAIL", "RESET_LIMIT_PER_ADDRESS")
        if wait:
            db.session.commit()
            form.form_errors.append(wait_for_mail(wait))
            return asked_to_wait("auth/forgot_password.html", wait, form=form)
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is None:
            db.session.commit()
        else:
            minutes = current_app.config["RESET_MINUTES"]
            token = tokens.issue(db.session, user, "reset", timedelta(minutes=minutes))
            db.session.commit()
            link = url_for("auth.open_reset_link", token=token, _external=True)
            send_mail(user.email, emails.reset_password(link, minutes))
        return _check_email("Check your email")
    if request.method == "POST":
        return render_template("auth/forgot_password.html", form=form), 400
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>")
def open_reset_link(token: str) -> Response:
    """Open a reset link: the token moves into the session, out of the address bar and history."""
    session["reset_token"] = token
    return redirect(url_for("auth.reset_password"))


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password() -> Response | tuple[str, int] | str:
    """Choose a new password through a reset link; every login of the person ends."""
    try:
        row = tokens.find(db.session, session.get("reset_token") or "", "reset")
    except tokens.LinkInvalid:
        session.pop("reset_token", None)
        return render_template("auth/reset_invalid.html"), 400
    user = db.session.get(User, row.user_id)
    if user is None:  # the account went since the link was sent
        session.pop("reset_token", None)
        return render_template("auth/reset_invalid.html"), 400
    form = ResetPasswordForm(email=user.email)
    if form.validate_on_submit():
        try:
            tokens.use_up(db.session, row)
        except tokens.LinkInvalid:  # the same link, used in another tab a moment ago
            db.session.rollback()
            session.pop("reset_token", None)
            return render_template("auth/reset_invalid.html"), 400
        _set_password(user, form.password.data)
        # The link reached the inbox: the address is the person's.
        user.email_confirmed_at = user.email_confirmed_at or utcnow()
        db.session.commit()
        if current_user.is_authenticated:
            logout_user()
        fresh_session()
        flash(
            "Your password is changed, and every device is logged out. "
            "Log in with your new password.",
            "success",
        )
        return redirect(url_for("auth.login"))
    if request.method == "POST":
        return render_template("auth/reset_password.html", form=form), 400
    return render_template("auth/reset_password.html", form=form)
