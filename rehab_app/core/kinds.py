"""Each entry kind declared once: its fields, what each holds, its limits or choices, the
message when a required one is missing, whether the next form of that kind starts with it, and
its words for people.

What reads it: the sync protocol's rules (sync/rules.py: which fields a kind has, the whole
numbers and their limits, the choices, the required fields and their messages), and so the
OpenAPI schema, the pull's fields and the phone's verdicts; the exports' columns (exports.py);
the entry forms (web/forms/entries.py: their columns, and a field of the declaration that no
form writes by hand is added to the form as a plain one); and which values a new form carries
over (web/patient/views.py). Every kind's columns live on the one `entries` table (single-table
inheritance), so giving a kind a field another kind has is this one change; a new column is
this change plus a migration. tests/test_kinds.py adds a field here and finds it everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from .validation import OWN_THERAPY_MESSAGE, WALK_TRIAL_MESSAGES, phone_rules
from .vocab import (
    AID_SHORT,
    AIDS,
    BAD_DAY_REASONS,
    DISCIPLINES,
    DOSE_FIELDS,
    DOSE_LABELS,
    ENTRY_KINDS,
    FATIGUE_CONTEXTS,
    KIND_COUNTED,
    LIMITS,
    NAME_MAX,
    SETTINGS,
    WALK_SECONDS_MAX,
    WALK_SECONDS_MESSAGE,
    WALK_TRIAL_LABELS,
    WALK_TRIALS,
)

# What a field holds: a whole number from 0 to its limit; timed seconds to a tenth (more than
# 0, at most its limit); one of its choices (by key); free text up to its limit; or the id of
# another row (an exercise of the catalogue, an item of the person's programme).
FieldType = Literal["whole", "seconds", "choice", "text", "reference"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of an entry kind."""

    name: str  # the entry column, and the field's name in forms, sync and exports
    type: FieldType
    label: str
    limit: int | None = None  # whole, seconds: the largest value; text: the longest
    choices: Mapping[str, str] = field(default_factory=dict)  # key -> words, in order
    required: str | None = None  # the message when it is missing; None when optional
    carried: bool = False  # a new form of the kind starts with the last entry's value

    @property
    def exported(self) -> bool:
        """Whether exports hold it: ids of other rows stay inside the app."""
        return self.type != "reference"


@dataclass(frozen=True)
class KindSpec:
    """An entry kind: its key, its name for people and its fields, in the order shown."""

    key: str
    label: str
    fields: tuple[FieldSpec, ...]

    def names(self) -> tuple[str, ...]:
        """The kind's field names, in order."""
        return tuple(f.name for f in self.fields)


def _whole(name: str, label: str, limit: int, *, carried: bool = False) -> FieldSpec:
    return FieldSpec(name, "whole", label, limit=limit, carried=carried)


def _choice(
    name: str,
    label: str,
    choices: Mapping[str, str],
    required: str | None = None,
    *,
    carried: bool = False,
) -> FieldSpec:
    return FieldSpec(name, "choice", label, choices=choices, required=required, carried=carried)


_SCALE = LIMITS["scale"]
_DOSE = tuple(_whole(name, DOSE_LABELS[name], LIMITS[name]) for name in DOSE_FIELDS)
_WALK_AID = _choice("aid", "Walking aid used", AIDS, "Choose an aid.", carried=True)
_WALK_SETTING = _choice("setting", "Where", SETTINGS, "Choose indoors or outdoors.", carried=True)

