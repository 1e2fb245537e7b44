"""What every form shares: field makers, validators and the base form."""

from __future__ import annotations

import uuid
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import (
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

from rehab_app.core.passwords import (
    LENGTH_MESSAGE,
    MAX_LENGTH,
    MIN_LENGTH,
    WeakPassword,
    check_password,
)
from rehab_app.core.validation import (
    CONTROL_CHARS_MESSAGE,
    has_control_chars,
    name_error,
)
from rehab_app.core.vocab import (
    LIMITS,
    WALK_SECONDS_MESSAGE,
)
from rehab_app.models import MAX_ID

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
    """A new password the policy accepts for the form's email (see rehab_app/core/passwords.py)."""
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


def posted_id(raw: str | None) -> int | None:
    """A row id sent in a form, or None when it cannot name a row (what URLs get from the
    `int` converter): ASCII digits only (isdigit() alone lets "²" through, which int()
    refuses, and int() alone takes " 12", "+12" and "1_2"), from 1 to the largest id."""
    if not raw or not raw.isascii() or not raw.isdigit():
        return None
    number = int(raw)
    return number if 0 < number <= MAX_ID else None


class SentOnce:
    """A form acted on once (core/sent_forms.py): drawn with a key of its own, which a form sent
    again (a lost answer, a reload that posts it again) brings back. The view asks
    `sent_forms.first_time(...)` before acting; the template draws `form.sent_key`."""

    sent_key = HiddenField(default=lambda: str(uuid.uuid4()))
