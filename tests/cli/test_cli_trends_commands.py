"""`bedside trends detect` through Typer's CliRunner."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from bedside.biomarkers import write_daily_csv
from bedside.cli.app import app
from bedside.cli.trends_commands import TRENDS_COLUMNS
from bedside.domain import DailyBiomarkerTable, Modality, PatientId

runner = CliRunner()


def _write(path: Path, n_days: int, shift_at: int | None) -> None:
    rng = np.random.default_rng(1)
    sleep = 420.0 + 30.0 * rng.standard_normal(n_days)
    total = 300_000.0 + 40_000.0 * rng.standard_normal(n_days)
    if shift_at is not None:
        sleep[shift_at:] -= 150.0
        total[shift_at:] -= 160_000.0
    table = DailyBiomarkerTable(
        PatientId("x"),
        "Europe/Oslo",
        np.datetime64("2026-01-05") + np.arange(n_days),
        {"sleep.duration_min": sleep, "activity.total_counts": total},
        {Modality.ACTIGRAPHY: np.ones(n_days)},
    )
    write_daily_csv(table, path)


def test_detect_writes_one_row_per_verified_trend(tmp_path: Path) -> None:
    daily, out = tmp_path / "daily.csv", tmp_path / "trends.csv"
    _write(daily, 80, shift_at=50)
    result = runner.invoke(app, ["trends", "detect", str(daily), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert list(rows[0]) == TRENDS_COLUMNS
    assert len(rows) == len({(r["biomarker"], r["direction"], r["onset_date"]) for r in rows})
    assert {(r["biomarker"], r["direction"]) for r in rows} == {
        ("sleep.duration_min", "down"),
        ("activity.total_counts", "down"),
    }
    for r in rows:
        assert "2026-02-10" <= r["onset_date"] <= r["detection_date"] <= "2026-03-25"
        assert 0 < float(r["false_alarm_rate_per_year"]) <= 1.0
        assert float(r["robust_z"]) < -2
        # (the slope over onset..detection of a step is noise around 0: no sign is asserted)
        assert np.isfinite(float(r["theil_sen_slope_per_day"]))
        assert r["active_on_last_day"] == "1"
    assert "trend: " in result.output
    assert "simulated family-wise false-alarm rate" in result.output


def test_too_little_data_says_insufficient_data(tmp_path: Path) -> None:
    daily, out = tmp_path / "daily.csv", tmp_path / "trends.csv"
    _write(daily, 20, shift_at=None)
    result = runner.invoke(app, ["trends", "detect", str(daily), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "insufficient_data: sleep.duration_min, activity.total_counts" in result.output
    assert out.read_text().splitlines() == [",".join(TRENDS_COLUMNS)]


def test_malformed_input_names_the_line(tmp_path: Path) -> None:
    daily = tmp_path / "daily.csv"
    daily.write_text("date,sleep.duration_min\n2026-01-01,400\n2026-01-02,abc\n")
    result = runner.invoke(app, ["trends", "detect", str(daily), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "line 3" in result.output


def test_evaluate_prints_every_detector_and_the_floors() -> None:
    result = runner.invoke(
        app, ["trends", "evaluate", "--patient-years", "6", "--calibration-series", "8"]
    )
    assert result.exit_code == 0, result.output
    for name in ("device family", "ewma", "mewma", "signature cusum", "7-day mean >12%"):
        assert name in result.output
    assert "|z| > 2 any day" in result.output
    assert "floors for device family: FA <= target:" in result.output
    assert "(FA judged over the year, " in result.output
    assert "device family false alarms per year by calibration epoch: days 0-27:" in result.output


def test_evaluate_calibrates_with_as_many_series_as_the_device() -> None:
    """The evaluated thresholds must carry the device's Monte Carlo error, not more."""
    import inspect

    from bedside.baseline import DailyTrendMonitor
    from bedside.baseline.bootstrap_calibration import CALIBRATION_SERIES
    from bedside.cli.trends_commands import evaluate

    default = inspect.signature(evaluate).parameters["calibration_series"].default
    assert default == CALIBRATION_SERIES == DailyTrendMonitor().n_series


def test_evaluate_refuses_onsets_whose_horizon_leaves_the_year() -> None:
    result = runner.invoke(
        app, ["trends", "evaluate", "--patient-years", "5", "--onset-day", "300"]
    )
    assert result.exit_code == 2
    assert "onset_day must be in 1..281, got 300" in result.output
