"""Subject-level evaluation of the Depresjon benchmark classifier next to the paper's baseline.

Protocol
--------
Repeated stratified K-fold over participants (``repeats`` x ``folds``, fold seeds ``seed + r``):
all days of a participant are in one fold. In each fold, on the same split:

- this project's classifier (`bedside.models.depresjon_classifier`) is fitted on the training
  participants (imputation, scaling and calibration learned there only) and gives a probability
  per test participant; predicted depressed when ``probability >= 0.5``;
- the paper's baseline (Garcia-Ceja et al. 2018): three day-level features (mean activity, SD,
  share of zero minutes) -> standardisation + linear SVM on the training participants' days; a
  test participant's score is the mean of its days' decision values, predicted depressed when that
  mean is > 0; day-level predictions give the day-level F1 and MCC the paper reports.

Metrics: participant-level AUROC, balanced accuracy, MCC and F1 (depressed = positive), and
day-level F1 and MCC for the baseline. The point estimate is the mean over repeats. The 95 %
interval is a percentile bootstrap over participants: each resample (with replacement) of the
participants re-weights the out-of-fold predictions of every repeat, the metric is averaged over
repeats, and the 2.5 and 97.5 percentiles over resamples are reported (predictions are not
refitted per resample, so the interval covers the sampling of participants, not of training sets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from bedside.domain import ConfigurationError, DailyBiomarkerTable, InsufficientDataError
from bedside.models.depresjon_classifier import (
    fit_depresjon_estimator,
    imputation_values,
    impute,
)
from bedside.models.depresjon_features import (
    MAX_DAYS,
    RecordingReader,
    list_labelled_recordings,
    paper_day_features,
    participant_features,
)

__all__ = ["EvaluationReport", "MetricSummary", "evaluate_depresjon", "evaluate_tables"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

CI_METHOD = (
    "95% percentile bootstrap over participants ({n_bootstrap} resamples) of the metric "
    "averaged over repeats; point estimate = mean over repeats"
)


@dataclass(frozen=True)
class MetricSummary:
    """A metric's point estimate and 95 % interval (see the module docstring)."""

    estimate: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.estimate:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class EvaluationReport:
    """Results of `evaluate_depresjon`.

    Attributes
    ----------
    model, paper_baseline : dict of str to MetricSummary
        Participant-level ``auroc``, ``balanced_accuracy``, ``mcc``, ``f1``.
    paper_baseline_days : dict of str to MetricSummary
        Day-level ``f1`` and ``mcc`` of the paper's baseline.
    """

    n_participants: int
    n_depressed: int
    n_days: int
    repeats: int
    folds: int
    seed: int
    model: dict[str, MetricSummary]
    paper_baseline: dict[str, MetricSummary]
    paper_baseline_days: dict[str, MetricSummary]
    ci_method: str
    notes: list[str] = field(default_factory=list)

    def to_table(self) -> str:
        """A plain-text table for printing."""
        head = (
            f"Depresjon benchmark (research, not the clinical model): {self.n_participants} "
            f"participants ({self.n_depressed} depressed), {self.n_days} days; "
            f"{self.repeats} x {self.folds}-fold subject-level CV, seed {self.seed}"
        )
        rows = [f"{'metric':<28}{'this model':<26}{'paper 3-feature linear SVM':<26}"]
        labels = {
            "auroc": "participant AUROC",
            "balanced_accuracy": "participant balanced acc.",
            "mcc": "participant MCC",
            "f1": "participant F1",
        }
        for key, label in labels.items():
            rows.append(f"{label:<28}{self.model[key]!s:<26}{self.paper_baseline[key]!s:<26}")
        for key in ("f1", "mcc"):
            label = f"day-level {key.upper() if key == 'mcc' else 'F1'}"
            rows.append(
                f"{label:<28}{'n/a (per participant)':<26}{self.paper_baseline_days[key]!s:<26}"
            )
        return "\n".join([head, *rows, f"interval: {self.ci_method}", *self.notes])


# -- weighted metrics, vectorised over bootstrap resamples (b) and repeats (r) ----------------


