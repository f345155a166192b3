"""The trend-detector evaluation prints the issue's information bound ln(N K) / (D / 2)."""

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
