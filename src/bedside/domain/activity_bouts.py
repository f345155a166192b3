"""Bouts of named physical activity (Open mHealth physical-activity data points)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from bedside.domain.errors import InputFormatError
from bedside.domain.ids import PatientId

__all__ = ["ActivityBoutFrame"]


@dataclass(frozen=True, slots=True)
class ActivityBoutFrame:
    """Physical-activity bouts of one patient, sorted by start.

    Attributes
    ----------
    patient_id : PatientId
    zone : str
        The patient's IANA zone.
    start_utc, end_utc : ndarray of int64, shape (n,)
        UTC seconds; ``start_utc <= end_utc``.
    activity : tuple of str, length n
        Activity names as reported (``walking``, ``cycling``, ...).
    source : str
    """

    patient_id: PatientId
    zone: str
    start_utc: npt.NDArray[np.int64]
    end_utc: npt.NDArray[np.int64]
    activity: tuple[str, ...]
    source: str = "<memory>"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputFormatError(self.source, f"unknown IANA time zone {self.zone!r}") from exc
        if self.start_utc.shape != self.end_utc.shape or len(self.activity) != self.start_utc.size:
            raise InputFormatError(self.source, "activity bout columns differ in length")
        if bool(np.any(self.end_utc < self.start_utc)):
            raise InputFormatError(self.source, "an activity bout ends before it starts")
        if self.start_utc.size > 1 and not bool(np.all(np.diff(self.start_utc) >= 0)):
            raise InputFormatError(self.source, "activity bouts are not sorted by start")

    def __len__(self) -> int:
        return int(self.start_utc.size)
