"""A patient's account: care links, export of all their data, deleting the account."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import logout_user
from sqlalchemy import delete, select
from werkzeug.security import check_password_hash

from . import audit, exports, links
from .access import me, patient_required
from .extensions import db
from .forms import ActionForm, ConfirmPasswordForm, LinkForm
from .models import AccessEvent, CareLink, Entry, ProgrammeItem, User

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(link_form: LinkForm | None = None, status: int = 200) -> tuple[str, int]:
    user = me()
    record = audit.accesses_for(db.session, user.id)
    return (
        render_template(
            "patient/account.html",
            links=links.patient_links(db.session, user.id),
            accesses=audit.shown_accesses(record, user.timezone),
            access_total=record.total,
            link_form=link_form or LinkForm(),
            action=ActionForm(),
        ),
        status,
    )


@bp.route("")
@patient_required
def account() -> tuple[str, int]:
    """My account: linked therapists, export, delete."""
    return _page()


@bp.route("/links", methods=["POST"])
@patient_required
def link() -> Response | tuple[str, int]:
    """Link a therapist by the code they gave me (this is my consent)."""
    form = LinkForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    result = links.redeem_code(db.session, me(), form.code.data)
    if isinstance(result, str):
        db.session.rollback()
        form.code.errors = [result]
        return _page(form, 400)
    db.session.commit()
    flash(f"Linked. {result.therapist.display_name} can now see your log.", "success")
    return redirect(url_for("account.account"))


@bp.route("/links/<int:link_id>/revoke", methods=["POST"])
@patient_required
def revoke(link_id: int) -> Response:
    """Stop a therapist seeing my log."""
    link = db.session.get(CareLink, link_id)
    if link is None or link.patient_id != me().id:
        abort(404)
    if link.revoked_at is None:
        links.revoke(link)
        db.session.commit()
    flash(f"{link.therapist.display_name} can no longer see your log.", "info")
    return redirect(url_for("account.account"))


def _everything(user: User) -> tuple[list[Entry], list[ProgrammeItem], list[CareLink]]:
    entries = list(
        db.session.scalars(
            select(Entry)
            .where(Entry.user_id == user.id, Entry.deleted_at.is_(None))
            .order_by(Entry.occurred_at)
        )
    )
    programme = list(
        db.session.scalars(select(ProgrammeItem).where(ProgrammeItem.patient_id == user.id))
    )
    all_links = list(db.session.scalars(select(CareLink).where(CareLink.patient_id == user.id)))
    return entries, programme, all_links


@bp.route("/export.json")
@patient_required
def export_json() -> Response:
    """Download everything held about me as JSON."""
    user = me()
    accesses = db.session.scalars(
        select(AccessEvent).where(AccessEvent.patient_id == user.id).order_by(AccessEvent.at)
    )
    document = exports.export_json(user, *_everything(user), accesses)
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="rehab-log-export.json"'},
    )


@bp.route("/export.csv")
@patient_required
def export_csv() -> Response:
    """Download my entries as a spreadsheet (CSV)."""
    entries, _, _ = _everything(me())
    return Response(
        exports.export_csv(entries),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="rehab-log-entries.csv"'},
    )


@bp.route("/delete", methods=["GET", "POST"])
@patient_required
def delete_account() -> Response | tuple[str, int] | str:
    """Delete my account and everything in it, after I confirm with my password."""
    user = me()
    form = ConfirmPasswordForm()
    if form.validate_on_submit():
        if check_password_hash(user.password_hash, form.password.data):
            db.session.execute(delete(Entry).where(Entry.user_id == user.id))
            db.session.execute(delete(ProgrammeItem).where(ProgrammeItem.patient_id == user.id))
            db.session.execute(delete(CareLink).where(CareLink.patient_id == user.id))
            db.session.execute(delete(User).where(User.id == user.id))
            db.session.commit()
            logout_user()
            flash("Your account and everything in it have been deleted.", "info")
            return redirect(url_for("auth.login"))
        form.password.errors = ["That is not your password."]
    if form.is_submitted():
        return render_template("patient/delete_account.html", form=form), 400
    return render_template("patient/delete_account.html", form=form)
