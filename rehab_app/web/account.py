"""My account: care links, signed-in devices, export of all my data, deleting the account."""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required, logout_user
from werkzeug.exceptions import HTTPException

from rehab_app.core import access_log, accounts, care_links, exports, sessions, throttle
from rehab_app.core.caseload import last_activity_text
from rehab_app.core.timeutil import to_local
from rehab_app.extensions import db
from rehab_app.models import CareLink, TeamLink, UserSession, utcnow
from rehab_app.web.auth.logins import asked_to_wait, checked_password, fresh_session, please_wait
from rehab_app.web.pwa import views as pwa

from .forms import ActionForm, ConfirmLinkForm, ConfirmPasswordForm, LinkForm
from .roles import me, patient_required

bp = Blueprint("account", __name__, url_prefix="/account")


class Login(NamedTuple):
    """A signed-in device as the security page shows it, in the person's own words and time."""

    id: int
    device: str
    started: str
    last_used: str
    last_used_at: datetime
    current: bool


def _login(row: UserSession, token: str | None, tz: str, now: datetime) -> Login:
    def when(t: datetime) -> str:
        text = last_activity_text(t, tz, now)
        return text[:1].lower() + text[1:]

    return Login(
        row.id,
        row.device or "A browser",
        when(row.created_at),
        when(row.last_seen_at),
        to_local(row.last_seen_at, tz),
        sessions.is_current(row, token),
    )


def _page(link_form: LinkForm | None = None, status: int = 200) -> tuple[str, int]:
    user = me()
    if user.is_therapist:
        patients = care_links.linked_patients(db.session, user.id)
        return render_template("account/therapist.html", patients=patients), status
    record = access_log.accesses_for(db.session, user.id)
    links = care_links.patient_links(db.session, user.id)
    teams = [
        (team_link, [link for link in links if link.team_link_id == team_link.id])
        for team_link in care_links.patient_team_links(db.session, user.id)
    ]
    return (
        render_template(
            "patient/account.html",
            links=[link for link in links if link.team_link_id is None],
            teams=teams,
            accesses=access_log.shown_accesses(record, user.timezone),
            access_total=record.total,
            link_form=link_form or LinkForm(),
            action=ActionForm(),
        ),
        status,
    )


@bp.route("")
@login_required
def account() -> tuple[str, int]:
    """My account: linked therapists (patients), security, export, delete."""
    return _page()


def _code_limits() -> tuple[tuple[str, str], throttle.CodeLimits]:
    cfg = current_app.config
    limits = throttle.CodeLimits(
        per_person=cfg["LINK_CODE_LIMIT_PER_PERSON"],
        per_address=cfg["LINK_CODE_LIMIT_PER_ADDRESS"],
        window_seconds=cfg["LINK_CODE_WINDOW_SECONDS"],
    )
    return throttle.code_keys(me().id, request.remote_addr), limits


def _wrong_code(form: LinkForm, keys: tuple[str, str], limits: throttle.CodeLimits) -> None:
    db.session.rollback()
    throttle.record_code_failure(db.session, keys, limits)
    db.session.commit()
    form.code.errors = [care_links.NOT_VALID]


