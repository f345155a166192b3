"""`bedside --help` and `bedside biomarkers extract` through Typer's CliRunner."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bedside.biomarkers import REGISTRY, extract_daily, read_daily_csv
from bedside.cli.app import app
from bedside.sensors import read_depresjon

runner = CliRunner()


def _flat(text: str) -> str:
    """Output with Rich panel borders removed and whitespace collapsed (Rich wraps long lines)."""
    for ch in "│╭╮╰╯─":
        text = text.replace(ch, " ")
    return " ".join(text.split())


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def _dates(path: Path) -> list[dt.date]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [dt.date.fromisoformat(row["date"]) for row in csv.DictReader(fh)]


def _write_depresjon(path: Path, days: int = 2, bad_line: int | None = None) -> None:
    """A Depresjon-format file of `days` full days from 2024-01-08 00:00 (Oslo wall clock).

    Line 1 is the header, so data row ``i`` (0-based) is line ``i + 2``; `bad_line` gets the
    activity ``abc``.
    """
    start = dt.datetime(2024, 1, 8)
    rows = ["timestamp,date,activity"]
    for i in range(days * 1440):
        t = start + dt.timedelta(minutes=i)
        count = "abc" if bad_line == i + 2 else str(250 if 8 <= t.hour < 22 else 0)
        rows.append(f"{t:%Y-%m-%d %H:%M:%S},{t:%Y-%m-%d},{count}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_help_lists_the_command_groups() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for name in ("demo", "biomarkers", "model"):
        assert name in result.output


@pytest.mark.depresjon
def test_extract_depresjon_matches_the_library(depresjon_dir: Path, tmp_path: Path) -> None:
    source = depresjon_dir / "condition" / "condition_1.csv"
    out = tmp_path / "daily.csv"
    result = runner.invoke(
        app, ["biomarkers", "extract", "--format", "depresjon", str(source), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    expected = extract_daily(read_depresjon(source))

    header = _header(out)
    assert header[0] == "date"
    assert header[-1] == "coverage.actigraphy"
    assert header[1:-1] == [k for k in REGISTRY if k in expected.values]
    assert len(header[1:-1]) > 0

    dates = _dates(out)
    assert len(dates) == expected.n_days
    assert all(b - a == dt.timedelta(days=1) for a, b in itertools.pairwise(dates))
    assert dates == expected.date_list()

    back = read_daily_csv(out, patient_id="condition_1", zone="Europe/Oslo")
    assert back.n_days == expected.n_days
    assert list(back.values) == list(expected.values)
    for key, col in expected.values.items():
        np.testing.assert_array_equal(back.values[key], col, err_msg=key)  # NaN-aware, exact
    for modality, cov in expected.coverage.items():
        np.testing.assert_array_equal(back.coverage[modality], cov)


def test_extract_generic_csv_gives_one_row_per_local_day(tmp_path: Path) -> None:
    source = tmp_path / "watch.csv"
    start = dt.datetime(2025, 3, 10)  # naive Oslo wall clock, UTC+1 (no DST change nearby)
    lines = ["timestamp,value"]
    for i in range(3 * 1440):
        t = start + dt.timedelta(minutes=i)
        lines.append(f"{t:%Y-%m-%dT%H:%M:%S},{300 if 7 <= t.hour < 23 else 0}")
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "daily.csv"

    result = runner.invoke(
        app,
        [
            *("biomarkers", "extract", "--format", "csv", "--zone", "Europe/Oslo"),
            *(str(source), "--out", str(out)),
        ],
    )
    assert result.exit_code == 0, result.output
    # Local days: midnight-to-midnight in Oslo. Read as UTC, the data would span 4 days.
    assert _dates(out) == [dt.date(2025, 3, 10), dt.date(2025, 3, 11), dt.date(2025, 3, 12)]
    table = read_daily_csv(out, patient_id="p", zone="Europe/Oslo")
    assert table.n_days == 3
    # Every minute of every local day is present, and the daytime mean is hand-derivable.
    (coverage,) = table.coverage.values()
    np.testing.assert_allclose(coverage, 1.0)
    np.testing.assert_allclose(table.values["activity.mean_counts"], 300 * 16 / 24)
    assert "3 days" in result.output


def test_malformed_depresjon_names_file_line_and_field(tmp_path: Path) -> None:
    source = tmp_path / "bad_recording.csv"
    _write_depresjon(source, bad_line=5)
    out = tmp_path / "daily.csv"

    result = runner.invoke(app, ["biomarkers", "extract", str(source), "--out", str(out)])
    assert result.exit_code != 0
    message = _flat(result.output)
    assert "bad_recording.csv" in message
    assert "line 5" in message
    assert "activity" in message
    assert not out.exists()


def test_lenient_drops_the_bad_row_and_succeeds(tmp_path: Path) -> None:
    source = tmp_path / "bad_recording.csv"
    _write_depresjon(source, bad_line=5)
    out = tmp_path / "daily.csv"

    result = runner.invoke(
        app, ["biomarkers", "extract", "--lenient", str(source), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "kept 2879 of 2880 rows; dropped 1" in _flat(result.output)
    assert _dates(out) == [dt.date(2024, 1, 8), dt.date(2024, 1, 9)]
    # One dropped minute of 2880: the first day loses one minute of coverage, the second none.
    table = read_daily_csv(out, patient_id="p", zone="Europe/Oslo")
    (coverage,) = table.coverage.values()
    assert math.isclose(coverage[0], 1439 / 1440)
    assert math.isclose(coverage[1], 1.0)


def test_unknown_format_fails_clearly(tmp_path: Path) -> None:
    source = tmp_path / "rec.csv"
    _write_depresjon(source, days=1)
    out = tmp_path / "daily.csv"

    result = runner.invoke(
        app, ["biomarkers", "extract", "--format", "parquet", str(source), "--out", str(out)]
    )
    assert result.exit_code != 0
    message = _flat(result.output)
    assert "unknown format 'parquet'" in message
    assert "depresjon or csv" in message
    assert not out.exists()
