"""Chunked extraction equals batch extraction, bit for bit, wherever the chunks fall."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bedside.biomarkers import extract_multimodal_daily
from bedside.biomarkers.chunked import extract_multimodal_chunked
from bedside.biomarkers.mobility import daily_mobility
from bedside.biomarkers.mobility_chunked import daily_mobility_chunked
from bedside.biomarkers.wear import with_wear_coverage
from bedside.domain import DailyBiomarkerTable, Modality, PatientId, SampleFrame
from bedside.domain.cardiac_recording import CardiacRecording
from bedside.domain.gps_samples import GpsFrame
from bedside.domain.raw_frames import RawFrame
from bedside.domain.raw_source import FrameSource
from bedside.domain.time_slice import frame_span, slice_frame
from bedside.sensors import CohortConfig, generate_patient
from bedside.sensors.synthetic_config import SYNTHETIC_EXTRA_MODALITIES

_FAR = 2**40


@pytest.fixture(scope="module")
def frames() -> dict[Modality, RawFrame]:
    """Two weeks of every modality but audio, across the spring clock change in Oslo."""
    config = CohortConfig(
        n_patients=1,
        n_days=14,
        seed=5,
        episode_fraction=1.0,
        start_date=dt.date(2024, 3, 24),
        extra_modalities=tuple(
            m for m in SYNTHETIC_EXTRA_MODALITIES if m not in (Modality.VOICE, Modality.LANGUAGE)
        ),
    )
    return generate_patient(config, 0).frames()


def _concat(a: Any, b: Any) -> Any:
    """Two slices of one frame (a before b) as one frame (test helper)."""
    if isinstance(a, CardiacRecording):
        return CardiacRecording(
            heart_rate=None if a.heart_rate is None else _concat(a.heart_rate, b.heart_rate),
            rr=None if a.rr is None else _concat(a.rr, b.rr),
        )
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name == "observed_hours_utc":
            parts = [h for h in (x, y) if h is not None]
            changes[f.name] = np.unique(np.concatenate(parts)) if parts else None
        elif isinstance(x, np.ndarray):
            changes[f.name] = np.concatenate([x, y])
    return dataclasses.replace(a, **changes)


def _without(frame: RawFrame, lo: int, hi: int) -> RawFrame:
    """The frame with no data in ``[lo, hi)``: a gap in the record."""
    return _concat(slice_frame(frame, -_FAR, lo), slice_frame(frame, hi, _FAR))  # type: ignore[no-any-return]


def _assert_same(batch: DailyBiomarkerTable, chunked: DailyBiomarkerTable) -> None:
    assert chunked.patient_id == batch.patient_id
    np.testing.assert_array_equal(chunked.dates, batch.dates)
    assert set(chunked.values) == set(batch.values)
    for key, col in batch.values.items():
        # identical bits, NaN where NaN: no tolerance
        assert np.array_equal(chunked.values[key], col, equal_nan=True), key
    assert set(chunked.coverage) == set(batch.coverage)
    for modality, cov in batch.coverage.items():
        assert np.array_equal(chunked.coverage[modality], cov), modality


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    chunk_days=st.integers(1, 9),
    cut_start_s=st.integers(0, 3 * 86400),
    cut_end_s=st.integers(0, 2 * 86400),
    gap_day=st.integers(2, 10),
    gap_s=st.integers(0, 3 * 86400),
)
def test_chunked_equals_batch_over_chunk_boundaries(
    frames: dict[Modality, RawFrame],
    chunk_days: int,
    cut_start_s: int,
    cut_end_s: int,
    gap_day: int,
    gap_s: int,
) -> None:
    spans = [s for s in (frame_span(f) for f in frames.values()) if s is not None]
    t0, t1 = min(s[0] for s in spans), max(s[1] for s in spans)
    gap0 = t0 + gap_day * 86400 + 3600 * (gap_day % 7)
    cut = {
        m: _without(slice_frame(f, t0 + cut_start_s, t1 + 1 - cut_end_s), gap0, gap0 + gap_s)
        for m, f in frames.items()
    }
    batch = extract_multimodal_daily(cut)
    _assert_same(batch, extract_multimodal_chunked(FrameSource(cut), chunk_days=chunk_days))


def test_wear_coverage_chunked_equals_batch(frames: dict[Modality, RawFrame]) -> None:
    acti = frames[Modality.ACTIGRAPHY]
    assert isinstance(acti, SampleFrame)
    # off the wrist (the rule needs 12 h still): 14 h of zero counts across a midnight
    t0 = int(acti.time_utc[0])
    off = (acti.time_utc >= t0 + 4 * 86400 - 6 * 3600) & (acti.time_utc < t0 + 4 * 86400 + 8 * 3600)
    acti = dataclasses.replace(acti, value=np.where(off, 0.0, acti.value))
    with_off = {**frames, Modality.ACTIGRAPHY: acti}
    batch = with_wear_coverage(extract_multimodal_daily(with_off), acti)
    for chunk_days in (1, 4):
        chunked = extract_multimodal_chunked(
            FrameSource(with_off), chunk_days=chunk_days, wear_coverage=True
        )
        _assert_same(batch, chunked)
    # the wear rule did lower some day: the comparison is not vacuous
    raw = extract_multimodal_daily(with_off).coverage[Modality.ACTIGRAPHY]
    assert (batch.coverage[Modality.ACTIGRAPHY] < raw).any()


def test_stale_run_longer_than_the_margin_is_carried_across_chunks() -> None:
    """A stuck receiver repeats one position for days; its fixes stay stale in every chunk."""
    start = 1_711_000_000 - 1_711_000_000 % 86400
    still = np.arange(start, start + 3 * 86400, 60, dtype=np.int64)  # 3 days of one position
    moving = np.arange(still[-1] + 60, still[-1] + 60 + 2 * 86400, 60, dtype=np.int64)
    t = np.concatenate([still, moving])
    rng = np.random.default_rng(0)
    lat = np.concatenate(
        [np.full(still.size, 59.9), 59.9 + np.cumsum(rng.normal(0, 1e-4, moving.size))]
    )
    lon = np.concatenate([np.full(still.size, 10.7), np.full(moving.size, 10.7)])
    frame = GpsFrame(PatientId("p"), "Europe/Oslo", t, lat, lon, np.full(t.size, 10.0))
    batch = daily_mobility(frame)
    for chunk_days in (1, 2):
        chunked = daily_mobility_chunked(FrameSource({Modality.GPS: frame}), chunk_days=chunk_days)
        assert chunked is not None
        _assert_same(batch, chunked)
    # the stuck days have (almost) no kept position: only the run's first minutes survive
    assert batch.coverage[Modality.GPS][1] == 0.0


def test_blockwise_mobility_work_does_not_change_a_bit(
    frames: dict[Modality, RawFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Places, home and the daily sums are computed over blocks of minutes and days; tiny
    blocks (many boundaries) give the same table as blocks larger than the record."""
    from bedside.biomarkers import mobility, mobility_places

    gps = frames[Modality.GPS]
    assert isinstance(gps, GpsFrame)
    monkeypatch.setattr(mobility_places, "_BLOCK", 1 << 30)
    monkeypatch.setattr(mobility, "_BLOCK_DAYS", 10_000)
    whole = daily_mobility(gps)
    monkeypatch.setattr(mobility_places, "_BLOCK", 997)
    monkeypatch.setattr(mobility, "_BLOCK_DAYS", 1)
    _assert_same(whole, daily_mobility(gps))
    assert np.isfinite(whole.values["mobility.home_time_frac"]).any()
