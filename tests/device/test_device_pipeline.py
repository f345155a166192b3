"""The device pipeline: one finding per day, causal (a day's finding ignores later data)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from bedside.biomarkers import extract_daily
from bedside.device import DevicePipeline
from bedside.domain import SampleFrame
from bedside.models import EpisodeRiskModel, episode_examples, train_episode_risk
from bedside.sensors import CohortConfig, episode_risk_labels, generate_cohort


@pytest.fixture(scope="module")
def risk_model(tmp_path_factory: pytest.TempPathFactory) -> EpisodeRiskModel:
    config = CohortConfig(n_patients=40, n_days=90, seed=5, episode_fraction=0.5)
    examples = []
    for patient in generate_cohort(config).patients:
        table = extract_daily(patient.actigraphy)
        offset = (table.date_list()[0] - config.start_date).days
        labels = episode_risk_labels(patient)[offset : offset + table.n_days]
        examples.append(episode_examples(table, labels))
    path = train_episode_risk(examples, seed=0).save(tmp_path_factory.mktemp("model") / "risk")
    return EpisodeRiskModel.load(Path(path))


@pytest.fixture(scope="module")
def patient_frame() -> SampleFrame:
    config = CohortConfig(n_patients=1, n_days=60, seed=11, episode_fraction=1.0)
    return generate_cohort(config).patients[0].actigraphy


def test_one_finding_per_day_with_risk_after_the_baseline(
    risk_model: EpisodeRiskModel, patient_frame: SampleFrame
) -> None:
    run = DevicePipeline(risk_model, device_id="dev-1").run(patient_frame)
    assert [f.date for f in run.findings] == run.table.date_list()
    early, late = run.findings[:28], run.findings[28:]
    assert all(f.risk is None and "risk" in f.insufficient_data for f in early)
    assert all(f.risk is not None and 0.0 <= f.risk.probability <= 1.0 for f in late)
    assert {f.device_id for f in run.findings} == {"dev-1"}
    # findings never carry raw samples: only daily summaries, trends, risk and coverage
    assert set(run.findings[-1].model_dump()) == {
        "patient_id", "date", "trends", "risk", "coverage", "biomarkers",
        "insufficient_data", "device_id",
    }  # fmt: skip


def _truncate(frame: SampleFrame, end_utc: int) -> SampleFrame:
    keep = frame.time_utc < end_utc
    return SampleFrame(
        patient_id=frame.patient_id,
        modality=frame.modality,
        zone=frame.zone,
        time_utc=frame.time_utc[keep],
        value=frame.value[keep],
        epoch_s=frame.epoch_s,
        source=frame.source,
    )


@pytest.mark.parametrize("day_index", [30, 41, 52])
def test_a_days_finding_is_what_the_device_computed_that_night(
    risk_model: EpisodeRiskModel, patient_frame: SampleFrame, day_index: int
) -> None:
    full = DevicePipeline(risk_model, device_id="dev-1").run(patient_frame)
    day = full.findings[day_index].date
    from zoneinfo import ZoneInfo

    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo("Europe/Oslo"))
    partial = DevicePipeline(risk_model, device_id="dev-1").run(
        _truncate(patient_frame, int(midnight.timestamp()))
    )
    assert partial.findings[-1].date == day
    a, b = full.findings[day_index], partial.findings[-1]
    assert a.trends == b.trends
    assert a.risk is not None
    assert b.risk is not None
    assert a.risk.probability == pytest.approx(b.risk.probability, abs=1e-9)
    assert a.coverage == b.coverage
    assert a.biomarkers == b.biomarkers


def test_risk_is_higher_in_episodes_than_in_patients_without_one(
    risk_model: EpisodeRiskModel,
) -> None:
    config = CohortConfig(n_patients=10, n_days=60, seed=23, episode_fraction=0.5)
    in_episode: list[float] = []
    healthy: list[float] = []
    for patient in generate_cohort(config).patients:
        run = DevicePipeline(risk_model, device_id="dev").run(patient.actigraphy)
        for f in run.findings:
            if f.risk is None:
                continue
            if not patient.episodes:
                healthy.append(f.risk.probability)
            elif any(e.onset + dt.timedelta(days=7) <= f.date <= e.end for e in patient.episodes):
                in_episode.append(f.risk.probability)
    assert len(in_episode) > 20
    assert len(healthy) > 20
    assert float(np.median(in_episode)) > float(np.median(healthy))


def test_run_frames_uses_every_modality(risk_model: EpisodeRiskModel) -> None:
    config = CohortConfig(n_patients=1, n_days=45, seed=11, episode_fraction=1.0)
    patient = generate_cohort(config).patients[0]
    assert patient.raw
    run = DevicePipeline(risk_model, device_id="dev-2").run_frames(patient.frames())
    assert set(run.findings[-1].coverage) == set(patient.frames())
    summarised = {b.biomarker for b in run.findings[-1].biomarkers}
    assert {"activity.steps", "sleep.latency_min", "activity.mean_counts"} <= summarised
    assert run.findings[-1].risk is not None


@pytest.mark.slow
def test_run_source_reads_chunks_and_finds_what_run_frames_finds(
    risk_model: EpisodeRiskModel,
) -> None:
    from bedside.domain import Modality
    from bedside.domain.raw_source import FrameSource
    from bedside.sensors import generate_patient
    from bedside.sensors.synthetic_config import SYNTHETIC_EXTRA_MODALITIES

    config = CohortConfig(
        n_patients=1,
        n_days=31,
        seed=12,
        episode_fraction=1.0,
        extra_modalities=tuple(
            m for m in SYNTHETIC_EXTRA_MODALITIES if m not in (Modality.VOICE, Modality.LANGUAGE)
        ),
    )
    frames = generate_patient(config, 0).frames()
    batch = DevicePipeline(risk_model, device_id="dev-1").run_frames(frames)
    chunked = DevicePipeline(risk_model, device_id="dev-1").run_source(
        FrameSource(frames), chunk_days=5
    )
    assert any(f.risk is not None for f in batch.findings)
    assert [f.model_dump() for f in chunked.findings] == [f.model_dump() for f in batch.findings]
