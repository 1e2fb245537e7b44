"""The clinic page: a therapist asks to join; an admin lets therapists in and makes teams.

Every therapist may open the page (what it shows depends on their place in a clinic); only an
admin of the clinic may change it. See rehab_app/core/clinics.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from rehab_app.core import approval, clinics, programme_templates
from rehab_app.extensions import db
from rehab_app.models import ClinicMember, User
from rehab_app.web.flashes import flash_at
from rehab_app.web.forms import JoinClinicForm, TeamForm, TeamMemberForm
from rehab_app.web.roles import any_therapist, me, waiting_page

bp = Blueprint("clinic", __name__, url_prefix="/clinic")


def _page(
    join_form: JoinClinicForm | None = None,
    team_form: TeamForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    user = me()
    if not approval.is_approved(user):
        if join_form is not None:  # the waiting page, with this form's errors
            return (
                render_template(
                    "therapist/waiting.html",
                    membership=clinics.membership(db.session, user.id),
                    join_form=join_form,
                ),
                status,
            )
        return waiting_page(), status
    place = clinics.membership(db.session, user.id)
    here = place if place is not None and place.approved_at is not None else None
    teams = clinics.team_views(db.session, here.clinic_id) if here else []
    # A team's templates are its members' own: shown for the teams one is in.
    mine = {t.id for t in clinics.teams_of(db.session, user.id)}
    shared = {team_id: programme_templates.of_team(db.session, team_id) for team_id in mine}
    people = clinics.members(db.session, here.clinic_id) if here else []
    return (
        render_template(
            "therapist/clinic.html",
            membership=place,
            here=here,
            code=clinics.shown_code(here.clinic) if here and here.is_admin else None,
            waiting=clinics.waiting(db.session, here.clinic_id) if here and here.is_admin else [],
            members=people,
            teams=teams,
            templates=shared,
            add_forms={view.team.id: _member_form(view, people) for view in teams},
            join_form=join_form or JoinClinicForm(),
            team_form=team_form or TeamForm(),
        ),
        status,
    )


def _member_form(view: clinics.TeamView, people: Sequence[tuple[User, bool]]) -> TeamMemberForm:
    """The form that adds one of the clinic's therapists not yet in this team."""
    form = TeamMemberForm(formdata=None, prefix=f"team{view.team.id}")
    inside = {u.id for u in view.members}
    form.user_id.choices = [(u.id, u.display_name) for u, _ in people if u.id not in inside]
    return form


def _admin() -> ClinicMember:
    """The current therapist's place as an admin of their clinic; 403 for anyone else."""
    mine = clinics.membership(db.session, me().id)
    if mine is None or not mine.is_admin or mine.approved_at is None:
        abort(403)
    return mine


@bp.route("")
@any_therapist
def clinic() -> tuple[str, int]:
    """My clinic: its teams and therapists; for an admin, who waits and the clinic code."""
    return _page()


@bp.route("/join", methods=["POST"])
@any_therapist
def join() -> Response | tuple[str, int]:
    """Ask to join the clinic whose code I was given."""
    form = JoinClinicForm()
    if not form.validate_on_submit():
        return _page(join_form=form, status=400)
    try:
        found = clinics.ask_to_join(db.session, me(), form.code.data)
    except clinics.ClinicError as error:
        db.session.rollback()
        form.code.errors = [str(error)]
        return _page(join_form=form, status=400)
    db.session.commit()
    flash(f"Asked to join {found.name}. An admin there will let you in.", "success")
    return redirect(url_for("clinic.clinic"))


@bp.route("/therapists/<int:user_id>/approve", methods=["POST"])
@any_therapist
def approve(user_id: int) -> Response:
    """Let a therapist who asked into my clinic (and vouch for their account)."""
    admin = _admin()
    try:
        user = clinics.approve(db.session, admin.clinic_id, user_id)
    except LookupError:
        abort(404)
    db.session.commit()
    flash(
        f"{user.display_name} is in {admin.clinic.name} and can now use their account.", "success"
    )
    return redirect(url_for("clinic.clinic"))


@bp.route("/therapists/<int:user_id>/decline", methods=["POST"])
@any_therapist
def decline(user_id: int) -> Response:
    """Turn down a request to join my clinic."""
    admin = _admin()
    try:
        user = clinics.decline(db.session, admin.clinic_id, user_id)
    except LookupError:
        abort(404)
    db.session.commit()
    flash(f"Turned down {user.display_name}'s request to join.", "info")
    return redirect(url_for("clinic.clinic"))


