"""The Depresjon research benchmark classifier: depressed vs control, a probability per participant.

A research benchmark of how much signal the biomarkers carry; it is never the clinical model.
Features: `bedside.models.depresjon_features` (14 participant-level actigraphy features over the
first complete days: activity level and distribution, nonparametric rhythm measures, rest and
day-to-day variability; no dates, months, day length or clock times). Missing features are imputed
with the training median (stored in the bundle). Model: standardisation + L2 logistic regression
(default, C = 0.1: strong regularisation for a few dozen participants) or gradient-boosted trees
(`bedside.models.risk_families`), sigmoid-calibrated on stratified folds of participants (one row
per participant, so folds are subject-level), exported to ONNX; the decision
threshold (0.5 by default) is stored in the bundle. Training also runs a short repeated
subject-level cross-validation (`bedside.models.evaluation`, 5 x 5-fold by default) whose results
go into the bundle and its model card (`bedside.models.model_card`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from bedside.domain import InputFormatError, InsufficientDataError, ModelError
from bedside.inference import (
    BundleVerifier,
    FeatureSpec,
    JsonValue,
    ModelBundle,
    load_bundle,
    save_bundle,
)
from bedside.models.depresjon_features import (
    FEATURE_SET,
    MAX_DAYS,
    PARTICIPANT_FEATURES,
    ActigraphyRecording,
    RecordingReader,
    list_labelled_recordings,
    participant_feature_names,
    participant_features,
)
from bedside.models.episode_risk_training import export_onnx
from bedside.models.model_card import write_model_card
from bedside.models.risk_families import Family, family_description, fit_family

if TYPE_CHECKING:
    from bedside.models.evaluation import ParticipantInfo

__all__ = [
    "DEPRESJON_MODEL_ID",
    "DepresjonModel",
    "ScoredRecording",
    "fit_depresjon_estimator",
    "score_recordings",
    "train_depresjon",
]

FloatArray = npt.NDArray[np.float64]

DEPRESJON_MODEL_ID = "bedside.research.depresjon-classifier"


class ScoredRecording(NamedTuple):
    """One scored recording: participant (file stem), probability of depression, prediction."""

    participant: str
    probability: float
    predicted: bool


def fit_depresjon_estimator(
    X: FloatArray, y: npt.NDArray[np.int_], *, C: float, seed: int
) -> Pipeline:
    """Standardise + logistic regression, sigmoid-calibrated on stratified participant folds.

    `X` must be imputed (no NaN). Calibration folds: min(3, smallest class size).
    """
    n_splits = int(min(3, np.bincount(y, minlength=2).min()))
    if n_splits < 2:
        raise InsufficientDataError("need at least 2 participants of each class")
    cv = list(StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(X, y))
    calibrated = CalibratedClassifierCV(
        LogisticRegression(C=C, solver="liblinear"), method="sigmoid", cv=cv, ensemble=False
    )
    model = Pipeline([("scale", StandardScaler()), ("calibrated", calibrated)])
    return model.fit(X, y)


def impute(X: FloatArray, fill: FloatArray) -> FloatArray:
    """Replace NaN in each column by `fill` of that column."""
    out: FloatArray = np.where(np.isnan(X), fill[None, :], X)
    return out


def imputation_values(X: FloatArray) -> FloatArray:
    """Column medians over non-missing rows (0 for an all-missing column)."""
    fill = np.zeros(X.shape[1])
    for j in range(X.shape[1]):
        col = X[:, j][np.isfinite(X[:, j])]
        if col.size:
            fill[j] = float(np.median(col))
    return fill


class DepresjonModel:
    """A Depresjon benchmark model bundle, run with onnxruntime.

    Parameters
    ----------
    bundle : ModelBundle
        With ``extra`` holding ``feature_set``, ``max_days`` and ``imputation``.
    sklearn_estimator : object or None
        The fitted scikit-learn pipeline right after training (parity checks); None when loaded.
    """

    def __init__(self, bundle: ModelBundle, *, sklearn_estimator: object | None = None) -> None:
        self.bundle = bundle
        self.onnx = bundle.onnx_model()
        try:
            feature_set = bundle.extra["feature_set"]
            max_days = bundle.extra["max_days"]
            fill = bundle.extra["imputation"]
            if feature_set != FEATURE_SET or not isinstance(max_days, int):
                raise TypeError(
                    f"feature set {feature_set!r} is not {FEATURE_SET!r} or max_days not an integer"
                )
            self.max_days = max_days
            self.imputation = np.asarray(fill, dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"bundle {bundle.model_id}: not a Depresjon model ({exc!r})") from exc
        names = participant_feature_names()
        if bundle.feature_names != names or self.imputation.shape != (len(names),):
            raise ModelError(f"bundle {bundle.model_id}: features do not match {FEATURE_SET}")
        self.sklearn_estimator = sklearn_estimator

    @property
    def threshold(self) -> float:
        return self.bundle.threshold

    def features(self, recordings: Sequence[ActigraphyRecording]) -> FloatArray:
        """Imputed participant features, shape (n_recordings, n_features), bundle order."""
        raw = np.vstack([participant_features(r, max_days=self.max_days) for r in recordings])
        return impute(raw, self.imputation)

    def predict_proba(self, recordings: Sequence[ActigraphyRecording]) -> FloatArray:
        """Probability of depression per recording (onnxruntime), shape (n_recordings,)."""
        if not recordings:
            return np.empty(0)
        return self.onnx.predict_proba(self.features(recordings))

    def save(self, path: Path | str) -> Path:
        """Write the bundle and its model card; returns the manifest path."""
        manifest = save_bundle(self.bundle, path)
        write_model_card(self.bundle, manifest)
        return manifest

    @classmethod
    def load(cls, path: Path | str, *, verifier: BundleVerifier | None = None) -> DepresjonModel:
        """Load a saved bundle (ONNX hash checked)."""
        return cls(load_bundle(path, verifier=verifier))


def build_depresjon_model(
    raw: FloatArray,
    y: npt.NDArray[np.int_],
    *,
    C: float = 0.1,
    seed: int = 0,
    max_days: int = MAX_DAYS,
    threshold: float = 0.5,
    training: dict[str, JsonValue] | None = None,
    family: Family = "logistic",
) -> DepresjonModel:
    """Fit on raw (unimputed) participant features and wrap as an ONNX bundle."""
    fill = imputation_values(raw)
    X = impute(raw, fill)
    estimator = (
        fit_depresjon_estimator(X, y, C=C, seed=seed)
        if family == "logistic"
        else fit_family(family, X, y, folds=3, seed=seed)
    )
    names = participant_feature_names()
    descriptions = dict(PARTICIPANT_FEATURES)
    meta: dict[str, JsonValue] = {
        "purpose": "research benchmark (Depresjon); never the clinical model",
        "n_participants": int(y.size),
        "n_depressed": int(y.sum()),
        "C": C,
        "seed": seed,
        "family": family,
        "estimator": family_description(family, C=C),
        "days": f"first {max_days} complete days per recording",
        "features": f"{FEATURE_SET}: participant actigraphy features, no dates or clock times",
        "scikit_learn": sklearn.__version__,
    }
    meta.update(training or {})
    bundle = ModelBundle(
        model_id=DEPRESJON_MODEL_ID if family == "logistic" else f"{DEPRESJON_MODEL_ID}.gbt",
        version="0.1.0",
        onnx_bytes=export_onnx(estimator, len(names)),
        features=tuple(FeatureSpec(n, "float32", descriptions[n]) for n in names),
        threshold=threshold,
        training=meta,
        extra={"feature_set": FEATURE_SET, "max_days": max_days, "imputation": fill.tolist()},
    )
    return DepresjonModel(bundle, sklearn_estimator=estimator)


def train_depresjon(
    root: Path,
    read: RecordingReader,
    *,
    C: float = 0.1,
    seed: int = 0,
    max_days: int = MAX_DAYS,
    family: Family = "logistic",
    info: Mapping[str, ParticipantInfo] | None = None,
    card_repeats: int = 5,
) -> DepresjonModel:
    """Train on every participant of a folder laid out like the Depresjon data.

    Parameters
    ----------
    root : Path
        Folder with ``condition/*.csv`` (depressed) and ``control/*.csv`` recordings.
    read : RecordingReader
        Reads one recording file into its minute samples.
    C : float
        Inverse L2 regularisation of the logistic regression.
    family : {"logistic", "gbt"}
    info : mapping of participant to ParticipantInfo, optional
        Sex, age band and MADRS (subgroup metrics in the model card).
    card_repeats : int
        Repeats of the subject-level evaluation recorded in the model card (5-fold, fewer
        folds when a class has fewer than 5 participants; 0 skips it).
    """
    from bedside.models.evaluation import evaluate_recordings

    recordings = list_labelled_recordings(root)
    loaded = [ActigraphyRecording.from_frame(read(path)) for _, _, path in recordings]
    raw = np.vstack([participant_features(t, max_days=max_days) for t in loaded])
    y = np.array([label for _, label, _ in recordings], dtype=np.int_)
    training: dict[str, JsonValue] = {"training_data": str(root.name)}
    card_folds = int(min(5, np.bincount(y, minlength=2).min()))
    if card_repeats and card_folds >= 2:
        report = evaluate_recordings(
            loaded,
            list(y),
            repeats=card_repeats,
            folds=card_folds,
            seed=seed,
            C=C,
            max_days=max_days,
            n_bootstrap=500,
            info=None if info is None else [info.get(p) for p, _, _ in recordings],
            families=("logistic", family),
        )
        training["evaluation"] = report.to_json()  # type: ignore[assignment]
    return build_depresjon_model(
        raw, y, C=C, seed=seed, max_days=max_days, training=training, family=family
    )


def score_recordings(
    model: DepresjonModel, input_dir: Path, read: RecordingReader
) -> list[ScoredRecording]:
    """Score every ``*.csv`` recording in a flat folder (any file names), sorted by name."""
    paths = sorted(Path(input_dir).glob("*.csv"))
    if not paths:
        raise InputFormatError(str(input_dir), "no *.csv recordings found")
    probs = model.predict_proba([ActigraphyRecording.from_frame(read(p)) for p in paths])
    return [
        ScoredRecording(p.stem, float(prob), bool(prob >= model.threshold))
        for p, prob in zip(paths, probs, strict=True)
    ]
