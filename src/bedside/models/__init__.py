"""Risk models: episode-risk features, prediction and training; the Depresjon research benchmark.

Prediction (`EpisodeRiskModel`, `DepresjonModel.load`) needs only onnxruntime and numpy. The names
that train or evaluate models (`train_episode_risk`, `train_depresjon`, `evaluate_depresjon`, ...)
import scikit-learn and are loaded lazily on first access, so that a device importing
`bedside.models` never loads scikit-learn.

The models layer does not import the readers (`bedside.sensors`): functions that start from files
(`train_depresjon`, `score_recordings`, `evaluate_depresjon`) take a `RecordingReader` returning
minute samples, e.g. ``bedside.sensors.read_depresjon``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from bedside.models.depresjon_features import (
    FEATURE_SET,
    MAX_DAYS,
    PAPER_DAY_FEATURES,
    PARTICIPANT_FEATURES,
    ActigraphyRecording,
    RecordingReader,
    complete_days,
    list_labelled_recordings,
    paper_day_features,
    participant_feature_names,
    participant_features,
)
from bedside.models.episode_examples import BASELINE_DAYS, EpisodeExamples, episode_examples
from bedside.models.episode_risk import EPISODE_RISK_MODEL_ID, HORIZON_DAYS, EpisodeRiskModel
from bedside.models.features import (
    COVERAGE_FEATURE,
    DEFAULT_EPISODE_BIOMARKERS,
    WINDOWS_DAYS,
    BaselineLike,
    EpisodeFeatures,
    baseline_stats,
    episode_feature_names,
    episode_features,
)
from bedside.models.linear_explanation import LinearExplanation, sandwich_covariance

if TYPE_CHECKING:
    from bedside.models.depresjon_classifier import (
        DEPRESJON_MODEL_ID,
        DepresjonModel,
        ScoredRecording,
        score_recordings,
        train_depresjon,
    )
    from bedside.models.episode_risk_training import export_onnx, train_episode_risk
    from bedside.models.evaluation import (
        EvaluationReport,
        MetricSummary,
        ParticipantInfo,
        evaluate_depresjon,
        evaluate_recordings,
    )

_LAZY: dict[str, str] = {
    "DEPRESJON_MODEL_ID": "bedside.models.depresjon_classifier",
    "DepresjonModel": "bedside.models.depresjon_classifier",
    "ScoredRecording": "bedside.models.depresjon_classifier",
    "score_recordings": "bedside.models.depresjon_classifier",
    "train_depresjon": "bedside.models.depresjon_classifier",
    "export_onnx": "bedside.models.episode_risk_training",
    "train_episode_risk": "bedside.models.episode_risk_training",
    "EvaluationReport": "bedside.models.evaluation",
    "MetricSummary": "bedside.models.evaluation",
    "ParticipantInfo": "bedside.models.evaluation",
    "evaluate_depresjon": "bedside.models.evaluation",
    "evaluate_recordings": "bedside.models.evaluation",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bedside.models' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "BASELINE_DAYS",
    "COVERAGE_FEATURE",
    "DEFAULT_EPISODE_BIOMARKERS",
    "DEPRESJON_MODEL_ID",
    "EPISODE_RISK_MODEL_ID",
    "FEATURE_SET",
    "HORIZON_DAYS",
    "MAX_DAYS",
    "PAPER_DAY_FEATURES",
    "PARTICIPANT_FEATURES",
    "WINDOWS_DAYS",
    "ActigraphyRecording",
    "BaselineLike",
    "DepresjonModel",
    "EpisodeExamples",
    "EpisodeFeatures",
    "EpisodeRiskModel",
    "EvaluationReport",
    "LinearExplanation",
    "MetricSummary",
    "ParticipantInfo",
    "RecordingReader",
    "ScoredRecording",
    "baseline_stats",
    "complete_days",
    "episode_examples",
    "episode_feature_names",
    "episode_features",
    "evaluate_depresjon",
    "evaluate_recordings",
    "export_onnx",
    "list_labelled_recordings",
    "paper_day_features",
    "participant_feature_names",
    "participant_features",
    "sandwich_covariance",
    "score_recordings",
    "train_depresjon",
    "train_episode_risk",
]
