"""Split conformal prediction sets for a binary risk model (numpy only; runs on the device).

Method (class-conditional, "Mondrian", split conformal; Vovk et al. 2005, ch. 4; Angelopoulos and
Bates 2021, "A Gentle Introduction to Conformal Prediction", section 4.1): on calibration rows the
model never trained on, the nonconformity score of a row of true class ``c`` is ``1 - p_c`` (``p_1``
the predicted probability of an episode, ``p_0 = 1 - p_1``). For each class, ``q_c`` is the
``ceil((n_c + 1)(1 - alpha)) / n_c`` empirical quantile of its ``n_c`` scores (``+inf`` when
``n_c`` is too small for the level). A new row's prediction set holds every class ``c`` with
``1 - p_c <= q_c``.

Units of calibration
--------------------
``unit="row"``: every calibration row is one score. Guarantee: if calibration and test rows of
class ``c`` are exchangeable, a new row of class ``c`` has its class in the set with probability
at least ``1 - alpha``. Days of one patient are correlated, not exchangeable: the effective
sample is the number of patients, and with few calibration patients the realised coverage of
new patients' days falls below nominal (seen in ``bedside risk evaluate-shift``).

``unit="patient"`` (pass ``groups``, the patient of each row): one score per calibration patient
and class, so the finite-sample correction counts patients, not days (cluster-level split
conformal; Dunn, Wasserman and Ramdas 2023, "Distribution-free prediction sets for two-layer
hierarchical models", J Am Stat Assoc 118:2491-2502, the single-subsample method):

- ``patient_score="random_day"`` (default): the score of one day of class ``c`` drawn at random
  (seeded) from each patient that has such days. Guarantee: if patients are exchangeable, a day
  of class ``c`` drawn at random from a new patient has its class in the set with probability at
  least ``1 - alpha``; so each new patient's expected share of covered days is at least
  ``1 - alpha`` whatever the correlation of days within patients.
- ``patient_score="max"``: the largest score over the patient's days of class ``c``. Guarantee
  (simultaneous): with probability at least ``1 - alpha`` every day of class ``c`` of a new
  patient is covered; larger sets.

Both guarantees hold over the draw of calibration and new patients, not for one fixed
calibration set; under cohort shift none holds (the model card and the shift evaluation report
the empirical coverage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from bedside.domain import ConfigurationError, InsufficientDataError

__all__ = [
    "CLASS_LABELS",
    "PatientScore",
    "SplitConformal",
    "empirical_coverage",
    "patient_coverage",
]

PatientScore = Literal["random_day", "max"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

CLASS_LABELS: tuple[str, str] = ("no_episode", "episode")
"""Names of class 0 and class 1 in prediction sets."""


def _quantile(scores: FloatArray, alpha: float) -> float:
    n = scores.size
    rank = math.ceil((n + 1) * (1.0 - alpha))
    if n == 0 or rank > n:
        return math.inf
    return float(np.sort(scores)[rank - 1])


def _patient_scores(
    scores: FloatArray, groups: npt.NDArray[np.generic], how: PatientScore, rng: np.random.Generator
) -> FloatArray:
    """One score per patient, in sorted patient order."""
    if scores.size == 0:
        return scores
    patients, index = np.unique(groups, return_inverse=True)
    if how == "max":
        out = np.full(patients.size, -np.inf)
        np.maximum.at(out, index, scores)
        return out
    # a random day per patient: order rows by patient, then by a random key within the patient
    order = np.lexsort((rng.uniform(size=scores.size), index))
    first = np.concatenate(([True], index[order][1:] != index[order][:-1]))
    picked: FloatArray = scores[order][first]
    return picked


@dataclass(frozen=True)
class SplitConformal:
    """Per-class conformal thresholds for probabilities of class 1.

    Attributes
    ----------
    alpha : float
        Miscoverage level; sets cover the true class with probability >= 1 - alpha.
    threshold_0, threshold_1 : float
        ``q_0`` and ``q_1`` of the module docstring (``inf`` = class always in the set).
    n_calibration_0, n_calibration_1 : int
        Calibration scores of each class (rows, or patients when ``unit == "patient"``).
    unit : {"row", "patient"}
        What one calibration score stands for (module docstring).
    patient_score : {"random_day", "max"} or None
        How a patient's days become its score (None for ``unit == "row"``).
    """

    alpha: float
    threshold_0: float
    threshold_1: float
    n_calibration_0: int
    n_calibration_1: int
    unit: Literal["row", "patient"] = "row"
    patient_score: PatientScore | None = None

    @classmethod
    def fit(
        cls,
        y: npt.ArrayLike,
        p: npt.ArrayLike,
        *,
        alpha: float = 0.1,
        groups: npt.ArrayLike | None = None,
        patient_score: PatientScore = "random_day",
        seed: int = 0,
    ) -> SplitConformal:
        """Thresholds from calibration labels `y` (0/1) and probabilities of class 1 `p`.

        Parameters
        ----------
        y, p : array-like, shape (n,)
            Labels (0/1) and probabilities of class 1 of the calibration rows.
        alpha : float
            Miscoverage level in (0, 1).
        groups : array-like, shape (n,), optional
            Patient of each row; given, the calibration unit is the patient (module docstring).
        patient_score : {"random_day", "max"}
            How a patient's days become one score (only with `groups`).
        seed : int
            Seed of the random day per patient (``random_day``).
        """
        if not 0.0 < alpha < 1.0:
            raise ConfigurationError(f"alpha must be in (0, 1), got {alpha}")
        yy = np.asarray(y, dtype=np.float64).reshape(-1)
        pp = np.asarray(p, dtype=np.float64).reshape(-1)
        if yy.shape != pp.shape:
            raise ConfigurationError(f"{yy.size} labels for {pp.size} probabilities")
        if yy.size == 0:
            raise InsufficientDataError("conformal calibration needs at least one row")
        pos = yy == 1.0
        scores_0, scores_1 = pp[~pos], 1.0 - pp[pos]
        if groups is None:
            return cls(
                alpha=alpha,
                threshold_0=_quantile(scores_0, alpha),
                threshold_1=_quantile(scores_1, alpha),
                n_calibration_0=int(scores_0.size),
                n_calibration_1=int(scores_1.size),
            )
        gg = np.asarray(groups).reshape(-1)
        if gg.shape != yy.shape:
            raise ConfigurationError(f"{gg.size} patient ids for {yy.size} labels")
        if patient_score not in ("random_day", "max"):
            raise ConfigurationError(
                f"patient_score must be random_day or max, not {patient_score}"
            )
        rng = np.random.default_rng(seed)
        per_0 = _patient_scores(scores_0, gg[~pos], patient_score, rng)
        per_1 = _patient_scores(scores_1, gg[pos], patient_score, rng)
        return cls(
            alpha=alpha,
            threshold_0=_quantile(per_0, alpha),
            threshold_1=_quantile(per_1, alpha),
            n_calibration_0=int(per_0.size),
            n_calibration_1=int(per_1.size),
            unit="patient",
            patient_score=patient_score,
        )

    def prediction_sets(self, p: npt.ArrayLike) -> BoolArray:
        """Membership of class 0 and class 1 per row, shape (n, 2)."""
        pp = np.asarray(p, dtype=np.float64).reshape(-1)
        out: BoolArray = np.column_stack([pp <= self.threshold_0, 1.0 - pp <= self.threshold_1])
        return out

    def prediction_set(self, p: float) -> list[str]:
        """Class names in the set of one probability (see `CLASS_LABELS`)."""
        row = self.prediction_sets(np.array([p]))[0]
        return [name for name, inside in zip(CLASS_LABELS, row, strict=True) if inside]

    @property
    def coverage(self) -> float:
        """The nominal coverage ``1 - alpha``."""
        return 1.0 - self.alpha

    def to_json(self) -> dict[str, float | int | str | None]:
        """JSON form (``None`` for an infinite threshold)."""
        return {
            "alpha": self.alpha,
            "threshold_0": None if math.isinf(self.threshold_0) else self.threshold_0,
            "threshold_1": None if math.isinf(self.threshold_1) else self.threshold_1,
            "n_calibration_0": self.n_calibration_0,
            "n_calibration_1": self.n_calibration_1,
            "unit": self.unit,
            "patient_score": self.patient_score,
        }

    @classmethod
    def from_json(cls, data: object) -> SplitConformal:
        """Inverse of `to_json`."""
        if not isinstance(data, dict):
            raise ConfigurationError("conformal thresholds must be a JSON object")
        try:
            t0, t1 = data["threshold_0"], data["threshold_1"]
            unit = data.get("unit", "row")
            how = data.get("patient_score")
            if unit not in ("row", "patient") or how not in (None, "random_day", "max"):
                raise ValueError(f"unknown unit {unit!r} or patient_score {how!r}")
            return cls(
                alpha=float(data["alpha"]),
                threshold_0=math.inf if t0 is None else float(t0),
                threshold_1=math.inf if t1 is None else float(t1),
                n_calibration_0=int(data["n_calibration_0"]),
                n_calibration_1=int(data["n_calibration_1"]),
                unit=unit,
                patient_score=how,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"conformal thresholds: {exc!r}") from exc


def empirical_coverage(conformal: SplitConformal, y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Share of rows whose true class (0/1 in `y`) is in the prediction set of `p`."""
    yy = np.asarray(y, dtype=np.float64).reshape(-1).astype(np.intp)
    sets = conformal.prediction_sets(p)
    if yy.size != sets.shape[0]:
        raise ConfigurationError(f"{yy.size} labels for {sets.shape[0]} probabilities")
    if yy.size == 0:
        raise InsufficientDataError("no rows to measure coverage on")
    return float(sets[np.arange(yy.size), yy].mean())


def patient_coverage(
    conformal: SplitConformal, y: npt.ArrayLike, p: npt.ArrayLike, groups: npt.ArrayLike
) -> tuple[float, float]:
    """Coverage measured with patients as the unit.

    Returns
    -------
    mean_share : float
        Mean over patients of the share of the patient's rows whose true class is in the set
        (what ``patient_score="random_day"`` guarantees in expectation).
    all_covered : float
        Share of patients with every row covered (what ``patient_score="max"`` guarantees).
    """
    yy = np.asarray(y, dtype=np.float64).reshape(-1).astype(np.intp)
    gg = np.asarray(groups).reshape(-1)
    sets = conformal.prediction_sets(p)
    if not yy.size == sets.shape[0] == gg.size:
        raise ConfigurationError(f"{yy.size} labels, {sets.shape[0]} probabilities, {gg.size} ids")
    if yy.size == 0:
        raise InsufficientDataError("no rows to measure coverage on")
    hit = sets[np.arange(yy.size), yy].astype(np.float64)
    _, index = np.unique(gg, return_inverse=True)
    n = np.bincount(index).astype(np.float64)
    share = np.bincount(index, weights=hit) / n
    return float(share.mean()), float(np.mean(share == 1.0))