KINDS: Final[dict[str, KindSpec]] = {
    spec.key: spec
    for spec in (
        KindSpec(
            "exercise",
            ENTRY_KINDS["exercise"],
            (
                # "Same as last time" repeats an exercise in one tap; its form is for another
                # one, and effort and pain are about one session: nothing is carried over.
                _choice("discipline", "Therapy", DISCIPLINES, OWN_THERAPY_MESSAGE),
                FieldSpec("exercise_id", "reference", "Exercise"),
                FieldSpec("programme_item_id", "reference", "Programme item"),
                FieldSpec("name", "text", "Or your own name for it", limit=NAME_MAX),
                *_DOSE,
                _whole(
                    "effort", "How hard it felt (0 = no effort, 10 = the most I could do)", _SCALE
                ),
                _whole("pain", "Pain (0 = none, 10 = the worst I can imagine)", _SCALE),
            ),
        ),
        KindSpec(
            "fatigue",
            ENTRY_KINDS["fatigue"],
            (
                FieldSpec(
                    "fatigue",
                    "whole",
                    "How tired are you? (0 = not tired at all, 10 = the most tired I have been)",
                    limit=_SCALE,
                    required="Choose a number from 0 to 10.",
                ),
                # A reason such as heat is about one moment: never carried over.
                _choice("context", "Anything behind it?", FATIGUE_CONTEXTS),
            ),
        ),
        KindSpec(
            "mobility",
            ENTRY_KINDS["mobility"],
            (
                _choice("aid", "Walking aid", AIDS, "Choose an aid.", carried=True),
                _choice("setting", "Where", SETTINGS, "Choose indoors or outdoors.", carried=True),
                # Distance and minutes are carried both or neither (patient views).
                _whole("distance_m", "How far (metres)", LIMITS["distance_m"], carried=True),
                _whole("minutes", "How long (minutes)", LIMITS["minutes"], carried=True),
                _whole("falls", "Falls (came to rest on the ground or floor)", LIMITS["falls"]),
                _whole(
                    "near_falls",
                    "Near-falls (nearly fell but caught yourself)",
                    LIMITS["near_falls"],
                ),
            ),
        ),
        KindSpec(
            "bad_day",
            ENTRY_KINDS["bad_day"],
            (_choice("reason", "Why was today harder?", BAD_DAY_REASONS, "Choose a reason."),),
        ),
        KindSpec(
            "walk_test",
            ENTRY_KINDS["walk_test"],
            (
                *(
                    FieldSpec(
                        trial,
                        "seconds",
                        WALK_TRIAL_LABELS[trial],
                        limit=WALK_SECONDS_MAX,
                        required=WALK_TRIAL_MESSAGES[trial],
                    )
                    for trial in WALK_TRIALS
                ),
                # The same aid and place as last time, to compare like with like.
                _WALK_AID,
                _WALK_SETTING,
            ),
        ),
    )
}


def label(kind: str, name: str) -> str:
    """The words for people of one field of one kind, as its form shows them."""
    (found,) = [f for f in KINDS[kind].fields if f.name == name]
    return found.label


def all_fields() -> dict[str, FieldSpec]:
    """Every field of every kind by name, first declaration first (a field two kinds share,
    such as `aid`, is one column with one meaning)."""
    found: dict[str, FieldSpec] = {}
    for spec in KINDS.values():
        for f in spec.fields:
            found.setdefault(f.name, f)
    return found


def phone_fields() -> dict[str, list[list[str | None]]]:
    """Each kind's fields as the phone reads a form into an entry and checks it: [name, type,
    the message when a required one is missing (None when optional)], in order."""
    return {key: [[f.name, f.type, f.required] for f in spec.fields] for key, spec in KINDS.items()}


def client_words() -> dict[str, object]:
    """The words and rules the offline app needs to read its forms and describe entries it has
    not sent yet, sent with every page (templates/base.html)."""
    return {
        "kinds": ENTRY_KINDS,
        "counted": KIND_COUNTED,
        "kind_order": list(ENTRY_KINDS),  # the page's JSON sorts keys: the usual order apart
        "fields": phone_fields(),
        "aids": AIDS,
        "aids_short": AID_SHORT,
        "settings": SETTINGS,
        "contexts": FATIGUE_CONTEXTS,
        "reasons": BAD_DAY_REASONS,
        "disciplines": DISCIPLINES,
        "limits": LIMITS,
        "walk_seconds_max": WALK_SECONDS_MAX,
        "walk_seconds_message": WALK_SECONDS_MESSAGE,
        "rules": phone_rules(),
    }
