"""Accounts: sign up, log in, log out."""

from __future__ import annotations

from functools import cache

from flask import (
    Blueprint,
    current_app,
    flash,
    has_app_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from config import Config

from . import throttle
from .extensions import db
from .forms import ActionForm, LoginForm, SignupForm
from .models import User

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


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Response | tuple[str, int] | str:
    """Create an account as a patient or a therapist."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = SignupForm()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        taken = db.session.scalar(select(User.id).where(func.lower(User.email) == email))
        if taken is None:
            user = User(
                email=email,
                password_hash=hash_password(form.password.data),
                display_name=form.display_name.data,
                role=form.role.data,
                timezone=form.timezone.data,
            )
            db.session.add(user)
            try:
                db.session.commit()
            except IntegrityError:  # a twin sign-up raced us to the same email
                db.session.rollback()
            else:
                login_user(user)
                flash(f"Welcome, {user.display_name}. Your account is ready.", "success")
                return redirect(home_for(user))
        form.email.errors.append("There is already an account with this email. Log in instead.")
    if request.method == "POST":
        return render_template("auth/signup.html", form=form), 400
    return render_template("auth/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    """Log in, with failed attempts limited per account and per address."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        cfg = current_app.config
        email = normalise_email(form.email.data)
        account_key, address_key = f"account:{email}", f"address:{request.remote_addr}"
        window = cfg["LOGIN_WINDOW_SECONDS"]
        if (
            throttle.failures(db.session, account_key, window) >= cfg["LOGIN_LIMIT_PER_ACCOUNT"]
            or throttle.failures(db.session, address_key, window) >= cfg["LOGIN_LIMIT_PER_ADDRESS"]
        ):
            minutes = max(1, window // 60)
            form.form_errors.append(
                "Too many attempts to log in. For your safety, please wait "
                f"{minutes} minutes and try again."
            )
            resp = render_template("auth/login.html", form=form), 429
            return resp
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if user is not None and check_password_hash(user.password_hash, form.password.data):
            throttle.clear(db.session, account_key)
            db.session.commit()
            login_user(user, remember=True)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        if user is None:
            check_password_hash(_dummy_hash(cfg["PASSWORD_HASH_METHOD"]), form.password.data)
        throttle.record_failure(db.session, [account_key, address_key], window)
        db.session.commit()
        form.form_errors.append("That email and password do not match an account.")
    if request.method == "POST":
        return render_template("auth/login.html", form=form), 400
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Log out (a POST with a CSRF token, so that no other site can log you out)."""
    form = ActionForm()
    if form.validate_on_submit():
        logout_user()
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
