"""The data model: people, care links, the exercise catalogue, programmes and entries.

The package: `people` (users, link codes, care links, ids and times), `log` (the catalogue,
programme items and entries), `clinics` (clinics, their members and teams, a patient's
consent for a team, the programme templates a team shares), `notes` (a therapist's notes of
appointments), `logins` (attempts, sessions, email tokens, passkeys, forms already acted
on), `changes` (sync clients, outcomes and the change feed), `reminders` (settings, sends,
push subscriptions, calendar feeds) and `records` (the append-only access record, stored
caseload summaries). Every model is importable from `rehab_app.models`.
"""

from __future__ import annotations

from .changes import SYNCED_MODELS as SYNCED_MODELS
from .changes import ChangeCounter as ChangeCounter
from .changes import SyncClient as SyncClient
from .changes import SyncOutcome as SyncOutcome
from .changes import next_change_seqs as next_change_seqs
from .changes import stamp_changes as stamp_changes
from .clinics import Clinic as Clinic
from .clinics import ClinicMember as ClinicMember
from .clinics import ProgrammeTemplate as ProgrammeTemplate
from .clinics import Team as Team
from .clinics import TeamLink as TeamLink
from .clinics import TeamMember as TeamMember
from .clinics import TemplateItem as TemplateItem
from .log import DOSE_COLUMNS as DOSE_COLUMNS
from .log import ENTRY_CLASSES as ENTRY_CLASSES
from .log import BadDay as BadDay
from .log import Entry as Entry
from .log import Exercise as Exercise
from .log import ExerciseSession as ExerciseSession
from .log import FatigueRating as FatigueRating
from .log import MobilityUse as MobilityUse
from .log import ProgrammeItem as ProgrammeItem
from .log import WalkTest as WalkTest
from .log import walk_score as walk_score
from .logins import EmailToken as EmailToken
from .logins import LoginAttempt as LoginAttempt
from .logins import Passkey as Passkey
from .logins import SentForm as SentForm
from .logins import UserSession as UserSession
from .notes import AppointmentNote as AppointmentNote
from .people import MAX_ID as MAX_ID
from .people import NEVER_REUSE_IDS as NEVER_REUSE_IDS
from .people import CareLink as CareLink
from .people import LinkCode as LinkCode
from .people import User as User
from .people import new_id as new_id
from .people import utcnow as utcnow
from .records import AccessEvent as AccessEvent
from .records import AppendOnlyError as AppendOnlyError
from .records import CaseloadSummary as CaseloadSummary
from .records import refuse_access_event_changes as refuse_access_event_changes
from .records import refuse_bulk_access_event_changes as refuse_bulk_access_event_changes
from .reminders import CalendarFeed as CalendarFeed
from .reminders import PushSubscription as PushSubscription
from .reminders import ReminderSend as ReminderSend
from .reminders import ReminderSettings as ReminderSettings
