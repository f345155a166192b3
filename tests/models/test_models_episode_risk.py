"""Episode-risk model trained on the synthetic cohort: ONNX parity, explanations, bundle I/O."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bedside.biomarkers.daily_table import extract_daily
from bedside.domain import ModelError, RiskEstimate
from bedside.models import (
    COVERAGE_FEATURE,
    EpisodeExamples,
    EpisodeRiskModel,
    episode_examples,
    train_episode_risk,
)
from bedside.sensors import CohortConfig, episode_risk_labels, generate_cohort


@pytest.fixture(scope="module")
def examples() -> list[EpisodeExamples]:
    cohort = generate_cohort(CohortConfig(n_patients=16, n_days=75, seed=11, episode_fraction=0.5))
    out = []
    for patient in cohort.patients:
        table = extract_daily(patient.actigraphy)
        labels = episode_risk_labels(patient).astype(np.float64)
        offset = int((table.dates[0] - np.datetime64(patient.start_date, "D")).astype(int))
        out.append(episode_examples(table, labels[offset : offset + table.n_days]))
    return out


@pytest.fixture(scope="module")
def model(examples: list[EpisodeExamples]) -> EpisodeRiskModel:
    return train_episode_risk(examples, seed=1)


def _stack_features(examples: list[EpisodeExamples]) -> np.ndarray:
    return np.concatenate([e.features.values for e in examples])


def test_onnx_agrees_with_sklearn_on_every_row(
    model: EpisodeRiskModel, examples: list[EpisodeExamples]
) -> None:
    X = _stack_features(examples)
    sk = model.sklearn_estimator.predict_proba(X)[:, 1]  # type: ignore[union-attr]
    onnx = np.concatenate([model.predict_proba(e.features) for e in examples])
    assert np.max(np.abs(onnx - sk)) < 1e-5
    # the numpy explanation reproduces the calibrated probability too
    assert np.max(np.abs(model.explanation.probability(X) - sk)) < 1e-9


def test_model_card_reports_held_out_patients(model: EpisodeRiskModel) -> None:
    card = model.bundle.training
    held = card["held_out_patients"]
    assert isinstance(held, dict)
    auroc = held["auroc"]
    assert isinstance(auroc, dict)
    assert auroc["low"] <= auroc["estimate"] <= auroc["high"]
    assert auroc["estimate"] > 0.6  # pooled out-of-fold over patients; chance is 0.5
    assert 0.0 <= held["ece"] <= 1.0
    bins = held["calibration"]["reliability"]
    assert sum(b["count"] for b in bins) == held["n_patient_days"]
    assert isinstance(held["brier"], float)
    assert isinstance(held["brier_base_rate"], float)
    assert held["brier"] < held["brier_base_rate"]  # better than predicting the base rate
    assert card["n_patients"] == 16


def test_estimates_have_interval_and_additive_contributions(
    model: EpisodeRiskModel, examples: list[EpisodeExamples]
) -> None:
    feats = examples[0].features
    estimates = model.estimates(feats, top_k=len(model.biomarkers))
    assert len(estimates) == feats.n_days
    X = feats.values
    decision = model.explanation.decision(X)
    contrib = model.explanation.contributions(X)
    cov_idx = feats.names.index(COVERAGE_FEATURE)
    for i, est in enumerate(estimates):
        assert isinstance(est, RiskEstimate)
        assert est.interval_low <= est.probability <= est.interval_high
        assert est.model_id == model.model_id
        sizes = [abs(c.contribution) for c in est.contributions]
        assert sizes == sorted(sizes, reverse=True)
        total = sum(c.contribution for c in est.contributions)
        # biomarker contributions + coverage term + intercept = the logistic decision value
        assert total + contrib[i, cov_idx] + model.explanation.intercept == pytest.approx(
            decision[i], abs=1e-9
        )
        assert est.as_of == feats.dates[i].item()
    widths = [e.interval_high - e.interval_low for e in estimates]
    assert max(widths) > 0.0


def test_contribution_reports_7_day_mean_and_baseline(
    model: EpisodeRiskModel, examples: list[EpisodeExamples]
) -> None:
    feats = examples[2].features
    est = model.estimates(feats, top_k=3)[-1]
    assert len(est.contributions) == 3
    for c in est.contributions:
        recent = feats.recent_mean_7d[c.biomarker][-1]
        assert c.value == (None if np.isnan(recent) else pytest.approx(recent))
        assert c.baseline == pytest.approx(feats.baseline_median[c.biomarker])


def test_save_load_round_trip_and_tamper(
    model: EpisodeRiskModel, examples: list[EpisodeExamples], tmp_path: Path
) -> None:
    model.save(tmp_path / "bundle")
    loaded = EpisodeRiskModel.load(tmp_path / "bundle")
    assert loaded.sklearn_estimator is None
    feats = examples[1].features
    np.testing.assert_array_equal(loaded.predict_proba(feats), model.predict_proba(feats))
    assert loaded.estimates(feats) == model.estimates(feats)
    doc = json.loads((tmp_path / "bundle" / "bundle.json").read_text())
    assert doc["training"]["training_data"]
    assert len(doc["features"]) == len(model.bundle.features)
    onnx_path = tmp_path / "bundle" / "model.onnx"
    onnx_path.write_bytes(onnx_path.read_bytes() + b"\x00")
    with pytest.raises(ModelError):
        EpisodeRiskModel.load(tmp_path / "bundle")


def test_predict_from_table_matches_row_estimate(
    model: EpisodeRiskModel, examples: list[EpisodeExamples]
) -> None:
    cohort = generate_cohort(CohortConfig(n_patients=1, n_days=45, seed=5))
    table = extract_daily(cohort.patients[0].actigraphy)
    baseline = {"activity.mean_counts": (250.0, 40.0), "sleep.duration_min": (420.0, 30.0)}
    day = table.date_list()[-5]
    est = model.predict(table, baseline, as_of=day)
    assert est.as_of == day
    # later rows do not change the estimate of an earlier day
    assert model.predict(table.head(table.n_days - 4), baseline) == est


def test_device_path_does_not_import_sklearn(
    model: EpisodeRiskModel, examples: list[EpisodeExamples], tmp_path: Path
) -> None:
    model.save(tmp_path / "b")
    np.save(tmp_path / "x.npy", examples[0].features.values[:3])
    code = (
        "import sys, numpy as np\n"
        "from bedside.models import EpisodeRiskModel\n"
        f"m = EpisodeRiskModel.load({str(tmp_path / 'b')!r})\n"
        f"p = m.onnx.predict_proba(np.load({str(tmp_path / 'x.npy')!r}))\n"
        "assert p.shape == (3,)\n"
        "print('sklearn' in sys.modules, 'skl2onnx' in sys.modules, 'pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_training_needs_both_classes(examples: list[EpisodeExamples]) -> None:
    from bedside.domain import InsufficientDataError

    negatives = [EpisodeExamples(e.features, np.zeros_like(e.labels)) for e in examples]
    with pytest.raises(InsufficientDataError):
        train_episode_risk(negatives)


def test_estimates_carry_direction_and_conformal_set(
    model: EpisodeRiskModel, examples: list[EpisodeExamples]
) -> None:
    assert model.conformal is not None  # 16 patients: calibrated out of fold on all of them
    # calibrated with the patient as the unit: at most one score per patient and class
    assert model.conformal.unit == "patient"
    assert model.conformal.n_calibration_0 <= 16
    assert model.conformal.n_calibration_1 <= 16
    for est in model.estimates(examples[3].features, top_k=4):
        assert est.prediction_set_coverage == pytest.approx(0.9)
        assert est.prediction_set is not None
        expected = model.conformal.prediction_set(est.probability)
        assert est.prediction_set == expected
        for c in est.contributions:
            if c.value is None or c.baseline is None or c.value == c.baseline:
                assert c.direction is None
            else:
                assert c.direction == ("up" if c.value > c.baseline else "down")


@pytest.fixture(scope="module")
def gbt_model(examples: list[EpisodeExamples]) -> EpisodeRiskModel:
    return train_episode_risk(examples, family="gbt", seed=1)


def test_gbt_onnx_agrees_with_sklearn_and_round_trips(
    gbt_model: EpisodeRiskModel, examples: list[EpisodeExamples], tmp_path: Path
) -> None:
    X = _stack_features(examples)
    sk = gbt_model.sklearn_estimator.predict_proba(X)[:, 1]  # type: ignore[union-attr]
    onnx = np.concatenate([gbt_model.predict_proba(e.features) for e in examples])
    assert np.max(np.abs(onnx - sk)) < 1e-5
    assert gbt_model.explanation is None
    assert len(gbt_model.bundle.onnx_bytes) < 100_000
    gbt_model.save(tmp_path / "gbt")
    loaded = EpisodeRiskModel.load(tmp_path / "gbt")
    assert loaded.family == "gbt"
    assert loaded.estimates(examples[1].features) == gbt_model.estimates(examples[1].features)


def test_gbt_contribution_is_the_effect_of_returning_to_baseline(
    gbt_model: EpisodeRiskModel, examples: list[EpisodeExamples]
) -> None:
    feats = examples[0].features
    contrib = gbt_model.contributions(feats)
    X = feats.values
    p = gbt_model.predict_proba(feats)
    for k, b in enumerate(gbt_model.biomarkers):
        Z = X.copy()
        Z[:, [j for j, n in enumerate(feats.names) if n.startswith(b + ".")]] = 0.0
        q = gbt_model.onnx.predict_proba(Z)
        expected = np.log(p / (1 - p)) - np.log(q / (1 - q))
        np.testing.assert_allclose(contrib[:, k], expected, atol=1e-6)


def test_save_writes_a_model_card_with_intervals(model: EpisodeRiskModel, tmp_path: Path) -> None:
    manifest = model.save(tmp_path / "carded")
    card = json.loads((manifest.parent / "model_card.json").read_text())
    auroc = card["metrics"]["auroc (held-out patients)"]
    assert auroc["low"] <= auroc["estimate"] <= auroc["high"]
    assert card["metrics"]["brier"] == model.bundle.training["held_out_patients"]["brier"]  # type: ignore[index,call-overload]
    assert card["limits"]
    assert card["calibration"]["reliability"]
    text = (manifest.parent / "model_card.md").read_text()
    assert "## Limits" in text
    assert "| bin | mean predicted | observed rate | n |" in text


def test_evaluation_on_another_cohort(
    model: EpisodeRiskModel, examples: list[EpisodeExamples]
) -> None:
    from bedside.models.episode_evaluation import evaluate_episode_model

    result = evaluate_episode_model(model, examples[:8], n_bootstrap=50)
    assert result.n_patients == 8
    assert result.n_patient_days == sum(e.features.n_days for e in examples[:8])
    assert result.auroc.low <= result.auroc.estimate <= result.auroc.high
    assert result.coverage is not None
    assert 0.0 <= result.coverage <= 1.0
    assert result.nominal_coverage == pytest.approx(0.9)
    # header "AUROC [95% CI]" and value "x [lo, hi]" are both three tokens
    assert len(result.row().split()) == len(result.header().split())
    assert f"{result.coverage:.3f}/0.90" in result.row()
    assert result.patient_coverage is not None
    assert 0.0 <= result.patient_coverage <= 1.0
