"""Forms: every field validated, every message shown next to its field.

The package by audience: `fields` (shared), `auth` (accounts), `entries` (patients),
`therapist` (programmes), `clinic` (clinics and teams) and `reminders`. Every form is
importable from `rehab_app.web.forms`.
"""

from __future__ import annotations

from .auth import ActionForm as ActionForm
from .auth import ChangePasswordForm as ChangePasswordForm
from .auth import ConfirmLinkForm as ConfirmLinkForm
from .auth import ConfirmPasswordForm as ConfirmPasswordForm
from .auth import ForgotPasswordForm as ForgotPasswordForm
from .auth import LinkForm as LinkForm
from .auth import LoginForm as LoginForm
from .auth import ResetPasswordForm as ResetPasswordForm
from .auth import SignupForm as SignupForm
from .clinic import JoinClinicForm as JoinClinicForm
from .clinic import TeamForm as TeamForm
from .clinic import TeamMemberForm as TeamMemberForm
from .clinic import TemplateSaveForm as TemplateSaveForm
from .clinic import TemplateStartForm as TemplateStartForm
from .clinic import template_save_form as template_save_form
from .clinic import template_start_form as template_start_form
from .entries import ENTRY_FORMS as ENTRY_FORMS
from .entries import BadDayForm as BadDayForm
from .entries import DoseFields as DoseFields
from .entries import EntryForm as EntryForm
from .entries import ExerciseForm as ExerciseForm
from .entries import FatigueForm as FatigueForm
from .entries import MobilityForm as MobilityForm
from .entries import WalkTestForm as WalkTestForm
from .entries import exercise_groups as exercise_groups
from .entries import walk_seconds as walk_seconds
from .entries import walk_trial as walk_trial
from .fields import CHOICE_ERRORS as CHOICE_ERRORS
from .fields import NOT_A_RATING as NOT_A_RATING
from .fields import BaseForm as BaseForm
from .fields import ScaleField as ScaleField
from .fields import email_address as email_address
from .fields import email_field as email_field
from .fields import new_password as new_password
from .fields import new_password_fields as new_password_fields
from .fields import no_control_chars as no_control_chars
from .fields import posted_id as posted_id
from .fields import scale_field as scale_field
from .fields import strip as strip
from .fields import visible_name as visible_name
from .fields import whole_number as whole_number
from .reminders import DAY_CHOICES as DAY_CHOICES
from .reminders import TIME_MESSAGE as TIME_MESSAGE
from .reminders import ReminderForm as ReminderForm
from .reminders import days_field as days_field
from .reminders import time_field as time_field
from .therapist import AppointmentNoteForm as AppointmentNoteForm
from .therapist import ProgrammeEditForm as ProgrammeEditForm
from .therapist import ProgrammeItemForm as ProgrammeItemForm
