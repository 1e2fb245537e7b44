"""Forms for signing up, logging in, passwords, and the account's links and actions."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
)

from rehab_app.core.passwords import (
    MAX_LENGTH,
)
from rehab_app.core.timeutil import timezone_names

from .fields import (
    BaseForm,
    email_field,
    new_password_fields,
    no_control_chars,
    strip,
    visible_name,
)


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
