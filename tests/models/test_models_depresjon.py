"""The Depresjon research benchmark on the real subset: evaluation, scoring unseen files, ONNX
parity, and the re-dating check (season must not reach the features)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bedside.domain import DailyBiomarkerTable, SampleFrame
from bedside.models import (
    ActigraphyRecording,
    DepresjonModel,
    ParticipantInfo,
    evaluate_depresjon,
    evaluate_recordings,
    list_labelled_recordings,
    participant_feature_names,
    participant_features,
    score_recordings,
    train_depresjon,
)
from bedside.models.depresjon_classifier import build_depresjon_model
from bedside.models.depresjon_features import PARTICIPANT_FEATURES, complete_days
from bedside.models.evaluation import SHRINKAGE_GRID, shrinkage_factor
from bedside.sensors import read_depresjon, read_depresjon_scores

pytestmark = pytest.mark.depresjon

TARGET_MONDAY = dt.date(2005, 1, 3)


def read(path: Path) -> ActigraphyRecording:
    return ActigraphyRecording.from_frame(read_depresjon(path))


@pytest.fixture(scope="module")
def recordings(depresjon_dir: Path) -> list[tuple[str, int, Path]]:
    return list_labelled_recordings(depresjon_dir)


@pytest.fixture(scope="module")
def tables(recordings: list[tuple[str, int, Path]]) -> list[ActigraphyRecording]:
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
    tables: list[ActigraphyRecording],
    tmp_path: Path,
) -> None:
    checked = 0
    raw = np.vstack([participant_features(t) for t in tables])
    model = build_depresjon_model(raw, np.array([label for _, label, _ in recordings]))
    for (name, _, path), recording in zip(recordings, tables, strict=True):
        table = recording.table
        target = tmp_path / f"{name}.csv"
        redate(path, target)
        moved = read(target)
        if _crosses_clock_change(table):
            # the clock change moves the minute grid by an hour (not a seasonal signal): the
            # probability may move, but only slightly
            before, after = model.predict_proba([recording, moved])
            assert abs(before - after) < 0.01, name
            continue
        assert moved.table.dates[0] != table.dates[0] or table.date_list()[0].isocalendar()[:2] == (
            2005,
            1,
        )
        assert moved.table.dates[0].item().weekday() == table.dates[0].item().weekday()
        np.testing.assert_allclose(
            participant_features(moved), participant_features(recording), rtol=1e-9, equal_nan=True
        )
        checked += 1
    assert checked >= len(tables) // 2


def test_evaluation_beats_chance_and_reports_baseline(
    tables: list[ActigraphyRecording], recordings: list[tuple[str, int, Path]]
) -> None:
    labels = [label for _, label, _ in recordings]
    report = evaluate_recordings(tables, labels, repeats=2, folds=5, seed=0, n_bootstrap=200)
    assert report.n_participants == len(tables)
    assert report.model["auroc"].estimate > 0.65
    assert report.model["auroc"].low <= report.model["auroc"].estimate <= report.model["auroc"].high
    assert 0.0 <= report.paper_baseline["auroc"].estimate <= 1.0
    assert set(report.paper_baseline_days) == {"f1", "mcc"}
    text = report.to_table()
    assert "participant AUROC" in text
    assert "paper 3-feature linear SVM" in text
    # same seed, same folds: the evaluation is deterministic
    again = evaluate_recordings(tables, labels, repeats=2, folds=5, seed=0, n_bootstrap=200)
    assert again.model == report.model


def test_model_scores_unseen_files_and_onnx_matches_sklearn(
    recordings: list[tuple[str, int, Path]],
    tables: list[ActigraphyRecording],
    tmp_path: Path,
) -> None:
    steady = [i for i, t in enumerate(tables) if not _crosses_clock_change(t.table)]
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
    scored = score_recordings(loaded, unseen, read_depresjon)
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
    model = train_depresjon(tmp_path, read_depresjon, card_repeats=1)
    assert model.bundle.training["n_participants"] == 8
    evaluation = model.bundle.training["evaluation"]
    assert isinstance(evaluation, dict)
    assert evaluation["protocol"].startswith("1 x 4-fold")  # 4 per class: 4 folds
    report = evaluate_depresjon(tmp_path, read_depresjon, repeats=1, folds=2, n_bootstrap=50)
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
    tables: list[ActigraphyRecording],
    recordings: list[tuple[str, int, Path]],
    info: dict[str, ParticipantInfo],
) -> None:
    labels = [label for _, label, _ in recordings]
    report = evaluate_recordings(
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
    assert report.madrs["shrunk_mae"].estimate > 0.0
    assert 0.0 <= report.madrs_shrinkage_zero_share <= 1.0
    if report.madrs_shrinkage_zero_share == 1.0:  # always shrunk to the mean: the mean's error
        assert report.madrs["shrunk_mae"] == report.madrs["mean_mae"]
    doc = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert doc["gbt"]["auroc"]["estimate"] == pytest.approx(report.gbt["auroc"].estimate)
    text = report.to_table()
    assert "gradient-boosted trees" in text
    assert "MADRS" in text


def test_gbt_model_onnx_parity_and_model_card(
    recordings: list[tuple[str, int, Path]],
    tables: list[ActigraphyRecording],
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


def test_participant_features_are_defined_finite_and_ignore_later_days(
    recordings: list[tuple[str, int, Path]], tables: list[ActigraphyRecording]
) -> None:
    names = participant_feature_names()
    assert names == [n for n, _ in PARTICIPANT_FEATURES]
    X = np.vstack([participant_features(t) for t in tables])
    assert X.shape == (len(tables), len(names))
    assert np.isfinite(X).all()
    # rates and shares stay in range
    for name in ("activity.zero_fraction", "activity.inactive_fraction", "sleep.rest_fraction"):
        col = X[:, names.index(name)]
        assert ((col >= 0.0) & (col <= 1.0)).all(), name
    inactive = X[:, names.index("activity.inactive_fraction")]
    assert (inactive >= X[:, names.index("activity.zero_fraction")]).all()
    # a recording cut at the local midnight after its selected days has the same features
    i = max(range(len(tables)), key=lambda k: tables[k].table.n_days)
    recording = tables[i]
    last = int(complete_days(recording.table)[-1])
    assert last + 2 < recording.table.n_days, "need a recording with days after the selection"
    frame = read_depresjon(recordings[i][2])
    keep_minutes = recording.grid.local_day - recording.grid.first_day <= last
    cutoff = recording.grid.start_utc + 60 * int(np.flatnonzero(keep_minutes)[-1])
    keep = frame.time_utc <= cutoff
    cut = SampleFrame(
        frame.patient_id,
        frame.modality,
        frame.zone,
        frame.time_utc[keep],
        frame.value[keep],
        frame.epoch_s,
        frame.source,
    )
    shorter = ActigraphyRecording.from_frame(cut)
    assert shorter.table.n_days < recording.table.n_days
    np.testing.assert_allclose(
        participant_features(shorter), participant_features(recording), rtol=1e-9
    )


def test_madrs_shrinkage_picks_the_mean_for_noise_and_the_model_for_signal() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(15, 4))
    noise = 20.0 + 5.0 * rng.normal(size=15)
    assert shrinkage_factor(X, noise) == 0.0
    signal = 20.0 + 6.0 * X[:, 0] + 0.3 * rng.normal(size=15)
    assert shrinkage_factor(X, signal) > 0.0
    assert shrinkage_factor(X, signal) in SHRINKAGE_GRID
    assert shrinkage_factor(X[:2], signal[:2]) == 0.0  # too few to choose
