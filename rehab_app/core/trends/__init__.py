"""Slow-change signals: trends in a person's own log, shown as "worth reviewing".

Pure Python and Flask-free. For each measure and for the last 12 and 6 months, the daily values
of the window and of up to two years before it are fitted by least squares with a level for each
stretch between recorded relapses, a weekday rhythm and a hinge: flat before the window, a
straight line within it. The slope is tested one-sided, the worse way, with a variance that
allows for day-to-day correlation (AR(1) plus white noise). The 30 days after each relapse are
left out, and a relapse may shift the level without that counting as a trend: by anything for
most measures (free levels), by about what relapses leave behind for fatigue (levels partially
pooled, the steps' spread in the variance). A signal also needs enough weeks of data and a
sustained change. See docs/trends.md.
It never diagnoses: a signal only says that the numbers are worth a therapist's look.

The package: `model` (limits, windows, the series read and the answers), `series` (each
measure's daily values, relapses nobody logged), `noise` (AR(1) plus white noise), `fit` (the
hinge fit) and `review` (one review of a person). Everything is importable from here.
"""

from __future__ import annotations

from .fit import fit_trend as fit_trend
from .model import BASELINE_DAYS as BASELINE_DAYS
from .model import DAYS_PER_YEAR as DAYS_PER_YEAR
from .model import EFFORT_TOLERANCE as EFFORT_TOLERANCE
from .model import FATIGUE_RELAPSE_STEP as FATIGUE_RELAPSE_STEP
from .model import HEAT_AFTER_DAYS as HEAT_AFTER_DAYS
from .model import HEAT_SPELL_GAP_DAYS as HEAT_SPELL_GAP_DAYS
from .model import HISTORY_DAYS as HISTORY_DAYS
from .model import MAX_COUNT_P as MAX_COUNT_P
from .model import MEASURES as MEASURES
from .model import MIN_BASELINE_WEEKS as MIN_BASELINE_WEEKS
from .model import MIN_RESIDUAL_DF as MIN_RESIDUAL_DF
from .model import MIN_SESSIONS_PER_EXERCISE as MIN_SESSIONS_PER_EXERCISE
from .model import MIN_WEEKS_PER_PART as MIN_WEEKS_PER_PART
from .model import RELAPSE_EXCLUSION_DAYS as RELAPSE_EXCLUSION_DAYS
from .model import SPIKE_BEFORE_DAYS as SPIKE_BEFORE_DAYS
from .model import SPIKE_POINTS as SPIKE_POINTS
from .model import SPIKE_SPREAD as SPIKE_SPREAD
from .model import TRIM as TRIM
from .model import USUAL_DOSE as USUAL_DOSE
from .model import WINDOWS as WINDOWS
from .model import ExerciseSample as ExerciseSample
from .model import Measure as Measure
from .model import PatientSeries as PatientSeries
from .model import RelapseStep as RelapseStep
from .model import Signal as Signal
from .model import TrendFit as TrendFit
from .model import Window as Window
from .model import WindowAssessment as WindowAssessment
from .noise import MAX_LAG1_CORRELATION as MAX_LAG1_CORRELATION
from .noise import MAX_PHI as MAX_PHI
from .noise import NOISE_MAX_LAG as NOISE_MAX_LAG
from .noise import NoiseModel as NoiseModel
from .noise import ar1_sum as ar1_sum
from .noise import autocovariances as autocovariances
from .noise import lag1_correlation as lag1_correlation
from .noise import noise_model as noise_model
from .review import assess_window as assess_window
from .review import count_rise_p_value as count_rise_p_value
from .review import holm as holm
from .review import review as review
from .series import capacity_at_similar_effort as capacity_at_similar_effort
from .series import daily_values as daily_values
from .series import effort_at_usual_dose as effort_at_usual_dose
from .series import excluded_days as excluded_days
from .series import heat_or_infection_spells as heat_or_infection_spells
from .series import possible_unlogged_relapses as possible_unlogged_relapses
from .series import repeated_exercises as repeated_exercises
from .series import trimmed_mean as trimmed_mean
from .series import unlogged_relapses as unlogged_relapses
