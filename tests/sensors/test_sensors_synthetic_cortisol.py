"""Synthetic cortisol: reproducible, plausible, and episode effects in the published directions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from bedside.biomarkers.cortisol import daily_cortisol
from bedside.domain import InputFormatError, Modality
from bedside.sensors.synthetic_cortisol import generate_cortisol_samples

ZONE = "America/New_York"
DATES = [dt.date(2026, 3, 1) + dt.timedelta(days=i) for i in range(40)]  # spans the DST change


def test_reproducible_and_plausible() -> None:
    a = generate_cortisol_samples(np.random.default_rng(3), DATES, ZONE, np.zeros(40))
    b = generate_cortisol_samples(np.random.default_rng(3), DATES, ZONE, np.zeros(40))
    np.testing.assert_array_equal(a.time_utc, b.time_utc)
    np.testing.assert_array_equal(a.value, b.value)
    assert a.modality is Modality.CORTISOL
    assert float(a.value.min()) > 0.5
    assert float(a.value.max()) < 80.0
    table = daily_cortisol(a)
    assert table.date_list() == DATES
    assert float(np.mean(table.coverage[Modality.CORTISOL])) > 0.9
    # A healthy rhythm: positive awakening response, falling over the day.
    assert float(np.nanmedian(table.values["cortisol.car_auci"])) > 0.0
    assert float(np.nanmedian(table.values["cortisol.diurnal_slope_per_h"])) < 0.0


def test_episode_flattens_slope_and_raises_mean() -> None:
    well = daily_cortisol(
        generate_cortisol_samples(np.random.default_rng(1), DATES, ZONE, np.zeros(40))
    )
    ill = daily_cortisol(
        generate_cortisol_samples(np.random.default_rng(1), DATES, ZONE, np.ones(40))
    )
    slope = "cortisol.diurnal_slope_per_h"
    assert np.nanmean(ill.values[slope]) > np.nanmean(well.values[slope])
    mean = "cortisol.mean_nmol_l"
    assert np.nanmean(ill.values[mean]) > np.nanmean(well.values[mean])


def test_severity_is_checked() -> None:
    with pytest.raises(InputFormatError, match="severity"):
        generate_cortisol_samples(np.random.default_rng(0), DATES, ZONE, np.full(40, 1.5))
