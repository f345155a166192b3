"""The Depresjon research benchmark on the real subset: evaluation, scoring unseen files, ONNX
parity, and the re-dating check (season must not reach the features)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bedside.biomarkers.daily_table import extract_daily
from bedside.domain import DailyBiomarkerTable
from bedside.models import (
    DepresjonModel,
    ParticipantInfo,
    evaluate_depresjon,
    evaluate_tables,
    list_labelled_recordings,
    participant_features,
    score_recordings,
    train_depresjon,
)
from bedside.models.depresjon_classifier import build_depresjon_model
from bedside.sensors import read_depresjon, read_depresjon_scores

pytestmark = pytest.mark.depresjon

TARGET_MONDAY = dt.date(2005, 1, 3)


def read(path: Path) -> DailyBiomarkerTable:
    return extract_daily(read_depresjon(path))


@pytest.fixture(scope="module")
def recordings(depresjon_dir: Path) -> list[tuple[str, int, Path]]:
    return list_labelled_recordings(depresjon_dir)


@pytest.fixture(scope="module")
def tables(recordings: list[tuple[str, int, Path]]) -> list[DailyBiomarkerTable]:
    return [read(path) for _, _, path in recordings]


def redate(src: Path, dst: Path, monday: dt.date = TARGET_MONDAY) -> None:
    """Shift a Depresjon file by whole weeks so it starts in the week of `monday`.

    Weekday and local clock time are kept; only the calendar date moves.
    """
    lines = src.read_text(encoding="utf-8").splitlines()
    first = dt.date.fromisoformat(lines[1][:10])
    shift = dt.timedelta(days=7 * ((monday - (first - dt.timedelta(first.weekday()))).days // 7))
    cache: dict[str, str] = {}
    out = [lines[0]]
    for line in lines[1:]:
        day = line[:10]
        new = cache.get(day)
        if new is None:
            new = cache[day] = (dt.date.fromisoformat(day) + shift).isoformat()
        ts, _, rest = line.partition(",")
        _, _, activity = rest.partition(",")
        out.append(f"{new}{ts[10:]},{new},{activity}")
    dst.write_text("\n".join(out) + "\n", encoding="utf-8")


def _crosses_clock_change(table: DailyBiomarkerTable) -> bool:
    """True when the recording's local days include a day that is not 24 h long."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(table.zone)
    days = table.date_list()
    start = dt.datetime.combine(days[0], dt.time(), zone).utcoffset()
    end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), zone).utcoffset()
    return start != end


def test_features_identical_after_redating(
    recordings: list[tuple[str, int, Path]],
    tables: list[DailyBiomarkerTable],
    tmp_path: Path,
) -> None:
    checked = 0
    for (name, _, path), table in zip(recordings, tables, strict=True):
        if _crosses_clock_change(table):
            continue  # a clock change moves the minute grid, not a seasonal signal
        target = tmp_path / f"{name}.csv"
        redate(path, target)
        moved = read(target)
        assert moved.dates[0] != table.dates[0] or table.date_list()[0].isocalendar()[:2] == (
            2005,
            1,
        )
        assert moved.dates[0].item().weekday() == table.dates[0].item().weekday()
        np.testing.assert_allclose(
            participant_features(moved), participant_features(table), rtol=1e-9, equal_nan=True
        )
        checked += 1
    assert checked >= len(tables) // 2


def test_evaluation_beats_chance_and_reports_baseline(
    tables: list[DailyBiomarkerTable], recordings: list[tuple[str, int, Path]]
) -> None:
    labels = [label for _, label, _ in recordings]
    report = evaluate_tables(tables, labels, repeats=2, folds=5, seed=0, n_bootstrap=200)
    assert report.n_participants == len(tables)
    assert report.model["auroc"].estimate > 0.65
    assert report.model["auroc"].low <= report.model["auroc"].estimate <= report.model["auroc"].high
    assert 0.0 <= report.paper_baseline["auroc"].estimate <= 1.0
    assert set(report.paper_baseline_days) == {"f1", "mcc"}
    text = report.to_table()
    assert "participant AUROC" in text
    assert "paper 3-feature linear SVM" in text
    # same seed, same folds: the evaluation is deterministic
    again = evaluate_tables(tables, labels, repeats=2, folds=5, seed=0, n_bootstrap=200)
    assert again.model == report.model


