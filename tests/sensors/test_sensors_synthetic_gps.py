"""Synthetic GPS generator: determinism, sampling, and episode effects in published directions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bedside.biomarkers.mobility import daily_mobility
from bedside.domain import InputFormatError
from bedside.sensors.synthetic_gps import GpsSampling, generate_gps

DATES = [dt.date(2026, 3, 2) + dt.timedelta(days=i) for i in range(21)]


def test_same_seed_same_trace_and_other_seed_differs() -> None:
    a = generate_gps(np.random.default_rng(1), DATES[:3], "Europe/Oslo", np.zeros(3))
    b = generate_gps(np.random.default_rng(1), DATES[:3], "Europe/Oslo", np.zeros(3))
    c = generate_gps(np.random.default_rng(2), DATES[:3], "Europe/Oslo", np.zeros(3))
    np.testing.assert_array_equal(a.latitude_deg, b.latitude_deg)
    assert not np.array_equal(a.latitude_deg, c.latitude_deg)


def test_duty_cycled_1hz_sampling_matches_beiwe_pattern() -> None:
    frame = generate_gps(
        np.random.default_rng(1),
        DATES[:1],
        "UTC",
        np.zeros(1),
        sampling=GpsSampling(interval_s=1, on_s=60, off_s=540),
    )
    assert len(frame) == 144 * 60
    gaps = np.diff(frame.time_utc)
    assert set(np.unique(gaps).tolist()) == {1, 541}


def test_severity_length_is_checked() -> None:
    with pytest.raises(InputFormatError, match="severity"):
        generate_gps(np.random.default_rng(1), DATES[:3], "UTC", np.zeros(2))


def test_episode_moves_mobility_in_the_published_directions() -> None:
    well, ill = [], []
    for seed in range(4):
        frame_w = generate_gps(np.random.default_rng(seed), DATES, "Europe/Oslo", np.zeros(21))
        frame_i = generate_gps(np.random.default_rng(seed), DATES, "Europe/Oslo", np.ones(21))
        well.append(daily_mobility(frame_w))
        ill.append(daily_mobility(frame_i))

    def mean(tables: list, key: str) -> float:  # type: ignore[type-arg]
        return float(np.nanmean(np.concatenate([t.values[key][:21] for t in tables])))

    assert mean(ill, "mobility.home_time_frac") > mean(well, "mobility.home_time_frac") + 0.1
    for key in (
        "mobility.distance_km",
        "mobility.radius_gyration_km",
        "mobility.location_entropy",
        "mobility.n_places",
        "mobility.location_variance_log",
    ):
        assert mean(ill, key) < mean(well, key), key
