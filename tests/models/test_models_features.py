"""Episode-risk features: hand-checked windows, causality, imputation and coverage."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bedside.baseline.robust_baseline import RobustBaseline
from bedside.domain import ConfigurationError, DailyBiomarkerTable, PatientId
from bedside.models import (
    COVERAGE_FEATURE,
    episode_examples,
    episode_feature_names,
    episode_features,
)
from bedside.models.features import Z_CLIP


def _table(values: dict[str, list[float] | np.ndarray]) -> DailyBiomarkerTable:
    n = len(next(iter(values.values())))
    return DailyBiomarkerTable(
        patient_id=PatientId("p1"),
        zone="Europe/Oslo",
        dates=np.datetime64("2024-03-01") + np.arange(n),
        values={k: np.asarray(v, dtype=np.float64) for k, v in values.items()},
    )


def test_hand_computed_windows() -> None:
    # median 10, scale 2 -> z = 0, 1, NaN, -2
    table = _table({"sleep.duration_min": [10.0, 12.0, math.nan, 6.0]})
    f = episode_features(table, {"sleep.duration_min": (10.0, 2.0)}, ["sleep.duration_min"])
    assert f.names == (
        "sleep.duration_min.z_mean_7d",
        "sleep.duration_min.z_mean_14d",
        COVERAGE_FEATURE,
    )
    np.testing.assert_allclose(f.column("sleep.duration_min.z_mean_7d"), [0.0, 0.5, 0.5, -1 / 3])
    np.testing.assert_allclose(f.column("sleep.duration_min.z_mean_14d"), [0.0, 0.5, 0.5, -1 / 3])
    np.testing.assert_allclose(f.column(COVERAGE_FEATURE), np.array([1, 2, 2, 3]) / 14)
    np.testing.assert_allclose(f.recent_mean_7d["sleep.duration_min"], [10.0, 11.0, 11.0, 28 / 3])
    assert f.baseline_median["sleep.duration_min"] == 10.0
    assert f.biomarker_of("sleep.duration_min.z_mean_7d") == "sleep.duration_min"
    assert f.biomarker_of(COVERAGE_FEATURE) is None


def test_seven_day_window_forgets_older_days() -> None:
    x = [20.0] + [10.0] * 9  # z = 5 on day 0, then 0
    f = episode_features(_table({"a.b": x}), {"a.b": (10.0, 2.0)}, ["a.b"])
    z7 = f.column("a.b.z_mean_7d")
    z14 = f.column("a.b.z_mean_14d")
    assert z7[6] == pytest.approx(5 / 7)
    assert z7[7] == 0.0  # day 0 left the 7-day window
    assert z14[9] == pytest.approx(5 / 10)


def test_missing_biomarker_or_baseline_imputes_zero_and_lowers_coverage() -> None:
    table = _table({"a.b": [1.0, 2.0, 3.0]})
    f = episode_features(table, {"a.b": (math.nan, 1.0)}, ["a.b", "c.d"])
    assert np.all(f.values[:, :4] == 0.0)
    assert np.all(f.column(COVERAGE_FEATURE) == 0.0)
    assert np.all(np.isnan(f.recent_mean_7d["c.d"]))


def test_z_is_clipped() -> None:
    f = episode_features(_table({"a.b": [1e9]}), {"a.b": (0.0, 1.0)}, ["a.b"])
    assert f.column("a.b.z_mean_7d")[0] == Z_CLIP


def test_accepts_a_fitted_robust_baseline() -> None:
    rng = np.random.default_rng(0)
    x = 400 + 30 * rng.normal(size=40)
    table = _table({"sleep.duration_min": x})
    base = RobustBaseline(window_days=28, min_days=14).fit(table, end=28)
    f1 = episode_features(table, base, ["sleep.duration_min"])
    stats = {
        "sleep.duration_min": (
            base.median_["sleep.duration_min"],
            base.scale_["sleep.duration_min"],
        )
    }
    f2 = episode_features(table, stats, ["sleep.duration_min"])
    np.testing.assert_array_equal(f1.values, f2.values)


def test_empty_biomarker_list_is_an_error() -> None:
    with pytest.raises(ConfigurationError):
        episode_features(_table({"a.b": [1.0]}), {}, [])


@settings(max_examples=40, deadline=None)
@given(
    x=arrays(np.float64, st.integers(1, 40), elements=st.floats(-50, 50) | st.just(math.nan)),
    cut=st.integers(1, 40),
)
def test_features_are_causal(x: np.ndarray, cut: int) -> None:
    """Features of day t computed on the whole table equal those computed on rows <= t."""
    cut = min(cut, x.size)
    table = _table({"a.b": x, "c.d": x[::-1].copy()})
    base = {"a.b": (1.0, 3.0), "c.d": (-2.0, 5.0)}
    full = episode_features(table, base, ["a.b", "c.d"])
    head = episode_features(table.head(cut), base, ["a.b", "c.d"])
    np.testing.assert_allclose(full.values[:cut], head.values, rtol=1e-12, atol=1e-12)
    assert np.all(np.isfinite(full.values))


def test_examples_skip_the_baseline_period_and_unknown_labels() -> None:
    rng = np.random.default_rng(3)
    n = 40
    table = _table({"sleep.duration_min": 420 + 20 * rng.normal(size=n)})
    labels = np.zeros(n)
    labels[35:] = 1.0
    labels[30] = math.nan
    ex = episode_examples(table, labels, baseline_days=28, biomarkers=["sleep.duration_min"])
    assert ex.features.n_days == n - 28 - 1
    assert ex.features.dates[0] == table.dates[28]
    assert ex.labels.sum() == 5
    assert list(ex.features.names) == episode_feature_names(["sleep.duration_min"])
