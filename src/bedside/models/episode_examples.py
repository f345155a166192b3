"""Training examples for the episode-risk model: features and labels of one patient's days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.baseline.robust_baseline import RobustBaseline
from bedside.domain import ConfigurationError, DailyBiomarkerTable, InsufficientDataError
from bedside.models.features import (
    DEFAULT_EPISODE_BIOMARKERS,
    BaselineInput,
    EpisodeFeatures,
    episode_features,
)

__all__ = ["BASELINE_DAYS", "EpisodeExamples", "episode_examples"]

FloatArray = npt.NDArray[np.float64]

BASELINE_DAYS = 28
"""Days at the start of a record used to learn the patient's baseline (no examples there)."""


@dataclass(frozen=True)
class EpisodeExamples:
    """Labelled patient-days of one patient.

    Attributes
    ----------
    features : EpisodeFeatures
        One row per labelled day.
    labels : ndarray of float64, shape (n_days,)
        1.0 when the patient is in a depressive episode on the day or enters one within the
        horizon (14 days), else 0.0.
    """

    features: EpisodeFeatures
    labels: FloatArray

    def __post_init__(self) -> None:
        if self.labels.shape != (self.features.n_days,):
            raise ConfigurationError(
                f"examples of {self.features.patient_id}: {self.labels.shape[0]} labels for "
                f"{self.features.n_days} feature rows"
            )
        if not bool(np.all((self.labels == 0.0) | (self.labels == 1.0))):
            raise ConfigurationError(f"examples of {self.features.patient_id}: labels must be 0/1")


def episode_examples(
    table: DailyBiomarkerTable,
    labels: npt.ArrayLike,
    *,
    baseline_days: int = BASELINE_DAYS,
    biomarkers: Sequence[str] = DEFAULT_EPISODE_BIOMARKERS,
    baseline: BaselineInput | None = None,
) -> EpisodeExamples:
    """Features and labels of the days after the baseline period.

    Parameters
    ----------
    table : DailyBiomarkerTable
    labels : array-like of float or bool, shape (n_days,)
        Episode-risk label per row of `table`; NaN marks an unknown label (row dropped).
    baseline_days : int
        Rows ``[0, baseline_days)`` learn the baseline (`RobustBaseline`, window `baseline_days`,
        at least half of them valid) and yield no examples.
    biomarkers : sequence of str
    baseline : BaselineLike or mapping, optional
        Use this baseline instead of learning one from the first `baseline_days`.

    Raises
    ------
    InsufficientDataError
        The table has no row after the baseline period.
    """
    y = np.asarray(labels, dtype=np.float64)
    if y.shape != (table.n_days,):
        raise ConfigurationError(
            f"labels of {table.patient_id}: shape {y.shape}, expected ({table.n_days},)"
        )
    if table.n_days <= baseline_days:
        raise InsufficientDataError(
            f"{table.patient_id}: {table.n_days} days, need more than {baseline_days} "
            "(baseline period)"
        )
    if baseline is None:
        baseline = RobustBaseline(
            window_days=baseline_days, min_days=max(1, baseline_days // 2)
        ).fit(table, end=baseline_days)
    feats = episode_features(table, baseline, biomarkers)
    keep = np.zeros(table.n_days, dtype=bool)
    keep[baseline_days:] = True
    keep &= np.isfinite(y)
    return EpisodeExamples(feats.select(keep), y[keep])
