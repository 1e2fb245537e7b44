"""Patient pages: Today, logging each kind of entry, History with edit and delete."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from rehab_app.core import charts, dashboard, notes, progress
from rehab_app.core import entries as log
from rehab_app.core.kinds import KINDS
from rehab_app.core.sync import programme_change
from rehab_app.core.timeutil import local_now, to_local
from rehab_app.core.validation import normal_uuid
from rehab_app.core.vocab import AIDS, BAD_DAY_REASONS, DOSE_FIELDS, ENTRY_KINDS
from rehab_app.core.wording import day_gist, dose_text
from rehab_app.extensions import db
from rehab_app.models import Entry, ProgrammeItem, new_id, utcnow
from rehab_app.web.forms import ENTRY_FORMS, ActionForm, EntryForm, posted_id
from rehab_app.web.roles import me, patient_required

bp = Blueprint("patient", __name__)

HISTORY_DAYS = 7  # History shows seven days at a time, the newest first
# What "last values" carries over into a new form, per kind.
# What a new form of each kind starts with from the last entry (kinds.py says, and why).
CARRY_OVER = {key: tuple(f.name for f in spec.fields if f.carried) for key, spec in KINDS.items()}


def _entry_form(kind: str, done: list[Entry] | None = None, **kwargs: Any) -> EntryForm:
    """A kind's form; an exercise's lists `done` (log.done_before(), read if not given) first."""
    user = me()
    if kind == "exercise":
        kwargs["exercises"] = log.catalogue_exercises(db.session)
        done = log.done_before(db.session, user.id) if done is None else done
        kwargs["recent"] = [e.exercise_id for e in done if e.exercise_id]
    return ENTRY_FORMS[kind](tz=user.timezone, **kwargs)


def _bad_request(template: str, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), 400


@bp.route("/today")
@patient_required
def today() -> str:
    """Today: programme items due, one-tap fatigue, quick walking entry, bad day."""
    user = me()
    day = log.today_for(user)
    items = log.active_programme(db.session, user.id, day)
    progress = log.programme_progress(db.session, user.id, items, day)
    # Items keep their place when done: one that moved away would slide the next one under
    # the finger, and a second tap would mark a different exercise done.
    last_mobility = log.last_entry(db.session, user.id, "mobility")
    mobility_form = _entry_form("mobility")
    _prefill(mobility_form, last_mobility)
    mobility_form.occurred_at.data = local_now(user.timezone)
    todays = log.entries_between(db.session, user.id, day, day)
    return render_template(
        "patient/today.html",
        day=day,
        items=items,
        progress=progress,
        todays=todays,
        gist=day_gist(todays),
        mobility_form=mobility_form,
        last_mobility=last_mobility,
        carried_walk=carried_walk(last_mobility),
        action=ActionForm(),
        new_id=new_id,
        # What the offline app needs to log an item as done (as the sync feed carries it).
        item_data={i.id: programme_change(i, user) for i in items},
        reasons=BAD_DAY_REASONS,
        aids=AIDS,
    )


@bp.route("/today/items/<int:item_id>/done", methods=["POST"])
@patient_required
def item_done(item_id: int) -> Response:
    """One tap: log a programme item as done now at the prescribed dose, or (its "Less today"
    buttons, `lighter`) at one of its lighter versions."""
    user = me()
    item = db.session.get(ProgrammeItem, item_id)
    if item is None or item.patient_id != user.id:
        abort(404)
    entry_id = normal_uuid(request.form.get("entry_id") or "")
    lighter = request.form.get("lighter") or None
    try:
        entry, _ = log.log_programme_item(db.session, user, item, entry_id, lighter)
    except log.DailyCapReached as full:
        flash(str(full), "error")
        return redirect(url_for("patient.today"))
    except log.UnknownLighterDose:
        flash(LIGHTER_GONE, "error")
        return redirect(url_for("patient.today"))
    db.session.commit()
    flash(f"Saved: {entry.name}, {dose_text(entry) if lighter else 'done'}.", "success")
    return redirect(url_for("patient.today"))


LIGHTER_GONE = (
    "Not saved: that lighter version is no longer offered, as your exercise has changed. "
    "Check it below and tap again."
)


@bp.route("/today/<kind>", methods=["POST"])
@patient_required
def quick_log(kind: str) -> Response | tuple[str, int]:
    """The quick actions of Today: fatigue buttons, walking entry, bad-day reasons."""
    if kind not in ("fatigue", "mobility", "bad_day", "exercise"):
        abort(404)
    user = me()
    form = _entry_form(kind)
    if not request.form.get("occurred_at"):
        form.occurred_at.data = local_now(user.timezone)
        form.occurred_at.raw_data = [form.occurred_at.data.strftime("%Y-%m-%dT%H:%M")]
    if not form.validate_on_submit():
        return _bad_request(f"patient/log_{kind}.html", form=form, kind=kind, entry=None)
    try:
        log.create_entry(
            db.session, user, kind, form.entry_fields(), form.occurred_at.data, form.entry_id.data
        )
    except log.DailyCapReached as full:
        form.occurred_at.errors = [str(full)]
        return _bad_request(f"patient/log_{kind}.html", form=form, kind=kind, entry=None)
    db.session.commit()
    flash(_saved_message(kind, form), "success")
    return redirect(url_for("patient.today"))


def _saved_message(kind: str, form: EntryForm) -> str:
    if kind == "fatigue":
        return f"Saved: fatigue {form.fatigue.data} out of 10."  # type: ignore[attr-defined]
    if kind == "bad_day":
        return f"Saved: a hard day ({BAD_DAY_REASONS[form.reason.data].lower()})."  # type: ignore[attr-defined]
    if kind == "mobility":
        return f"Saved: walking with {AIDS[form.aid.data].lower()}."  # type: ignore[attr-defined]
    if kind == "exercise":
        chosen = form.chosen_exercise()  # type: ignore[attr-defined]
        return f"Saved: {chosen.name if chosen else form.name.data}."  # type: ignore[attr-defined]
    return "Saved."


# How far and how long describe one walk together: carried as a pair, or not at all (a
# walk logged by its distance alone must not take the last walk's minutes with it).
WALK_AMOUNTS = ("distance_m", "minutes")


def carried_walk(last: Entry | None) -> tuple[int, int] | None:
    """The last walk's distance and minutes, when both were logged (carried as a pair)."""
    if last is None or last.distance_m is None or last.minutes is None:
        return None
    return last.distance_m, last.minutes


