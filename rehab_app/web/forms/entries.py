"""Forms for a patient's entries, one a kind, and the dose fields programmes share."""

from __future__ import annotations

import uuid
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    Field,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from rehab_app.core.kinds import KINDS, FieldSpec
from rehab_app.core.kinds import label as label_of
from rehab_app.core.sync.rules import SECONDS_FIELDS
from rehab_app.core.timeutil import local_now
from rehab_app.core.validation import (
    EXERCISE_MISSING_MESSAGE,
    OWN_THERAPY_MESSAGE,
    WALK_TRIAL_MESSAGES,
    time_window_error,
)
from rehab_app.core.vocab import (
    AIDS,
    BAD_DAY_REASONS,
    DISCIPLINES,
    DOSE_LABELS,
    FATIGUE_CONTEXTS,
    LIMITS,
    NAME_MAX,
    NOTE_MAX,
    SETTINGS,
    WALK_SECONDS_MAX,
    WALK_SECONDS_MESSAGE,
    WALK_TRIAL_LABELS,
)

from .fields import BaseForm, no_control_chars, scale_field, strip, whole_number


class DoseFields:
    """The amounts of an exercise, shared by a session logged and a programme item."""

    sets = whole_number(DOSE_LABELS["sets"], LIMITS["sets"])
    reps = whole_number(DOSE_LABELS["reps"], LIMITS["reps"])
    hold_seconds = whole_number(DOSE_LABELS["hold_seconds"], LIMITS["hold_seconds"])
    minutes = whole_number(DOSE_LABELS["minutes"], LIMITS["minutes"])
    distance_m = whole_number(DOSE_LABELS["distance_m"], LIMITS["distance_m"])
    phonation_seconds = whole_number(DOSE_LABELS["phonation_seconds"], LIMITS["phonation_seconds"])
    loudness_db = whole_number(DOSE_LABELS["loudness_db"], LIMITS["loudness_db"])
    rests = whole_number(DOSE_LABELS["rests"], LIMITS["rests"])


