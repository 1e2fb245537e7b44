"""The reminder settings form."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SelectMultipleField,
    TimeField,
)
from wtforms.validators import (
    InputRequired,
    Optional,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .fields import BaseForm

DAY_CHOICES = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]

TIME_MESSAGE = "Enter a time like 09:30."


def time_field(label: str, description: str = "") -> TimeField:
    """A local time of day (HH:MM), optional here: the form says when it is needed."""
    return TimeField(label, validators=[Optional()], description=description, format="%H:%M")


def days_field(label: str) -> SelectMultipleField:
    """Days of the week as a row of checkboxes."""
    return SelectMultipleField(
        label,
        choices=DAY_CHOICES,
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class ReminderForm(BaseForm):
    """What to be reminded of and when, in the person's own time; quiet hours; a pause."""

    paused = BooleanField("Pause all reminders (for a relapse, a holiday or a bad spell)")
    programme_on = BooleanField("Remind me to do my exercises")
    programme_time = time_field("At")
    programme_days = days_field("On these days")
    fatigue_on = BooleanField("Ask me how my fatigue is")
    fatigue_time = time_field("At")
    fatigue_time2 = time_field("And again at (optional)", "Leave empty for once a day.")
    fatigue_days = days_field("On these days")
    walking_on = BooleanField("Ask me once a week how walking went")
    walking_time = time_field("At")
    walking_day = RadioField(
        "On",
        choices=[
            (d, name)
            for d, name in enumerate(
                ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
            )
        ],
        coerce=int,
        validators=[InputRequired("Choose a day.")],
    )
    quiet_from = time_field("Quiet from", "No reminder comes between these times.")
    quiet_until = time_field("Until")
    show_details = BooleanField(
        "Show what a reminder is about on the lock screen (anyone near your phone can read it)"
    )

    def validate(self, extra_validators: Any = None) -> bool:
        """Check each reminder that is on, and the quiet hours, with a message at the field."""
        super().validate(extra_validators)
        for f in (
            self.programme_time,
            self.fatigue_time,
            self.fatigue_time2,
            self.walking_time,
            self.quiet_from,
            self.quiet_until,
        ):
            f.errors = [
                TIME_MESSAGE if "time" in e.lower() and "valid" in e.lower() else e
                for e in f.errors
            ]
        self._needs_time(self.programme_on, self.programme_time)
        self._needs_time(self.fatigue_on, self.fatigue_time)
        self._needs_time(self.walking_on, self.walking_time)
        for on, days in (
            (self.programme_on, self.programme_days),
            (self.fatigue_on, self.fatigue_days),
        ):
            if on.data and not days.data and not days.errors:
                days.errors = ["Choose at least one day."]
        a, b = self.fatigue_time.data, self.fatigue_time2.data
        if a is not None and b is not None and a == b and not self.fatigue_time2.errors:
            self.fatigue_time2.errors = ["Choose a different time, or leave this empty."]
        self._check_quiet()
        return not any(f.errors for f in self)

    @staticmethod
    def _needs_time(on: Field, at: Field) -> None:
        if on.data and at.data is None and not at.errors:
            at.errors = ["Enter the time for this reminder, like 09:30."]

    def _check_quiet(self) -> None:
        start, end = self.quiet_from, self.quiet_until
        if start.errors or end.errors:
            return
        if (start.data is None) != (end.data is None):
            missing = end if end.data is None else start
            missing.errors = ["Enter both times of your quiet hours, or neither."]
            return
        if start.data is None:
            return
        if start.data == end.data:
            end.errors = ["The quiet hours must end at a different time than they start."]
            return
        from rehab_app.core.reminders import in_quiet_hours

        q_from, q_until = start.data.strftime("%H:%M"), end.data.strftime("%H:%M")
        words = f"This time is in your quiet hours ({q_from} to {q_until}): choose another."
        for on, at in (
            (self.programme_on, self.programme_time),
            (self.fatigue_on, self.fatigue_time),
            (self.fatigue_on, self.fatigue_time2),
            (self.walking_on, self.walking_time),
        ):
            if on.data and at.data is not None and not at.errors:
                if in_quiet_hours(at.data.strftime("%H:%M"), q_from, q_until):
                    at.errors = [words]
