"""The FHIR export: a Bundle that fhir.resources accepts, with the right codes and values.

fhir.resources 8.x has no plain R4 package (its default is R5, and it ships R4B and STU3):
the Bundle is validated against R4B (4.3), whose Bundle and Observation match R4's.
"""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from rehab_app.core import fhir
from rehab_app.extensions import db
from rehab_app.models import utcnow
from tests.helpers.accounts import CsrfClient, People
from tests.helpers.entries import add_entry

LOINC = "http://loinc.org"
LOCAL = "https://rehablog.example/fhir/CodeSystem/observation"
CATEGORIES = "http://terminology.hl7.org/CodeSystem/observation-category"


@pytest.fixture
def bundle(therapist_client: CsrfClient, people: People) -> dict[str, Any]:
    """The owner's log of every kind, exported by the linked therapist."""
    owner = people.patient
    add_entry(owner, "fatigue", days_ago=3, fatigue=7, context="heat", note="Hot bus <home>")
    add_entry(owner, "fatigue", days_ago=2, fatigue=4, by_carer=True)
    add_entry(
        owner,
        "exercise",
        days_ago=2,
        discipline="physio",
        name="Garden steps",
        sets=2,
        reps=8,
        minutes=15,
        effort=6,
        pain=2,
    )
    add_entry(
        owner,
        "exercise",
        days_ago=1,
        discipline="slt",
        name='Long strong "ah"',
        phonation_seconds=12,
        loudness_db=72,
        effort=5,
    )
    add_entry(
        owner,
        "mobility",
        days_ago=1,
        aid="two_sticks",
        setting="outdoors",
        distance_m=350,
        minutes=20,
        falls=1,
        near_falls=2,
    )
    add_entry(
        owner,
        "walk_test",
        days_ago=1,
        trial_1_seconds=9.2,
        trial_2_seconds=8.7,
        aid="one_stick",
        setting="indoors",
    )
    add_entry(owner, "bad_day", reason="relapse", note="BAD-DAY-NOTE")
    gone = add_entry(owner, "fatigue", fatigue=9, note="DELETED-NOTE")
    gone.deleted_at = utcnow()
    add_entry(people.other_patient, "fatigue", fatigue=1, note="OTTO-NOTE")
    db.session.commit()
    response = therapist_client.get(f"/therapist/patients/{owner.id}/export.fhir.json")
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    data: dict[str, Any] = json.loads(response.get_data(as_text=True))
    return data


def observations(bundle: dict[str, Any], code: str) -> list[dict[str, Any]]:
    """The Observations whose code is `code`, oldest first."""
    found = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == code
    ]
    return sorted(found, key=lambda r: r["effectiveDateTime"])


def component(resource: dict[str, Any], code: str) -> dict[str, Any]:
    """The component of an Observation with that code."""
    (found,) = [c for c in resource["component"] if c["code"]["coding"][0]["code"] == code]
    return found


def test_the_whole_bundle_is_valid_fhir(bundle: dict[str, Any]) -> None:
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    kinds = [e.resource.__resource_type__ for e in parsed.entry]
    assert kinds == ["Patient"] + ["Observation"] * 6
    for entry in parsed.entry[1:]:
        assert entry.resource.status == "final"
        assert entry.fullUrl == f"urn:uuid:{entry.resource.id}"


def test_every_observation_is_about_the_patient_in_the_bundle(
    bundle: dict[str, Any], people: People
) -> None:
    patient_entry = bundle["entry"][0]
    patient = patient_entry["resource"]
    assert patient["name"] == [{"text": "Olive Owner"}]
    assert patient["identifier"][0]["value"] == str(people.patient.id)
    assert patient_entry["fullUrl"].startswith("urn:uuid:")
    for entry in bundle["entry"][1:]:
        resource = entry["resource"]
        assert resource["subject"] == {"reference": patient_entry["fullUrl"]}
        assert resource["effectiveDateTime"].endswith("Z")
        assert (
            datetime.fromisoformat(resource["effectiveDateTime"]).utcoffset().total_seconds() == 0
        )
        assert resource["issued"].endswith("Z")
    assert bundle["timestamp"].endswith("Z")


def test_fatigue_ratings(bundle: dict[str, Any]) -> None:
    rated, by_carer = observations(bundle, "fatigue-rating")
    assert rated["code"]["coding"][0]["system"] == LOCAL
    assert rated["category"][0]["coding"][0] == {
        "system": CATEGORIES,
        "code": "survey",
        "display": "Survey",
    }
    assert rated["valueInteger"] == 7
    context = component(rated, "fatigue-context")["valueCodeableConcept"]["coding"][0]
    assert (context["code"], context["display"]) == ("heat", "Heat")
    assert rated["note"] == [{"text": "Hot bus <home>"}]
    assert rated["performer"] == [rated["subject"]]
    assert by_carer["valueInteger"] == 4
    assert by_carer["meta"]["tag"][0]["code"] == "entered-by-carer"
    assert "performer" not in by_carer and "component" not in by_carer


