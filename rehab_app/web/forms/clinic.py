"""Forms for clinics: a therapist asks to join, an admin names a team and fills it, a team's
members save and use programme templates."""

from __future__ import annotations

from collections.abc import Sequence

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from rehab_app.core.clinics import NAME_LENGTH
from rehab_app.core.programme_templates import NAME_LENGTH as TEMPLATE_NAME_LENGTH
from rehab_app.models import ProgrammeTemplate, Team

from .fields import BaseForm, no_control_chars, strip, visible_name


def shown_name(label: str, length: int, required: str, example: str) -> StringField:
    """A name other people read (a team's, a template's): visible characters only."""
    return StringField(
        label,
        filters=[strip],
        validators=[
            DataRequired(required),
            Length(max=length, message=f"At most {length} characters."),
            no_control_chars,
            visible_name,
        ],
        description=example,
    )


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

    name = shown_name(
        "Team name",
        NAME_LENGTH,
        "Give the team a name.",
        "For example: Neuro rehab, or MS early support",
    )


class TeamMemberForm(BaseForm):
    """An admin puts one of the clinic's therapists in a team."""

    user_id = SelectField(
        "Therapist", coerce=int, validators=[InputRequired("Choose a therapist.")]
    )


class TemplateSaveForm(BaseForm):
    """A therapist saves a patient's current programme as one of their team's templates."""

    team_id = SelectField("Team", coerce=int, validators=[InputRequired("Choose a team.")])
    name = shown_name(
        "Template name",
        TEMPLATE_NAME_LENGTH,
        "Give the template a name.",
        "For example: MS balance, early",
    )


class TemplateStartForm(BaseForm):
    """A therapist starts a patient's programme from one of their teams' templates."""

    template_id = SelectField(
        "Template", coerce=int, validators=[InputRequired("Choose a template.")]
    )


def template_save_form(teams: Sequence[Team], formdata: bool = False) -> TemplateSaveForm:
    """The form that saves a programme for one of these teams."""
    form = TemplateSaveForm() if formdata else TemplateSaveForm(formdata=None)
    form.team_id.choices = [(t.id, t.name) for t in teams]
    return form


def template_start_form(
    found: Sequence[ProgrammeTemplate], formdata: bool = False
) -> TemplateStartForm:
    """The form that starts a programme from one of these templates."""
    form = TemplateStartForm() if formdata else TemplateStartForm(formdata=None)
    form.template_id.choices = [
        (t.id, f"{t.team.name}: {t.name} ({len(t.items)} exercises)") for t in found
    ]
    return form
