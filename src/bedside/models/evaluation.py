"""Subject-level evaluation of the Depresjon benchmark classifier next to the paper's baseline.

Protocol
--------
Repeated stratified K-fold over participants (``repeats`` x ``folds``, fold seeds ``seed + r``):
all days of a participant are in one fold. In each fold, on the same split:

- this project's classifier (`bedside.models.depresjon_classifier`), in both families (calibrated
  logistic regression, the default, and gradient-boosted trees), is fitted on the training
  participants (imputation, scaling and calibration learned there only) and gives a probability
  per test participant; predicted depressed when ``probability >= 0.5``; its day-level F1 and MCC
  give every day of a test participant that participant's prediction (the model scores
  participants, not days);
- the paper's baseline (Garcia-Ceja et al. 2018): three day-level features (mean activity, SD,
  share of zero minutes) -> standardisation + linear SVM on the training participants' days; a
  test participant's score is the mean of its days' decision values, predicted depressed when that
  mean is > 0; day-level predictions give the day-level F1 and MCC the paper reports.

- MADRS severity (``madrs1``, patients with a score only; when participant information is given;
  repeated K-fold over those patients): mean absolute error of (a) ridge regression (alpha 10) on
  the standardised participant features, (b) the same ridge shrunk towards the training fold's
  mean, ``mean + s * (ridge - mean)``, with ``s`` in {0, 0.25, 0.5, 0.75, 1} chosen inside the
  training fold by leave-one-out MAE with the one-standard-error rule (the smallest ``s`` whose
  MAE is within one SE of the best; Hastie, Tibshirani and Friedman 2009, section 7.10), so that
  without a reliable signal it predicts the mean, and (c) predicting the training fold's mean.
  The share of folds in which (b) chose ``s = 0`` is reported.

Metrics: participant-level AUROC, balanced accuracy, MCC and F1 (depressed = positive), and
day-level F1 and MCC. Subgroups (sex, age band below / from 40 years, when participant information
is given): AUROC of the logistic model's out-of-fold probabilities averaged over repeats, with a
participant-bootstrap interval, where the subgroup has both classes.

The point estimate is the mean over repeats. The 95 % interval is a percentile bootstrap over
participants: each resample (with replacement) of the participants re-weights the out-of-fold
predictions of every repeat, the metric is averaged over repeats, and the 2.5 and 97.5
percentiles over resamples are reported (predictions are not refitted per resample, so the
interval covers the sampling of participants, not of training sets).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

from bedside.domain import ConfigurationError, InsufficientDataError
from bedside.models.depresjon_classifier import (
    fit_depresjon_estimator,
    imputation_values,
    impute,
)
from bedside.models.depresjon_features import (
    MAX_DAYS,
    ActigraphyRecording,
    RecordingReader,
    list_labelled_recordings,
    paper_day_features,
    participant_features,
)
from bedside.models.metrics_ci import auroc as auroc_score
from bedside.models.metrics_ci import cluster_bootstrap
from bedside.models.risk_families import as_float32, fit_family

__all__ = [
    "EvaluationReport",
    "MetricSummary",
    "ParticipantInfo",
    "evaluate_depresjon",
    "evaluate_recordings",
]


@dataclass(frozen=True)
class ParticipantInfo:
    """What the evaluation may know about a participant beyond the recording.

    Attributes
    ----------
    sex : str or None
        ``female`` or ``male``.
    age_band : str or None
        5-year band such as ``35-39``.
    madrs : float or None
        MADRS score at the start of the recording (patients only).
    """

    sex: str | None = None
    age_band: str | None = None
    madrs: float | None = None

    @property
    def age_group(self) -> str | None:
        """``<40`` or ``>=40`` from the band's lower bound (None when unknown)."""
        if not self.age_band:
            return None
        head = self.age_band.split("-", 1)[0].strip()
        return None if not head.isdigit() else ("<40" if int(head) < 40 else ">=40")


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
    gbt: dict[str, MetricSummary] = field(default_factory=dict)
    model_days: dict[str, MetricSummary] = field(default_factory=dict)
    gbt_days: dict[str, MetricSummary] = field(default_factory=dict)
    subgroups: dict[str, tuple[int, int, MetricSummary | None]] = field(default_factory=dict)
    madrs: dict[str, MetricSummary] = field(default_factory=dict)
    madrs_n: int = 0
    madrs_shrinkage_zero_share: float = float("nan")

    def to_json(self) -> dict[str, object]:
        """JSON-ready form (metrics as ``{estimate, low, high}``)."""

        def one(m: MetricSummary) -> dict[str, float | None]:
            return {k: (None if math.isnan(v) else v) for k, v in m.__dict__.items()}

        def block(d: Mapping[str, MetricSummary]) -> dict[str, dict[str, float | None]]:
            return {k: one(v) for k, v in d.items()}

        return {
            "n_participants": self.n_participants,
            "n_depressed": self.n_depressed,
            "n_days": self.n_days,
            "protocol": f"{self.repeats} x {self.folds}-fold subject-level CV, seed {self.seed}",
            "logistic": block(self.model),
            "logistic_days": block(self.model_days),
            "gbt": block(self.gbt),
            "gbt_days": block(self.gbt_days),
            "paper_baseline": block(self.paper_baseline),
            "paper_baseline_days": block(self.paper_baseline_days),
            "subgroups_logistic_auroc": {
                k: {"n": n, "n_depressed": npos, "auroc": None if m is None else one(m)}
                for k, (n, npos, m) in self.subgroups.items()
            },
            "madrs_regression": {
                "n_patients": self.madrs_n,
                **block(self.madrs),
                "shrinkage_zero_share": (
                    None
                    if math.isnan(self.madrs_shrinkage_zero_share)
                    else self.madrs_shrinkage_zero_share
                ),
            },
            "interval": self.ci_method,
            "notes": list(self.notes),
        }

    def to_table(self) -> str:
        """A plain-text table for printing."""
        head = (
            f"Depresjon benchmark (research, not the clinical model): {self.n_participants} "
            f"participants ({self.n_depressed} depressed), {self.n_days} days; "
            f"{self.repeats} x {self.folds}-fold subject-level CV, seed {self.seed}"
        )
        rows = [
            f"{'metric':<28}{'logistic (this model)':<26}{'gradient-boosted trees':<26}"
            f"{'paper 3-feature linear SVM':<26}"
        ]
        labels = {
            "auroc": "participant AUROC",
            "balanced_accuracy": "participant balanced acc.",
            "mcc": "participant MCC",
            "f1": "participant F1",
        }
        na = "n/a"
        for key, label in labels.items():
            rows.append(
                f"{label:<28}{self.model[key]!s:<26}{self.gbt.get(key, na)!s:<26}"
                f"{self.paper_baseline[key]!s:<26}"
            )
        for key in ("f1", "mcc"):
            label = f"day-level {key.upper() if key == 'mcc' else 'F1'}"
            rows.append(
                f"{label:<28}{self.model_days.get(key, na)!s:<26}{self.gbt_days.get(key, na)!s:<26}"
                f"{self.paper_baseline_days[key]!s:<26}"
            )
        rows.append("paper (full 55, day-level 10-fold, weaker validation): F1 0.724, MCC 0.433")
        if self.subgroups:
            rows.append("subgroup AUROC of the logistic model (out-of-fold, mean over repeats):")
            for name, (n, npos, m) in self.subgroups.items():
                shown = "not computable (one class)" if m is None else str(m)
                rows.append(f"  {name:<24}n={n:<4}depressed={npos:<4}{shown}")
        if self.madrs:
            rows.append(
                f"MADRS regression ({self.madrs_n} patients with a score), mean absolute error "
                f"(points): ridge {self.madrs['ridge_mae']}, ridge shrunk to the mean "
                f"{self.madrs['shrunk_mae']}, predict-the-mean {self.madrs['mean_mae']}; "
                f"shrinkage chose s = 0 (the mean) in "
                f"{100 * self.madrs_shrinkage_zero_share:.0f}% of folds"
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
        if v.size:
            # a resample with one class only has no AUROC in any repeat: NaN, dropped below
            ok = np.isfinite(v)
            count = ok.sum(axis=1)
            total = np.where(ok, v, 0.0).sum(axis=1)
            per_sample = np.divide(total, count, out=np.full(count.shape, np.nan), where=count > 0)
        else:
            per_sample = np.array([np.nan])
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


def _day_metrics(
    weights: FloatArray, pred: BoolArray, n_days: npt.NDArray[np.int_], y: BoolArray
) -> dict[str, MetricSummary]:
    """Day-level F1/MCC when each participant's days all get the participant's prediction."""
    d = n_days.astype(np.float64)
    p = pred.astype(np.float64)  # (r, n)
    yy = y.astype(np.float64)
    counts = [
        weights @ (p * yy * d).T,
        weights @ (p * (1 - yy) * d).T,
        weights @ ((1 - p) * (1 - yy) * d).T,
        weights @ ((1 - p) * yy * d).T,
    ]
    values = _from_counts(*counts)
    return _summaries({"f1": values["f1"], "mcc": values["mcc"]})


SHRINKAGE_GRID: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
"""Candidate factors ``s`` of the shrunk MADRS regression (0 = the training mean)."""

RIDGE_ALPHA = 10.0


def _ridge_predict(X_train: FloatArray, t_train: FloatArray, X_test: FloatArray) -> FloatArray:
    """Ridge (alpha `RIDGE_ALPHA`) on standardised, median-imputed features."""
    fill = imputation_values(X_train)
    A = impute(X_train, fill)
    scaler = StandardScaler().fit(A)
    ridge = Ridge(alpha=RIDGE_ALPHA).fit(scaler.transform(A), t_train)
    out: FloatArray = ridge.predict(scaler.transform(impute(X_test, fill)))
    return out


def shrinkage_factor(X: FloatArray, target: FloatArray) -> float:
    """In-sample choice of ``s`` (module docstring): leave-one-out MAE, one-standard-error rule.

    Parameters
    ----------
    X : ndarray, shape (n, n_features)
        Training participants' features (NaN allowed; imputed inside each leave-one-out fit).
    target : ndarray, shape (n,)
        Their MADRS scores (points).

    Returns
    -------
    float
        The chosen factor from `SHRINKAGE_GRID`; 0 with fewer than 3 participants.
    """
    n = target.size
    if n < 3:
        return 0.0
    grid = np.asarray(SHRINKAGE_GRID)
    errors = np.zeros((grid.size, n))
    for i in range(n):
        rest = np.arange(n) != i
        mean = float(target[rest].mean())
        pred = float(_ridge_predict(X[rest], target[rest], X[i : i + 1])[0])
        errors[:, i] = np.abs(mean + grid * (pred - mean) - target[i])
    mae = errors.mean(axis=1)
    se = errors.std(axis=1, ddof=1) / np.sqrt(n)
    best = int(np.argmin(mae))
    return float(grid[int(np.flatnonzero(mae <= mae[best] + se[best])[0])])


def _madrs(
    raw: FloatArray, madrs: FloatArray, *, repeats: int, folds: int, seed: int, n_bootstrap: int
) -> tuple[int, dict[str, MetricSummary], float]:
    """Ridge, shrunk ridge and predict-the-mean MAE over repeated K-fold of the scored patients.

    Returns the number of patients, the MAE summaries and the share of folds with ``s = 0``.
    """
    rows = np.flatnonzero(np.isfinite(madrs))
    k = min(folds, rows.size)
    if k < 2:
        return int(rows.size), {}, float("nan")
    X, target = raw[rows], madrs[rows]
    errors = {name: np.zeros((repeats, rows.size)) for name in ("ridge", "shrunk", "mean")}
    factors = []
    for r in range(repeats):
        for train, test in KFold(k, shuffle=True, random_state=seed + r).split(X):
            mean = float(target[train].mean())
            pred = _ridge_predict(X[train], target[train], X[test])
            factor = shrinkage_factor(X[train], target[train])
            factors.append(factor)
            errors["ridge"][r, test] = np.abs(pred - target[test])
            errors["shrunk"][r, test] = np.abs(mean + factor * (pred - mean) - target[test])
            errors["mean"][r, test] = np.abs(mean - target[test])
    rng = np.random.default_rng(seed)
    n = rows.size
    boot = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_bootstrap)])
    w = np.vstack([np.ones(n), boot]).astype(np.float64)
    out = {}
    for name, err in errors.items():
        v = (w @ err.T) / w.sum(axis=1, keepdims=True)  # (1 + B, r)
        out[f"{name}_mae"] = _summaries({name: v})[name]
    return int(n), out, float(np.mean(np.asarray(factors) == 0.0))


