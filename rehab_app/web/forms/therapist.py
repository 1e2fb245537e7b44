"""Forms for therapists: prescribing and changing programme items, appointment notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wtforms import (
    DateField,
    Field,
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

from rehab_app.core.notes import TEXT_MAX as NOTE_TEXT_MAX
from rehab_app.core.vocab import (
    DISCIPLINES,
    NAME_MAX,
    NOTE_MAX,
)

from .entries import DoseFields
from .fields import BaseForm, SentOnce, no_control_chars, strip, whole_number


class ProgrammeEditForm(BaseForm, DoseFields):
    """A therapist changes a programme item's dose, days, dates and note."""

    days_per_week = whole_number("Days a week", 7, required=True, low=1)
    start_date = DateField("Start", validators=[InputRequired("Enter a start date.")])
    end_date = DateField("End (optional)", validators=[Optional()])
    note = TextAreaField(
        "Note for the patient (optional)",
        filters=[strip],
        validators=[Optional(), Length(max=NOTE_MAX), no_control_chars],
    )

    def validate_end_date(self, field: Field) -> None:
        """The end comes after the start."""
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError("The end date must be on or after the start date.")

    def validate_start_date(self, field: Field) -> None:
        """Within a sensible range."""
        if field.data and not (datetime(2000, 1, 1).date() <= field.data):
            raise ValidationError("Enter a start date after the year 2000.")
        if field.data and field.data.year > datetime.now().year + 5:
            raise ValidationError("Enter a start date within the next five years.")


class ProgrammeItemForm(ProgrammeEditForm, SentOnce):
    """A therapist prescribes an exercise with a target dose."""

    exercise_id = SelectField("Exercise from the catalogue", coerce=str, default="")
    custom_name = StringField(
        "Or a custom exercise",
        filters=[strip],
        # No Optional(): it would stop validate_custom_name, which needs to see an empty name.
        validators=[Length(max=NAME_MAX), no_control_chars],
    )
    discipline = SelectField(
        "Therapy (for a custom exercise)", choices=list(DISCIPLINES.items()), default="physio"
    )

    def __init__(self, *args: Any, exercises: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exercises = {str(e.id): e for e in exercises or []}
        self.exercise_id.choices = [("", "None: use the custom exercise below")] + [
            (str(e.id), f"{e.name} ({DISCIPLINES[e.discipline]})") for e in exercises or []
        ]

    def validate_custom_name(self, field: Field) -> None:
        """Either a catalogue exercise or a custom name."""
        if not self.exercise_id.data and not field.data:
            raise ValidationError("Choose a catalogue exercise or name a custom one.")


class AppointmentNoteForm(BaseForm, SentOnce):
    """A therapist's note of an appointment, for the person to read in their app."""

    seen_on = DateField("Day of the appointment", validators=[InputRequired("Enter the day.")])
    text = TextAreaField(
        "Note for them to read",
        filters=[strip],
        validators=[
            InputRequired("Write the note."),
            Length(max=NOTE_TEXT_MAX, message=f"At most {NOTE_TEXT_MAX} characters."),
            no_control_chars,
        ],
        description="What you agreed, in words they will recognise. Only they and you see it.",
    )
