"""``bedside language validate``: the table, the JSON and the exit status."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bedside.cli.app import app


def test_validate_writes_both_methods_and_exits_zero(tmp_path: Path) -> None:
    out = tmp_path / "v.json"
    result = CliRunner().invoke(app, ["language", "validate", "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "keyword" in result.output
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["n_texts"] == 90
    assert set(payload["embedding"]) == {"all", "dev", "held_out"}
    assert payload["embedding"]["all"]["top1"] >= 0.6


def test_validate_fails_below_the_floors(tmp_path: Path) -> None:
    # texts whose words point at another symptom than the label: the floors are missed
    path = tmp_path / "mislabelled.tsv"
    rows = ["split\tsymptom\ttext"] + [
        "held_out\tappetite\tI lie awake every night and cannot fall asleep." for _ in range(5)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["language", "validate", "--file", str(path)])
    assert result.exit_code == 1
    assert "NOT met" in result.output


def test_validate_names_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("split\tsymptom\ttext\ndev\tnope\tx\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["language", "validate", "--file", str(path)])
    assert result.exit_code != 0
