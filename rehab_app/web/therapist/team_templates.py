"""Programme templates on a patient's page: save this programme for the team, start from one.

Both need a patient who links the therapist and a team the therapist is in; anything else is
not found. See rehab_app/core/programme_templates.py.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, url_for
from werkzeug.wrappers import Response

from rehab_app.core import clinics, programmes
from rehab_app.core import programme_templates as templates
from rehab_app.core.timeutil import local_today
from rehab_app.extensions import db
from rehab_app.models import ProgrammeTemplate, User
from rehab_app.web.flashes import flash_at
from rehab_app.web.forms import template_save_form, template_start_form
from rehab_app.web.roles import me, therapist_required

from .views import linked_patient_or_404, patient_page

bp = Blueprint("team_templates", __name__, url_prefix="/therapist")


@bp.route("/patients/<int:patient_id>/templates", methods=["POST"])
@therapist_required
def save(patient_id: int) -> Response | tuple[str, int]:
    """Save this patient's current programme as a template of one of my teams."""
    person = linked_patient_or_404(patient_id)
    teams = clinics.teams_of(db.session, me().id)
    form = template_save_form(teams, formdata=True)
    if not form.validate_on_submit():
        return patient_page(person, status=400, save_form=form)
    team = next(t for t in teams if t.id == form.team_id.data)
    items = programmes.programme_items(db.session, person.id)
    try:
        template = templates.save(db.session, me(), team, form.name.data, items)
    except templates.TemplateError as error:
        db.session.rollback()
        form.name.errors = [str(error)]
        return patient_page(person, status=400, save_form=form)
    db.session.commit()
    flash_at(
        "templates-h",
        f"Saved for {team.name}: {template.name}, {len(template.items)} exercises. "
        "Its members can start a patient's programme from it.",
        "success",
    )
    return redirect(url_for("therapist.patient", patient_id=person.id, _anchor="templates-h"))


@bp.route("/patients/<int:patient_id>/from-template", methods=["POST"])
@therapist_required
def start(patient_id: int) -> Response | tuple[str, int]:
    """Add each exercise of one of my teams' templates to this patient's programme."""
    person = linked_patient_or_404(patient_id)
    found = templates.for_therapist(db.session, me().id)
    form = template_start_form(found, formdata=True)
    if not form.validate_on_submit():
        return patient_page(person, status=400, start_form=form)
    template = next(t for t in found if t.id == form.template_id.data)
    started = templates.start_from(
        db.session, me(), template, person.id, local_today(person.timezone)
    )
    db.session.commit()
    flash_at("programme-h", *_started_message(person, template, started))
    return redirect(url_for("therapist.patient", patient_id=person.id, _anchor="programme-h"))


def _started_message(
    person: User, template: ProgrammeTemplate, started: templates.Started
) -> tuple[str, str]:
    """What starting from a template did, in words, and the message's kind."""
    already = ", ".join(started.already)
    if not started.added:
        return (
            f"Nothing added: {person.display_name}'s programme already has each exercise of "
            f"{template.name} ({already}).",
            "info",
        )
    message = f"Added to {person.display_name}'s programme from {template.name}: " + ", ".join(
        item.name for item in started.added
    )
    if already:
        message += f". Already in it, so not added again: {already}"
    return message + ".", "success"


@bp.route("/templates/<int:template_id>/delete", methods=["POST"])
@therapist_required
def delete(template_id: int) -> Response:
    """Remove one of my teams' templates (no one's programme changes)."""
    try:
        template = templates.members_template(db.session, me().id, template_id)
    except LookupError:
        abort(404)
    name, team, team_id = template.name, template.team.name, template.team_id
    db.session.delete(template)
    db.session.commit()
    flash_at(
        f"team-{team_id}", f"Removed {name} from {team}'s templates. No one's programme changed."
    )
    return redirect(url_for("clinic.clinic", _anchor=f"team-{team_id}"))
