"""Audio clip reader: WAV and FLAC speech clips via soundfile, to mono at one sampling rate.

A clip's start instant comes from, in this order:

1. the ``start_utc`` argument (UTC seconds), when the caller knows it;
2. a JSON sidecar next to the audio file with the same stem (``clip.wav`` -> ``clip.json``),
   ``{"start": "2026-03-10T08:15:00+01:00"}``: an ISO 8601 instant with a UTC offset or ``Z``;
3. the file's own date tag (WAV ``LIST/INFO/ICRD``, FLAC ``DATE`` Vorbis comment) when it holds
   such a full ISO 8601 instant with an offset.

A time without an offset is refused, because the local zone of the recording device is not
known here; file modification times are never used (copying a file changes them). Without any
of the three the reader raises :class:`~bedside.domain.InputFormatError` naming the file.

Checks, each an ``InputFormatError`` naming the file: unreadable or malformed file (the
libsndfile message is kept), a format other than WAV or FLAC, no samples, shorter than
``min_duration_s`` or longer than ``max_duration_s`` (checked from the header before reading,
so memory stays bounded), non-finite samples, and clipping: more than ``max_clipped_share`` of
the samples of any channel at or beyond 0.999 of full scale, which flattens the glottal peaks
that jitter and shimmer are measured on. Channels are averaged to mono and the result is
resampled to ``target_rate_hz`` with a polyphase anti-aliasing filter.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

from bedside.domain import InputFormatError, PatientId
from bedside.domain.audio_clips import AudioClip, AudioClipFrame

__all__ = [
    "AUDIO_SUFFIXES",
    "CLIP_LEVEL",
    "read_audio_clip",
    "read_audio_folder",
]

AUDIO_SUFFIXES = (".wav", ".flac")
"""File name suffixes read by :func:`read_audio_folder` (case-insensitive)."""

CLIP_LEVEL = 0.999
"""Share of full scale at or beyond which a sample counts as clipped."""

_FORMATS = frozenset({"WAV", "WAVEX", "FLAC"})


def _parse_instant(text: object, source: str, field: str) -> int:
    if not isinstance(text, str):
        raise InputFormatError(source, "start must be an ISO 8601 string", field=field)
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputFormatError(source, f"cannot parse {text!r} as ISO 8601", field=field) from exc
    if when.tzinfo is None or when.utcoffset() is None:
        raise InputFormatError(
            source, f"start {text!r} has no UTC offset; add one (e.g. +01:00 or Z)", field=field
        )
    return int(when.timestamp())


def _start_from_sidecar(path: Path) -> int | None:
    sidecar = path.with_suffix(".json")
    if not sidecar.exists():
        return None
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFormatError(str(sidecar), f"unreadable JSON sidecar: {exc}") from exc
    if not isinstance(data, dict) or "start" not in data:
        raise InputFormatError(str(sidecar), "sidecar needs a 'start' field", field="start")
    return _parse_instant(data["start"], str(sidecar), "start")


def read_audio_clip(
    path: str | Path,
    *,
    start_utc: int | None = None,
    target_rate_hz: int = 16_000,
    min_duration_s: float = 1.0,
    max_duration_s: float = 300.0,
    max_clipped_share: float = 0.001,
) -> AudioClip:
    """Read one WAV or FLAC clip as mono at `target_rate_hz`.

    Parameters
    ----------
    path : str or Path
        The audio file.
    start_utc : int, optional
        Start instant, UTC seconds; otherwise from the sidecar or the file's date tag.
    target_rate_hz : int
        Output sampling rate, Hz.
    min_duration_s, max_duration_s : float
        Accepted clip lengths, s.
    max_clipped_share : float
        Largest share of clipped samples accepted in any channel.

    Returns
    -------
    AudioClip

    Raises
    ------
    InputFormatError
        See the module notes.
    """
    p = Path(path)
    src = str(p)
    try:
        info = sf.info(src)
    except (sf.SoundFileError, OSError) as exc:
        raise InputFormatError(src, f"not a readable audio file: {exc}") from exc
    if info.format not in _FORMATS:
        raise InputFormatError(src, f"format {info.format} is not WAV or FLAC", field="format")
    if info.frames <= 0:
        raise InputFormatError(src, "no audio samples")
    duration = info.frames / info.samplerate
    if duration < min_duration_s:
        raise InputFormatError(
            src, f"clip is {duration:.3f} s long, shorter than {min_duration_s:g} s"
        )
    if duration > max_duration_s:
        raise InputFormatError(
            src, f"clip is {duration:.1f} s long, longer than {max_duration_s:g} s; split it"
        )
    try:
        with sf.SoundFile(src) as f:
            data = f.read(dtype="float64", always_2d=True)
            tag = f.date
    except (sf.SoundFileError, OSError) as exc:
        raise InputFormatError(src, f"cannot decode audio: {exc}") from exc
    if data.shape[0] == 0:
        raise InputFormatError(src, "no audio samples")
    if not bool(np.all(np.isfinite(data))):
        raise InputFormatError(src, "audio contains NaN or infinite samples")
    clipped = np.mean(np.abs(data) >= CLIP_LEVEL, axis=0)
    worst = int(np.argmax(clipped))
    if float(clipped[worst]) > max_clipped_share:
        raise InputFormatError(
            src,
            f"channel {worst + 1} is clipped: {100 * float(clipped[worst]):.2f} % of samples at "
            f"full scale (at most {100 * max_clipped_share:g} % accepted); record at a lower "
            "gain",
            field="samples",
        )
    if start_utc is None:
        start_utc = _start_from_sidecar(p)
    if start_utc is None and tag:
        start_utc = _parse_instant(tag, src, "date tag")
    if start_utc is None:
        raise InputFormatError(
            src,
            f"no start time: pass it, add {p.with_suffix('.json').name} with "
            '{"start": "<ISO 8601 with offset>"}, or set the file\'s date tag',
            field="start",
        )
    mono = data.mean(axis=1)
    rate = int(info.samplerate)
    if rate != target_rate_hz:
        g = gcd(rate, target_rate_hz)
        mono = signal.resample_poly(mono, target_rate_hz // g, rate // g)
    return AudioClip(int(start_utc), target_rate_hz, np.ascontiguousarray(mono), src)


def read_audio_folder(
    folder: str | Path | Iterable[str | Path],
    *,
    patient_id: str,
    zone: str,
    target_rate_hz: int = 16_000,
    min_duration_s: float = 1.0,
    max_duration_s: float = 300.0,
    max_clipped_share: float = 0.001,
) -> AudioClipFrame:
    """Read every WAV/FLAC clip of a folder (or the given files) into one frame.

    Parameters
    ----------
    folder : str, Path or iterable of them
        A folder (its ``*.wav`` and ``*.flac`` files) or explicit file paths.
    patient_id : str
    zone : str
        The patient's IANA zone.
    target_rate_hz, min_duration_s, max_duration_s, max_clipped_share
        See :func:`read_audio_clip`.

    Returns
    -------
    AudioClipFrame
        Clips sorted by start time (then file name).

    Raises
    ------
    InputFormatError
        The first bad file, named; a folder without clips.
    """
    if isinstance(folder, str | Path):
        base = Path(folder)
        paths = sorted(q for q in base.iterdir() if q.suffix.lower() in AUDIO_SUFFIXES)
        source = str(base)
        if not paths:
            raise InputFormatError(source, "no .wav or .flac clips in this folder")
    else:
        paths = [Path(q) for q in folder]
        source = "audio files"
    clips = [
        read_audio_clip(
            q,
            target_rate_hz=target_rate_hz,
            min_duration_s=min_duration_s,
            max_duration_s=max_duration_s,
            max_clipped_share=max_clipped_share,
        )
        for q in paths
    ]
    clips.sort(key=lambda c: (c.start_utc, c.source))
    return AudioClipFrame(PatientId(patient_id), zone, tuple(clips), source)
