"""Passkeys: a person's list of them, adding and removing one, and logging in with one."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from rehab_app.core import passkeys, sessions, throttle
from rehab_app.extensions import db
from rehab_app.models import User
from rehab_app.web.forms import ActionForm
from rehab_app.web.roles import me

from .logins import home_for, log_in, login_limits, please_wait

bp = Blueprint("passkeys", __name__)

CHALLENGE_KEY = "passkey_challenge"
Answer = tuple[Response, int] | tuple[Response, int, dict[str, str]]


def relying_party() -> passkeys.RelyingParty:
    """The RP ID and origin from the configuration, else from the address the page came from."""
    cfg = current_app.config
    origin = cfg["WEBAUTHN_ORIGIN"] or request.host_url.rstrip("/")
    rp_id = cfg["WEBAUTHN_RP_ID"] or urlsplit(origin).hostname or request.host
    return passkeys.RelyingParty(id=rp_id, name="Rehab Log", origin=origin)


def _handle(user_id: int) -> bytes:
    return passkeys.user_handle(current_app.config["SECRET_KEY"], user_id)


def _refuse(message: str, status: int = 400, error: str = "passkey") -> Answer:
    return jsonify(error=error, message=message), status


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise passkeys.PasskeyError("That passkey answer could not be read.")
    return data


def _take_challenge(purpose: str) -> bytes:
    # Removed before it is checked: one challenge, one try, whatever the answer.
    return passkeys.take_challenge(session.pop(CHALLENGE_KEY, None), purpose)


# ----------------------------------------------------------------------------- the list


@bp.route("/account/passkeys", endpoint="passkeys")
@login_required
def passkey_list() -> str:
    """My passkeys: their names, when added and last used; add one, remove one."""
    user = me()
    return render_template(
        "account/passkeys.html",
        passkeys=passkeys.for_user(db.session, user.id),
        default_name=sessions.device_label(request.user_agent.string),
        action=ActionForm(),
    )


@bp.route("/account/passkeys/<int:passkey_id>/remove", methods=["POST"])
@login_required
def remove(passkey_id: int) -> Response:
    """Remove one of my passkeys: it no longer logs anyone in."""
    removed = passkeys.remove(db.session, me().id, passkey_id)
    if removed is None:
        abort(404)
    db.session.commit()
    flash(f"Passkey “{removed.name}” removed. It can no longer log you in.", "info")
    return redirect(url_for("passkeys.passkeys"))


# ----------------------------------------------------------------------------- adding one


@bp.route("/account/passkeys/register/options", methods=["POST"])
def register_options() -> Answer:
    """The options for making a passkey on this device (JSON)."""
    if not current_user.is_authenticated:
        return _refuse("Please log in again.", 401, "login_required")
    user = me()
    options, challenge = passkeys.registration_options(
        relying_party(), user, _handle(user.id), passkeys.for_user(db.session, user.id)
    )
    session[CHALLENGE_KEY] = passkeys.new_challenge(passkeys.REGISTER, challenge)
    return jsonify(options), 200


@bp.route("/account/passkeys/register", methods=["POST"])
def register() -> Answer:
    """Store the passkey this device just made, once checked (JSON)."""
    if not current_user.is_authenticated:
        return _refuse("Please log in again.", 401, "login_required")
    try:
        challenge = _take_challenge(passkeys.REGISTER)
        data = _body()
        new = passkeys.verify_registration(relying_party(), data.get("credential"), challenge)
        passkey = passkeys.add(db.session, me(), new, data.get("name"))
    except passkeys.PasskeyError as error:
        db.session.rollback()
        return _refuse(str(error))
    db.session.commit()
    flash(f"Passkey “{passkey.name}” added. You can now log in with it.", "success")
    return jsonify(id=passkey.id, name=passkey.name), 201


# ----------------------------------------------------------------------------- logging in


@bp.route("/login/passkey/options", methods=["POST"])
def login_options() -> Answer:
    """The options for logging in with any passkey of this site on the device (JSON)."""
    options, challenge = passkeys.authentication_options(relying_party())
    session[CHALLENGE_KEY] = passkeys.new_challenge(passkeys.LOG_IN, challenge)
    return jsonify(options), 200


@bp.route("/login/passkey", methods=["POST"])
def login() -> Answer:
    """Log in with the passkey the device chose; failures count as wrong passwords do (JSON)."""
    # No account is named until the passkey is found: attempts from this address share a key.
    anonymous = throttle.Attempt.of(request.remote_addr, None, "passkey")
    limits = login_limits()
    # Counted before it is checked, as a password is: parallel tries see each other.
    mine = throttle.count_attempt(db.session, anonymous, limits)
    db.session.commit()
    wait = throttle.wait_ahead(db.session, anonymous, limits, mine)
    if wait:
        throttle.withdraw(db.session, mine)
        db.session.commit()
        answer, status = _refuse(please_wait(wait), 429, "too_many_attempts")
        return answer, status, {"Retry-After": str(wait)}
    user: User | None = None
    try:
        challenge = _take_challenge(passkeys.LOG_IN)
        data = _body()
        credential = data.get("credential")
        passkey = passkeys.find(db.session, credential)
        user = db.session.get(User, passkey.user_id)
        if user is None or not isinstance(credential, dict):
            raise passkeys.PasskeyError(passkeys.UNKNOWN)
        passkeys.verify_login(relying_party(), passkey, _handle(user.id), credential, challenge)
    except passkeys.PasskeyError as error:
        db.session.rollback()  # the attempt stays counted (committed above)
        return _refuse(str(error))
    throttle.record_success(db.session, anonymous, mine)
    db.session.commit()
    log_in(user, remember=data.get("remember") is True)
    return jsonify(redirect=home_for(user)), 200
