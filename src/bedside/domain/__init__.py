"""Typed value objects shared by all layers. No I/O."""

from bedside.domain.activity_bouts import ActivityBoutFrame
from bedside.domain.biomarker_spec import BiomarkerSpec, Concern
from bedside.domain.clinical_context import MedicationRecord, Phq9Response
from bedside.domain.condition import ConditionRecord
from bedside.domain.daily import DailyBiomarkers, DailyBiomarkerTable
from bedside.domain.errors import (
    BedsideError,
    ConfigurationError,
    DataQualityWarning,
    DroppedRowsWarning,
    InputFormatError,
    InsufficientDataError,
    ModelError,
    NotFittedError,
    ProtocolError,
    StoreError,
)
from bedside.domain.finding import BaselineSummary, Finding
from bedside.domain.gps_samples import GpsFrame
from bedside.domain.ids import ClinicianId, PatientId, RecommendationId
from bedside.domain.keystroke_samples import KeyKind, KeystrokeFrame
from bedside.domain.modality import Modality
from bedside.domain.recommendation import (
    Evidence,
    Priority,
    Recommendation,
    RecommendationStatus,
    Role,
)
from bedside.domain.risk import Contribution, RiskEstimate
from bedside.domain.rr_intervals import RRIntervalFrame
from bedside.domain.samples import SampleFrame
from bedside.domain.screen_events import ScreenEvent, ScreenEventFrame
from bedside.domain.sleep_episodes import ASLEEP_STATES, SleepEpisodeFrame, SleepState
from bedside.domain.trend import TrendDirection, TrendFinding

__all__ = [
    "ASLEEP_STATES",
    "ActivityBoutFrame",
    "BaselineSummary",
    "BedsideError",
    "BiomarkerSpec",
    "ClinicianId",
    "Concern",
    "ConditionRecord",
    "ConfigurationError",
    "Contribution",
    "DailyBiomarkerTable",
    "DailyBiomarkers",
    "DataQualityWarning",
    "DroppedRowsWarning",
    "Evidence",
    "Finding",
    "GpsFrame",
    "InputFormatError",
    "InsufficientDataError",
    "KeyKind",
    "KeystrokeFrame",
    "MedicationRecord",
    "Modality",
    "ModelError",
    "NotFittedError",
    "PatientId",
    "Phq9Response",
    "Priority",
    "ProtocolError",
    "RRIntervalFrame",
    "Recommendation",
    "RecommendationId",
    "RecommendationStatus",
    "RiskEstimate",
    "Role",
    "SampleFrame",
    "ScreenEvent",
    "ScreenEventFrame",
    "SleepEpisodeFrame",
    "SleepState",
    "StoreError",
    "TrendDirection",
    "TrendFinding",
]
