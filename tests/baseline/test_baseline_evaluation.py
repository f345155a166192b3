"""The trend-detector evaluation: the information bound ln(N K) / (D / 2), where onsets fall."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bedside.baseline.calibration import DAYS_PER_YEAR
from bedside.baseline.evaluation import (
    EVAL_BIOMARKERS,
    SCENARIOS,
    DeviceCharts,
    evaluate_detectors,
    synthetic_background,
)
from bedside.domain import ConfigurationError


def test_information_bound_uses_only_the_shifted_biomarkers() -> None:
    sources = synthetic_background(2, 400, np.random.default_rng(0))
    report = evaluate_detectors(
        sources, background="synthetic", n_patient_years=2, resample=False, n_series=5,
        device=DeviceCharts(estimation_pools=0),
    )  # fmt: skip
    n_k = math.log(DAYS_PER_YEAR / 1.0 * len(EVAL_BIOMARKERS))  # target 1 false alarm/yr
    for d in (0.5, 1.0, 2.0):
        # one biomarker shifted by d SDs: D = d^2, whatever the others' correlation
        assert report.bounds[("activity alone", d)] == pytest.approx(n_k / (d * d / 2.0))
        # three correlated biomarkers shifted together carry less than three independent ones
        episode = report.bounds[("episode (3 biomarkers)", d)]
        independent = n_k / (len(SCENARIOS["episode (3 biomarkers)"]) * d * d / 2.0)
        assert episode >= independent - 1e-9


def test_onsets_can_be_moved_into_the_steady_state_and_must_fit_the_year() -> None:
    sources = synthetic_background(2, 400, np.random.default_rng(1))
    common = {"background": "synthetic", "n_patient_years": 2, "resample": False, "n_series": 5}
    report = evaluate_detectors(
        sources, device=DeviceCharts(estimation_pools=0), onset_day=281, **common
    )
    assert "onsets on monitoring days 281-308" in report.to_table()
    # the naive |z| > 2 rule catches a 2 SD step of three biomarkers at once wherever it starts
    naive = next(r for r in report.results if r.name.startswith("|z| > 2"))
    assert naive.detection[("episode (3 biomarkers)", 2.0)] == 1.0
    for bad in (0, 282):
        with pytest.raises(ConfigurationError, match=r"onset_day must be in 1\.\.281"):
            evaluate_detectors(sources, onset_day=bad, **common)
