"""Calibration figures (Brier, ECE, reliability) and split-conformal coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.domain import ConfigurationError
from bedside.models.calibration_metrics import (
    brier_score,
    calibration_summary,
    expected_calibration_error,
    reliability_curve,
)
from bedside.models.conformal import SplitConformal, empirical_coverage, patient_coverage
from bedside.models.metrics_ci import auroc, binary_scores, cluster_bootstrap


def test_brier_and_ece_by_hand() -> None:
    y = np.array([1, 0, 1, 0])
    p = np.array([0.9, 0.1, 0.6, 0.6])
    assert brier_score(y, p) == pytest.approx((0.01 + 0.01 + 0.16 + 0.36) / 4)
    # bins: [0.1] -> observed 0, [0.6, 0.6] -> observed 0.5, [0.9] -> observed 1
    assert expected_calibration_error(y, p, n_bins=10) == pytest.approx((0.1 + 2 * 0.1 + 0.1) / 4)
    bins = reliability_curve(y, p, n_bins=10)
    assert [b.count for b in bins] == [1, 2, 1]
    assert bins[1].predicted == pytest.approx(0.6)
    assert bins[1].observed == pytest.approx(0.5)


def test_calibrated_probabilities_have_small_ece_and_miscalibrated_large() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(size=20_000)
    y = (rng.uniform(size=p.size) < p).astype(float)
    good = calibration_summary(y, p)
    bad = calibration_summary(y, np.clip(p * 0.5 + 0.4, 0, 1))
    assert good.ece < 0.02 < bad.ece
    assert good.brier < good.brier_base_rate


def test_bad_input_is_named() -> None:
    with pytest.raises(ConfigurationError, match="labels"):
        brier_score([0, 2], [0.1, 0.2])
    with pytest.raises(ConfigurationError, match="probabilities"):
        brier_score([0, 1], [0.1, 1.2])


def test_auroc_and_scores_by_hand() -> None:
    assert auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert auroc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert math.isnan(auroc([1, 1], [0.2, 0.3]))
    s = binary_scores([1, 1, 0, 0], [1, 0, 0, 0])
    assert s["balanced_accuracy"] == pytest.approx(0.75)
    assert s["f1"] == pytest.approx(2 / 3)
    assert s["mcc"] == pytest.approx(1 / math.sqrt(3))


def test_cluster_bootstrap_interval_contains_point_and_resamples_patients() -> None:
    rng = np.random.default_rng(1)
    groups = np.repeat(np.arange(30), 20)
    y = (rng.uniform(size=groups.size) < 0.4).astype(float)
    score = y + rng.normal(size=y.size)
    est = cluster_bootstrap(auroc, y, score, groups, n_bootstrap=200, seed=0)
    assert est.low <= est.estimate <= est.high
    assert est.high - est.low > 0.0


@settings(max_examples=25, deadline=None)
@given(
    alpha=st.sampled_from([0.05, 0.1, 0.2]),
    seed=st.integers(0, 10_000),
    skill=st.floats(0.0, 3.0),
)
def test_split_conformal_covers_exchangeable_rows(alpha: float, seed: int, skill: float) -> None:
    """Average coverage over many calibration/test draws is at least 1 - alpha (within noise)."""
    rng = np.random.default_rng(seed)
    covs = []
    for _ in range(40):
        y = (rng.uniform(size=400) < 0.3).astype(float)
        logit = skill * (y - 0.5) + rng.normal(size=y.size)
        p = 1.0 / (1.0 + np.exp(-logit))
        conf = SplitConformal.fit(y[:200], p[:200], alpha=alpha)
        covs.append(empirical_coverage(conf, y[200:], p[200:]))
    # mean of 40 x 200 test rows: SE about 0.005; the guarantee is >= 1 - alpha
    assert np.mean(covs) >= 1.0 - alpha - 0.02


def test_conformal_json_round_trip_and_small_calibration_sets() -> None:
    conf = SplitConformal.fit([0, 0, 1], [0.2, 0.3, 0.8], alpha=0.1)
    # 2 negatives and 1 positive are too few for 90 %: every class stays in every set
    assert math.isinf(conf.threshold_0)
    assert math.isinf(conf.threshold_1)
    assert conf.prediction_set(0.5) == ["no_episode", "episode"]
    assert SplitConformal.from_json(conf.to_json()) == conf
    with pytest.raises(ConfigurationError):
        SplitConformal.fit([0, 1], [0.1, 0.9], alpha=1.5)


def _clustered_cohort(
    rng: np.random.Generator, n_patients: int, days: int = 60
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, probabilities and patient ids with strongly correlated days within a patient.

    Half the patients have one 25-day episode; a patient-level offset (SD 1.5 on the logit
    scale) shared by all of a patient's days makes days within a patient far from exchangeable.
    """
    g = np.repeat(np.arange(n_patients), days)
    day = np.tile(np.arange(days), n_patients)
    start = rng.integers(0, days - 20, size=n_patients)
    has_episode = rng.uniform(size=n_patients) < 0.5
    y = (has_episode[g] & (day >= start[g]) & (day < start[g] + 25)).astype(float)
    logit = 1.5 * (y - 0.5) + rng.normal(scale=1.5, size=n_patients)[g]
    logit += 0.3 * rng.normal(size=g.size)
    return y, 1.0 / (1.0 + np.exp(-logit)), g


