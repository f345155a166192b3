"""Pure functions from sample frames to the daily biomarker table, and the biomarker registry."""

from bedside.biomarkers.activity import ACTIVITY_IDS, DEFAULT_MIN_COVERAGE, daily_activity
from bedside.biomarkers.activity_bouts import (
    ACTIVITY_BOUT_IDS,
    daily_activity_bouts,
    day_scored_sleep,
    sleep_period_mask,
)
from bedside.biomarkers.cardiac_daily import daily_cardiac
from bedside.biomarkers.cardiac_specs import CARDIAC_IDS, CARDIAC_SPECS
from bedside.biomarkers.circadian import (
    CIRCADIAN_IDS,
    DEFAULT_THRESHOLD,
    NonparametricMeasures,
    nonparametric_measures,
    rolling_nonparametric,
)
from bedside.biomarkers.cosinor import COSINOR_IDS, rolling_cosinor
from bedside.biomarkers.daily_table import ACTIGRAPHY_IDS, extract_daily
from bedside.biomarkers.epochs import MinuteGrid, daily_coverage, minute_grid
from bedside.biomarkers.glucose_daily import daily_glucose
from bedside.biomarkers.glucose_specs import GLUCOSE_IDS, GLUCOSE_SPECS
from bedside.biomarkers.merge import merge_daily_tables
from bedside.biomarkers.multimodal import (
    MODALITY_EXTRACTORS,
    extract_multimodal_daily,
    fill_sleep_from_records,
)
from bedside.biomarkers.registry import REGISTRY, get_spec, specs_for
from bedside.biomarkers.sleep import SLEEP_IDS, cole_kripke, main_sleep_periods, webster_rescore
from bedside.biomarkers.sleep_records import SLEEP_RECORD_IDS, extract_sleep_records_daily
from bedside.biomarkers.sleep_regularity import sleep_regularity_index, social_jetlag
from bedside.biomarkers.steps import STEP_IDS, extract_steps_daily
from bedside.biomarkers.table_csv import read_daily_csv, write_daily_csv

__all__ = [
    "ACTIGRAPHY_IDS",
    "ACTIVITY_BOUT_IDS",
    "ACTIVITY_IDS",
    "CARDIAC_IDS",
    "CARDIAC_SPECS",
    "CIRCADIAN_IDS",
    "COSINOR_IDS",
    "DEFAULT_MIN_COVERAGE",
    "DEFAULT_THRESHOLD",
    "GLUCOSE_IDS",
    "GLUCOSE_SPECS",
    "MODALITY_EXTRACTORS",
    "REGISTRY",
    "SLEEP_IDS",
    "SLEEP_RECORD_IDS",
    "STEP_IDS",
    "MinuteGrid",
    "NonparametricMeasures",
    "cole_kripke",
    "daily_activity",
    "daily_activity_bouts",
    "daily_cardiac",
    "daily_coverage",
    "daily_glucose",
    "day_scored_sleep",
    "extract_daily",
    "extract_multimodal_daily",
    "extract_sleep_records_daily",
    "extract_steps_daily",
    "fill_sleep_from_records",
    "get_spec",
    "main_sleep_periods",
    "merge_daily_tables",
    "minute_grid",
    "nonparametric_measures",
    "read_daily_csv",
    "rolling_cosinor",
    "rolling_nonparametric",
    "sleep_period_mask",
    "sleep_regularity_index",
    "social_jetlag",
    "specs_for",
    "webster_rescore",
    "write_daily_csv",
]
