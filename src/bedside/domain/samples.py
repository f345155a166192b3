"""Sample frames: raw, time-zone-aware sensor samples as typed numpy columns."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from bedside.domain.errors import InputFormatError
from bedside.domain.ids import PatientId
from bedside.domain.modality import Modality

__all__ = ["SampleFrame"]


@dataclass(frozen=True, slots=True)
class SampleFrame:
    """Samples of one modality for one patient, sorted by UTC instant.

    Attributes
    ----------
    patient_id : PatientId
    modality : Modality
    zone : str
        The patient's IANA time zone (e.g. ``Europe/Oslo``); local days are computed in it.
    time_utc : ndarray of int64, shape (n,)
        UTC instants in seconds since the Unix epoch, strictly increasing.
    value : ndarray of float64, shape (n,)
        Sample values in the modality's unit (activity counts per minute for actigraphy).
    epoch_s : int
        Nominal sampling interval in seconds (60 for minute-level actigraphy).
    source : str
        Where the samples came from (file name), for error messages and provenance.
    """

    patient_id: PatientId
    modality: Modality
    zone: str
    time_utc: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    epoch_s: int = 60
    source: str = "<memory>"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputFormatError(self.source, f"unknown IANA time zone {self.zone!r}") from exc
        if self.time_utc.shape != self.value.shape or self.time_utc.ndim != 1:
            raise InputFormatError(self.source, "time and value columns differ in length")
        if self.time_utc.size > 1 and not bool(np.all(np.diff(self.time_utc) > 0)):
            raise InputFormatError(self.source, "timestamps are not strictly increasing")
        if self.epoch_s <= 0:
            raise InputFormatError(self.source, f"epoch must be positive, got {self.epoch_s} s")

    def __len__(self) -> int:
        return int(self.time_utc.size)