class EntryForm(BaseForm):
    """Fields every entry has."""

    kind = ""
    entry_id = HiddenField()
    occurred_at = DateTimeLocalField(
        "When",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired("Enter when it happened.")],
    )
    by_carer = BooleanField("Entered by a carer")
    note = TextAreaField(
        "Note (optional)",
        filters=[strip],
        validators=[
            Optional(),
            Length(max=NOTE_MAX, message=f"Keep the note under {NOTE_MAX} characters."),
            no_control_chars,
        ],
    )

    def __init__(self, *args: Any, tz: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tz = tz

    def validate_occurred_at(self, field: Field) -> None:
        """Not in the future, not from long ago."""
        if field.data is None:
            return
        error = time_window_error(field.data, local_now(self.tz))
        if error:
            raise ValidationError(error)

    def validate_entry_id(self, field: Field) -> None:
        """A client-made id must be a UUID."""
        if field.data:
            try:
                field.data = str(uuid.UUID(field.data))
            except (ValueError, AttributeError, TypeError):
                raise ValidationError("This form was damaged. Please reload the page.") from None

    # Names of the entry columns the form sets, besides occurred_at, by_carer and note: its
    # kind's declared fields (kinds.py), ids of other rows aside (set by `declared`).
    columns: tuple[str, ...] = ()
    # Declared fields the class does not write by hand: added as plain fields, shown by the
    # page after the form's own (templates/patient/_entry_form.html).
    extras: tuple[str, ...] = ()

    def entry_fields(self) -> dict[str, Any]:
        """The validated values, keyed by entry column."""
        values = {c: getattr(self, c).data for c in self.columns}
        for name in SECONDS_FIELDS:  # kept to a tenth, as the sync API keeps them
            if values.get(name) is not None:
                values[name] = round(float(values[name]), 1)
        values["by_carer"] = bool(self.by_carer.data)
        values["note"] = self.note.data or None
        return values


def exercise_groups(exercises: list[Any], recent: list[int]) -> dict[str | None, list[Any]]:
    """The exercise list's choices: one's own first, then those done recently, then the rest
    by therapy. Each says its therapy and the dose it records, for the phone to show only the
    chosen therapy's exercises and that exercise's fields (static/js/exercise_form.js)."""

    def choice(e: Any) -> tuple[str, str, dict[str, str]]:
        return (str(e.id), e.name, {"data-discipline": e.discipline, "data-records": e.records})

    by_id = {e.id: e for e in exercises}
    done = [by_id[i] for i in dict.fromkeys(recent) if i in by_id]
    groups: dict[str | None, list[Any]] = {
        None: [("", "My own exercise (type its name below)", {})]
    }
    if done:
        groups["Done recently"] = [choice(e) for e in done]
    for code, label in DISCIPLINES.items():
        rest = [choice(e) for e in exercises if e.discipline == code and e not in done]
        if rest:
            groups[label] = rest
    return groups


# Sets x repetitions a person can tap in one go rather than type (the common prescription of
# strength and movement exercises). Not a value carried over: nothing is chosen until tapped.
COMMON_DOSES = ((1, 10), (2, 10), (3, 10))
COMMON_DOSE_VALUES = {f"{sets}x{reps}": (sets, reps) for sets, reps in COMMON_DOSES}
COMMON_DOSE_CONFLICT = "You tapped {} and typed other numbers: clear one of them."


class ExerciseForm(EntryForm, DoseFields):
    """An exercise session."""

    kind = "exercise"
    # Not required on its own: an exercise from the list names its therapy. It narrows the
    # list on the phone, and says the therapy of an exercise of one's own.
    discipline = SelectField(
        label_of("exercise", "discipline"),
        choices=[("", "All therapies"), *DISCIPLINES.items()],
        default="",
    )
    exercise_id = SelectField(
        label_of("exercise", "exercise_id"), coerce=str, validate_choice=True, default=""
    )
    name = StringField(
        label_of("exercise", "name"),
        filters=[strip],
        # No Optional(): it would stop validate_name, which needs to see an empty name.
        validators=[Length(max=NAME_MAX), no_control_chars],
    )
    common_dose = RadioField(
        "Or tap one: sets \u00d7 repetitions",
        choices=[(value, f"{s} \u00d7 {r}") for value, (s, r) in COMMON_DOSE_VALUES.items()],
        validators=[Optional()],
    )
    effort = scale_field(label_of("exercise", "effort"))
    pain = scale_field(label_of("exercise", "pain"))
    programme_item_id = HiddenField()

    def __init__(
        self,
        *args: Any,
        exercises: list[Any] | None = None,
        recent: list[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.exercises = {str(e.id): e for e in exercises or []}
        self.exercise_id.choices = exercise_groups(exercises or [], recent or [])

    def validate_name(self, field: Field) -> None:
        """A catalogue exercise or a name of one's own."""
        if not self.exercise_id.data and not field.data:
            raise ValidationError(EXERCISE_MISSING_MESSAGE)

    def validate_discipline(self, field: Field) -> None:
        """A catalogue exercise belongs to one therapy; one's own exercise needs its therapy."""
        chosen = self.exercises.get(self.exercise_id.data or "")
        if chosen is not None:
            field.data = chosen.discipline
        elif not field.data:
            raise ValidationError(OWN_THERAPY_MESSAGE)

    def validate_common_dose(self, field: Field) -> None:
        """A common dose tapped fills sets and repetitions (the phone does it as it is tapped)."""
        dose = COMMON_DOSE_VALUES.get(field.data or "")
        if dose is None:  # none tapped, or not one offered (said already: "Not a valid choice")
            return
        sets, reps = dose
        if self.sets.data not in (None, sets) or self.reps.data not in (None, reps):
            raise ValidationError(COMMON_DOSE_CONFLICT.format(f"{sets} \u00d7 {reps}"))
        self.sets.data, self.reps.data = sets, reps

    def chosen_exercise(self) -> Any:
        """The catalogue exercise chosen, or None."""
        return self.exercises.get(self.exercise_id.data or "")

    def entry_fields(self) -> dict[str, Any]:
        values = super().entry_fields()
        chosen = self.chosen_exercise()
        values["exercise_id"] = chosen.id if chosen else None
        values["name"] = chosen.name if chosen else values["name"]
        return values


class FatigueForm(EntryForm):
    """A fatigue rating."""

    kind = "fatigue"
    fatigue = RadioField(
        label_of("fatigue", "fatigue"),
        choices=[(str(n), str(n)) for n in range(11)],
        coerce=int,
        validators=[InputRequired("Choose a number from 0 to 10.")],
    )
    context = SelectField(
        label_of("fatigue", "context"), choices=list(FATIGUE_CONTEXTS.items()), default=""
    )

    def entry_fields(self) -> dict[str, Any]:
        values = super().entry_fields()
        values["context"] = values["context"] or None
        return values


class MobilityForm(EntryForm):
    """Walking and mobility-aid use."""

    kind = "mobility"
    aid = SelectField(
        label_of("mobility", "aid"),
        choices=list(AIDS.items()),
        validators=[InputRequired("Choose an aid.")],
    )
    setting = RadioField(
        label_of("mobility", "setting"),
        choices=list(SETTINGS.items()),
        default="indoors",
        validators=[InputRequired("Choose indoors or outdoors.")],
    )
    distance_m = whole_number(label_of("mobility", "distance_m"), LIMITS["distance_m"])
    minutes = whole_number(label_of("mobility", "minutes"), LIMITS["minutes"])
    falls = whole_number(label_of("mobility", "falls"), LIMITS["falls"])
    near_falls = whole_number(label_of("mobility", "near_falls"), LIMITS["near_falls"])

    def entry_fields(self) -> dict[str, Any]:
        values = super().entry_fields()
        values["falls"] = values["falls"] or 0
        values["near_falls"] = values["near_falls"] or 0
        return values


class BadDayForm(EntryForm):
    """A bad day or a relapse."""

    kind = "bad_day"
    reason = RadioField(
        label_of("bad_day", "reason"),
        choices=list(BAD_DAY_REASONS.items()),
        validators=[InputRequired("Choose a reason.")],
    )


def walk_seconds(_form: FlaskForm, field: Field) -> None:
    """More than 0 once kept to a tenth (0.04 s would be kept as 0), at most ten minutes."""
    value = field.data
    # "NaN" and "Infinity" parse as decimals, and NaN cannot be compared.
    if value is None or not value.is_finite() or not 0 < round(value, 1) <= WALK_SECONDS_MAX:
        raise ValidationError(WALK_SECONDS_MESSAGE)


def walk_trial(name: str, required: str, label: str | None = None) -> DecimalField:
    """Seconds for one walk, to a tenth, typed or filled in by its stopwatch."""
    return DecimalField(
        label or WALK_TRIAL_LABELS[name],
        places=1,
        validators=[InputRequired(required) if required else Optional(), walk_seconds],
        # step "any": 8.43 is kept as 8.4, as the server rounds, not refused by the browser.
        render_kw={"inputmode": "decimal", "step": "any"},
    )


class WalkTestForm(EntryForm):
    """A self-timed 7.6 m walk: two trials, the aid used, indoors or outdoors."""

    kind = "walk_test"
    trial_1_seconds = walk_trial("trial_1_seconds", WALK_TRIAL_MESSAGES["trial_1_seconds"])
    trial_2_seconds = walk_trial("trial_2_seconds", WALK_TRIAL_MESSAGES["trial_2_seconds"])
    aid = SelectField(
        label_of("walk_test", "aid"),
        choices=list(AIDS.items()),
        validators=[InputRequired("Choose an aid.")],
    )
    setting = RadioField(
        label_of("walk_test", "setting"),
        choices=list(SETTINGS.items()),
        default="indoors",
        validators=[InputRequired("Choose indoors or outdoors.")],
    )


def plain_field(spec: FieldSpec) -> Field:
    """A form field for a declared entry field that no form writes by hand."""
    if spec.type == "seconds":
        return walk_trial(spec.name, spec.required or "", label=spec.label)
    if spec.type == "choice":
        required = [InputRequired(spec.required)] if spec.required else [Optional()]
        blank = [] if spec.required else [("", "None chosen")]
        return SelectField(
            spec.label, choices=[*blank, *spec.choices.items()], default="", validators=required
        )
    if spec.type == "text":
        return StringField(
            spec.label,
            filters=[strip],
            validators=[Optional(), Length(max=spec.limit), no_control_chars],
        )
    return whole_number(spec.label, spec.limit or 0, required=spec.required is not None)


def declared(form: type[EntryForm]) -> type[EntryForm]:
    """Give a kind's form the columns of its declaration, and a plain field for each declared
    field the class does not write by hand."""
    spec = KINDS[form.kind]
    form.columns = tuple(f.name for f in spec.fields if f.type != "reference")
    extras = []
    for f in spec.fields:
        if f.type != "reference" and not hasattr(form, f.name):
            setattr(form, f.name, plain_field(f))
            extras.append(f.name)
    form.extras = tuple(extras)
    return form


ENTRY_FORMS: dict[str, type[EntryForm]] = {
    f.kind: declared(f) for f in (ExerciseForm, FatigueForm, MobilityForm, BadDayForm, WalkTestForm)
}
