"""The trend-detector evaluation: the information bound ln(N K) / (D / 2), where onsets fall, and
the false-alarm rate over the scored days."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bedside.baseline.calibration import DAYS_PER_YEAR
from bedside.baseline.evaluation import (
    EVAL_BIOMARKERS,
    SCENARIOS,
    SHIFTS_SD,
    WITHIN_DAYS,
    DeviceCharts,
    EvaluationReport,
    _epoch_rates,
    _summarise,
    evaluate_detectors,
    synthetic_background,
)
from bedside.domain import ConfigurationError


@pytest.fixture(scope="module")
def small_report() -> EvaluationReport:
    """Two synthetic patient-years, a cheap calibration: enough for the report's bookkeeping."""
    sources = synthetic_background(2, 400, np.random.default_rng(0))
    return evaluate_detectors(
        sources, background="synthetic", n_patient_years=2, resample=False, n_series=5,
        device=DeviceCharts(estimation_pools=0),
    )  # fmt: skip


def test_information_bound_uses_only_the_shifted_biomarkers(small_report: EvaluationReport) -> None:
    report = small_report
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


def test_scored_false_alarms_count_only_each_patients_onset_window() -> None:
    trials = [(scen, d) for scen in SCENARIOS for d in SHIFTS_SD]
    n_t = 120
    alarms = np.zeros((2, 1 + len(trials), 1, n_t), dtype=np.bool_)
    onset = np.array([10, 50])
    # patient 0: before its onset, inside (first and last scored day), one day too late
    alarms[0, 0, 0, [5, 10, 10 + WITHIN_DAYS, 11 + WITHIN_DAYS]] = True
    # patient 1: its window is another one; patient 0's window days do not count for it
    alarms[1, 0, 0, [15, 50 + WITHIN_DAYS]] = True
    relevant = np.ones((len(trials), 1), dtype=np.bool_)
    years = 2 * n_t / DAYS_PER_YEAR
    r = _summarise("x", alarms, relevant, onset, trials, np.random.default_rng(0), years)
    assert r.false_alarms_per_year == pytest.approx(6 / years)
    scored_years = 2 * (WITHIN_DAYS + 1) / DAYS_PER_YEAR
    assert r.scored_false_alarms_per_year == pytest.approx(3 / scored_years)
    lo, hi = r.scored_false_alarms_ci
    assert lo <= r.scored_false_alarms_per_year <= hi


def test_the_table_prints_the_rate_over_the_scored_days(small_report: EvaluationReport) -> None:
    report = small_report
    table = report.to_table()
    assert "false alarms per year over the scored days only" in table
    device = report.results[0]
    assert f"  device family       {device.scored_false_alarms_per_year:.2f} [" in table
    assert math.isfinite(device.scored_false_alarms_per_year)
    # the device recalibrates on days 0, 28, 84 and 196 of monitoring (pools of 28, 56, 112, 224)
    assert [(a, b) for a, b, _ in report.device_epochs] == [
        (0, 27),
        (28, 83),
        (84, 195),
        (196, 364),
    ]
    assert "device family false alarms per year by calibration epoch: days 0-27:" in table


def test_epoch_rates_split_the_year_at_the_recalibrations() -> None:
    alarms = np.zeros((2, 3, 100), dtype=np.bool_)
    alarms[0, 0, [0, 27]] = True  # two in the first epoch
    alarms[1, 2, 28] = True  # one in the second
    # rows 10 (the first calibration, at the start), 38 and 200 (beyond the monitored days)
    rates = _epoch_rates(alarms, [10, 38, 200], 10)
    assert [(a, b) for a, b, _ in rates] == [(0, 27), (28, 99)]
    assert rates[0][2] == pytest.approx(2 / (2 * 28 / DAYS_PER_YEAR))
    assert rates[1][2] == pytest.approx(1 / (2 * 72 / DAYS_PER_YEAR))
