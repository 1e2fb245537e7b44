"""Forms: every field validated, every message shown next to its field."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    Field,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .passwords import LENGTH_MESSAGE, MAX_LENGTH, MIN_LENGTH, WeakPassword, check_password
from .timeutil import local_now, timezone_names
from .validation import CONTROL_CHARS_MESSAGE, has_control_chars, name_error, time_window_error
from .vocab import (
    AIDS,
    BAD_DAY_REASONS,
    DISCIPLINES,
    DOSE_FIELDS,
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

# WTForms' messages for a choice that is not offered, or that cannot be coerced (words for 0-10).
CHOICE_ERRORS = ("Not a valid choice.", "Invalid Choice: could not coerce.")


def no_control_chars(_form: FlaskForm, field: Field) -> None:
    """Refuse invisible control characters (PostgreSQL cannot store NUL, people never mean them)."""
    if has_control_chars(field.data):
        raise ValidationError(CONTROL_CHARS_MESSAGE)


def visible_name(_form: FlaskForm, field: Field) -> None:
    """A display name that shows what it is: no hidden, reversing or control characters."""
    error = name_error(field.data or "")
    if error:
        raise ValidationError(error)


def email_address(_form: FlaskForm, field: Field) -> None:
    """A well-formed email address (its domain is not looked up: we send no email yet)."""
    try:
        # test_environment admits the reserved .test domain, which our demo accounts use.
        validate_email(field.data or "", check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise ValidationError("Enter an email address like name@example.com.") from None


def new_password(form: FlaskForm, field: Field) -> None:
    """A new password the policy accepts for the form's email (see rehab_app/passwords.py)."""
    email = getattr(form, "policy_email", "")
    if not email and hasattr(form, "email"):
        email = form.email.data or ""
    try:
        check_password(field.data or "", email)
    except WeakPassword as weak:
        raise ValidationError(str(weak)) from None


