"""How a trained episode-risk model does on patients of another cohort (numpy + onnxruntime).

Used to test the clinic's model under shift: cohorts generated with settings other than the
training cohort's (seed, episode effect sizes, day-to-day noise, episode prevalence). For one
cohort: AUROC of the patient-days with a 95 % patient-bootstrap interval, Brier score beside the
base rate's, ECE, calibration-in-the-large (mean predicted minus observed rate) and the empirical
coverage of the model's conformal prediction sets (when it has them), pooled over patient-days and
with the patient as the unit (mean over patients of the share of their days covered).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bedside.domain import InsufficientDataError
from bedside.models.calibration_metrics import calibration_summary
from bedside.models.conformal import empirical_coverage, patient_coverage
from bedside.models.episode_examples import EpisodeExamples
from bedside.models.episode_risk import EpisodeRiskModel
from bedside.models.metrics_ci import Estimate, auroc, cluster_bootstrap

__all__ = ["CohortEvaluation", "evaluate_episode_model"]


@dataclass(frozen=True)
class CohortEvaluation:
    """Results of `evaluate_episode_model` on one cohort (all unitless)."""

    n_patients: int
    n_patient_days: int
    positive_rate: float
    auroc: Estimate
    brier: float
    brier_base_rate: float
    ece: float
    mean_predicted: float
    coverage: float | None
    nominal_coverage: float | None
    patient_coverage: float | None = None

    def row(self) -> str:
        """One line of a plain-text table (see `header`)."""
        cov = "n/a" if self.coverage is None else f"{self.coverage:.3f}/{self.nominal_coverage:.2f}"
        pcov = "n/a" if self.patient_coverage is None else f"{self.patient_coverage:.3f}"
        return (
            f"{self.n_patients:>4d} {self.n_patient_days:>6d} {self.positive_rate:>6.3f} "
            f"{self.auroc!s:>22} {self.brier:>6.3f} {self.brier_base_rate:>6.3f} "
            f"{self.ece:>6.3f} {self.mean_predicted - self.positive_rate:>+7.3f} {cov:>11} "
            f"{pcov:>8}"
        )

    @staticmethod
    def header() -> str:
        """Column names of `row`."""
        return (
            f"{'pts':>4} {'days':>6} {'rate':>6} {'AUROC [95% CI]':>22} {'Brier':>6} "
            f"{'B.base':>6} {'ECE':>6} {'pred-obs':>7} {'cov/nominal':>11} {'pt-cov':>8}"
        )


def evaluate_episode_model(
    model: EpisodeRiskModel,
    examples: Sequence[EpisodeExamples],
    *,
    n_bootstrap: int = 300,
    seed: int = 0,
) -> CohortEvaluation:
    """Score every labelled patient-day of `examples` with the model's ONNX and assess it."""
    if not examples:
        raise InsufficientDataError("no patients to evaluate on")
    prob = np.concatenate([model.predict_proba(e.features) for e in examples])
    y = np.concatenate([e.labels for e in examples])
    groups = np.concatenate(
        [np.full(e.features.n_days, str(e.features.patient_id)) for e in examples]
    )
    if y.size == 0:
        raise InsufficientDataError("the cohort has no labelled patient-days")
    cal = calibration_summary(y, prob)
    auc = cluster_bootstrap(auroc, y, prob, groups, n_bootstrap=n_bootstrap, seed=seed)
    coverage = None if model.conformal is None else empirical_coverage(model.conformal, y, prob)
    per_patient = (
        None if model.conformal is None else patient_coverage(model.conformal, y, prob, groups)[0]
    )
    return CohortEvaluation(
        n_patients=len(examples),
        n_patient_days=int(y.size),
        positive_rate=cal.base_rate,
        auroc=auc if not math.isnan(auc.estimate) else Estimate(math.nan, math.nan, math.nan),
        brier=cal.brier,
        brier_base_rate=cal.brier_base_rate,
        ece=cal.ece,
        mean_predicted=float(prob.mean()),
        coverage=coverage,
        nominal_coverage=None if model.conformal is None else model.conformal.coverage,
        patient_coverage=per_patient,
    )