@bp.route("/teams", methods=["POST"])
@any_therapist
def new_team() -> Response | tuple[str, int]:
    """Make a team in my clinic."""
    admin = _admin()
    form = TeamForm()
    if not form.validate_on_submit():
        return _page(team_form=form, status=400)
    try:
        team = clinics.create_team(db.session, admin.clinic_id, form.name.data)
    except clinics.ClinicError as error:
        db.session.rollback()
        form.name.errors = [str(error)]
        return _page(team_form=form, status=400)
    db.session.commit()
    flash_at(f"team-{team.id}", f"Made the team {team.name}. Add its therapists below.", "success")
    return redirect(url_for("clinic.clinic", _anchor=f"team-{team.id}"))


@bp.route("/teams/<int:team_id>/members", methods=["POST"])
@any_therapist
def add_member(team_id: int) -> Response:
    """Put one of my clinic's therapists in a team: they see the team's patients."""
    admin = _admin()
    try:
        team = clinics.clinic_team(db.session, admin.clinic_id, team_id)
    except LookupError:
        abort(404)
    form = TeamMemberForm(prefix=f"team{team.id}")
    form.user_id.choices = [
        (u.id, u.display_name) for u, _ in clinics.members(db.session, admin.clinic_id)
    ]
    if not form.validate_on_submit():
        flash_at(f"team-{team.id}", "Choose one of the clinic's therapists to add.", "error")
        return redirect(url_for("clinic.clinic", _anchor=f"team-{team.id}"))
    try:
        user = clinics.add_to_team(db.session, team, form.user_id.data)
    except LookupError:
        abort(404)
    db.session.commit()
    flash_at(
        f"team-{team.id}",
        f"{user.display_name} is in {team.name} and sees its patients.",
        "success",
    )
    return redirect(url_for("clinic.clinic", _anchor=f"team-{team.id}"))


@bp.route("/teams/<int:team_id>/members/<int:user_id>/remove", methods=["POST"])
@any_therapist
def remove_member(team_id: int, user_id: int) -> Response:
    """Take a therapist out of a team: they no longer see its patients."""
    admin = _admin()
    try:
        team = clinics.clinic_team(db.session, admin.clinic_id, team_id)
        user = clinics.remove_from_team(db.session, team, user_id)
    except LookupError:
        abort(404)
    db.session.commit()
    flash_at(f"team-{team.id}", f"{user.display_name} is no longer in {team.name}.", "info")
    return redirect(url_for("clinic.clinic", _anchor=f"team-{team.id}"))


@bp.route("/therapists/<int:user_id>/admin", methods=["POST"])
@any_therapist
def make_admin(user_id: int) -> Response:
    """Make one of my clinic's therapists an admin too."""
    admin = _admin()
    try:
        user = clinics.make_admin(db.session, admin.clinic_id, user_id)
    except LookupError:
        abort(404)
    db.session.commit()
    flash_at(
        "members-h", f"{user.display_name} is now an admin of {admin.clinic.name} too.", "success"
    )
    return redirect(url_for("clinic.clinic", _anchor="members-h"))


@bp.route("/therapists/<int:user_id>/remove", methods=["POST"])
@any_therapist
def remove_from_clinic(user_id: int) -> Response:
    """Take a therapist out of my clinic and its teams (someone who left, say; or me, when
    another admin stays)."""
    admin = _admin()
    clinic_name = admin.clinic.name  # read now: removing myself deletes `admin`
    try:
        user = clinics.remove_member(db.session, admin.clinic_id, user_id)
    except LookupError:
        abort(404)
    except clinics.ClinicError as error:
        db.session.rollback()
        flash_at("members-h", str(error), "error")
        return redirect(url_for("clinic.clinic", _anchor="members-h"))
    db.session.commit()
    message = f"{user.display_name} is no longer in {clinic_name} or its teams."
    if user.id == me().id:  # the page has no list of the clinic's therapists any more
        flash(message, "info")
        return redirect(url_for("clinic.clinic"))
    flash_at("members-h", message, "info")
    return redirect(url_for("clinic.clinic", _anchor="members-h"))
