"""Merging per-modality daily tables: alignment, explicit gaps and conflicts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bedside.biomarkers.merge import merge_daily_tables
from bedside.domain import DailyBiomarkerTable, Modality, PatientId
from bedside.domain.errors import InputFormatError

P = PatientId("p1")


def _table(
    start: str, values: dict[str, list[float]], modality: Modality, zone: str = "Europe/Oslo"
) -> DailyBiomarkerTable:
    n = len(next(iter(values.values())))
    dates = np.datetime64(start, "D") + np.arange(n)
    return DailyBiomarkerTable(
        patient_id=P,
        zone=zone,
        dates=dates,
        values={k: np.asarray(v, dtype=float) for k, v in values.items()},
        coverage={modality: np.ones(n)},
    )


def test_tables_align_on_the_union_of_dates_with_nan_and_zero_coverage_outside() -> None:
    a = _table("2024-01-01", {"activity.total_counts": [1.0, 2.0]}, Modality.ACTIGRAPHY)
    b = _table("2024-01-02", {"glucose.mean_mgdl": [100.0, 110.0, 120.0]}, Modality.GLUCOSE)
    merged = merge_daily_tables([a, b])
    assert merged.date_list()[0].isoformat() == "2024-01-01"
    assert merged.n_days == 4
    np.testing.assert_array_equal(merged.values["activity.total_counts"], [1, 2, np.nan, np.nan])
    np.testing.assert_array_equal(merged.values["glucose.mean_mgdl"], [np.nan, 100, 110, 120])
    np.testing.assert_array_equal(merged.coverage[Modality.GLUCOSE], [0, 1, 1, 1])
    np.testing.assert_array_equal(merged.coverage[Modality.ACTIGRAPHY], [1, 1, 0, 0])


def test_two_tables_with_the_same_biomarker_are_refused_naming_it() -> None:
    a = _table("2024-01-01", {"activity.total_counts": [1.0]}, Modality.ACTIGRAPHY)
    b = _table("2024-01-01", {"activity.total_counts": [2.0]}, Modality.GLUCOSE)
    with pytest.raises(InputFormatError, match=r"activity\.total_counts"):
        merge_daily_tables([a, b])


def test_tables_of_different_zones_are_refused() -> None:
    a = _table("2024-01-01", {"activity.total_counts": [1.0]}, Modality.ACTIGRAPHY)
    b = _table("2024-01-01", {"glucose.mean_mgdl": [2.0]}, Modality.GLUCOSE, zone="UTC")
    with pytest.raises(InputFormatError, match="cannot merge"):
        merge_daily_tables([a, b])


@given(
    st.integers(min_value=-30, max_value=30),
    st.lists(st.floats(0, 1e4), min_size=1, max_size=20),
    st.lists(st.floats(0, 1e4), min_size=1, max_size=20),
)
def test_merging_never_loses_or_moves_a_value(shift: int, xs: list[float], ys: list[float]) -> None:
    a = _table("2024-02-01", {"activity.total_counts": xs}, Modality.ACTIGRAPHY)
    start_b = str(np.datetime64("2024-02-01", "D") + shift)
    b = _table(start_b, {"glucose.mean_mgdl": ys}, Modality.GLUCOSE)
    merged = merge_daily_tables([a, b])
    for table in (a, b):
        for key, col in table.values.items():
            for day, value in zip(table.date_list(), col, strict=True):
                assert merged.values[key][merged.index_of(day)] == value
