"""Sensors layer: readers that turn raw files into time-zone-aware sample frames, and the
synthetic cohort generator with ground truth."""

from bedside.sensors.apple_health import read_apple_health
from bedside.sensors.csv_mapping import CsvMapping, read_mapped_csv
from bedside.sensors.depresjon import DEPRESJON_HEADER, read_depresjon, read_depresjon_with_report
from bedside.sensors.depresjon_scores import (
    DepresjonParticipant,
    DepresjonRecording,
    list_depresjon_recordings,
    read_depresjon_scores,
)
from bedside.sensors.dexcom_clarity import read_dexcom_clarity
from bedside.sensors.generic_csv import (
    TIMESTAMP_VALUE_HEADER,
    read_timestamp_value_csv,
    read_timestamp_value_csv_with_report,
)
from bedside.sensors.health_import import HealthImport
from bedside.sensors.import_report import ImportReport
from bedside.sensors.libreview import read_libreview
from bedside.sensors.local_time import LocalCandidates, local_to_utc_candidates
from bedside.sensors.open_mhealth import read_open_mhealth
from bedside.sensors.open_mhealth_writer import (
    daily_data_points,
    read_daily_data_points,
    write_daily_data_points,
)
from bedside.sensors.read_report import ReadReport
from bedside.sensors.synthetic import (
    generate_cohort,
    generate_patient,
    iter_cohort,
    phq9_respondent,
    synthetic_patient_id,
)
from bedside.sensors.synthetic_cardiac import SyntheticCardiac, synthetic_cardiac
from bedside.sensors.synthetic_clinical import Phq9Respondent
from bedside.sensors.synthetic_config import CohortConfig
from bedside.sensors.synthetic_glucose import synthetic_glucose
from bedside.sensors.synthetic_types import (
    EpisodeTruth,
    GapTruth,
    SyntheticCohort,
    SyntheticPatient,
    episode_risk_labels,
    in_episode_days,
    label_days,
)

__all__ = [
    "DEPRESJON_HEADER",
    "TIMESTAMP_VALUE_HEADER",
    "CohortConfig",
    "CsvMapping",
    "DepresjonParticipant",
    "DepresjonRecording",
    "EpisodeTruth",
    "GapTruth",
    "HealthImport",
    "ImportReport",
    "LocalCandidates",
    "Phq9Respondent",
    "ReadReport",
    "SyntheticCardiac",
    "SyntheticCohort",
    "SyntheticPatient",
    "daily_data_points",
    "episode_risk_labels",
    "generate_cohort",
    "generate_patient",
    "in_episode_days",
    "iter_cohort",
    "label_days",
    "list_depresjon_recordings",
    "local_to_utc_candidates",
    "phq9_respondent",
    "read_apple_health",
    "read_daily_data_points",
    "read_depresjon",
    "read_depresjon_scores",
    "read_depresjon_with_report",
    "read_dexcom_clarity",
    "read_libreview",
    "read_mapped_csv",
    "read_open_mhealth",
    "read_timestamp_value_csv",
    "read_timestamp_value_csv_with_report",
    "synthetic_cardiac",
    "synthetic_glucose",
    "synthetic_patient_id",
    "write_daily_data_points",
]
