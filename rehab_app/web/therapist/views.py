"""Therapist pages: linked patients, a patient's recent entries, link codes, programmes,
appointment notes."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from rehab_app.core import (
    access_log,
    care_links,
    charts,
    clinics,
    dashboard,
    notes,
    programme_templates,
    programmes,
    reminders,
    sent_forms,
)
from rehab_app.core import caseload as cl
from rehab_app.core import entries as log
from rehab_app.core.timeutil import local_today
from rehab_app.core.vocab import ENTRY_KINDS
from rehab_app.extensions import db
from rehab_app.models import DOSE_COLUMNS, ProgrammeItem, Team, User, utcnow
from rehab_app.web.flashes import flash_at
from rehab_app.web.forms import (
    ActionForm,
    AppointmentNoteForm,
    ProgrammeEditForm,
    ProgrammeItemForm,
    TemplateSaveForm,
    TemplateStartForm,
    posted_id,
    template_save_form,
    template_start_form,
)
from rehab_app.web.roles import me, own_site_only, therapist_required

bp = Blueprint("therapist", __name__, url_prefix="/therapist")

RECENT_DAYS = 28


def linked_patient_or_404(patient_id: int) -> User:
    """A patient who has linked the current therapist; anyone else is not found."""
    therapist = me()
    if care_links.active_link(db.session, therapist.id, patient_id) is None:
        abort(404)
    patient = db.session.get(User, patient_id)
    if patient is None:
        abort(404)
    return patient


def looked_at(patient_id: int, what: str) -> User:
    """A linked patient (else 404), with this look at their data in the access record."""
    patient = linked_patient_or_404(patient_id)
    access_log.record_access(db.session, me(), patient, what)
    db.session.commit()
    return patient


SEARCH_KEY = "caseload_q"


@bp.route("", methods=["GET", "POST"])
@therapist_required
@own_site_only
def caseload() -> str | Response:
    """Every linked patient in one table: adherence, fatigue, walking, falls, worth reviewing.

    A search is a name or an email: it is posted (never in the address, where access logs,
    proxies and the browser's history would keep it), kept in the signed session cookie, and
    the page is shown again at an address that holds only the sort order. An old address with
    ?q= is moved the same way.
    """
    therapist = me()
    args = request.form if request.method == "POST" else request.args
    sort, direction = cl.parse_sort(args.get("sort"), args.get("dir"), args.get("order"))
    if request.method == "POST" or "q" in args:
        session[SEARCH_KEY] = "" if args.get("everyone") else cl.clean_query(args.get("q"))
        return redirect(url_for("therapist.caseload", sort=sort, dir=direction))
    query = cl.clean_query(session.get(SEARCH_KEY))
    now = utcnow()
    rows = cl.sort_rows(cl.caseload_rows(db.session, therapist.id, query, now), sort, direction)
    # Only people not looked at today: the access record would pass over the others anyway.
    unseen = cl.not_looked_at_today(rows, now)
    # A row holds the person's id and time zone, all the access record reads of them.
    access_log.record_caseload_views(db.session, therapist, unseen, now)
    anyone = bool(rows) or bool(query and cl.linked_patients(db.session, therapist.id))
    # A patient's page is this and their id: one url_for a page, not one a row.
    patient_url = url_for("therapist.patient", patient_id=0).removesuffix("0")
    # Rendered before the commit, which would expire the therapist that base.html reads (one
    # query more), and sent only after it: the looks are on record before anyone is shown.
    page = render_template(
        "therapist/caseload.html",
        rows=rows,
        body=cl.table_body(rows, patient_url, therapist.timezone, now),
        anyone=anyone,
        query=query,
        sort=sort,
        direction=direction,
        first_direction=cl.FIRST_DIRECTION,
        teams=clinics.teams_of(db.session, therapist.id),
        **CASELOAD_WORDS,
    )
    db.session.commit()
    return page


# A form sent again (its answer lost on the way, a reload that posts it again): done once.
SENT_BEFORE = "That was saved the first time it was sent: it is not saved twice."


# What the caseload's template reads of the caseload module: its columns (the rows' words are
# in caseload.markup).
CASELOAD_WORDS = {
    "COLUMNS": cl.COLUMNS,
    "TABLE_COLUMNS": cl.TABLE_COLUMNS,
    "SHOWN_IN": cl.SHOWN_IN,
}


@bp.route("/link-codes", methods=["POST"])
@therapist_required
def new_link_code() -> tuple[str, int]:
    """Make a one-time code to give to a patient: mine, or for one of my teams (team_id)."""
    therapist = me()
    team = None
    if request.form.get("team_id"):
        team_id = posted_id(request.form["team_id"])
        team = db.session.get(Team, team_id) if team_id is not None else None
        if team is None or not care_links.in_team(db.session, team.id, therapist.id):
            abort(404)
    code = care_links.make_code(db.session, therapist, team)
    members = care_links.team_therapists(db.session, team.id) if team is not None else []
    db.session.commit()
    return (
        render_template(
            "therapist/link_code.html",
            code=care_links.format_code(code.code),
            days=care_links.CODE_DAYS,
            team=team,
            members=members,
        ),
        201,
    )


def patient_page(
    patient: User,
    form: ProgrammeItemForm | None = None,
    status: int = 200,
    note_form: AppointmentNoteForm | None = None,
    save_form: TemplateSaveForm | None = None,
    start_form: TemplateStartForm | None = None,
) -> tuple[str, int]:
    """A linked patient's page (recorded in their access record), with these forms' answers."""
    if form is None:
        form = ProgrammeItemForm(exercises=log.catalogue_exercises(db.session))
        form.start_date.data = local_today(patient.timezone)
        form.days_per_week.data = 5
    if note_form is None:
        note_form = AppointmentNoteForm(formdata=None)
        note_form.seen_on.data = local_today(me().timezone)
    teams = clinics.teams_of(db.session, me().id)
    found = programme_templates.for_therapist(db.session, me().id) if teams else []
    access_log.record_access(db.session, me(), patient, "patient_page")
    # The caseload's reasons, word for word (its stored summary, recomputed if stale); committed
    # before the entries are loaded, which a commit would expire.
    [row] = cl.load_caseload(db.session, [patient])
    db.session.commit()
    today = local_today(patient.timezone)
    programme = programmes.programme_items(db.session, patient.id, newest_first=True)
    # Charts: one load of the entries for the chosen range also gives the recent entries.
    range_key = charts.parse_range(request.args.get("range"))
    period, loaded = dashboard.load_entries(db.session, patient.id, range_key, today)
    recent_first = today - timedelta(days=RECENT_DAYS - 1)
    return (
        render_template(
            "therapist/patient.html",
            patient=patient,
            entries=[e for e in loaded if e.local_date >= recent_first],
            charts=dashboard.patient_charts(
                loaded, programme, period, patient.timezone, judged=True
            ),
            chart_range=range_key,
            chart_ranges=charts.RANGES,
            chart_period=period,
            programme=programme,
            form=form,
            action=ActionForm(),
            today=today,
            kinds=ENTRY_KINDS,
            days=RECENT_DAYS,
            reminders_on=reminders.reminders_on(db.session, patient.id),
            reasons=row.flags,
            note_form=note_form,
            notes=notes.for_patient(db.session, patient.id, by=me().id),
            teams=teams,
            templates=found,
            save_form=save_form or template_save_form(teams),
            start_form=start_form or template_start_form(found),
        ),
        status,
    )


@bp.route("/patients/<int:patient_id>")
@therapist_required
@own_site_only
def patient(patient_id: int) -> tuple[str, int]:
    """A linked patient's programme and recent entries."""
    return patient_page(linked_patient_or_404(patient_id))


@bp.route("/patients/<int:patient_id>/programme", methods=["POST"])
@therapist_required
def prescribe(patient_id: int) -> Response | tuple[str, int]:
    """Prescribe an exercise with a target dose."""
    person = linked_patient_or_404(patient_id)
    form = ProgrammeItemForm(exercises=log.catalogue_exercises(db.session))
    if not form.validate_on_submit():
        return patient_page(person, form, 400)
    if not sent_forms.first_time(db.session, me().id, form.sent_key.data):
        flash_at("programme-h", SENT_BEFORE, "info")
        return redirect(url_for("therapist.patient", patient_id=person.id, _anchor="programme-h"))
    item = programmes.prescribe(
        db.session,
        patient_id=person.id,
        therapist_id=me().id,
        exercise=form.exercises.get(form.exercise_id.data or ""),
        custom_name=form.custom_name.data,
        discipline=form.discipline.data,
        days_per_week=form.days_per_week.data,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        note=form.note.data,
        dose={c: getattr(form, c).data for c in DOSE_COLUMNS},
    )
    db.session.commit()
    # The programme, where the new item is, opens with the answer under its heading.
    flash_at("programme-h", f"Added to {person.display_name}'s programme: {item.name}.", "success")
    return redirect(url_for("therapist.patient", patient_id=person.id, _anchor="programme-h"))


@bp.route("/programme/<int:item_id>/stop", methods=["POST"])
@therapist_required
def stop_item(item_id: int) -> Response:
    """Stop a programme item (it stays in the record)."""
    item = db.session.get(ProgrammeItem, item_id)
    if item is None:
        abort(404)
    person = linked_patient_or_404(item.patient_id)
    if programmes.stop_item(item):
        db.session.commit()
    flash_at("programme-h", f"Stopped: {item.name}.", "info")
    return redirect(url_for("therapist.patient", patient_id=person.id, _anchor="programme-h"))


@bp.route("/programme/<int:item_id>/edit", methods=["GET", "POST"])
@therapist_required
def edit_item(item_id: int) -> Response | tuple[str, int]:
    """Change a programme item's dose, days, dates or note; the patient's app syncs it."""
    item = db.session.get(ProgrammeItem, item_id)
    if item is None:
        abort(404)
    person = linked_patient_or_404(item.patient_id)
    back = url_for("therapist.patient", patient_id=person.id)
    if item.stopped_at is not None:
        flash(f"{item.name} was stopped and is kept as it was: prescribe it again.", "info")
        return redirect(back)
    form = ProgrammeEditForm(obj=item)
    if form.validate_on_submit():
        programmes.change_item(
            item,
            days_per_week=form.days_per_week.data,
            start_date=form.start_date.data,
            end_date=form.end_date.data,
            note=form.note.data,
            dose={c: getattr(form, c).data for c in DOSE_COLUMNS},
        )
        db.session.commit()
        flash(
            f"Changed {person.display_name}'s {item.name}. "
            "Their app shows the change when it next connects.",
            "success",
        )
        return redirect(back)
    status = 400 if form.is_submitted() else 200
    return render_template("therapist/edit_item.html", form=form, item=item, patient=person), status


@bp.route("/patients/<int:patient_id>/notes", methods=["POST"])
@therapist_required
def write_note(patient_id: int) -> Response | tuple[str, int]:
    """Keep a note of an appointment for the patient to read in their app."""
    person = linked_patient_or_404(patient_id)
    form = AppointmentNoteForm()
    if not form.validate_on_submit():
        return patient_page(person, status=400, note_form=form)
    if not sent_forms.first_time(db.session, me().id, form.sent_key.data):
        flash_at("notes-h", SENT_BEFORE, "info")
        return redirect(url_for("therapist.patient", patient_id=person.id, _anchor="notes-h"))
    today = local_today(me().timezone)
    try:
        notes.write(db.session, me(), person, form.seen_on.data, form.text.data, today)
    except notes.NoteError as error:
        db.session.rollback()
        form[error.field].errors = [str(error)]
        return patient_page(person, status=400, note_form=form)
    db.session.commit()
    flash_at(
        "notes-h",
        f"Note kept. {person.display_name} can read it in their app, under Progress.",
        "success",
    )
    return redirect(url_for("therapist.patient", patient_id=person.id, _anchor="notes-h"))


@bp.route("/notes/<int:note_id>/delete", methods=["POST"])
@therapist_required
def delete_note(note_id: int) -> Response:
    """Take back a note I wrote (for a patient who still links me)."""
    try:
        note = notes.own_note(db.session, me().id, note_id)
    except LookupError:
        abort(404)
    person = linked_patient_or_404(note.patient_id)
    db.session.delete(note)
    db.session.commit()
    flash_at("notes-h", f"Note taken back: {person.display_name} no longer sees it.")
    return redirect(url_for("therapist.patient", patient_id=person.id, _anchor="notes-h"))
