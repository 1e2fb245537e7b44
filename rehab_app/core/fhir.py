"""A person's log as a FHIR R4 Bundle of Observations, for a health record system (no Flask).

One Observation per fatigue rating, exercise session, walking-aid use and timed walk, all
pointing at one Patient resource in the same Bundle (type "collection"). Bad days are not
exported here.

Codes: LOINC where a code means exactly what is measured, a local code system under
LOCAL_BASE everywhere else (we do not invent LOINC codes):

- exercise session: LOINC 73985-4 "Exercise activity" (the exercise as the value), with its
  duration as LOINC 55411-3 "Exercise duration" in minutes and pain as LOINC 72514-3 "Pain
  severity - 0-10 verbal numeric rating [Score] - Reported"; sets, repetitions, holds,
  distance, voice, rests and effort as local component codes;
- fatigue rating: a local code (no LOINC code fits a plain 0-10 fatigue rating);
- walking-aid use: a local code, with the aid, the setting, the aid's rung on the ladder,
  distance, duration, falls and near-falls as components;
- timed 7.6 m walk (the timed 25-foot walk): a local code, "timed-25-foot-walk" (we found no
  LOINC code for a self-timed 25-foot walk we could verify), the mean of the two trials in
  seconds as the value, each trial, the aid and the setting as components.

Units are UCUM (min, s, m, dB[SPL]); times are UTC with a Z.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from rehab_app.models import walk_score

from .kinds import KINDS
from .vocab import AID_LEVEL, AIDS, DISCIPLINES, FATIGUE_CONTEXTS, SETTINGS

LOCAL_BASE: Final = "https://rehablog.example/fhir"
LOCAL_CODES: Final = f"{LOCAL_BASE}/CodeSystem/observation"
AID_CODES: Final = f"{LOCAL_BASE}/CodeSystem/walking-aid"
SETTING_CODES: Final = f"{LOCAL_BASE}/CodeSystem/setting"
DISCIPLINE_CODES: Final = f"{LOCAL_BASE}/CodeSystem/discipline"
CONTEXT_CODES: Final = f"{LOCAL_BASE}/CodeSystem/fatigue-context"
TAG_CODES: Final = f"{LOCAL_BASE}/CodeSystem/tag"
PATIENT_IDS: Final = f"{LOCAL_BASE}/NamingSystem/patient-id"
LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
CATEGORIES: Final = "http://terminology.hl7.org/CodeSystem/observation-category"
# For stable urn:uuid names of resources that have no UUID of their own (the Patient).
NAMESPACE: Final = uuid.uuid5(uuid.NAMESPACE_URL, LOCAL_BASE)

CATEGORY_DISPLAY: Final = {"survey": "Survey", "activity": "Activity"}
LOCAL_DISPLAY: Final = {
    "fatigue-rating": "Fatigue, self-rated 0 to 10",
    "fatigue-context": "What lay behind the fatigue",
    "walking-aid-use": "Walking and mobility-aid use",
    "walking-aid": "Walking aid used",
    "walking-aid-level": "Rung on the walking-aid ladder (0 none to 3 wheelchair)",
    "setting": "Indoors or outdoors",
    "walking-distance": "Distance walked",
    "walking-duration": "Time walking",
    "falls": "Falls",
    "near-falls": "Near-falls",
    "discipline": "Therapy",
    "sets": "Sets",
    "repetitions": "Repetitions",
    "hold-duration": "Hold",
    "distance": "Distance",
    "sustained-phonation": "Sustained 'ah'",
    "loudness": "Voice loudness",
    "rests": "Rests taken",
    "effort": "Effort, self-rated 0 to 10",
    "entered-by-carer": "Entered by a carer",
    "timed-25-foot-walk": "Timed 7.6 m (25 foot) walk, mean of two trials, self-timed",
    "walk-trial-1": "Timed 7.6 m walk, first trial",
    "walk-trial-2": "Timed 7.6 m walk, second trial",
}
LOINC_DISPLAY: Final = {
    "73985-4": "Exercise activity",
    "55411-3": "Exercise duration",
    "72514-3": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}
# Exercise dose fields: (component code system, code, UCUM unit or None for a count).
EXERCISE_COMPONENTS: Final = {
    "minutes": (LOINC, "55411-3", "min"),
    "sets": (LOCAL_CODES, "sets", None),
    "reps": (LOCAL_CODES, "repetitions", None),
    "hold_seconds": (LOCAL_CODES, "hold-duration", "s"),
    "distance_m": (LOCAL_CODES, "distance", "m"),
    "phonation_seconds": (LOCAL_CODES, "sustained-phonation", "s"),
    "loudness_db": (LOCAL_CODES, "loudness", "dB[SPL]"),
    "rests": (LOCAL_CODES, "rests", None),
    "effort": (LOCAL_CODES, "effort", None),
    "pain": (LOINC, "72514-3", None),
}
UNIT_WORDS: Final = {"min": "min", "s": "s", "m": "m", "dB[SPL]": "dB"}


def instant(value: datetime) -> str:
    """A stored naive UTC time as a FHIR instant/dateTime in UTC: 2026-03-01T09:30:00Z."""
    return value.replace(microsecond=0).isoformat() + "Z"


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    """One Coding, with the display our tables give it."""
    if display is None:
        display = LOINC_DISPLAY.get(code) if system == LOINC else LOCAL_DISPLAY.get(code)
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    """A CodeableConcept with one Coding."""
    return {"coding": [coding(system, code, display)]}


def quantity(value: float, unit: str) -> dict[str, Any]:
    """A UCUM Quantity."""
    return {"value": value, "unit": UNIT_WORDS.get(unit, unit), "system": UCUM, "code": unit}


def patient_url(patient_id: int) -> str:
    """The Patient resource's name inside the Bundle (a stable urn:uuid)."""
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'patient/{patient_id}')}"


