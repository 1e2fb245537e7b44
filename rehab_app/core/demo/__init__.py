"""Demo data: a therapist and three linked patients with six months of plausible entries.

No Flask here: the caller passes a session and commits. Everything is drawn from one seeded
random generator, so the same seed and day give the same log.

The package: `people` (who the demo people are and how their days go) and `create` (writing
them to the database). Every public name is importable from `rehab_app.core.demo`.
"""

from __future__ import annotations

from .create import WALK_TEST_EVERY as WALK_TEST_EVERY
from .create import create_demo as create_demo
from .create import demo_logins as demo_logins
from .people import BAD_DAY_NOTES as BAD_DAY_NOTES
from .people import CLINIC_NAME as CLINIC_NAME
from .people import COLLEAGUE_EMAIL as COLLEAGUE_EMAIL
from .people import DAYS as DAYS
from .people import DEMO_EMAILS as DEMO_EMAILS
from .people import DEMO_PASSWORD as DEMO_PASSWORD
from .people import DEMO_TZ as DEMO_TZ
from .people import EXERCISE_NOTES as EXERCISE_NOTES
from .people import FATIGUE_NOTES as FATIGUE_NOTES
from .people import MOBILITY_NOTES as MOBILITY_NOTES
from .people import NEWCOMER_EMAIL as NEWCOMER_EMAIL
from .people import PATIENTS as PATIENTS
from .people import RANDOM_BAD_DAY_REASONS as RANDOM_BAD_DAY_REASONS
from .people import RELAPSE_DAYS_AGO as RELAPSE_DAYS_AGO
from .people import TEAM_NAME as TEAM_NAME
from .people import TEAM_PATIENT as TEAM_PATIENT
from .people import THERAPIST_EMAIL as THERAPIST_EMAIL
from .people import THERAPIST_NAME as THERAPIST_NAME
from .people import DayState as DayState
from .people import PatientSpec as PatientSpec
from .people import Progress as Progress
