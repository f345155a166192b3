"""Sensors layer: readers that turn raw files into time-zone-aware sample frames, and the
synthetic cohort generator with ground truth."""

from bedside.sensors.depresjon import DEPRESJON_HEADER, read_depresjon, read_depresjon_with_report
from bedside.sensors.depresjon_scores import (
    DepresjonParticipant,
    DepresjonRecording,
    list_depresjon_recordings,
    read_depresjon_scores,
)
from bedside.sensors.generic_csv import (
    TIMESTAMP_VALUE_HEADER,
    read_timestamp_value_csv,
    read_timestamp_value_csv_with_report,
)
from bedside.sensors.local_time import LocalCandidates, local_to_utc_candidates
from bedside.sensors.read_report import ReadReport
from bedside.sensors.synthetic import (
    generate_cohort,
    generate_patient,
    iter_cohort,
    synthetic_patient_id,
)
from bedside.sensors.synthetic_config import CohortConfig
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
    "DepresjonParticipant",
    "DepresjonRecording",
    "EpisodeTruth",
    "GapTruth",
    "LocalCandidates",
    "ReadReport",
    "SyntheticCohort",
    "SyntheticPatient",
    "episode_risk_labels",
    "generate_cohort",
    "generate_patient",
    "in_episode_days",
    "iter_cohort",
    "label_days",
    "list_depresjon_recordings",
    "local_to_utc_candidates",
    "read_depresjon",
    "read_depresjon_scores",
    "read_depresjon_with_report",
    "read_timestamp_value_csv",
    "read_timestamp_value_csv_with_report",
    "synthetic_patient_id",
]