def new_password_fields(label: str = "New password") -> tuple[PasswordField, PasswordField]:
    """A new password and its repetition, as sign-up, change and reset ask for them."""
    password = PasswordField(
        label,
        validators=[
            DataRequired("Choose a password."),
            Length(MIN_LENGTH, MAX_LENGTH, LENGTH_MESSAGE),
            new_password,
        ],
        render_kw={"autocomplete": "new-password"},
        description=f"At least {MIN_LENGTH} characters. A few words in a row is easy to remember.",
    )
    confirm = PasswordField(
        f"{label} again",
        validators=[
            DataRequired("Type the password again."),
            EqualTo("password", "The two passwords are not the same."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


def email_field() -> EmailField:
    """An email address someone gives as theirs (sign-up, asking for a reset link)."""
    return EmailField(
        "Email",
        filters=[strip],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254),
            email_address,
            no_control_chars,
        ],
        render_kw={"autocomplete": "email"},
    )


def strip(value: Any) -> Any:
    """Trim surrounding white space of text input."""
    return value.strip() if isinstance(value, str) else value


def whole_number(label: str, high: int, required: bool = False, low: int = 0) -> IntegerField:
    """An integer field with a plain message for each way it can be wrong."""
    return IntegerField(
        label,
        validators=[
            InputRequired(f"Enter {label.lower()}.") if required else Optional(),
            NumberRange(low, high, f"Enter a whole number from {low} to {high}."),
        ],
        render_kw={"inputmode": "numeric", "min": low, "max": high},
    )


def _rating(value: Any) -> int | None:
    """A rating as posted: nothing chosen is None; anything else must be a whole number."""
    if value is None or value == "":
        return None
    return int(value)


# WTForms' words for a radio value that is not a number, replaced by plain ones (BaseForm).
NOT_A_RATING = "Invalid Choice: could not coerce."


class ScaleField(RadioField):
    """A 0-10 rating as a row of numbers to tap, with "Skip" first: a tap can be taken back."""


def scale_field(label: str) -> ScaleField:
    """An optional 0-10 rating (effort, pain), tapped rather than typed."""
    high = LIMITS["scale"]
    return ScaleField(
        label,
        choices=[("", "Skip"), *((str(n), str(n)) for n in range(high + 1))],
        coerce=_rating,
        validate_choice=False,
        validators=[Optional(), NumberRange(0, high, f"Enter a whole number from 0 to {high}.")],
    )


class BaseForm(FlaskForm):
    """A form whose integer fields speak plainly when given words."""

    def validate(self, extra_validators: Any = None) -> bool:
        """Validate, replacing WTForms' technical parse messages."""
        ok = super().validate(extra_validators)
        for field in self:
            if isinstance(field, ScaleField) and NOT_A_RATING in field.errors:
                field.errors = ["Enter a whole number, like 5."]
            elif isinstance(field, IntegerField):
                field.errors = [
                    "Enter a whole number, like 5." if e == "Not a valid integer value." else e
                    for e in field.errors
                ]
            elif isinstance(field, DecimalField):
                field.errors = [
                    WALK_SECONDS_MESSAGE if e == "Not a valid decimal value." else e
                    for e in field.errors
                ]
            elif isinstance(field, DateTimeLocalField):
                field.errors = [
                    "Enter a date and time." if "datetime" in e.lower() else e for e in field.errors
                ]
            elif isinstance(field, DateField):
                field.errors = [
                    "Enter a date." if "date value" in e.lower() else e for e in field.errors
                ]
            elif isinstance(field, SelectField | RadioField):
                field.errors = [
                    "Choose one of the options." if e in CHOICE_ERRORS else e for e in field.errors
                ]
        return ok and not any(f.errors for f in self)


# ----------------------------------------------------------------------------- accounts


class SignupForm(BaseForm):
    """Create an account."""

    display_name = StringField(
        "Your name",
        filters=[strip],
        validators=[DataRequired("Enter your name."), Length(max=80), visible_name],
        render_kw={"autocomplete": "name"},
    )
    email = email_field()
    password, confirm = new_password_fields("Password")
    role = RadioField(
        "I am",
        choices=[
            ("patient", "Someone logging my own rehab"),
            ("therapist", "A therapist (physio, OT or speech and language)"),
        ],
        default="patient",
        validators=[InputRequired("Choose one.")],
    )
    timezone = SelectField(
        "Time zone",
        default="Europe/London",
        validators=[InputRequired("Choose your time zone.")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = [(n, n.replace("_", " ")) for n in timezone_names()]


class LoginForm(BaseForm):
    """Log in."""

    email = EmailField(
        "Email",
        filters=[strip],
        validators=[DataRequired("Enter your email address."), Length(max=254), no_control_chars],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField("Keep me logged in on this device (not on a shared one)")


class ConfirmPasswordForm(BaseForm):
    """Confirm a serious action with the account's password."""

    password = PasswordField(
        "Your password",
        validators=[DataRequired("Enter your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(BaseForm):
    """Change one's password: the current one, then the new one twice."""

    current = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy_email = email


class ForgotPasswordForm(BaseForm):
    """Ask for a password reset link."""

    email = email_field()


class ResetPasswordForm(BaseForm):
    """Choose a new password through a reset link."""

    password, confirm = new_password_fields()

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.policy_email = email


class ActionForm(FlaskForm):
    """A button-only form: CSRF protection and nothing else."""


class LinkForm(BaseForm):
    """A patient enters a therapist's code to link them."""

    code = StringField(
        "Code from your therapist",
        filters=[strip],
        validators=[DataRequired("Enter the code."), Length(max=20), no_control_chars],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )


class ConfirmLinkForm(BaseForm):
    """A patient confirms the therapist a code names: the code comes back, hidden."""

    code = HiddenField(
        validators=[DataRequired("Enter the code."), Length(max=20), no_control_chars],
        filters=[strip],
    )


# ----------------------------------------------------------------------------- entries


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

    # Names of the entry columns the form sets, besides occurred_at, by_carer and note.
    columns: tuple[str, ...] = ()

    def entry_fields(self) -> dict[str, Any]:
        """The validated values, keyed by entry column."""
        values = {c: getattr(self, c).data for c in self.columns}
        values["by_carer"] = bool(self.by_carer.data)
        values["note"] = self.note.data or None
        return values


OWN_THERAPY_MESSAGE = "Choose the kind of therapy for your own exercise."


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


class ExerciseForm(EntryForm, DoseFields):
    """An exercise session."""

    kind = "exercise"
    # Not required on its own: an exercise from the list names its therapy. It narrows the
    # list on the phone, and says the therapy of an exercise of one's own.
    discipline = SelectField(
        "Therapy", choices=[("", "All therapies"), *DISCIPLINES.items()], default=""
    )
    exercise_id = SelectField("Exercise", coerce=str, validate_choice=True, default="")
    name = StringField(
        "Or your own name for it",
        filters=[strip],
        # No Optional(): it would stop validate_name, which needs to see an empty name.
        validators=[Length(max=NAME_MAX), no_control_chars],
    )
    effort = scale_field("How hard it felt (0 = no effort, 10 = the most I could do)")
    pain = scale_field("Pain (0 = none, 10 = the worst I can imagine)")
    programme_item_id = HiddenField()
    columns = ("discipline", "name", *DOSE_FIELDS, "effort", "pain")

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
            raise ValidationError("Choose an exercise above or type its name.")

    def validate_discipline(self, field: Field) -> None:
        """A catalogue exercise belongs to one therapy; one's own exercise needs its therapy."""
        chosen = self.exercises.get(self.exercise_id.data or "")
        if chosen is not None:
            field.data = chosen.discipline
        elif not field.data:
            raise ValidationError(OWN_THERAPY_MESSAGE)

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
        "How tired are you? (0 = not tired at all, 10 = the most tired I have been)",
        choices=[(str(n), str(n)) for n in range(11)],
        coerce=int,
        validators=[InputRequired("Choose a number from 0 to 10.")],
    )
    context = SelectField("Anything behind it?", choices=list(FATIGUE_CONTEXTS.items()), default="")
    columns = ("fatigue", "context")

    def entry_fields(self) -> dict[str, Any]:
        values = super().entry_fields()
        values["context"] = values["context"] or None
        return values


class MobilityForm(EntryForm):
    """Walking and mobility-aid use."""

    kind = "mobility"
    aid = SelectField(
        "Walking aid", choices=list(AIDS.items()), validators=[InputRequired("Choose an aid.")]
    )
    setting = RadioField(
        "Where",
        choices=list(SETTINGS.items()),
        default="indoors",
        validators=[InputRequired("Choose indoors or outdoors.")],
    )
    distance_m = whole_number("How far (metres)", LIMITS["distance_m"])
    minutes = whole_number("How long (minutes)", LIMITS["minutes"])
    falls = whole_number("Falls (came to rest on the ground or floor)", LIMITS["falls"])
    near_falls = whole_number("Near-falls (nearly fell but caught yourself)", LIMITS["near_falls"])
    columns = ("aid", "setting", "distance_m", "minutes", "falls", "near_falls")

    def entry_fields(self) -> dict[str, Any]:
        values = super().entry_fields()
        values["falls"] = values["falls"] or 0
        values["near_falls"] = values["near_falls"] or 0
        return values


class BadDayForm(EntryForm):
    """A bad day or a relapse."""

    kind = "bad_day"
    reason = RadioField(
        "Why was today harder?",
        choices=list(BAD_DAY_REASONS.items()),
        validators=[InputRequired("Choose a reason.")],
    )
    columns = ("reason",)


def walk_seconds(_form: FlaskForm, field: Field) -> None:
    """More than 0 once kept to a tenth (0.04 s would be kept as 0), at most ten minutes."""
    value = field.data
    # "NaN" and "Infinity" parse as decimals, and NaN cannot be compared.
    if value is None or not value.is_finite() or not 0 < round(value, 1) <= WALK_SECONDS_MAX:
        raise ValidationError(WALK_SECONDS_MESSAGE)


def walk_trial(name: str, required: str) -> DecimalField:
    """Seconds for one walk, to a tenth, typed or filled in by its stopwatch."""
    return DecimalField(
        WALK_TRIAL_LABELS[name],
        places=1,
        validators=[
            InputRequired(required),
            walk_seconds,
        ],
        # step "any": 8.43 is kept as 8.4, as the server rounds, not refused by the browser.
        render_kw={"inputmode": "decimal", "step": "any"},
    )


class WalkTestForm(EntryForm):
    """A self-timed 7.6 m walk: two trials, the aid used, indoors or outdoors."""

    kind = "walk_test"
    trial_1_seconds = walk_trial("trial_1_seconds", "Time the first walk, or type its seconds.")
    trial_2_seconds = walk_trial("trial_2_seconds", "Time the second walk, or type its seconds.")
    aid = SelectField(
        "Walking aid used", choices=list(AIDS.items()), validators=[InputRequired("Choose an aid.")]
    )
    setting = RadioField(
        "Where",
        choices=list(SETTINGS.items()),
        default="indoors",
        validators=[InputRequired("Choose indoors or outdoors.")],
    )
    columns = ("trial_1_seconds", "trial_2_seconds", "aid", "setting")

    def entry_fields(self) -> dict[str, Any]:
        values = super().entry_fields()
        for name in ("trial_1_seconds", "trial_2_seconds"):
            values[name] = round(float(values[name]), 1)
        return values


ENTRY_FORMS: dict[str, type[EntryForm]] = {
    f.kind: f for f in (ExerciseForm, FatigueForm, MobilityForm, BadDayForm, WalkTestForm)
}


# ----------------------------------------------------------------------------- therapists


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


class ProgrammeItemForm(ProgrammeEditForm):
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


# ----------------------------------------------------------------------------- reminders

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
        from .reminders import in_quiet_hours

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