def _prefill(form: EntryForm, last: Entry | None) -> None:
    if last is None:
        return
    columns = CARRY_OVER[form.kind]
    if form.kind == "mobility" and carried_walk(last) is None:
        columns = tuple(c for c in columns if c not in WALK_AMOUNTS)
    for column in columns:
        value = getattr(last, column)
        getattr(form, column).data = (
            ""
            if value is None and column == "exercise_id"
            else (str(value) if column == "exercise_id" else value)
        )


@bp.route("/log/<kind>", methods=["GET", "POST"])
@patient_required
def new_entry(kind: str) -> Response | tuple[str, int] | str:
    """A form for one kind of entry, with defaults: now, and the last values."""
    if kind not in ENTRY_FORMS:
        abort(404)
    user = me()
    done = log.done_before(db.session, user.id) if kind == "exercise" else []
    form = _entry_form(kind, done)
    if form.validate_on_submit():
        fields = form.entry_fields()
        if kind == "exercise":
            fields["programme_item_id"] = _own_item_id(form.programme_item_id.data)  # type: ignore[attr-defined]
        try:
            _, created = log.create_entry(
                db.session, user, kind, fields, form.occurred_at.data, form.entry_id.data
            )
        except log.DailyCapReached as full:
            form.occurred_at.errors = [str(full)]
        else:
            db.session.commit()
            flash("Saved." if created else "Already saved.", "success")
            return redirect(url_for("patient.today"))
    if request.method == "POST":
        return _bad_request(f"patient/log_{kind}.html", form=form, kind=kind, entry=None)
    _prefill(form, log.last_entry(db.session, user.id, kind))
    if kind == "exercise":
        _prefill_from_item(form, request.args.get("item", ""))
    form.occurred_at.data = local_now(user.timezone)
    form.entry_id.data = new_id()
    again = [] if request.args.get("item") else done
    return render_template(
        f"patient/log_{kind}.html",
        form=form,
        kind=kind,
        entry=None,
        again=again,
        dose_fields=DOSE_FIELDS,
        new_id=new_id,
    )


def _own_item_id(raw: str | None) -> int | None:
    item_id = posted_id(raw)
    if item_id is None:
        return None
    item = db.session.get(ProgrammeItem, item_id)
    return item.id if item is not None and item.patient_id == me().id else None


def _prefill_from_item(form: EntryForm, raw: str) -> None:
    item_id = _own_item_id(raw)
    if item_id is None:
        return
    item = db.session.get(ProgrammeItem, item_id)
    assert item is not None
    form.programme_item_id.data = str(item.id)  # type: ignore[attr-defined]
    form.discipline.data = item.discipline  # type: ignore[attr-defined]
    form.exercise_id.data = str(item.exercise_id or "")  # type: ignore[attr-defined]
    form.name.data = item.custom_name or ""  # type: ignore[attr-defined]
    for field, value in item.dose().items():
        getattr(form, field).data = value


def _own_entry_or_404(entry_id: str) -> Entry:
    entry = log.get_own_entry(db.session, me(), entry_id)
    if entry is None:
        abort(404)
    return entry


