"""Sleep episodes from wearables and phones (Apple Health sleep analysis, Open mHealth)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from bedside.domain.errors import InputFormatError
from bedside.domain.ids import PatientId

__all__ = ["SleepEpisodeFrame", "SleepState"]


class SleepState(IntEnum):
    """What an episode records (codes stored in :attr:`SleepEpisodeFrame.state`)."""

    IN_BED = 0
    ASLEEP = 1
    AWAKE = 2
    ASLEEP_CORE = 3
    ASLEEP_DEEP = 4
    ASLEEP_REM = 5


@dataclass(frozen=True, slots=True)
class SleepEpisodeFrame:
    """Sleep episodes of one patient, sorted by start.

    Attributes
    ----------
    patient_id : PatientId
    zone : str
        The patient's IANA zone.
    start_utc, end_utc : ndarray of int64, shape (n,)
        UTC seconds; ``start_utc <= end_utc``.
    state : ndarray of int8, shape (n,)
        :class:`SleepState` codes.
    asleep_min : ndarray of float64, shape (n,)
        Minutes asleep within the episode when the source states it (Open mHealth
        ``total-sleep-time``), NaN otherwise.
    source : str
    """

    patient_id: PatientId
    zone: str
    start_utc: npt.NDArray[np.int64]
    end_utc: npt.NDArray[np.int64]
    state: npt.NDArray[np.int8]
    asleep_min: npt.NDArray[np.float64]
    source: str = "<memory>"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputFormatError(self.source, f"unknown IANA time zone {self.zone!r}") from exc
        n = self.start_utc.shape
        if self.start_utc.ndim != 1 or any(
            a.shape != n for a in (self.end_utc, self.state, self.asleep_min)
        ):
            raise InputFormatError(self.source, "sleep episode columns differ in length")
        if bool(np.any(self.end_utc < self.start_utc)):
            i = int(np.flatnonzero(self.end_utc < self.start_utc)[0])
            raise InputFormatError(self.source, f"sleep episode {i} ends before it starts")
        if self.start_utc.size > 1 and not bool(np.all(np.diff(self.start_utc) >= 0)):
            raise InputFormatError(self.source, "sleep episodes are not sorted by start")
        valid = {int(s) for s in SleepState}
        if not set(np.unique(self.state).tolist()) <= valid:
            raise InputFormatError(self.source, "unknown sleep state code")

    def __len__(self) -> int:
        return int(self.start_utc.size)
