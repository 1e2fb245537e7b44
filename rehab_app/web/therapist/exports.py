"""A linked therapist's exports of a patient: CSV, FHIR and a printable appointment summary."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, timedelta

from flask import Blueprint, Response, render_template

from rehab_app.core import caseload, charts, dashboard, exports, fhir, programmes
from rehab_app.core import entries as log
from rehab_app.core.timeutil import local_today
from rehab_app.extensions import db
from rehab_app.models import Entry, User, utcnow
from rehab_app.web.roles import me, own_site_only, therapist_required

from .views import looked_at

bp = Blueprint("reports", __name__, url_prefix="/therapist/patients")


def filename_slug(name: str) -> str:
    """A person's name as a safe file-name part: 'Zoë O'Brien' -> 'zoe-o-brien'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return slug or "patient"


def _download(body: str, mimetype: str, patient: User, what: str, suffix: str) -> Response:
    name = f"{filename_slug(patient.display_name)}-{what}-{local_today(patient.timezone)}{suffix}"
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _oldest_first(patient: User) -> list[Entry]:
    return list(reversed(log.entries_between(db.session, patient.id)))


@bp.route("/<int:patient_id>/export.csv")
@therapist_required
@own_site_only
def export_csv(patient_id: int) -> Response:
    """Download all of a linked patient's entries as a spreadsheet (CSV)."""
    patient = looked_at(patient_id, "export_csv")
    return _download(
        exports.export_csv(_oldest_first(patient)), "text/csv", patient, "entries", ".csv"
    )


@bp.route("/<int:patient_id>/export.fhir.json")
@therapist_required
@own_site_only
def export_fhir(patient_id: int) -> Response:
    """Download a linked patient's fatigue, exercise and walking-aid entries as a FHIR Bundle."""
    patient = looked_at(patient_id, "export_fhir")
    bundle = fhir.patient_bundle(patient, _oldest_first(patient), utcnow())
    return _download(
        json.dumps(bundle, ensure_ascii=False, separators=(",", ":")),
        "application/fhir+json",
        patient,
        "fhir",
        ".json",
    )


@bp.route("/<int:patient_id>/summary")
@therapist_required
@own_site_only
def summary(patient_id: int) -> str:
    """A printable summary of a linked patient's last three months, for an appointment."""
    patient = looked_at(patient_id, "print_summary")
    # The caseload's reasons, word for word (its stored summary, recomputed if stale); committed
    # before the entries are loaded, which a commit would expire.
    [row] = caseload.load_caseload(db.session, [patient])
    db.session.commit()
    today = local_today(patient.timezone)
    first: date = today - timedelta(days=dashboard.SUMMARY_LOAD_DAYS - 1)
    entries = list(log.entries_between(db.session, patient.id, first, today))
    programme = programmes.programme_items(db.session, patient.id, newest_first=False)
    return render_template(
        "therapist/summary.html",
        patient=patient,
        therapist=me(),
        summary=dashboard.appointment_summary(
            entries, programme, today, patient.timezone, reasons=row.flags
        ),
        today=today,
        percent=charts.percent,
    )