@bp.route("/entries/<entry_id>/edit", methods=["GET", "POST"])
@patient_required
def edit_entry(entry_id: str) -> Response | tuple[str, int] | str:
    """Change an entry."""
    entry = _own_entry_or_404(entry_id)
    if entry.deleted_at is not None:
        abort(404)
    user = me()
    kind = entry.kind
    form = _entry_form(kind) if request.method == "POST" else _entry_form(kind, obj=entry)
    template = f"patient/log_{kind}.html"
    if form.validate_on_submit():
        fields = form.entry_fields()
        log.update_entry(entry, fields, form.occurred_at.data, user.timezone)
        db.session.commit()
        flash("Changes saved.", "success")
        return redirect(back_to(entry))
    if request.method == "POST":
        return _bad_request(template, form=form, kind=kind, entry=entry)
    form.occurred_at.data = to_local(entry.occurred_at, user.timezone)
    if kind == "exercise":
        form.exercise_id.data = str(entry.exercise_id or "")  # type: ignore[attr-defined]
        if entry.exercise_id:
            form.name.data = ""  # type: ignore[attr-defined]
    if kind == "fatigue":
        form.context.data = entry.context or ""  # type: ignore[attr-defined]
    return render_template(template, form=form, kind=kind, entry=entry, action=ActionForm())


@bp.route("/entries/<entry_id>/delete", methods=["POST"])
@patient_required
def delete_entry(entry_id: str) -> Response:
    """Delete an entry (with an undo)."""
    entry = _own_entry_or_404(entry_id)
    if entry.deleted_at is None:
        log.delete_entry(entry)
        db.session.commit()
    flash("Entry deleted.", "info")
    return redirect(back_to(entry, undo=entry.id))


@bp.route("/entries/<entry_id>/restore", methods=["POST"])
@patient_required
def restore_entry(entry_id: str) -> Response:
    """Bring back an entry deleted by mistake."""
    entry = _own_entry_or_404(entry_id)
    if entry.deleted_at is not None:
        days = current_app.config["TOMBSTONE_DAYS"]
        if not log.can_restore(entry, utcnow(), days):
            # Its content is wiped, or soon will be: nothing is left to bring back.
            flash(f"This entry was deleted more than {days} days ago and cannot come back.", "info")
            return redirect(url_for("patient.history"))
        log.restore_entry(entry)
        db.session.commit()
    flash("Entry brought back.", "success")
    return redirect(back_to(entry))


@bp.route("/history")
@patient_required
def history() -> str:
    """Everything logged, newest first, seven days at a time up to `until` (today when not
    given); all kinds or one.

    Seven days up to the day, not the calendar week holding it: opened on a Monday morning,
    History still shows what was logged last night and the days before.
    """
    user = me()
    today = log.today_for(user)
    last = _parse_day(request.args.get("until")) or today
    first = last - timedelta(days=HISTORY_DAYS - 1)
    kind = request.args.get("kind")
    kind = kind if kind in ENTRY_KINDS else None
    days: dict[date, list[Entry]] = {}
    for entry in log.entries_between(db.session, user.id, first, last):
        if kind is None or entry.kind == kind:
            days.setdefault(entry.local_date, []).append(entry)
    undo = log.get_own_entry(db.session, user, request.args.get("undo", ""))
    return render_template(
        "patient/history.html",
        days=days,
        first=first,
        last=last,
        kind=kind,
        older=first - timedelta(days=1),
        newer=min(last + timedelta(days=HISTORY_DAYS), today) if last < today else None,
        undo=undo if undo is not None and undo.deleted_at is not None else None,
        action=ActionForm(),
        kinds=ENTRY_KINDS,
    )


# The periods a person can look back over on My progress.
PROGRESS_RANGES = {key: charts.RANGES[key] for key in ("4w", "3m")}


@bp.route("/progress")
@patient_required
def my_progress() -> str:
    """The person's own charts and this week in plain words (nothing diagnostic), and the notes
    their therapists wrote of their appointments."""
    user = me()
    today = log.today_for(user)
    range_key = request.args.get("range")
    range_key = range_key if range_key in PROGRESS_RANGES else "4w"
    period, loaded = dashboard.load_entries(db.session, user.id, range_key, today, extra_days=14)
    programme = log.active_programme(db.session, user.id, today)
    return render_template(
        "patient/progress.html",
        week=progress.this_week(loaded, today),
        charts=dashboard.patient_charts(loaded, programme, period, user.timezone),
        ranges=PROGRESS_RANGES,
        current=range_key,
        period=period,
        notes=notes.for_patient(db.session, user.id),
    )


def back_to(entry: Entry, **args: str) -> str:
    """History where the entry is: its week, scrolled to it."""
    return url_for(
        "patient.history", until=entry.local_date.isoformat(), _anchor=f"entry-{entry.id}", **args
    )


def _parse_day(text: str | None) -> date | None:
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return None
    return day if date(2000, 1, 1) <= day <= date(2100, 1, 1) else None
