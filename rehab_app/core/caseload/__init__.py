"""A therapist's caseload at a glance: one summary row per linked patient (no Flask here).

Every number comes from a handful of queries whatever the caseload's size (`load_caseload`):
the linked patients, their live entries over the last 13 months, their programme items and
when they last synced. The rest is plain Python over those rows (`summarise`), which the
tests call directly.

The package: `rows` (a row, its flags and thresholds, as stored JSON, as shown), `load`
(linked patients and their stored summaries), `summary` (a log into a row), `table` (sorting
and words), `markup` (a row's cells, rendered when its summary is stored), `stored` (a
summary's row as shown, stored with it) and `shown` (the caseload's rows as the page shows
them). Every public name is importable from `rehab_app.core.caseload`.
"""

from __future__ import annotations

from .load import REFRESH_BATCH as REFRESH_BATCH
from .load import clean_query as clean_query
from .load import compute_summaries as compute_summaries
from .load import last_activity as last_activity
from .load import linked_patients as linked_patients
from .load import load_caseload as load_caseload
from .load import refresh_summaries as refresh_summaries
from .load import store_summaries as store_summaries
from .load import with_activity as with_activity
from .markup import table_body as table_body
from .rows import ADHERENCE_DROP as ADHERENCE_DROP
from .rows import AID_CHANGE_DAYS as AID_CHANGE_DAYS
from .rows import AID_DAYS as AID_DAYS
from .rows import FALLS_DAYS as FALLS_DAYS
from .rows import FATIGUE_BEFORE_DAYS as FATIGUE_BEFORE_DAYS
from .rows import FATIGUE_DAYS as FATIGUE_DAYS
from .rows import FATIGUE_RISE as FATIGUE_RISE
from .rows import HISTORY_DAYS as HISTORY_DAYS
from .rows import LOW_ADHERENCE as LOW_ADHERENCE
from .rows import MIN_FATIGUE_DAYS as MIN_FATIGUE_DAYS
from .rows import MIN_PLANNED as MIN_PLANNED
from .rows import NEAR_FALLS as NEAR_FALLS
from .rows import QUERY_MAX as QUERY_MAX
from .rows import SILENT_DAYS as SILENT_DAYS
from .rows import SUMMARY_VERSION as SUMMARY_VERSION
from .rows import AidChange as AidChange
from .rows import Aids as Aids
from .rows import CaseloadRow as CaseloadRow
from .rows import Flag as Flag
from .rows import ShownRow as ShownRow
from .rows import summary_from_json as summary_from_json
from .rows import summary_to_json as summary_to_json
from .shown import caseload_rows as caseload_rows
from .shown import not_looked_at_today as not_looked_at_today
from .summary import aid_history as aid_history
from .summary import main_aid as main_aid
from .summary import short_date as short_date
from .summary import summarise as summarise
from .table import COLUMNS as COLUMNS
from .table import DEFAULT_SORT as DEFAULT_SORT
from .table import FIRST_DIRECTION as FIRST_DIRECTION
from .table import SHOWN_FLAGS as SHOWN_FLAGS
from .table import SHOWN_IN as SHOWN_IN
from .table import SORT_KEYS as SORT_KEYS
from .table import TABLE_COLUMNS as TABLE_COLUMNS
from .table import TABLE_LABELS as TABLE_LABELS
from .table import Column as Column
from .table import adherence_detail as adherence_detail
from .table import falls_text as falls_text
from .table import fatigue_change_text as fatigue_change_text
from .table import last_activity_text as last_activity_text
from .table import parse_sort as parse_sort
from .table import percent_text as percent_text
from .table import sort_rows as sort_rows