def _auroc(weights: FloatArray, scores: FloatArray, y: BoolArray) -> FloatArray:
    """Weighted AUROC, shape (b, r); weights (b, n), scores (r, n)."""
    pos, neg = scores[:, y], scores[:, ~y]
    cmp = (pos[:, :, None] > neg[:, None, :]) + 0.5 * (pos[:, :, None] == neg[:, None, :])
    wp, wn = weights[:, y], weights[:, ~y]
    num = np.einsum("bi,rij,bj->br", wp, cmp, wn)
    den = (wp.sum(axis=1) * wn.sum(axis=1))[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = num / den
    return out


def _confusion(weights: FloatArray, pred: BoolArray, y: BoolArray) -> tuple[FloatArray, ...]:
    """Weighted TP, FP, TN, FN, each (b, r); pred (r, n)."""
    p = pred.astype(np.float64)
    yy = y.astype(np.float64)
    tp = weights @ (p * yy).T
    fp = weights @ (p * (1 - yy)).T
    tn = weights @ ((1 - p) * (1 - yy)).T
    fn = weights @ ((1 - p) * yy).T
    return tp, fp, tn, fn


def _from_counts(
    tp: FloatArray, fp: FloatArray, tn: FloatArray, fn: FloatArray
) -> dict[str, FloatArray]:
    with np.errstate(invalid="ignore", divide="ignore"):
        sens = tp / (tp + fn)
        spec = tn / (tn + fp)
        denom = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        mcc = np.where(denom > 0, (tp * tn - fp * fn) / np.where(denom > 0, denom, 1.0), 0.0)
        f1_den = 2 * tp + fp + fn
        f1 = np.where(f1_den > 0, 2 * tp / np.where(f1_den > 0, f1_den, 1.0), 0.0)
    return {"balanced_accuracy": 0.5 * (sens + spec), "mcc": mcc, "f1": f1}


def _summaries(values: dict[str, FloatArray]) -> dict[str, MetricSummary]:
    """values: metric -> (1 + B, r); row 0 is the unweighted (original) sample."""
    out = {}
    for name, v in values.items():
        per_sample = np.nanmean(v, axis=1) if v.size else np.array([np.nan])
        boot = per_sample[1:]
        boot = boot[np.isfinite(boot)]
        low, high = np.percentile(boot, [2.5, 97.5]) if boot.size else (np.nan, np.nan)
        out[name] = MetricSummary(float(per_sample[0]), float(low), float(high))
    return out


def _participant_metrics(
    weights: FloatArray, scores: FloatArray, pred: BoolArray, y: BoolArray
) -> dict[str, MetricSummary]:
    values = {"auroc": _auroc(weights, scores, y), **_from_counts(*_confusion(weights, pred, y))}
    return _summaries(values)


# -- the protocol ------------------------------------------------------------------------------


def evaluate_tables(
    tables: Sequence[DailyBiomarkerTable],
    labels: Sequence[int],
    *,
    repeats: int = 20,
    folds: int = 5,
    seed: int = 0,
    C: float = 0.1,
    max_days: int = MAX_DAYS,
    n_bootstrap: int = 1000,
) -> EvaluationReport:
    """Run the protocol of the module docstring on participants' daily tables.

    Parameters
    ----------
    tables : sequence of DailyBiomarkerTable
        One per participant.
    labels : sequence of int
        1 depressed, 0 control, aligned with `tables`.
    """
    y = np.asarray(labels, dtype=np.int_)
    if y.size != len(tables):
        raise ConfigurationError("one label per table is required")
    counts = np.bincount(y, minlength=2)
    if counts.min() < folds:
        raise InsufficientDataError(f"each class needs at least {folds} participants, got {counts}")
    if repeats < 1:
        raise ConfigurationError("repeats must be >= 1")
    raw = np.vstack([participant_features(t, max_days=max_days) for t in tables])
    days = [paper_day_features(t, max_days=max_days) for t in tables]
    n = y.size
    prob = np.zeros((repeats, n))
    svm_score = np.zeros((repeats, n))
    day_conf = np.zeros((4, repeats, n))  # TP, FP, TN, FN days per participant
    is_pos = y.astype(bool)
    for r in range(repeats):
        split = StratifiedKFold(folds, shuffle=True, random_state=seed + r)
        for train, test in split.split(raw, y):
            fill = imputation_values(raw[train])
            est = fit_depresjon_estimator(impute(raw[train], fill), y[train], C=C, seed=seed + r)
            prob[r, test] = est.predict_proba(impute(raw[test], fill))[:, 1]
            svm = Pipeline([("scale", StandardScaler()), ("svm", LinearSVC(C=1.0))])
            svm.fit(
                np.vstack([days[i] for i in train]),
                np.concatenate([np.full(days[i].shape[0], y[i]) for i in train]),
            )
            for i in test:
                d = svm.decision_function(days[i]) if days[i].shape[0] else np.zeros(0)
                svm_score[r, i] = float(d.mean()) if d.size else 0.0
                hit = d > 0
                day_conf[:, r, i] = (
                    [hit.sum(), 0, 0, (~hit).sum()]
                    if is_pos[i]
                    else [0, hit.sum(), (~hit).sum(), 0]
                )
    rng = np.random.default_rng(seed)
    boot = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_bootstrap)])
    weights = np.vstack([np.ones(n), boot]).astype(np.float64)
    model = _participant_metrics(weights, prob, prob >= 0.5, is_pos)
    paper = _participant_metrics(weights, svm_score, svm_score > 0, is_pos)
    tp, fp, tn, fn = (np.einsum("bi,ri->br", weights, c) for c in day_conf)
    day_values = _from_counts(tp, fp, tn, fn)
    paper_days = _summaries({"f1": day_values["f1"], "mcc": day_values["mcc"]})
    return EvaluationReport(
        n_participants=n,
        n_depressed=int(y.sum()),
        n_days=int(sum(d.shape[0] for d in days)),
        repeats=repeats,
        folds=folds,
        seed=seed,
        model=model,
        paper_baseline=paper,
        paper_baseline_days=paper_days,
        ci_method=CI_METHOD.format(n_bootstrap=n_bootstrap),
        notes=[
            f"days: first {max_days} complete days per recording; no dates or seasonal features"
        ],
    )


def evaluate_depresjon(
    root: Path,
    read: RecordingReader,
    *,
    repeats: int = 20,
    folds: int = 5,
    seed: int = 0,
    n_bootstrap: int = 1000,
) -> EvaluationReport:
    """Evaluate on every participant of a folder laid out like the Depresjon data.

    Parameters
    ----------
    root : Path
        Folder with ``condition/*.csv`` and ``control/*.csv``.
    read : RecordingReader
        Reads one recording into its daily biomarker table.
    """
    recordings = list_labelled_recordings(root)
    tables = [read(path) for _, _, path in recordings]
    return evaluate_tables(
        tables,
        [label for _, label, _ in recordings],
        repeats=repeats,
        folds=folds,
        seed=seed,
        n_bootstrap=n_bootstrap,
    )