def test_patient_level_conformal_covers_new_patients_when_days_are_correlated() -> None:
    """Row-level calibration under-covers new patients' days; one score per patient does not.

    10 calibration patients, 40 new patients per draw, 150 draws (fixed seed). The patient-level
    guarantee is on the mean over draws of each new patient's share of covered days.
    """
    rng = np.random.default_rng(0)
    alpha = 0.1
    row, random_day, max_all_0, max_all_1 = [], [], [], []
    for _ in range(150):
        yc, pc, gc = _clustered_cohort(rng, 10)
        yt, pt, gt = _clustered_cohort(rng, 40)
        by_row = SplitConformal.fit(yc, pc, alpha=alpha)
        row.append(patient_coverage(by_row, yt, pt, gt)[0])
        seed = int(rng.integers(1 << 30))
        by_patient = SplitConformal.fit(yc, pc, alpha=alpha, groups=gc, seed=seed)
        assert by_patient.unit == "patient"
        assert by_patient.n_calibration_0 <= 10
        random_day.append(patient_coverage(by_patient, yt, pt, gt)[0])
        simultaneous = SplitConformal.fit(yc, pc, alpha=alpha, groups=gc, patient_score="max")
        sets = simultaneous.prediction_sets(pt)
        hit = sets[np.arange(yt.size), yt.astype(np.intp)]
        for cls, out in ((0, max_all_0), (1, max_all_1)):
            patients = np.unique(gt[yt == cls])
            out.extend(bool(hit[(gt == g) & (yt == cls)].all()) for g in patients)
    assert np.mean(random_day) >= 1.0 - alpha - 0.005
    assert np.mean(row) < 1.0 - alpha - 0.02
    # "max": every day of the patient's class is covered for >= 1 - alpha of new patients
    assert np.mean(max_all_0) >= 1.0 - alpha - 0.01
    assert np.mean(max_all_1) >= 1.0 - alpha - 0.01


def test_patient_level_conformal_json_and_errors() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    p = np.array([0.1, 0.3, 0.7, 0.9, 0.2, 0.6])
    g = np.array(["a", "a", "a", "b", "b", "b"])
    conf = SplitConformal.fit(y, p, alpha=0.5, groups=g, patient_score="max")
    assert (conf.n_calibration_0, conf.n_calibration_1) == (2, 2)
    # class 0 patient scores: a max(0.1, 0.3) = 0.3, b 0.2; rank ceil(3 * 0.5) = 2 -> 0.3
    assert conf.threshold_0 == pytest.approx(0.3)
    # class 1 scores 1 - p: a 0.3, b max(0.1, 0.4) = 0.4 -> 0.4
    assert conf.threshold_1 == pytest.approx(0.4)
    assert SplitConformal.from_json(conf.to_json()) == conf
    old = {k: v for k, v in conf.to_json().items() if k not in ("unit", "patient_score")}
    assert SplitConformal.from_json(old).unit == "row"
    assert patient_coverage(conf, y, p, g) == pytest.approx((1.0, 1.0))
    with pytest.raises(ConfigurationError, match="patient ids"):
        SplitConformal.fit(y, p, groups=g[:3])
    with pytest.raises(ConfigurationError, match="patient_score"):
        SplitConformal.fit(y, p, groups=g, patient_score="mean")  # type: ignore[arg-type]