def _subgroups(
    prob: FloatArray,
    y: npt.NDArray[np.int_],
    info: Sequence[ParticipantInfo | None],
    *,
    seed: int,
    n_bootstrap: int,
) -> dict[str, tuple[int, int, MetricSummary | None]]:
    mean_prob = prob.mean(axis=0)
    keys: dict[str, list[int]] = {}
    for i, item in enumerate(info):
        if item is None:
            continue
        if item.sex:
            keys.setdefault(f"sex={item.sex}", []).append(i)
        if item.age_group:
            keys.setdefault(f"age {item.age_group}", []).append(i)
    out: dict[str, tuple[int, int, MetricSummary | None]] = {}
    for name in sorted(keys):
        idx = np.array(keys[name])
        yy = y[idx]
        npos = int(yy.sum())
        summary = None
        if 0 < npos < idx.size:
            est = cluster_bootstrap(
                auroc_score, yy, mean_prob[idx], idx, n_bootstrap=n_bootstrap, seed=seed
            )
            summary = MetricSummary(est.estimate, est.low, est.high)
        out[name] = (int(idx.size), npos, summary)
    return out


def evaluate_recordings(
    recordings: Sequence[ActigraphyRecording],
    labels: Sequence[int],
    *,
    repeats: int = 20,
    folds: int = 5,
    seed: int = 0,
    C: float = 0.1,
    max_days: int = MAX_DAYS,
    n_bootstrap: int = 1000,
    info: Sequence[ParticipantInfo | None] | None = None,
    families: Sequence[str] = ("logistic", "gbt"),
) -> EvaluationReport:
    """Run the protocol of the module docstring on participants' recordings.

    Parameters
    ----------
    recordings : sequence of ActigraphyRecording
        One per participant.
    labels : sequence of int
        1 depressed, 0 control, aligned with `recordings`.
    info : sequence of ParticipantInfo or None, optional
        Sex, age band and MADRS per participant (subgroups and severity regression).
    families : sequence of str
        Model families to evaluate; ``logistic`` is always evaluated.
    """
    y = np.asarray(labels, dtype=np.int_)
    if y.size != len(recordings):
        raise ConfigurationError("one label per recording is required")
    if info is not None and len(info) != y.size:
        raise ConfigurationError("one participant information item per table is required")
    counts = np.bincount(y, minlength=2)
    if counts.min() < folds:
        raise InsufficientDataError(f"each class needs at least {folds} participants, got {counts}")
    if repeats < 1:
        raise ConfigurationError("repeats must be >= 1")
    raw = np.vstack([participant_features(t, max_days=max_days) for t in recordings])
    days = [paper_day_features(t.table, max_days=max_days) for t in recordings]
    n_days = np.array([d.shape[0] for d in days], dtype=np.int_)
    n = y.size
    use_gbt = "gbt" in families
    prob = np.zeros((repeats, n))
    prob_gbt = np.zeros((repeats, n))
    svm_score = np.zeros((repeats, n))
    day_conf = np.zeros((4, repeats, n))  # TP, FP, TN, FN days per participant
    is_pos = y.astype(bool)
    for r in range(repeats):
        split = StratifiedKFold(folds, shuffle=True, random_state=seed + r)
        for train, test in split.split(raw, y):
            fill = imputation_values(raw[train])
            X_train, X_test = impute(raw[train], fill), impute(raw[test], fill)
            est = fit_depresjon_estimator(X_train, y[train], C=C, seed=seed + r)
            prob[r, test] = est.predict_proba(X_test)[:, 1]
            if use_gbt:
                gbt = fit_family("gbt", X_train, y[train], folds=3, seed=seed + r)
                prob_gbt[r, test] = gbt.predict_proba(as_float32(X_test))[:, 1]
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
    model_days = _day_metrics(weights, prob >= 0.5, n_days, is_pos)
    gbt_metrics: dict[str, MetricSummary] = {}
    gbt_days: dict[str, MetricSummary] = {}
    if use_gbt:
        gbt_metrics = _participant_metrics(weights, prob_gbt, prob_gbt >= 0.5, is_pos)
        gbt_days = _day_metrics(weights, prob_gbt >= 0.5, n_days, is_pos)
    paper = _participant_metrics(weights, svm_score, svm_score > 0, is_pos)
    tp, fp, tn, fn = (np.einsum("bi,ri->br", weights, c) for c in day_conf)
    day_values = _from_counts(tp, fp, tn, fn)
    paper_days = _summaries({"f1": day_values["f1"], "mcc": day_values["mcc"]})
    subgroups: dict[str, tuple[int, int, MetricSummary | None]] = {}
    madrs: dict[str, MetricSummary] = {}
    madrs_n = 0
    madrs_zero_share = float("nan")
    if info is not None:
        subgroups = _subgroups(prob, y, info, seed=seed, n_bootstrap=n_bootstrap)
        target = np.array(
            [np.nan if i is None or i.madrs is None else float(i.madrs) for i in info]
        )
        madrs_n, madrs, madrs_zero_share = _madrs(
            raw, target, repeats=repeats, folds=folds, seed=seed, n_bootstrap=n_bootstrap
        )
    return EvaluationReport(
        n_participants=n,
        n_depressed=int(y.sum()),
        n_days=int(n_days.sum()),
        repeats=repeats,
        folds=folds,
        seed=seed,
        model=model,
        paper_baseline=paper,
        paper_baseline_days=paper_days,
        ci_method=CI_METHOD.format(n_bootstrap=n_bootstrap),
        notes=[
            f"days: first {max_days} complete days per recording; no dates or seasonal features",
            "day-level metrics of the models: each day gets its participant's prediction",
        ],
        gbt=gbt_metrics,
        model_days=model_days,
        gbt_days=gbt_days,
        subgroups=subgroups,
        madrs=madrs,
        madrs_n=madrs_n,
        madrs_shrinkage_zero_share=madrs_zero_share,
    )


def evaluate_depresjon(
    root: Path,
    read: RecordingReader,
    *,
    repeats: int = 20,
    folds: int = 5,
    seed: int = 0,
    n_bootstrap: int = 1000,
    info: Mapping[str, ParticipantInfo] | None = None,
    families: Sequence[str] = ("logistic", "gbt"),
) -> EvaluationReport:
    """Evaluate on every participant of a folder laid out like the Depresjon data.

    Parameters
    ----------
    root : Path
        Folder with ``condition/*.csv`` and ``control/*.csv``.
    read : RecordingReader
        Reads one recording file into its minute samples.
    info : mapping of participant (file stem) to ParticipantInfo, optional
        From ``scores.csv``; enables subgroup metrics and the MADRS regression.
    """
    recordings = list_labelled_recordings(root)
    loaded = [ActigraphyRecording.from_frame(read(path)) for _, _, path in recordings]
    return evaluate_recordings(
        loaded,
        [label for _, label, _ in recordings],
        repeats=repeats,
        folds=folds,
        seed=seed,
        n_bootstrap=n_bootstrap,
        info=None if info is None else [info.get(p) for p, _, _ in recordings],
        families=families,
    )
