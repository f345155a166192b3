"""The clinic's episode-risk model at prediction time (ONNX + numpy only; no scikit-learn).

The model estimates the probability that the patient is in, or within `HORIZON_DAYS` days enters,
a depressive episode (PHQ-9 >= 10), from the recent robust z-scores of their biomarkers against
their own baseline (`bedside.models.features`). Training lives in
`bedside.models.episode_risk_training`; this module is what a device loads.

Each estimate carries:

- the calibrated probability, computed by onnxruntime from the bundle's ONNX model;
- an uncertainty interval: for the logistic family, coefficient uncertainty only (see
  `bedside.models.linear_explanation`); the tree family has no probability interval (the interval
  is the point) and relies on the prediction set;
- when the bundle carries split-conformal thresholds (`bedside.models.conformal`), a prediction
  set with a coverage guarantee;
- the top contributing biomarkers with the biomarker's 7-day mean, baseline median and direction
  (above/below baseline). Logistic family: per biomarker, the sum over its features of
  ``coefficient x standardised feature`` of the uncalibrated logistic model (log-odds relative to
  the training average). Tree family: the log-odds change had the biomarker stayed at baseline
  (`bedside.models.baseline_occlusion`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from bedside.domain import Contribution, DailyBiomarkerTable, ModelError, RiskEstimate
from bedside.inference import BundleVerifier, ModelBundle, load_bundle, save_bundle
from bedside.models.baseline_occlusion import occlusion_contributions
from bedside.models.conformal import SplitConformal
from bedside.models.features import (
    BaselineInput,
    EpisodeFeatures,
    episode_feature_names,
    episode_features,
)
from bedside.models.linear_explanation import LinearExplanation
from bedside.models.model_card import write_model_card

__all__ = ["EPISODE_RISK_MODEL_ID", "HORIZON_DAYS", "EpisodeRiskModel"]

FloatArray = npt.NDArray[np.float64]

EPISODE_RISK_MODEL_ID = "bedside.episode-risk"
HORIZON_DAYS = 14


class EpisodeRiskModel:
    """A loaded episode-risk model bundle.

    Parameters
    ----------
    bundle : ModelBundle
        Must carry ``extra["biomarkers"]``; ``extra["explanation"]`` (logistic family) and
        ``extra["conformal"]`` are optional.
    sklearn_estimator : object or None
        The fitted scikit-learn estimator when the model was just trained (for parity checks);
        None when loaded from disk.
    threads : int or None
        onnxruntime threads.
    """

    def __init__(
        self, bundle: ModelBundle, *, sklearn_estimator: object | None = None, threads: int = 1
    ) -> None:
        self.bundle = bundle
        self.onnx = bundle.onnx_model(threads=threads)
        biomarkers = bundle.extra.get("biomarkers")
        explanation = bundle.extra.get("explanation")
        if not isinstance(biomarkers, list) or not (
            explanation is None or isinstance(explanation, dict)
        ):
            raise ModelError(f"bundle {bundle.model_id}: not an episode-risk bundle")
        self.biomarkers = tuple(str(b) for b in biomarkers)
        self.explanation = None if explanation is None else LinearExplanation.from_json(explanation)
        expected = episode_feature_names(self.biomarkers)
        if bundle.feature_names != expected or (
            self.explanation is not None and list(self.explanation.feature_names) != expected
        ):
            raise ModelError(
                f"bundle {bundle.model_id}: declared features do not match its biomarkers"
            )
        conformal = bundle.extra.get("conformal")
        self.conformal = None if conformal is None else SplitConformal.from_json(conformal)
        family = bundle.extra.get("family", "logistic")
        self.family = str(family)
        self.sklearn_estimator = sklearn_estimator

    @property
    def model_id(self) -> str:
        return self.bundle.model_id

    @property
    def version(self) -> str:
        return self.bundle.version

    @property
    def threshold(self) -> float:
        return self.bundle.threshold

    def _matrix(self, features: EpisodeFeatures) -> FloatArray:
        if list(features.names) != self.bundle.feature_names:
            raise ModelError(
                f"model {self.model_id}: features {list(features.names)} differ from the "
                f"model's {self.bundle.feature_names}"
            )
        return self.bundle.matrix(features.columns())

    def predict_proba(self, features: EpisodeFeatures) -> FloatArray:
        """Calibrated probability of each feature row (onnxruntime), shape (n_days,)."""
        return self.onnx.predict_proba(self._matrix(features))

    def estimates(self, features: EpisodeFeatures, *, top_k: int = 3) -> list[RiskEstimate]:
        """A `RiskEstimate` for every row of `features`."""
        X = self._matrix(features)
        prob = self.onnx.predict_proba(X)
        per_biomarker = self.contributions(features)
        if self.explanation is not None:
            low, high = self.explanation.interval(X)
        else:
            low, high = prob, prob
        sets = None if self.conformal is None else self.conformal.prediction_sets(prob)
        dates: Sequence[dt.date] = [d.item() for d in features.dates]
        out = []
        for i, day in enumerate(dates):
            p = float(np.clip(prob[i], 0.0, 1.0))
            order = np.argsort(-np.abs(per_biomarker[i]), kind="stable")[:top_k]
            prediction_set: list[Literal["no_episode", "episode"]] | None = None
            if sets is not None:
                prediction_set = []
                if sets[i, 0]:
                    prediction_set.append("no_episode")
                if sets[i, 1]:
                    prediction_set.append("episode")
            out.append(
                RiskEstimate(
                    as_of=day,
                    probability=p,
                    interval_low=min(float(low[i]), p),
                    interval_high=max(float(high[i]), p),
                    model_id=self.model_id,
                    model_version=self.version,
                    contributions=[
                        Contribution(
                            biomarker=self.biomarkers[k],
                            value=_finite(features.recent_mean_7d[self.biomarkers[k]][i]),
                            baseline=_finite(features.baseline_median[self.biomarkers[k]]),
                            contribution=float(per_biomarker[i, k]),
                            direction=_direction(
                                features.recent_mean_7d[self.biomarkers[k]][i],
                                features.baseline_median[self.biomarkers[k]],
                            ),
                        )
                        for k in order
                    ],
                    prediction_set=prediction_set,
                    prediction_set_coverage=(
                        None if self.conformal is None else self.conformal.coverage
                    ),
                )
            )
        return out

    def contributions(self, features: EpisodeFeatures) -> FloatArray:
        """Log-odds contribution of each of the model's biomarkers per row, shape
        (n_days, n_biomarkers) (see the module docstring for the two families)."""
        X = self._matrix(features)
        columns: list[list[int]] = [[] for _ in self.biomarkers]
        for j, name in enumerate(features.names):
            b = features.biomarker_of(name)
            if b is not None:
                columns[self.biomarkers.index(b)].append(j)
        if self.explanation is None:
            return occlusion_contributions(self.onnx.predict_proba, X, columns)
        contrib = self.explanation.contributions(X)
        per_biomarker = np.zeros((X.shape[0], len(self.biomarkers)))
        for k, cols in enumerate(columns):
            per_biomarker[:, k] = contrib[:, cols].sum(axis=1)
        return per_biomarker

    def predict(
        self,
        table: DailyBiomarkerTable,
        baseline: BaselineInput,
        *,
        as_of: dt.date | None = None,
        top_k: int = 3,
    ) -> RiskEstimate:
        """The risk estimate for one day (default: the table's last day).

        Parameters
        ----------
        table : DailyBiomarkerTable
            The patient's daily biomarkers up to at least `as_of` (later rows are ignored).
        baseline : BaselineLike or mapping of biomarker id to (median, scale)
        as_of : date, optional
        top_k : int
            Number of contributing biomarkers to report.
        """
        if table.n_days == 0:
            raise ModelError(f"{table.patient_id}: empty daily table, nothing to predict")
        last = table.n_days - 1 if as_of is None else table.index_of(as_of)
        feats = episode_features(table.head(last + 1), baseline, self.biomarkers)
        return self.estimates(feats.select(np.array([last])), top_k=top_k)[0]

    def save(self, path: Path | str) -> Path:
        """Write the bundle (ONNX + JSON manifest) and its model card; returns the manifest path."""
        manifest = save_bundle(self.bundle, path)
        write_model_card(self.bundle, manifest)
        return manifest

    @classmethod
    def load(
        cls, path: Path | str, *, verifier: BundleVerifier | None = None, threads: int = 1
    ) -> EpisodeRiskModel:
        """Load a saved bundle (hash checked; signature checked when a verifier is given)."""
        return cls(load_bundle(path, verifier=verifier), threads=threads)


def _direction(value: float | np.floating, baseline: float) -> Literal["up", "down"] | None:
    v, b = float(value), float(baseline)
    if not (math.isfinite(v) and math.isfinite(b)) or v == b:
        return None
    return "up" if v > b else "down"


def _finite(x: float | np.floating) -> float | None:
    v = float(x)
    return v if math.isfinite(v) else None
