"""Device labels from the patient's own PHQ-9 answers, and the synthetic-cohort clients."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bedside.domain import Phq9Response
from bedside.federated.cohort_data import cohort_clients, phq9_window_labels, split_in_time
from bedside.sensors import CohortConfig


def _answer(day: dt.date, total: int) -> Phq9Response:
    items = [min(3, max(0, total - 3 * k)) for k in range(9)]
    return Phq9Response(patient_id="p", date=day, items=items, source="device")


def test_label_is_a_phq9_of_10_or_more_within_the_next_14_days() -> None:
    d0 = dt.date(2024, 1, 1)
    answers = [_answer(d0 + dt.timedelta(days=5), 12), _answer(d0 + dt.timedelta(days=19), 4)]
    dates = [d0 + dt.timedelta(days=k) for k in range(25)]
    y = phq9_window_labels(dates, answers)
    # day 0..4: the day-5 answer (12) is in (t, t+14] -> 1
    assert list(y[:5]) == [1.0] * 5
    # day 5..18: only the day-19 answer (4) is ahead within 14 days -> 0 (day 5 excludes itself)
    assert list(y[5:19]) == [0.0] * 14
    # from day 19 on no answer lies ahead -> unlabelled
    assert np.isnan(y[19:]).all()


def test_split_in_time_keeps_the_last_rows_for_testing() -> None:
    X = np.arange(20.0).reshape(10, 2)
    y = np.array([0, 1] * 5, dtype=np.float64)
    d = split_in_time("p", X, y, 0.3)
    assert d.y.size == 7
    assert d.y_test.size == 3
    assert d.X_test[0, 0] == 14.0


def test_cohort_clients_are_cached(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = CohortConfig(n_patients=3, n_days=60, seed=2, extra_modalities=())
    cache = tmp_path / "c.npz"
    first = cohort_clients(config, cache=cache)
    assert cache.is_file()
    assert len(first) == 3
    again = cohort_clients(config, cache=cache)
    for a, b in zip(first, again, strict=True):
        assert a.client_id == b.client_id
        np.testing.assert_array_equal(a.X, b.X)
        np.testing.assert_array_equal(a.y_test, b.y_test)
    assert first[0].n_features == 17
    other = cohort_clients(config.model_copy(update={"seed": 3}), cache=cache)
    assert other[0].client_id != first[0].client_id


@pytest.mark.parametrize("bad", ["rows", "labels"])
def test_device_data_rejects_bad_rows(bad: str) -> None:
    from bedside.domain import ConfigurationError
    from bedside.federated.device_data import DeviceData

    X = np.zeros((3, 2))
    y = np.zeros(3)
    if bad == "rows":
        X[0, 0] = np.nan
    else:
        y[1] = 2.0
    with pytest.raises(ConfigurationError, match="client p"):
        DeviceData("p", X, y, np.zeros((0, 2)), np.zeros(0))
