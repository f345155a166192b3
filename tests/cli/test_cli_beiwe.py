"""`bedside beiwe extract` on a small Beiwe folder, and its error for a broken file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from bedside.biomarkers import read_daily_csv
from bedside.cli.app import app
from bedside.domain import Modality
from bedside.sensors.synthetic_gps import generate_gps


def _write_gps(folder: Path) -> None:
    dates = [dt.date(2026, 5, 4), dt.date(2026, 5, 5)]
    frame = generate_gps(np.random.default_rng(3), dates, "Europe/Oslo", np.zeros(2))
    lines = ["timestamp,UTC time,latitude,longitude,altitude,accuracy"]
    for t, la, lo, acc in zip(
        frame.time_utc.tolist(),
        frame.latitude_deg.tolist(),
        frame.longitude_deg.tolist(),
        frame.accuracy_m.tolist(),
        strict=True,
    ):
        utc = dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000")
        lines.append(f"{t * 1000},{utc},{la},{lo},0,{acc}")
    (folder / "gps").mkdir(parents=True)
    (folder / "gps" / "2026-05-03 22_00_00.csv").write_text("\n".join(lines) + "\n")
    power = [
        "timestamp,UTC time,event",
        "1777888800000,2026-05-04T10:00:00.000,Screen turned on",
        "1777889400000,2026-05-04T10:10:00.000,Screen turned off",
    ]
    (folder / "power_state").mkdir()
    (folder / "power_state" / "2026-05-04 10_00_00.csv").write_text("\n".join(power) + "\n")


def test_extract_writes_a_merged_daily_table(tmp_path: Path) -> None:
    folder = tmp_path / "p1"
    _write_gps(folder)
    out = tmp_path / "daily.csv"
    result = CliRunner().invoke(
        app, ["beiwe", "extract", str(folder), "--out", str(out), "--zone", "Europe/Oslo"]
    )
    assert result.exit_code == 0, result.output
    assert "gps: 1 files" in result.output
    table = read_daily_csv(out, patient_id="p1", zone="Europe/Oslo")
    assert table.date_list()[:2] == [dt.date(2026, 5, 4), dt.date(2026, 5, 5)]
    assert np.isfinite(table.values["mobility.radius_gyration_km"][:2]).all()
    assert Modality.PHONE_USE in table.coverage


def test_extract_names_the_broken_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "p1"
    _write_gps(folder)
    path = folder / "power_state" / "2026-05-04 10_00_00.csv"
    path.write_text(path.read_text() + "oops,2026-05-04T10:20:00.000,Screen turned on\n")
    result = CliRunner().invoke(
        app,
        ["beiwe", "extract", str(folder), "--out", str(tmp_path / "x.csv"), "--zone", "UTC"],
    )
    assert result.exit_code == 2
    assert "line 4" in result.output
    assert "timestamp" in result.output