def test_exercise_sessions(bundle: dict[str, Any]) -> None:
    physio, slt = observations(bundle, "73985-4")
    assert physio["code"]["coding"][0] == {
        "system": LOINC,
        "code": "73985-4",
        "display": "Exercise activity",
    }
    assert physio["category"][0]["coding"][0]["code"] == "activity"
    assert physio["valueCodeableConcept"] == {"text": "Garden steps"}
    assert component(physio, "discipline")["valueCodeableConcept"]["coding"][0]["code"] == "physio"
    duration = component(physio, "55411-3")
    assert duration["code"]["coding"][0]["system"] == LOINC
    assert duration["valueQuantity"] == {
        "value": 15,
        "unit": "min",
        "system": "http://unitsofmeasure.org",
        "code": "min",
    }
    assert component(physio, "sets")["valueInteger"] == 2
    assert component(physio, "repetitions")["valueInteger"] == 8
    assert component(physio, "effort")["valueInteger"] == 6
    pain = component(physio, "72514-3")
    assert pain["code"]["coding"][0]["system"] == LOINC and pain["valueInteger"] == 2

    assert slt["valueCodeableConcept"] == {"text": 'Long strong "ah"'}
    assert component(slt, "sustained-phonation")["valueQuantity"]["code"] == "s"
    loudness = component(slt, "loudness")["valueQuantity"]
    assert (loudness["value"], loudness["code"]) == (72, "dB[SPL]")
    codes = {c["code"]["coding"][0]["code"] for c in slt["component"]}
    assert "72514-3" not in codes and "55411-3" not in codes  # nothing logged, nothing sent


def test_walking_aid_use(bundle: dict[str, Any]) -> None:
    (walk,) = observations(bundle, "walking-aid-use")
    assert walk["category"][0]["coding"][0]["code"] == "activity"
    aid = walk["valueCodeableConcept"]["coding"][0]
    assert aid == {
        "system": "https://rehablog.example/fhir/CodeSystem/walking-aid",
        "code": "two_sticks",
        "display": "Two sticks or crutches",
    }
    assert component(walk, "setting")["valueCodeableConcept"]["coding"][0]["code"] == "outdoors"
    assert component(walk, "walking-aid-level")["valueInteger"] == 2
    assert component(walk, "walking-distance")["valueQuantity"]["code"] == "m"
    assert component(walk, "walking-distance")["valueQuantity"]["value"] == 350
    assert component(walk, "walking-duration")["valueQuantity"]["code"] == "min"
    assert component(walk, "falls")["valueInteger"] == 1
    assert component(walk, "near-falls")["valueInteger"] == 2


def test_only_the_patients_live_fatigue_exercise_and_walking_entries(
    bundle: dict[str, Any],
) -> None:
    text = json.dumps(bundle)
    assert "DELETED-NOTE" not in text and "OTTO-NOTE" not in text
    assert "BAD-DAY-NOTE" not in text  # bad days are not part of this export


def test_the_builder_needs_no_database() -> None:
    when = datetime(2026, 3, 1, 9, 30, 15, 123456)
    entry = SimpleNamespace(
        id="not-a-uuid",
        kind="mobility",
        occurred_at=when,
        updated_at=when,
        deleted_at=None,
        by_carer=False,
        note=None,
        aid="none",
        setting=None,
        distance_m=None,
        minutes=None,
        falls=None,
        near_falls=None,
    )
    patient = SimpleNamespace(id=7, display_name="Zoë <b>")
    data = fhir.patient_bundle(patient, [entry], when)
    Bundle.model_validate(data)
    walk = data["entry"][1]["resource"]
    assert walk["effectiveDateTime"] == "2026-03-01T09:30:15Z"
    assert "id" not in walk  # an id FHIR would refuse is left out; the fullUrl stays stable
    assert (
        data["entry"][1]["fullUrl"]
        == fhir.patient_bundle(patient, [entry], when)["entry"][1]["fullUrl"]
    )
    assert component(walk, "falls")["valueInteger"] == 0
    assert data["entry"][0]["resource"]["name"] == [{"text": "Zoë <b>"}]


def test_timed_walks(bundle: dict[str, Any]) -> None:
    (walk,) = observations(bundle, "timed-25-foot-walk")
    assert walk["code"]["coding"][0]["system"] == fhir.LOCAL_CODES
    # The score is the mean of the two trials, half a tenth rounded up.
    assert walk["valueQuantity"] == {
        "value": 9.0,
        "unit": "s",
        "system": "http://unitsofmeasure.org",
        "code": "s",
    }
    assert component(walk, "walk-trial-1")["valueQuantity"]["value"] == 9.2
    assert component(walk, "walk-trial-2")["valueQuantity"]["value"] == 8.7
    aid = component(walk, "walking-aid")["valueCodeableConcept"]["coding"][0]
    assert (aid["code"], aid["display"]) == ("one_stick", "One stick, cane or crutch")
    setting = component(walk, "setting")["valueCodeableConcept"]["coding"][0]
    assert setting["code"] == "indoors"
