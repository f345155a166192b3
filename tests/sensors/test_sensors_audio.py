"""Audio clip reader: WAV/FLAC, timestamps from argument, sidecar or tag; broken files refused."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bedside.biomarkers.voice_pitch import track_pitch
from bedside.domain import InputFormatError
from bedside.sensors.audio import read_audio_clip, read_audio_folder

START = "2026-03-10T08:15:00+01:00"
START_UTC = int(dt.datetime.fromisoformat(START).timestamp())


def tone(rate: int, seconds: float, freq: float = 220.0, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return level * np.sin(2 * np.pi * freq * t)


def write(path: Path, data: np.ndarray, rate: int, *, date: str | None = None, **kw: str) -> Path:
    with sf.SoundFile(path, "w", rate, 1 if data.ndim == 1 else data.shape[1], **kw) as f:
        if date is not None:
            f.date = date
        f.write(data)
    return path


def test_wav_with_sidecar_is_resampled_to_mono(tmp_path: Path) -> None:
    stereo = np.stack([tone(44100, 2.0), tone(44100, 2.0)], axis=1)
    wav = write(tmp_path / "a.wav", stereo, 44100, subtype="PCM_16")
    (tmp_path / "a.json").write_text(json.dumps({"start": START}))
    clip = read_audio_clip(wav)
    assert clip.start_utc == START_UTC
    assert clip.sample_rate_hz == 16000
    assert clip.samples.shape == (32000,)
    f0 = track_pitch(clip.samples, clip.sample_rate_hz).f0_hz
    assert float(np.nanmedian(f0)) == pytest.approx(220.0, rel=0.005)  # pitch survives resampling
    assert float(np.max(np.abs(clip.samples))) == pytest.approx(0.5, abs=0.01)


def test_flac_date_tag_and_explicit_start(tmp_path: Path) -> None:
    flac = write(
        tmp_path / "b.flac", tone(8000, 1.5), 8000, date="2026-03-10T07:15:00Z", format="FLAC"
    )
    assert read_audio_clip(flac, target_rate_hz=8000).start_utc == START_UTC
    assert read_audio_clip(flac, start_utc=123, target_rate_hz=8000).start_utc == 123


def test_folder_is_sorted_by_start(tmp_path: Path) -> None:
    write(tmp_path / "late.wav", tone(16000, 1.2), 16000, date="2026-03-10T12:00:00+01:00")
    write(tmp_path / "early.flac", tone(16000, 1.2), 16000, date=START, format="FLAC")
    (tmp_path / "notes.txt").write_text("ignored")
    frame = read_audio_folder(tmp_path, patient_id="p1", zone="Europe/Oslo")
    assert [Path(c.source).name for c in frame.clips] == ["early.flac", "late.wav"]
    assert frame.clips[0].start_utc == START_UTC


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: p.write_bytes(b"RIFF\x04\x00\x00\x00WAVEjunk"), "not a readable audio file"),
        (lambda p: p.write_bytes(b""), "not a readable audio file"),
        (lambda p: write(p, np.zeros(0), 16000, date=START), "no audio samples"),
        (lambda p: write(p, tone(16000, 0.5), 16000, date=START), "0.500 s long, shorter"),
        (
            lambda p: write(p, np.clip(tone(16000, 2.0, level=2.0), -1, 1), 16000, date=START),
            "channel 1 is clipped",
        ),
        (
            lambda p: write(
                p, np.where(np.arange(16000) == 5, np.nan, 0.1), 16000, date=START, subtype="FLOAT"
            ),
            "NaN or infinite",
        ),
        (lambda p: write(p, tone(16000, 2.0), 16000), "no start time"),
        (lambda p: write(p, tone(16000, 2.0), 16000, date="2026-03-10"), "no UTC offset"),
        (lambda p: write(p, tone(16000, 2.0), 16000, date="yesterday"), "cannot parse"),
    ],
    ids=[
        "garbage",
        "zero-bytes",
        "empty",
        "too-short",
        "clipped",
        "nan",
        "no-time",
        "naive",
        "bad",
    ],
)
def test_broken_wav_files_are_named(tmp_path: Path, make: object, match: str) -> None:
    path = tmp_path / "broken.wav"
    make(path)  # type: ignore[operator]
    with pytest.raises(InputFormatError, match=match) as info:
        read_audio_clip(path)
    assert "broken.wav" in str(info.value)


def test_bad_sidecars_and_formats(tmp_path: Path) -> None:
    wav = write(tmp_path / "c.wav", tone(16000, 2.0), 16000)
    side = tmp_path / "c.json"
    side.write_text("{not json")
    with pytest.raises(InputFormatError, match=r"c\.json.*unreadable JSON"):
        read_audio_clip(wav)
    side.write_text(json.dumps({"begin": START}))
    with pytest.raises(InputFormatError, match="needs a 'start' field"):
        read_audio_clip(wav)
    side.write_text(json.dumps({"start": "2026-03-10T08:15:00"}))
    with pytest.raises(InputFormatError, match="no UTC offset"):
        read_audio_clip(wav)
    ogg = write(tmp_path / "d.ogg", tone(16000, 2.0), 16000, format="OGG")
    with pytest.raises(InputFormatError, match="format OGG is not WAV or FLAC"):
        read_audio_clip(ogg)
    long = write(tmp_path / "e.wav", np.zeros(8000 * 20), 8000, date=START)
    with pytest.raises(InputFormatError, match="longer than 10 s; split it"):
        read_audio_clip(long, max_duration_s=10.0)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputFormatError, match=r"no \.wav or \.flac clips"):
        read_audio_folder(empty, patient_id="p", zone="UTC")
