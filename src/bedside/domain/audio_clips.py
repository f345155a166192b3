"""Audio clips: short mono speech recordings of one patient, kept only until they are analysed.

Clips differ in length, so they are not numpy columns of one frame: each clip holds its own
samples and its start instant, and a frame is an ordered tuple of clips of one patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from bedside.domain.errors import InputFormatError
from bedside.domain.ids import PatientId

__all__ = ["AudioClip", "AudioClipFrame"]


@dataclass(frozen=True, slots=True)
class AudioClip:
    """One mono clip.

    Attributes
    ----------
    start_utc : int
        Start instant, UTC seconds since the Unix epoch.
    sample_rate_hz : int
        Samples per second.
    samples : ndarray of float64, shape (n,)
        Mono waveform, full scale = 1.0.
    source : str
        File name or other origin, for error messages and provenance.
    """

    start_utc: int
    sample_rate_hz: int
    samples: npt.NDArray[np.float64]
    source: str = "<memory>"

    def __post_init__(self) -> None:
        if self.sample_rate_hz <= 0:
            raise InputFormatError(
                self.source, f"sample rate must be positive, got {self.sample_rate_hz}"
            )
        if self.samples.ndim != 1:
            raise InputFormatError(self.source, "samples must be one mono channel")
        if not bool(np.all(np.isfinite(self.samples))):
            raise InputFormatError(self.source, "samples contain NaN or infinity")

    @property
    def duration_s(self) -> float:
        """Length of the clip, seconds."""
        return self.samples.size / self.sample_rate_hz


@dataclass(frozen=True, slots=True)
class AudioClipFrame:
    """The clips of one patient, in order of start time.

    Attributes
    ----------
    patient_id : PatientId
    zone : str
        The patient's IANA time zone; a clip belongs to the local day it starts on.
    clips : tuple of AudioClip
        Sorted by ``start_utc`` (ties are allowed: two microphones may start together).
    source : str
        Folder or other origin.
    """

    patient_id: PatientId
    zone: str
    clips: tuple[AudioClip, ...]
    source: str = "<memory>"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputFormatError(self.source, f"unknown IANA time zone {self.zone!r}") from exc
        starts = [c.start_utc for c in self.clips]
        if starts != sorted(starts):
            raise InputFormatError(self.source, "clips are not sorted by start time")

    def __len__(self) -> int:
        return len(self.clips)
