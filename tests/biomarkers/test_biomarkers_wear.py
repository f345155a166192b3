"""Non-wear detection of wrist actigraphy and the worn share of each day."""

from __future__ import annotations

import numpy as np
import pytest

from bedside.biomarkers import extract_daily
from bedside.biomarkers.wear import nonwear_minutes, with_wear_coverage
from bedside.domain import ConfigurationError, Modality, PatientId, SampleFrame


def _counts(*parts: tuple[int, float]) -> np.ndarray:
    return np.concatenate([np.full(n, v, dtype=np.float64) for n, v in parts])


def test_a_long_still_run_is_nonwear_and_a_still_night_is_not() -> None:
    x = _counts((100, 300.0), (800, 3.0), (100, 300.0), (600, 0.0), (100, 300.0))
    off = nonwear_minutes(x)
    assert off[100:900].all()
    assert not off[:100].any()
    assert not off[900:].any()


def test_a_two_minute_bump_does_not_end_nonwear_but_three_minutes_do() -> None:
    bump2 = _counts((400, 2.0), (2, 500.0), (400, 2.0))
    assert nonwear_minutes(bump2).all()
    bump3 = _counts((400, 2.0), (3, 500.0), (400, 2.0))
    assert not nonwear_minutes(bump3).any()  # two 400-minute runs, each shorter than 720


def test_missing_minutes_are_never_nonwear_and_break_runs() -> None:
    x = _counts((500, 0.0), (1, np.nan), (500, 0.0))
    off = nonwear_minutes(x)
    assert not off.any()
    with pytest.raises(ConfigurationError):
        nonwear_minutes(x, min_run_min=0)


def test_off_wrist_days_lose_coverage_and_keep_their_values() -> None:
    rng = np.random.default_rng(3)
    minute = np.arange(4 * 1440) % 1440
    awake = (minute >= 7 * 60) & (minute < 23 * 60)
    worn = np.where(awake, rng.poisson(200, minute.size), rng.poisson(1, minute.size))
    counts = worn.astype(np.float64)
    counts[2 * 1440 :] = rng.poisson(2, 2 * 1440)  # off the wrist for the last two days
    t0 = 1_767_225_600  # 2026-01-01 00:00 UTC
    frame = SampleFrame(
        PatientId("w"), Modality.ACTIGRAPHY, "UTC", t0 + 60 * np.arange(counts.size), counts
    )
    table = extract_daily(frame)
    out = with_wear_coverage(table, frame)
    cov = out.coverage[Modality.ACTIGRAPHY]
    assert cov[0] > 0.9
    assert cov[1] > 0.9
    assert (cov[2:] < 0.05).all()
    for b in table.biomarker_ids:
        np.testing.assert_array_equal(out.values[b], table.values[b])
