"""``bedside fl simulate`` on a tiny cohort."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bedside.cli.app import app


def test_fl_simulate_prints_rounds_epsilon_and_bytes() -> None:
    result = CliRunner().invoke(
        app,
        [
            "fl",
            "simulate",
            "--clients",
            "6",
            "--days",
            "60",
            "--rounds",
            "2",
            "--epsilon",
            "8",
            "--engine",
            "local",  # the Ray engine's run is tested in test_federated_ray.py
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("round"))
    rows = [line.split() for line in lines[header + 1 : header + 3]]
    assert [r[0] for r in rows] == ["1", "2"]
    assert rows[0][1] == "6/6"
    assert 0 < float(rows[0][4]) < float(rows[1][4]) <= 8.0
    assert int(rows[0][5]) > 0
    assert "noise multiplier" in result.output
    assert "engine: in-process grid" in result.output


def test_fl_simulate_refuses_an_unknown_engine() -> None:
    result = CliRunner().invoke(
        app, ["fl", "simulate", "--clients", "3", "--days", "60", "--engine", "spark"]
    )
    assert result.exit_code != 0
    assert "--engine" in result.output


def test_fl_simulate_refuses_dropouts_without_secagg() -> None:
    result = CliRunner().invoke(
        app, ["fl", "simulate", "--clients", "3", "--days", "60", "--dropouts", "1"]
    )
    assert result.exit_code != 0


@pytest.mark.slow
def test_fl_evaluate_prints_one_table() -> None:
    result = CliRunner().invoke(
        app,
        ["fl", "evaluate", "--clients", "8", "--days", "60", "--rounds", "1", "--epsilon", "8"],
    )
    assert result.exit_code == 0, result.output
    methods = [
        "centralised",
        "FedAvg ",
        "FedProx",
        "FedMedian",
        "FedAvg+SecAgg+ ",
        "FedAvg+SecAgg++DP(eps=8)",
        "local-only",
        "FedAvg+personal head",
    ]
    table = result.output.split("-----")[-1]
    for m in methods:
        assert m in table, m


def test_fl_simulate_depresjon_without_recordings_names_the_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["fl", "simulate", "--depresjon", str(tmp_path), "--engine", "local"]
    )
    assert result.exit_code == 1
    assert str(tmp_path) in result.output
    assert "recordings" in result.output
