"""Reminders: the settings page, and the push subscriptions of a person's devices."""

from __future__ import annotations

from datetime import time
from email.utils import parseaddr
from pathlib import Path
from typing import Any

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
    url_for,
)
from flask_login import current_user

from rehab_app.core import calendar_feed, reminders, sessions
from rehab_app.extensions import db
from rehab_app.models import ReminderSettings
from rehab_app.web.forms import ReminderForm
from rehab_app.web.roles import me, patient_required

bp = Blueprint("reminders", __name__, url_prefix="/account/reminders")
# The calendar feed: no login (a calendar app fetches it), the secret address is the key.
feeds = Blueprint("feeds", __name__)


def _time(text: str | None) -> time | None:
    return reminders.parse_time(text) if text else None


def _form_from(settings: ReminderSettings) -> ReminderForm:
    times = settings.fatigue_times.split(",")
    return ReminderForm(
        formdata=None,  # the saved settings, whatever form was posted (the calendar's)
        paused=settings.paused,
        show_details=settings.show_details,
        programme_on=settings.programme_on,
        programme_time=_time(settings.programme_time),
        programme_days=reminders.mask_days(settings.programme_days),
        fatigue_on=settings.fatigue_on,
        fatigue_time=_time(times[0]),
        fatigue_time2=_time(times[1]) if len(times) > 1 else None,
        fatigue_days=reminders.mask_days(settings.fatigue_days),
        walking_on=settings.walking_on,
        walking_time=_time(settings.walking_time),
        walking_day=settings.walking_day,
        quiet_from=_time(settings.quiet_from),
        quiet_until=_time(settings.quiet_until),
    )


def _hhmm(value: time | None, keep: str) -> str:
    return value.strftime("%H:%M") if value is not None else keep


def _apply(form: ReminderForm, settings: ReminderSettings) -> None:
    """Copy a valid form into the settings; a reminder switched off keeps its old time."""
    settings.paused = form.paused.data
    settings.show_details = form.show_details.data
    settings.programme_on = form.programme_on.data
    settings.programme_time = _hhmm(form.programme_time.data, settings.programme_time)
    settings.programme_days = reminders.days_mask(form.programme_days.data or []) or (
        settings.programme_days
    )
    settings.fatigue_on = form.fatigue_on.data
    first = _hhmm(form.fatigue_time.data, settings.fatigue_times.split(",")[0])
    times = sorted(
        {first, *([_hhmm(form.fatigue_time2.data, "")] if form.fatigue_time2.data else [])}
    )
    settings.fatigue_times = ",".join(times)
    settings.fatigue_days = reminders.days_mask(form.fatigue_days.data or []) or (
        settings.fatigue_days
    )
    settings.walking_on = form.walking_on.data
    settings.walking_time = _hhmm(form.walking_time.data, settings.walking_time)
    settings.walking_day = form.walking_day.data
    settings.quiet_from = _hhmm(form.quiet_from.data, "") or None
    settings.quiet_until = _hhmm(form.quiet_until.data, "") or None


@bp.route("", methods=["GET", "POST"])
@patient_required
def settings() -> Response | tuple[str, int] | str:
    """My reminders: what, when (my local time), quiet hours, and a pause for all of them."""
    user = me()
    current = reminders.settings_for(db.session, user.id)
    form = ReminderForm() if request.method == "POST" else _form_from(current)
    if form.validate_on_submit():
        _apply(form, current)
        db.session.add(current)
        db.session.commit()
        if current.paused:
            flash("Saved. All reminders are paused until you switch them back on.", "success")
        else:
            flash("Saved. Your reminders are set.", "success")
        return redirect(url_for("reminders.settings"))
    page = render_template(
        "patient/reminders.html",
        form=form,
        tz=user.timezone,
        push_key=_public_key(),
        has_feed=calendar_feed.has_feed(db.session, user.id),
    )
    return (page, 400) if form.is_submitted() else page


def _public_key() -> str:
    """The key browsers subscribe with, or '' when this server cannot send pushes."""
    from rehab_app.core.webpush import public_key_of

    private = vapid_private_key()
    return public_key_of(private) if private else ""


