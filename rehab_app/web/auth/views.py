"""Accounts: sign up (confirmed by email), log in, log out, change or reset a password."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash
from werkzeug.wrappers import Response

from rehab_app.core import accounts, emails, sessions, throttle, tokens
from rehab_app.extensions import db
from rehab_app.models import User, utcnow
from rehab_app.web import logs
from rehab_app.web.forms import (
    ActionForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from rehab_app.web.pwa import views as pwa

from .logins import (
    _check_email,
    _mail_limit,
    _safe_next,
    _send_confirmation,
    asked_to_wait,
    checked_password,
    fresh_session,
    hash_password,
    home_for,
    log_in,
    log_out,
    normalise_email,
    please_wait,
    send_mail,
    wait_for_mail,
)

bp = Blueprint("auth", __name__)


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
        taken = accounts.user_by_email(db.session, email) is not None
        if not taken:
            db.session.add(user)
            try:
                db.session.flush()
            except IntegrityError:  # a twin sign-up raced us to the same email
                db.session.rollback()
                taken = True
        if not taken:
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
        user = accounts.user_by_email(db.session, email)
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
        user = accounts.user_by_email(db.session, email)
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
