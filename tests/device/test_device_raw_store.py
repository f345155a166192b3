"""The on-device raw store: written once, read one interval at a time, same frames as in memory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from bedside.biomarkers import extract_multimodal_daily
from bedside.biomarkers.chunked import extract_multimodal_chunked
from bedside.device.raw_store import RawFileSource, write_raw_store
from bedside.domain import InputFormatError, Modality
from bedside.domain.audio_clips import AudioClip, AudioClipFrame
from bedside.domain.raw_frames import RawFrame
from bedside.domain.raw_source import FrameSource
from bedside.sensors import CohortConfig, generate_patient
from bedside.sensors.synthetic_config import SYNTHETIC_EXTRA_MODALITIES


@pytest.fixture(scope="module")
def frames() -> dict[Modality, RawFrame]:
    config = CohortConfig(
        n_patients=1,
        n_days=9,
        seed=8,
        episode_fraction=1.0,
        start_date=dt.date(2024, 10, 22),  # across the autumn clock change in Oslo
        extra_modalities=tuple(
            m for m in SYNTHETIC_EXTRA_MODALITIES if m not in (Modality.VOICE, Modality.LANGUAGE)
        ),
    )
    return generate_patient(config, 0).frames()


def _same(a: object, b: object) -> None:
    assert type(a) is type(b)
    for name in getattr(a, "__slots__", ()):
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert x is not None, name
            assert y is not None, name
            np.testing.assert_array_equal(x, y, err_msg=name)
        elif hasattr(x, "__slots__") and x is not None:
            _same(x, y)
        else:
            assert x == y, name


def test_reads_equal_slices_of_the_frames_in_memory(
    frames: dict[Modality, RawFrame], tmp_path: Path
) -> None:
    store = RawFileSource(write_raw_store(frames, tmp_path / "store"))
    memory = FrameSource(frames)
    assert store.modalities() == sorted(frames, key=lambda m: m.value)
    assert store.zone == memory.zone == "Europe/Oslo"
    for modality in frames:
        assert store.span(modality) == memory.span(modality)
        span = memory.span(modality)
        assert span is not None
        for lo, hi in [(span[0], span[0] + 86400), (span[0] + 3 * 86400 + 17, span[1] - 5000)]:
            _same(store.read(modality, lo, hi), memory.read(modality, lo, hi))


def test_chunked_extraction_from_the_store_equals_batch(
    frames: dict[Modality, RawFrame], tmp_path: Path
) -> None:
    store = RawFileSource(write_raw_store(frames, tmp_path / "store"))
    batch = extract_multimodal_daily(frames)
    chunked = extract_multimodal_chunked(store, chunk_days=3)
    np.testing.assert_array_equal(chunked.dates, batch.dates)
    for key, col in batch.values.items():
        assert np.array_equal(chunked.values[key], col, equal_nan=True), key
    for modality, cov in batch.coverage.items():
        assert np.array_equal(chunked.coverage[modality], cov), modality


def test_bad_store_and_unstorable_frames_are_named(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="no raw-store modality folders"):
        RawFileSource(tmp_path / "missing")
    (tmp_path / "odd" / "not-a-modality").mkdir(parents=True)
    with pytest.raises(InputFormatError, match="not a modality name"):
        RawFileSource(tmp_path / "odd")
    broken = tmp_path / "broken" / "steps"
    broken.mkdir(parents=True)
    (broken / "meta.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"meta\.json"):
        RawFileSource(tmp_path / "broken")
    clips = AudioClipFrame("p", "Europe/Oslo", (AudioClip(0, 16000, np.zeros(160)),))
    with pytest.raises(InputFormatError, match="cannot hold a AudioClipFrame"):
        write_raw_store({Modality.VOICE: clips}, tmp_path / "audio")
