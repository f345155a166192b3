"""RobustBaseline: median and floored MAD scale, windowing, exclusion, z-scores, persistence."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bedside.baseline import MAD_TO_SD, UNIT_SCALE_FLOORS, RobustBaseline
from bedside.domain import (
    ConfigurationError,
    DailyBiomarkerTable,
    InputFormatError,
    NotFittedError,
    PatientId,
)


def _table(values: dict[str, list[float] | np.ndarray]) -> DailyBiomarkerTable:
    n = len(next(iter(values.values())))
    dates = np.datetime64("2026-01-01") + np.arange(n)
    cols = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
    return DailyBiomarkerTable(PatientId("p1"), "Europe/Oslo", dates, cols)


def test_median_and_mad_scale_of_last_window_days() -> None:
    # 5 old days far away, then 1..9: the window of 9 sees only 1..9 (median 5, MAD 2)
    values = [1000.0] * 5 + [float(v) for v in range(1, 10)]
    base = RobustBaseline(window_days=9, min_days=5).fit(_table({"sleep.efficiency": values}))
    assert base.median_["sleep.efficiency"] == 5.0
    assert base.scale_["sleep.efficiency"] == pytest.approx(2.0 * MAD_TO_SD)
    assert base.n_days_["sleep.efficiency"] == 9
    assert base.fitted_end_ == 14
    assert base.insufficient_ == []


def test_end_is_exclusive_and_nan_and_excluded_rows_are_skipped() -> None:
    values = np.array([1.0, 2.0, math.nan, 3.0, 100.0, 4.0, 5.0, 999.0])
    exclude = np.zeros(8, dtype=bool)
    exclude[4] = True
    base = RobustBaseline(window_days=10, min_days=3).fit(
        _table({"sleep.efficiency": values}), end=7, exclude=exclude
    )
    # valid rows before 7, not excluded, not NaN: 1, 2, 3, 4, 5
    assert base.n_days_["sleep.efficiency"] == 5
    assert base.median_["sleep.efficiency"] == 3.0
    assert base.fitted_end_ == 7


def test_per_biomarker_exclusion_mapping() -> None:
    table = _table(
        {"sleep.efficiency": [1.0, 2.0, 3.0, 50.0], "sleep.waso_min": [1.0, 2.0, 3.0, 50.0]}
    )
    mask = np.array([False, False, False, True])
    base = RobustBaseline(window_days=4, min_days=3).fit(table, exclude={"sleep.waso_min": mask})
    assert base.median_["sleep.waso_min"] == 2.0
    assert base.median_["sleep.efficiency"] == 2.5


def test_insufficient_days_give_nan_and_are_reported() -> None:
    table = _table(
        {"sleep.efficiency": [80.0] * 5 + [math.nan] * 20, "sleep.waso_min": [30.0] * 25}
    )
    base = RobustBaseline().fit(table)
    assert base.insufficient_ == ["sleep.efficiency"]
    assert math.isnan(base.median_["sleep.efficiency"])
    assert math.isnan(base.scale_["sleep.efficiency"])
    z = base.robust_z(table)
    assert np.isnan(z["sleep.efficiency"]).all()
    assert not np.isnan(z["sleep.waso_min"]).any()


@pytest.mark.parametrize(
    ("biomarker", "level", "expected"),
    [
        ("sleep.onset_min", 0.0, UNIT_SCALE_FLOORS["min"]),  # clock time at midnight: unit floor
        ("activity.total_counts", 300_000.0, 0.01 * 300_000.0),  # relative floor dominates
        ("circadian.interdaily_stability", 0.5, UNIT_SCALE_FLOORS["1"]),
        ("not.in_registry", 0.0, 1e-6),
    ],
)
def test_constant_series_gets_the_documented_floor(
    biomarker: str, level: float, expected: float
) -> None:
    base = RobustBaseline().fit(_table({biomarker: [level] * 30}))
    assert base.scale_[biomarker] == pytest.approx(expected)


def test_robust_z_is_value_minus_median_over_scale() -> None:
    rng = np.random.default_rng(3)
    values = 400.0 + 30.0 * rng.standard_normal(40)
    table = _table({"sleep.duration_min": values})
    base = RobustBaseline().fit(table, end=28)
    z = base.robust_z(table)["sleep.duration_min"]
    expected = (values - base.median_["sleep.duration_min"]) / base.scale_["sleep.duration_min"]
    np.testing.assert_allclose(z, expected)


def test_biomarker_unseen_at_fit_time_gets_nan_z() -> None:
    base = RobustBaseline(min_days=2, window_days=3).fit(_table({"sleep.efficiency": [1.0, 2.0]}))
    other = _table({"sleep.efficiency": [1.0, 2.0], "sleep.waso_min": [3.0, 4.0]})
    assert np.isnan(base.robust_z(other)["sleep.waso_min"]).all()


def test_not_fitted_error_before_fit() -> None:
    base = RobustBaseline()
    assert not base.is_fitted
    with pytest.raises(NotFittedError):
        base.robust_z(_table({"sleep.efficiency": [1.0]}))
    with pytest.raises(NotFittedError):
        base.to_dict()


def test_json_round_trip_keeps_state_and_z() -> None:
    rng = np.random.default_rng(0)
    table = _table(
        {
            "sleep.duration_min": 420 + 40 * rng.standard_normal(30),
            "sleep.efficiency": np.r_[np.full(25, math.nan), 85 + rng.standard_normal(5)],
        }
    )
    base = RobustBaseline(window_days=21).fit(table)
    restored = RobustBaseline.from_dict(json.loads(json.dumps(base.to_dict(), allow_nan=False)))
    assert restored.get_params() == base.get_params()
    assert restored.insufficient_ == base.insufficient_ == ["sleep.efficiency"]
    assert restored.fitted_end_ == base.fitted_end_
    for k, v in base.robust_z(table).items():
        np.testing.assert_array_equal(restored.robust_z(table)[k], v)


def test_from_dict_rejects_broken_state() -> None:
    state = RobustBaseline(min_days=1, window_days=2).fit(_table({"x.y": [1.0]})).to_dict()
    del state["scale"]
    with pytest.raises(InputFormatError, match="scale"):
        RobustBaseline.from_dict(state)
    with pytest.raises(InputFormatError, match="format_version"):
        RobustBaseline.from_dict({**state, "format_version": 99})


def test_params_follow_estimator_contract() -> None:
    base = RobustBaseline(window_days=30)
    assert base.get_params()["window_days"] == 30
    assert base.set_params(min_days=10) is base
    assert base.min_days == 10
    with pytest.raises(ConfigurationError):
        base.set_params(nonsense=1)
    with pytest.raises(ConfigurationError):
        RobustBaseline(window_days=10, min_days=11).fit(_table({"x.y": [1.0]}))
    with pytest.raises(ConfigurationError):
        RobustBaseline().fit(_table({"x.y": [1.0]}), end=5)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    a=st.floats(0.01, 100.0),
    b=st.floats(-1000.0, 1000.0),
)
def test_robust_z_is_invariant_to_changes_of_unit(seed: int, a: float, b: float) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(30)
    kwargs = {"rel_floor": 0.0, "default_floor": 1e-12}
    z1 = RobustBaseline(**kwargs).fit(_table({"x.y": x})).robust_z(_table({"x.y": x}))
    y = a * x + b
    z2 = RobustBaseline(**kwargs).fit(_table({"x.y": y})).robust_z(_table({"x.y": y}))
    np.testing.assert_allclose(z1["x.y"], z2["x.y"], rtol=1e-6, atol=1e-6)
