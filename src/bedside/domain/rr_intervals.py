"""RR (beat-to-beat) interval series: a typed frame for heart-rate-variability input."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from bedside.domain.errors import InputFormatError
from bedside.domain.ids import PatientId

__all__ = ["RRIntervalFrame"]


@dataclass(frozen=True, slots=True)
class RRIntervalFrame:
    """Successive RR intervals of one patient, in beat order.

    Attributes
    ----------
    patient_id : PatientId
    zone : str
        The patient's IANA time zone; local days are computed in it.
    time_utc : ndarray of int64, shape (n,)
        UTC seconds (floored) of the beat that ends each interval; non-decreasing, because
        several beats fall within one second.
    rr_ms : ndarray of float64, shape (n,)
        Interval lengths, milliseconds; finite and positive.
    source : str
        Where the intervals came from, for messages and provenance.

    Notes
    -----
    Two consecutive intervals are *adjacent* (one followed the other with no beat lost in
    between) when their end times differ by at most ``rr_ms / 1000 + 1`` seconds; the extra
    second absorbs the flooring of both times. See :meth:`adjacent`.
    """

    patient_id: PatientId
    zone: str
    time_utc: npt.NDArray[np.int64]
    rr_ms: npt.NDArray[np.float64]
    source: str = "<memory>"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputFormatError(self.source, f"unknown IANA time zone {self.zone!r}") from exc
        if self.time_utc.ndim != 1 or self.time_utc.shape != self.rr_ms.shape:
            raise InputFormatError(self.source, "time and RR columns differ in length")
        if self.time_utc.size > 1 and not bool(np.all(np.diff(self.time_utc) >= 0)):
            i = int(np.flatnonzero(np.diff(self.time_utc) < 0)[0]) + 1
            raise InputFormatError(self.source, f"beat times go backwards at index {i}")
        bad = ~(np.isfinite(self.rr_ms) & (self.rr_ms > 0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputFormatError(
                self.source, f"RR interval {self.rr_ms[i]!r} ms at index {i} is not positive"
            )

    def __len__(self) -> int:
        return int(self.time_utc.size)

    def adjacent(self) -> npt.NDArray[np.bool_]:
        """True at ``i`` when interval ``i`` directly follows interval ``i - 1``; shape (n,).

        Element 0 is False (nothing precedes it).
        """
        out = np.zeros(self.time_utc.size, dtype=np.bool_)
        if self.time_utc.size > 1:
            step = np.diff(self.time_utc).astype(np.float64)
            out[1:] = step <= self.rr_ms[1:] / 1000.0 + 1.0
        return out
