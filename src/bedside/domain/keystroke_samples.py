"""Keystroke timing metadata of one patient (never the characters typed)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from bedside.domain.errors import InputFormatError
from bedside.domain.ids import PatientId

__all__ = ["KeyKind", "KeystrokeFrame"]


class KeyKind(IntEnum):
    """The class of a key press; the key itself is never recorded (BiAffect-style metadata)."""

    ALPHANUMERIC = 1
    BACKSPACE = 2
    SPACE = 3
    PUNCTUATION = 4
    OTHER = 5


@dataclass(frozen=True, slots=True)
class KeystrokeFrame:
    """Key presses of one patient, in time order, grouped into typing sessions.

    Attributes
    ----------
    patient_id : PatientId
    zone : str
        IANA zone of the patient's local days.
    time_utc_ms : ndarray of int64, shape (n,)
        UTC instants of the presses, milliseconds since the Unix epoch, non-decreasing
        (inter-key intervals are a few hundred milliseconds, so seconds would erase them).
    session : ndarray of int64, shape (n,)
        Typing session (one opening of the keyboard) of each press; a session's presses are
        contiguous.
    kind : ndarray of int8, shape (n,)
        :class:`KeyKind` codes.
    source : str
    observed_hours_utc : ndarray of int64, shape (k,), optional
        UTC hours (hours since the epoch) in which the logger was known to run (Beiwe writes
        an hourly file, possibly empty, for every hour it ran); coverage is computed from them.
        None means every hour from the first to the last event.
    """

    patient_id: PatientId
    zone: str
    time_utc_ms: npt.NDArray[np.int64]
    session: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int8]
    source: str = "<memory>"
    observed_hours_utc: npt.NDArray[np.int64] | None = None

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputFormatError(self.source, f"unknown IANA time zone {self.zone!r}") from exc
        n = self.time_utc_ms.shape
        if self.session.shape != n or self.kind.shape != n or len(n) != 1:
            raise InputFormatError(self.source, "columns differ in length", field="session/kind")
        if self.time_utc_ms.size > 1 and not bool(np.all(np.diff(self.time_utc_ms) >= 0)):
            raise InputFormatError(self.source, "key presses are not in time order", field="time")
        known = np.isin(self.kind, [int(k) for k in KeyKind])
        if not known.all():
            i = int(np.flatnonzero(~known)[0])
            raise InputFormatError(
                self.source, f"unknown key kind {int(self.kind[i])} at index {i}", field="kind"
            )
        if self.session.size > 1:
            starts = self.session[np.r_[True, self.session[1:] != self.session[:-1]]]
            if np.unique(starts).size != starts.size:
                raise InputFormatError(
                    self.source, "a session's key presses are not contiguous", field="session"
                )

    def __len__(self) -> int:
        return int(self.kind.size)