def _too_many(form: LinkForm, limits: throttle.CodeLimits) -> tuple[str, int]:
    minutes = max(1, limits.window_seconds // 60)
    form.code.errors = [
        f"Too many codes that did not work. Please wait {minutes} minutes and try again, "
        "or ask your therapist to read the code out once more."
    ]
    return _page(form, 429)


@bp.route("/links", methods=["POST"])
@patient_required
def link() -> tuple[str, int]:
    """Check a therapist's code and show whose it is, before I agree to share anything."""
    form = LinkForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    keys, limits = _code_limits()
    if throttle.code_attempts_refused(db.session, keys, limits):
        return _too_many(form, limits)
    try:
        offer = care_links.code_offer(db.session, form.code.data)
    except care_links.LinkCodeError:
        _wrong_code(form, keys, limits)
        return _page(form, 400)
    confirm = ConfirmLinkForm(code=care_links.normalise_code(form.code.data))
    return render_template("patient/link_confirm.html", offer=offer, form=confirm), 200


@bp.route("/links/confirm", methods=["POST"])
@patient_required
def confirm_link() -> Response | tuple[str, int]:
    """Share my log with the therapist I was shown (this is my consent)."""
    confirm = ConfirmLinkForm()
    form = LinkForm(formdata=None)
    if not confirm.validate_on_submit():
        form.code.errors = [care_links.NOT_VALID]
        return _page(form, 400)
    keys, limits = _code_limits()
    if throttle.code_attempts_refused(db.session, keys, limits):
        return _too_many(form, limits)
    patient_id = me().id
    # No read may come before the UPDATE in its transaction: on SQLite a reader cannot
    # then become the writer once another request has written.
    db.session.rollback()
    try:
        link = care_links.redeem_code(db.session, patient_id, confirm.code.data)
    except care_links.LinkCodeError:
        _wrong_code(form, keys, limits)
        return _page(form, 400)
    db.session.commit()
    if isinstance(link, TeamLink):
        names = care_links.said_together(care_links.team_therapists(db.session, link.team_id))
        flash(f"Linked. Everyone in {link.team.name} can now see your log: {names}.", "success")
    else:
        flash(f"Linked. {link.therapist.display_name} can now see your log.", "success")
    return redirect(url_for("account.account"))


@bp.route("/links/<int:link_id>/revoke", methods=["POST"])
@patient_required
def revoke(link_id: int) -> Response:
    """Stop a therapist seeing my log."""
    link = db.session.get(CareLink, link_id)
    if link is None or link.patient_id != me().id:
        abort(404)
    if link.revoked_at is None:
        care_links.revoke(link)
        db.session.commit()
    flash(f"{link.therapist.display_name} can no longer see your log.", "info")
    return redirect(url_for("account.account"))


@bp.route("/teams/<int:team_link_id>/stop", methods=["POST"])
@patient_required
def stop_team(team_link_id: int) -> Response:
    """Stop a team seeing my log: every member's link under that consent ends."""
    team_link = db.session.get(TeamLink, team_link_id)
    if team_link is None or team_link.patient_id != me().id:
        abort(404)
    if team_link.revoked_at is None:
        care_links.stop_team(db.session, team_link)
        db.session.commit()
    # A member the person linked on their own still sees the log: say so, by name.
    still = care_links.still_sharing(db.session, team_link)
    if still:
        flash(
            f"No one in {team_link.team.name} sees your log through the team any more. "
            f"{care_links.said_together(still)} still can: you linked them on their own "
            "(below, under Therapists who can see your log).",
            "info",
        )
    else:
        flash(f"{team_link.team.name} can no longer see your log.", "info")
    return redirect(url_for("account.account"))


@bp.route("/security")
@login_required
def security() -> str:
    """Where I am logged in, with a way to log out any other device."""
    user = me()
    token = user.session_token
    now = utcnow()
    rows = sessions.for_user(db.session, user.id, now)
    logins = [_login(row, token, user.timezone, now) for row in rows]
    logins.sort(key=lambda login: not login.current)  # this device first
    return render_template(
        "account/security.html",
        logins=logins,
        action=ActionForm(),
        change_password=_page_at("/account/password", "auth.change_password"),
        passkeys=_page_at("/account/passkeys"),
    )


def _page_at(path: str, endpoint: str | None = None) -> str | None:
    """The URL of a page, when the app has it (password change and passkeys land separately)."""
    if endpoint is not None and endpoint in current_app.view_functions:
        return url_for(endpoint)
    try:
        current_app.url_map.bind("").match(path, method="GET")
    except HTTPException:  # NotFound, MethodNotAllowed
        return None
    return path


@bp.route("/security/logins/<int:login_id>/end", methods=["POST"])
@login_required
def end_login(login_id: int) -> Response:
    """Log out one of my other devices."""
    if not sessions.end_one(db.session, me().id, login_id):
        abort(404)
    db.session.commit()
    flash("That device is logged out. It will ask for your password next time.", "info")
    return redirect(url_for("account.security"))


@bp.route("/security/logins/end-others", methods=["POST"])
@login_required
def end_other_logins() -> Response:
    """Log out every device but this one."""
    user = me()
    ended = sessions.end_all(db.session, user.id, keep=user.session_token)
    db.session.commit()
    devices = "device" if ended == 1 else "devices"
    flash(f"Logged out on {ended} other {devices}. This device stays logged in.", "info")
    return redirect(url_for("account.security"))


@bp.route("/export.json")
@login_required
def export_json() -> Response:
    """Download everything my account holds as JSON."""
    document = accounts.export_document(db.session, me())
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="rehab-log-export.json"'},
    )


@bp.route("/export.csv")
@login_required
def export_csv() -> Response:
    """Download my entries (a therapist: the programme items I prescribed) as CSV."""
    user = me()
    if user.is_therapist:
        body = exports.export_programme_csv(accounts.prescribed_by(db.session, user.id))
        filename = "rehab-log-prescribed.csv"
    else:
        body = exports.export_csv(accounts.entries_of(db.session, user.id))
        filename = "rehab-log-entries.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> Response | tuple[str, int] | tuple[str, int, dict[str, str]] | str:
    """Delete my account and everything in it, after I confirm with my password."""
    user = me()
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        # The password is checked no faster than at login: this form must not be an oracle.
        attempt = throttle.Attempt.of(request.remote_addr, user.id)
        try:
            right = checked_password(user, form.password.data, attempt)
        except throttle.PleaseWait as wait:
            form.password.errors = [please_wait(wait.seconds)]
            return asked_to_wait("patient/delete_account.html", wait.seconds, form=form)
        if right:
            accounts.delete_account(db.session, user)
            db.session.commit()
            logout_user()
            fresh_session()
            flash("Your account and everything in it have been deleted.", "info")
            return pwa.clear_site_data(redirect(url_for("auth.login")))
        form.password.errors = ["That is not your password."]
    if form.is_submitted():
        return render_template("patient/delete_account.html", form=form), 400
    return render_template("patient/delete_account.html", form=form)