def entry_url(entry_id: str) -> str:
    """An Observation's name inside the Bundle: the entry's own UUID."""
    try:
        return f"urn:uuid:{uuid.UUID(entry_id)}"
    except ValueError:
        return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'entry/{entry_id}')}"


def patient_resource(patient: Any) -> dict[str, Any]:
    """The Patient: our id and the name the person gave."""
    return {
        "resourceType": "Patient",
        "id": f"patient-{patient.id}",
        "identifier": [{"system": PATIENT_IDS, "value": str(patient.id)}],
        "name": [{"text": patient.display_name}],
    }


def _component(code: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    return {"code": code, **value}


def _base(entry: Any, subject: str, category: str, code: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": str(uuid.UUID(entry.id)) if _is_uuid(entry.id) else None,
        "status": "final",
        "category": [concept(CATEGORIES, category, CATEGORY_DISPLAY[category])],
        "code": code,
        "subject": {"reference": subject},
        "effectiveDateTime": instant(entry.occurred_at),
        "issued": instant(entry.updated_at),
    }
    if resource["id"] is None:
        del resource["id"]
    if entry.by_carer:
        resource["meta"] = {"tag": [coding(TAG_CODES, "entered-by-carer")]}
    else:
        resource["performer"] = [{"reference": subject}]
    if entry.note:
        resource["note"] = [{"text": entry.note}]
    return resource


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def fatigue_observation(entry: Any, subject: str) -> dict[str, Any]:
    """A fatigue rating: valueInteger 0-10, with its context as a component."""
    resource = _base(entry, subject, "survey", concept(LOCAL_CODES, "fatigue-rating"))
    resource["valueInteger"] = entry.fatigue
    if entry.context:
        words = FATIGUE_CONTEXTS.get(entry.context, entry.context)
        resource["component"] = [
            _component(
                concept(LOCAL_CODES, "fatigue-context"),
                {"valueCodeableConcept": concept(CONTEXT_CODES, entry.context, words)},
            )
        ]
    return resource


def exercise_observation(entry: Any, subject: str) -> dict[str, Any]:
    """An exercise session: the exercise as the value, its dose, effort and pain as components."""
    resource = _base(entry, subject, "activity", concept(LOINC, "73985-4"))
    name = entry.name or DISCIPLINES.get(entry.discipline or "", "Exercise")
    resource["valueCodeableConcept"] = {"text": name}
    components = []
    if entry.discipline in DISCIPLINES:
        components.append(
            _component(
                concept(LOCAL_CODES, "discipline"),
                {
                    "valueCodeableConcept": concept(
                        DISCIPLINE_CODES, entry.discipline, DISCIPLINES[entry.discipline]
                    )
                },
            )
        )
    for field, (system, code, unit) in EXERCISE_COMPONENTS.items():
        value = getattr(entry, field)
        if value is None:
            continue
        data = {"valueQuantity": quantity(value, unit)} if unit else {"valueInteger": value}
        components.append(_component(concept(system, code), data))
    resource["component"] = components
    return resource


def mobility_observation(entry: Any, subject: str) -> dict[str, Any]:
    """A walking-aid use: the aid as the value; setting, rung, distance, falls as components."""
    resource = _base(entry, subject, "activity", concept(LOCAL_CODES, "walking-aid-use"))
    components = []
    if entry.aid in AIDS:
        aid = concept(AID_CODES, entry.aid, AIDS[entry.aid])
        resource["valueCodeableConcept"] = aid
        components.append(
            _component(
                concept(LOCAL_CODES, "walking-aid-level"), {"valueInteger": AID_LEVEL[entry.aid]}
            )
        )
    if entry.setting in SETTINGS:
        components.append(
            _component(
                concept(LOCAL_CODES, "setting"),
                {
                    "valueCodeableConcept": concept(
                        SETTING_CODES, entry.setting, SETTINGS[entry.setting]
                    )
                },
            )
        )
    if entry.distance_m is not None:
        components.append(
            _component(
                concept(LOCAL_CODES, "walking-distance"),
                {"valueQuantity": quantity(entry.distance_m, "m")},
            )
        )
    if entry.minutes is not None:
        components.append(
            _component(
                concept(LOCAL_CODES, "walking-duration"),
                {"valueQuantity": quantity(entry.minutes, "min")},
            )
        )
    for field, code in (("falls", "falls"), ("near_falls", "near-falls")):
        components.append(
            _component(concept(LOCAL_CODES, code), {"valueInteger": getattr(entry, field) or 0})
        )
    resource["component"] = components
    return resource


def walk_test_observation(entry: Any, subject: str) -> dict[str, Any]:
    """A timed 7.6 m walk: the mean of its trials as value; trials, aid, where as components."""
    resource = _base(entry, subject, "activity", concept(LOCAL_CODES, "timed-25-foot-walk"))
    score = walk_score(entry.trial_1_seconds, entry.trial_2_seconds)
    if score is not None:
        resource["valueQuantity"] = quantity(score, "s")
    components = []
    for field, code in (("trial_1_seconds", "walk-trial-1"), ("trial_2_seconds", "walk-trial-2")):
        if getattr(entry, field) is not None:
            components.append(
                _component(
                    concept(LOCAL_CODES, code),
                    {"valueQuantity": quantity(getattr(entry, field), "s")},
                )
            )
    if entry.aid in AIDS:
        components.append(
            _component(
                concept(LOCAL_CODES, "walking-aid"),
                {"valueCodeableConcept": concept(AID_CODES, entry.aid, AIDS[entry.aid])},
            )
        )
    if entry.setting in SETTINGS:
        components.append(
            _component(
                concept(LOCAL_CODES, "setting"),
                {
                    "valueCodeableConcept": concept(
                        SETTING_CODES, entry.setting, SETTINGS[entry.setting]
                    )
                },
            )
        )
    resource["component"] = components
    return resource


BUILDERS: Final = {
    "fatigue": fatigue_observation,
    "exercise": exercise_observation,
    "mobility": mobility_observation,
    "walk_test": walk_test_observation,
}
# The declared fields (kinds.py) each builder above maps with its chosen codes. A field the
# declaration gains later goes out as a local component (`declared_components`) until someone
# chooses its code: the export never drops what a person logged.
MAPPED: Final = {
    "fatigue": {"fatigue", "context"},
    "exercise": {"discipline", "exercise_id", "programme_item_id", "name", *EXERCISE_COMPONENTS},
    "mobility": {"aid", "setting", "distance_m", "minutes", "falls", "near_falls"},
    "walk_test": {"trial_1_seconds", "trial_2_seconds", "aid", "setting"},
}


def declared_components(entry: Any) -> list[dict[str, Any]]:
    """Components for the entry's declared fields that its builder does not map: a local code
    (the field's name) with the declaration's words."""
    out = []
    for spec in KINDS[entry.kind].fields:
        value = getattr(entry, spec.name, None)
        if spec.name in MAPPED.get(entry.kind, ()) or value is None or spec.type == "reference":
            continue
        code = concept(LOCAL_CODES, spec.name.replace("_", "-"), spec.label)
        if spec.type == "whole":
            data: dict[str, Any] = {"valueInteger": value}
        elif spec.type == "seconds":
            data = {"valueQuantity": quantity(value, "s")}
        elif spec.type == "choice":
            system = f"{LOCAL_BASE}/CodeSystem/{spec.name.replace('_', '-')}"
            data = {"valueCodeableConcept": concept(system, value, spec.choices.get(value))}
        else:
            data = {"valueString": value}
        out.append(_component(code, data))
    return out


def patient_bundle(patient: Any, entries: Iterable[Any], now: datetime) -> dict[str, Any]:
    """A Bundle (type collection) of the Patient and an Observation per exportable entry."""
    subject = patient_url(patient.id)
    bundle_entries: list[dict[str, Any]] = [
        {"fullUrl": subject, "resource": patient_resource(patient)}
    ]
    for entry in entries:
        build = BUILDERS.get(entry.kind)
        if build is None or entry.deleted_at is not None:
            continue
        resource = build(entry, subject)
        if extra := declared_components(entry):
            resource["component"] = [*resource.get("component", []), *extra]
        bundle_entries.append({"fullUrl": entry_url(entry.id), "resource": resource})
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(now)},
        "type": "collection",
        "timestamp": instant(now),
        "entry": bundle_entries,
    }