def test_model_scores_unseen_files_and_onnx_matches_sklearn(
    recordings: list[tuple[str, int, Path]],
    tables: list[DailyBiomarkerTable],
    tmp_path: Path,
) -> None:
    steady = [i for i, t in enumerate(tables) if not _crosses_clock_change(t)]
    patients = [i for i in steady if recordings[i][1] == 1]
    controls = [i for i in steady if recordings[i][1] == 0]
    held = {*patients[:2], *controls[-2:]}
    assert len(held) == 4
    train = [i for i in range(len(recordings)) if i not in held]
    raw = np.vstack([participant_features(tables[i]) for i in train])
    y = np.array([recordings[i][1] for i in train])
    model = build_depresjon_model(raw, y)
    # ONNX parity on the training participants
    X = model.features([tables[i] for i in train])
    sk = model.sklearn_estimator.predict_proba(X)[:, 1]  # type: ignore[union-attr]
    assert np.max(np.abs(model.predict_proba([tables[i] for i in train]) - sk)) < 1e-5
    # unseen participants, re-dated, arbitrary file names, flat folder
    unseen = tmp_path / "incoming"
    unseen.mkdir()
    for k, i in enumerate(sorted(held)):
        redate(recordings[i][2], unseen / f"recording-{k:02d}.csv")
    model.save(tmp_path / "model")
    loaded = DepresjonModel.load(tmp_path / "model")
    scored = score_recordings(loaded, unseen, read)
    assert [s.participant for s in scored] == [f"recording-{k:02d}" for k in range(4)]
    for s in scored:
        assert 0.0 <= s.probability <= 1.0
        assert s.predicted == (s.probability >= loaded.threshold)
    direct = loaded.predict_proba([tables[i] for i in sorted(held)])
    np.testing.assert_allclose([s.probability for s in scored], direct, atol=1e-6)


def test_train_and_evaluate_from_a_folder(depresjon_dir: Path, tmp_path: Path) -> None:
    """The folder entry points on a small copy (4 patients + 4 controls)."""
    for group in ("condition", "control"):
        (tmp_path / group).mkdir()
        for path in sorted((depresjon_dir / group).glob("*.csv"))[:4]:
            shutil.copy(path, tmp_path / group / path.name)
    model = train_depresjon(tmp_path, read, card_repeats=1)
    assert model.bundle.training["n_participants"] == 8
    evaluation = model.bundle.training["evaluation"]
    assert isinstance(evaluation, dict)
    assert evaluation["protocol"].startswith("1 x 4-fold")  # 4 per class: 4 folds
    report = evaluate_depresjon(tmp_path, read, repeats=1, folds=2, n_bootstrap=50)
    assert report.n_participants == 8
    assert report.repeats == 1


@pytest.fixture(scope="module")
def info(depresjon_dir: Path) -> dict[str, ParticipantInfo]:
    return {
        p.participant_id: ParticipantInfo(
            sex=p.sex, age_band=p.age_band, madrs=None if p.madrs1 is None else float(p.madrs1)
        )
        for p in read_depresjon_scores(depresjon_dir / "scores.csv")
    }


def test_evaluation_reports_both_families_subgroups_and_madrs(
    tables: list[DailyBiomarkerTable],
    recordings: list[tuple[str, int, Path]],
    info: dict[str, ParticipantInfo],
) -> None:
    labels = [label for _, label, _ in recordings]
    report = evaluate_tables(
        tables,
        labels,
        repeats=1,
        folds=5,
        seed=0,
        n_bootstrap=100,
        info=[info.get(p) for p, _, _ in recordings],
    )
    assert set(report.gbt) == {"auroc", "balanced_accuracy", "mcc", "f1"}
    assert set(report.model_days) == {"f1", "mcc"}
    assert any(k.startswith("sex=") for k in report.subgroups)
    for n, npos, m in report.subgroups.values():
        assert 0 <= npos <= n
        if m is not None:
            assert m.low <= m.estimate <= m.high
    n_scored = sum(1 for p, lab, _ in recordings if lab == 1 and info[p].madrs is not None)
    assert report.madrs_n == n_scored
    assert report.madrs["ridge_mae"].estimate > 0.0
    assert report.madrs["mean_mae"].estimate > 0.0
    doc = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert doc["gbt"]["auroc"]["estimate"] == pytest.approx(report.gbt["auroc"].estimate)
    text = report.to_table()
    assert "gradient-boosted trees" in text
    assert "MADRS" in text


def test_gbt_model_onnx_parity_and_model_card(
    recordings: list[tuple[str, int, Path]],
    tables: list[DailyBiomarkerTable],
    tmp_path: Path,
) -> None:
    raw = np.vstack([participant_features(t) for t in tables])
    y = np.array([label for _, label, _ in recordings])
    model = build_depresjon_model(raw, y, family="gbt")
    X = model.features(tables)
    sk = model.sklearn_estimator.predict_proba(X)[:, 1]  # type: ignore[union-attr]
    assert np.max(np.abs(model.predict_proba(tables) - sk)) < 1e-5
    assert len(model.bundle.onnx_bytes) < 100_000
    manifest = model.save(tmp_path / "gbt")
    card = json.loads((manifest.parent / "model_card.json").read_text())
    assert card["family"] == "gbt"
    assert "Never the clinical model" in card["intended_use"]
    assert (manifest.parent / "model_card.md").read_text().startswith("# Model card")