def vapid_private_key() -> str:
    """The configured VAPID key; in development, one kept in instance/ (made once)."""
    key: str = current_app.config["VAPID_PRIVATE_KEY"]
    if key or not current_app.config["VAPID_KEY_IN_INSTANCE"]:
        return key
    path = Path(current_app.instance_path) / "vapid-private-key.txt"
    if not path.exists():
        from rehab_app.core.webpush import new_vapid_private_key

        path.write_text(new_vapid_private_key() + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def vapid_subject() -> str:
    """Whom push services may contact: VAPID_SUBJECT, else the address mail comes from."""
    subject: str = current_app.config["VAPID_SUBJECT"]
    if subject:
        return subject
    address = parseaddr(current_app.config["MAIL_FROM"])[1] or "no-reply@localhost"
    return f"mailto:{address}"


# ----------------------------------------------------------------------------- devices (JSON)


def _json_error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(error=code, message=message), status


def _device_api() -> tuple[Response, int] | None:
    """Only a logged-in patient's own device: JSON 401 and 403, never a login page."""
    if not current_user.is_authenticated:
        return _json_error(401, "login_required", "Please log in again.")
    if current_user.role != "patient":
        return _json_error(403, "forbidden", "Reminders are for people logging their rehab.")
    return None


def _body() -> dict[str, Any] | None:
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # "[" x 1000: the parser gives up; still not a JSON object
        return None
    return body if isinstance(body, dict) else None


@bp.post("/devices")
def add_device() -> tuple[Response, int]:
    """Get reminders on this device: keep its push subscription, tied to this login."""
    if refused := _device_api():
        return refused
    body = _body()
    if body is None:
        return _json_error(400, "bad_json", "The request body must be a JSON object.")
    cfg = current_app.config
    try:
        endpoint, p256dh, auth = reminders.check_subscription(
            body, cfg["PUSH_SERVICE_HOSTS"], cfg.get("PUSH_ALLOW_HTTP", False)
        )
    except reminders.BadSubscription as error:
        return _json_error(400, "bad_subscription", str(error))
    user = me()
    login = sessions.resolve(db.session, user.session_token or "")
    if login is None:
        return _json_error(401, "login_required", "Please log in again.")
    row, new = reminders.subscribe(
        db.session,
        user.id,
        login.id,
        endpoint,
        p256dh,
        auth,
        sessions.device_label(request.user_agent.string),
    )
    db.session.commit()
    return jsonify(id=row.id, devices=reminders.devices_of(db.session, user.id)), (
        201 if new else 200
    )


@bp.delete("/devices")
def remove_device() -> tuple[Response, int] | Response:
    """Stop reminders on this device."""
    if refused := _device_api():
        return refused
    body = _body()
    if body is None:
        return _json_error(400, "bad_json", "The request body must be a JSON object.")
    if not reminders.unsubscribe(db.session, me().id, body.get("endpoint")):
        return _json_error(404, "not_found", "This device was not getting your reminders.")
    db.session.commit()
    return Response(status=204)


# ----------------------------------------------------------------------------- calendar feed


@bp.post("/calendar")
@patient_required
def make_calendar() -> str:
    """Make (or reset) my private calendar address, and show it this once."""
    user = me()
    token = calendar_feed.new_feed(db.session, user.id)
    db.session.commit()
    feed_url = url_for("feeds.calendar", token=token, _external=True)
    return render_template(
        "patient/reminders.html",
        form=_form_from(reminders.settings_for(db.session, user.id)),
        tz=user.timezone,
        push_key=_public_key(),
        has_feed=True,
        feed_url=feed_url,
    )


@bp.post("/calendar/revoke")
@patient_required
def revoke_calendar() -> Response:
    """Stop my calendar feed: its address no longer works."""
    calendar_feed.revoke_feed(db.session, me().id)
    db.session.commit()
    flash("Your calendar address no longer works. Remove it from your calendar app.", "info")
    return redirect(url_for("reminders.settings"))


@feeds.route("/calendar/<token>.ics")
def calendar(token: str) -> Response:
    """A person's reminders as a calendar file, for whoever holds the secret address."""
    user = calendar_feed.feed_owner(db.session, token)
    if user is None:
        abort(404)
    settings = reminders.settings_for(db.session, user.id)
    body = calendar_feed.feed_ics(db.session, user, settings, request.host_url)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'inline; filename="rehab-log.ics"'},
    )
