"""Training the episode-risk model: scikit-learn, calibration grouped by patient, ONNX export.

Model: standardisation + L2 logistic regression, calibrated with a sigmoid (Platt) map fitted on
out-of-fold decision values from `GroupKFold` by patient (``CalibratedClassifierCV`` with
``ensemble=False``: one logistic model fitted on all training patients, one calibration map), so
that no patient's days calibrate a model that saw that patient. Exported to ONNX with skl2onnx.

The model card in the bundle's ``training`` metadata reports AUROC and Brier score on held-out
patients: patients are split into `eval_folds` groups (shuffled with `seed`), the whole procedure
(scaling, logistic regression, calibration) is fitted on the other groups and scores the held-out
group, and the metrics are computed on the pooled out-of-fold probabilities. The shipped model is
then refitted on all patients.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import skl2onnx
import sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from bedside.domain import ConfigurationError, InsufficientDataError
from bedside.inference import FeatureSpec, JsonValue, ModelBundle
from bedside.models.episode_examples import EpisodeExamples
from bedside.models.episode_risk import EPISODE_RISK_MODEL_ID, HORIZON_DAYS, EpisodeRiskModel
from bedside.models.features import WINDOWS_DAYS, Z_CLIP
from bedside.models.linear_explanation import LinearExplanation, sandwich_covariance

__all__ = ["export_onnx", "fit_calibrated_logistic", "train_episode_risk"]

FloatArray = npt.NDArray[np.float64]

TARGET_OPSET = 17


def fit_calibrated_logistic(
    X: FloatArray, y: FloatArray, groups: npt.NDArray[np.str_], *, C: float, folds: int
) -> Pipeline:
    """Standardise, then logistic regression sigmoid-calibrated on folds grouped by `groups`.

    The scaler is fitted once on all rows (unsupervised, so it leaks no labels into the
    calibration) and sits outside the calibrated classifier: skl2onnx then converts the
    calibration on the logistic decision value, exactly as scikit-learn computes it.
    """
    n_groups = np.unique(groups).size
    n_splits = min(folds, n_groups)
    if n_splits < 2:
        raise InsufficientDataError(f"calibration needs at least 2 patients, got {n_groups}")
    cv = list(GroupKFold(n_splits=n_splits).split(X, y, groups))
    logreg = LogisticRegression(C=C, max_iter=2000)
    calibrated = CalibratedClassifierCV(logreg, method="sigmoid", cv=cv, ensemble=False)
    model = Pipeline([("scale", StandardScaler()), ("calibrated", calibrated)])
    return model.fit(X, y)


def export_onnx(estimator: Any, n_features: int) -> bytes:
    """ONNX bytes of a fitted binary classifier; input ``features`` float32 (n, n_features)."""
    onx = skl2onnx.convert_sklearn(
        estimator,
        initial_types=[("features", FloatTensorType([None, n_features]))],
        options={"zipmap": False},
        target_opset=TARGET_OPSET,
    )
    data: bytes = onx.SerializeToString()
    return data


def _explanation(
    model: Pipeline,
    names: Sequence[str],
    X: FloatArray,
    y: FloatArray,
    groups: npt.NDArray[np.str_],
    C: float,
) -> LinearExplanation:
    scaler: StandardScaler = model.named_steps["scale"]
    (calibrated,) = model.named_steps["calibrated"].calibrated_classifiers_
    logreg: LogisticRegression = calibrated.estimator
    (calibrator,) = calibrated.calibrators
    Z = (X - scaler.mean_) / scaler.scale_
    prob = logreg.predict_proba(Z)[:, 1]
    return LinearExplanation(
        feature_names=tuple(names),
        mean=np.asarray(scaler.mean_, dtype=np.float64),
        scale=np.asarray(scaler.scale_, dtype=np.float64),
        coef=np.asarray(logreg.coef_[0], dtype=np.float64),
        intercept=float(logreg.intercept_[0]),
        calibration_a=float(calibrator.a_),
        calibration_b=float(calibrator.b_),
        covariance=sandwich_covariance(Z, y, prob, groups, penalty=1.0 / C),
    )


def _stack(
    examples: Sequence[EpisodeExamples],
) -> tuple[list[str], list[str], FloatArray, FloatArray, npt.NDArray[np.str_]]:
    if not examples:
        raise InsufficientDataError("no training examples")
    names = list(examples[0].features.names)
    biomarkers = list(examples[0].features.biomarkers)
    for ex in examples:
        if list(ex.features.names) != names:
            raise ConfigurationError(
                f"examples of {ex.features.patient_id} have different features than the first"
            )
    X = np.concatenate([ex.features.values for ex in examples])
    y = np.concatenate([ex.labels for ex in examples])
    groups = np.concatenate(
        [np.full(ex.features.n_days, str(ex.features.patient_id)) for ex in examples]
    )
    if np.unique(y).size < 2:
        raise InsufficientDataError("training labels contain a single class")
    return names, biomarkers, X, y, groups


def _held_out_metrics(
    X: FloatArray,
    y: FloatArray,
    groups: npt.NDArray[np.str_],
    *,
    C: float,
    folds: int,
    eval_folds: int,
    seed: int,
) -> dict[str, JsonValue]:
    """Pooled out-of-fold AUROC and Brier score over patient folds (see the module docstring)."""
    patients = np.unique(groups)
    rng = np.random.default_rng(seed)
    fold_of = dict(
        zip(rng.permutation(patients), np.arange(patients.size) % eval_folds, strict=True)
    )
    row_fold = np.array([fold_of[g] for g in groups])
    oof = np.full(y.size, np.nan)
    for k in range(min(eval_folds, patients.size)):
        test = row_fold == k
        train = ~test
        if np.unique(y[train]).size < 2 or np.unique(groups[train]).size < 2:
            continue
        probe = fit_calibrated_logistic(X[train], y[train], groups[train], C=C, folds=folds)
        oof[test] = probe.predict_proba(X[test])[:, 1]
    done = np.isfinite(oof)
    out: dict[str, JsonValue] = {
        "method": f"pooled out-of-fold over {eval_folds} patient folds",
        "n_patients": int(np.unique(groups[done]).size),
        "n_patient_days": int(done.sum()),
    }
    if np.unique(y[done]).size == 2:
        out["auroc"] = float(roc_auc_score(y[done], oof[done]))
        out["brier"] = float(brier_score_loss(y[done], oof[done]))
        out["brier_base_rate"] = float(brier_score_loss(y[done], np.full(done.sum(), y.mean())))
    else:
        out["note"] = "held-out rows had a single class; metrics not computed"
    return out


def train_episode_risk(
    examples: Sequence[EpisodeExamples],
    *,
    C: float = 1.0,
    folds: int = 5,
    eval_folds: int = 5,
    threshold: float = 0.5,
    seed: int = 0,
    version: str = "0.1.0",
    data_description: str = "synthetic longitudinal cohort (bedside.sensors generator)",
) -> EpisodeRiskModel:
    """Train, evaluate on held-out patients, refit on all, export to ONNX.

    Parameters
    ----------
    examples : sequence of EpisodeExamples
        One item per patient (`episode_examples`).
    C : float
        Inverse L2 regularisation strength of the logistic regression.
    folds : int
        GroupKFold splits (by patient) for the calibration.
    eval_folds : int
        Patient folds of the model card's held-out evaluation.
    threshold : float
        Probability stored as the model's decision threshold.
    seed : int
        Seed of the held-out patient folds.
    version, data_description : str
        Written to the bundle.

    Returns
    -------
    EpisodeRiskModel
        With ``sklearn_estimator`` set to the fitted calibrated scikit-learn model.
    """
    if eval_folds < 2:
        raise ConfigurationError(f"eval_folds must be >= 2, got {eval_folds}")
    names, biomarkers, X, y, groups = _stack(examples)
    n_patients = int(np.unique(groups).size)
    if n_patients < 4:
        raise InsufficientDataError(f"need at least 4 patients, got {n_patients}")

    held = _held_out_metrics(X, y, groups, C=C, folds=folds, eval_folds=eval_folds, seed=seed)

    model = fit_calibrated_logistic(X, y, groups, C=C, folds=folds)
    onnx_bytes = export_onnx(model, len(names))
    explanation = _explanation(model, names, X, y, groups, C)
    descriptions = {
        n: f"mean robust z (clipped to +/-{Z_CLIP:g}) of {n.rsplit('.', 1)[0]} "
        f"over {n.rsplit('_', 1)[1]}"
        for n in names[:-1]
    }
    descriptions[names[-1]] = "share of biomarker-days with a value in the last 14 days (1)"
    training: dict[str, JsonValue] = {
        "task": (
            f"P(in a depressive episode (PHQ-9 >= 10) now or within {HORIZON_DAYS} days) "
            "for one patient-day"
        ),
        "training_data": data_description,
        "n_patients": n_patients,
        "n_patient_days": int(y.size),
        "positive_rate": float(y.mean()),
        "held_out_patients": held,
        "estimator": "StandardScaler + LogisticRegression(L2) + sigmoid calibration",
        "C": C,
        "calibration": (
            f"CalibratedClassifierCV(sigmoid, ensemble=False, GroupKFold({folds}) by patient)"
        ),
        "feature_windows_days": list(WINDOWS_DAYS),
        "interval": (
            "95% CI from cluster-robust (by patient) covariance of the logistic coefficients, "
            "mapped through the calibration; excludes calibration and misspecification uncertainty"
        ),
        "contributions": (
            "coef x standardised feature of the uncalibrated logistic model, summed per biomarker"
        ),
        "scikit_learn": sklearn.__version__,
        "skl2onnx": skl2onnx.__version__,
        "seed": seed,
    }
    bundle = ModelBundle(
        model_id=EPISODE_RISK_MODEL_ID,
        version=version,
        onnx_bytes=onnx_bytes,
        features=tuple(FeatureSpec(n, "float32", descriptions[n]) for n in names),
        threshold=threshold,
        training=training,
        extra={"biomarkers": list(biomarkers), "explanation": explanation.to_json()},
    )
    return EpisodeRiskModel(bundle, sklearn_estimator=model)
