"""Forms for clinics: a therapist asks to join, an admin names a team and fills it."""

from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from rehab_app.core.clinics import NAME_LENGTH

from .fields import BaseForm, no_control_chars, strip, visible_name


class JoinClinicForm(BaseForm):
    """A therapist types the code their clinic's admin gave them."""

    code = StringField(
        "Clinic code",
        filters=[strip],
        validators=[DataRequired("Enter your clinic's code."), Length(max=20), no_control_chars],
        render_kw={"autocomplete": "off", "autocapitalize": "characters"},
    )


class TeamForm(BaseForm):
    """An admin names a new team."""

    name = StringField(
        "Team name",
        filters=[strip],
        validators=[
            DataRequired("Give the team a name."),
            Length(max=NAME_LENGTH, message=f"At most {NAME_LENGTH} characters."),
            no_control_chars,
            visible_name,
        ],
        description="For example: Neuro rehab, or MS early support",
    )


class TeamMemberForm(BaseForm):
    """An admin puts one of the clinic's therapists in a team."""

    user_id = SelectField(
        "Therapist", coerce=int, validators=[InputRequired("Choose a therapist.")]
    )
