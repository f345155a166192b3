"""`bedside model train | score | evaluate` on the real Depresjon subset, through CliRunner."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bedside.cli.app import app
from bedside.models import ActigraphyRecording, DepresjonModel, list_labelled_recordings
from bedside.sensors import read_depresjon

runner = CliRunner()


def _flat(text: str) -> str:
    """Output with Rich panel borders removed and whitespace collapsed (Rich wraps long lines)."""
    for ch in "│╭╮╰╯─":
        text = text.replace(ch, " ")
    return " ".join(text.split())


@pytest.fixture(scope="module")
def trained_model(depresjon_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`bedside model train` on the whole real subset (about 10 s), once per module."""
    out = tmp_path_factory.mktemp("model") / "bundle"
    result = runner.invoke(
        app, ["model", "train", "--dataset", "depresjon", str(depresjon_dir), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "threshold" in result.output
    return out


@pytest.mark.depresjon
def test_score_writes_one_row_per_renamed_recording(
    depresjon_dir: Path, trained_model: Path, tmp_path: Path
) -> None:
    recordings = list_labelled_recordings(depresjon_dir)
    picked = [p for _, label, p in recordings if label == 1][:2]
    picked += [p for _, label, p in recordings if label == 0][:2]
    names = ["a.csv", "participant-x.csv", "b_2.csv", "Zed.csv"]
    renames = dict(zip(picked, names, strict=True))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for src, name in renames.items():
        shutil.copyfile(src, inbox / name)
    out = tmp_path / "scores.csv"

    result = runner.invoke(
        app, ["model", "score", "--model", str(trained_model), str(inbox), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output

    with out.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        assert next(reader) == ["participant", "probability", "predicted"]
        rows = list(reader)
    assert sorted(r[0] for r in rows) == sorted(Path(n).stem for n in renames.values())

    model = DepresjonModel.load(trained_model)
    by_name = {Path(name).stem: src for src, name in renames.items()}
    expected = model.predict_proba(
        [ActigraphyRecording.from_frame(read_depresjon(by_name[r[0]])) for r in rows]
    )
    for (participant, prob_text, predicted_text), prob_lib in zip(rows, expected, strict=True):
        prob = float(prob_text)
        assert 0.0 <= prob <= 1.0, participant
        assert prob == pytest.approx(float(prob_lib), abs=1e-6), participant
        assert int(predicted_text) == int(prob >= model.threshold), participant
    assert np.isfinite(expected).all()


@pytest.mark.depresjon
def test_score_rejects_a_folder_without_recordings(trained_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    result = runner.invoke(
        app, ["model", "score", "--model", str(trained_model), str(tmp_path), "--out", str(out)]
    )
    assert result.exit_code != 0
    assert "no *.csv recordings" in _flat(result.output)
    assert not out.exists()


@pytest.mark.depresjon
def test_evaluate_prints_metrics_next_to_the_paper_baseline(depresjon_dir: Path) -> None:
    result = runner.invoke(
        app,
        [
            *("model", "evaluate", "--dataset", "depresjon", str(depresjon_dir)),
            *("--repeats", "2", "--folds", "3"),
        ],
    )
    assert result.exit_code == 0, result.output
    text = result.output
    for label in (
        "participant AUROC",
        "participant balanced acc.",
        "participant MCC",
        "participant F1",
        "paper 3-feature linear SVM",
    ):
        assert label in text, label
    assert "2 x 3-fold subject-level CV" in text


def test_unknown_dataset_fails_clearly(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["model", "train", "--dataset", "wesad", str(tmp_path), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code != 0
    assert "unknown dataset 'wesad'" in _flat(result.output)
    assert not (tmp_path / "m").exists()
