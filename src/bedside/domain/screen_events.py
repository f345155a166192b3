"""Phone screen and lock events of one patient as typed numpy columns."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from bedside.domain.errors import InputFormatError
from bedside.domain.ids import PatientId

__all__ = ["ScreenEvent", "ScreenEventFrame"]


class ScreenEvent(IntEnum):
    """What happened to the screen.

    Android reports the screen turning on and off; iOS reports the device being unlocked and
    locked (Beiwe's power-state stream names them so).
    """

    SCREEN_ON = 1
    SCREEN_OFF = 2
    UNLOCKED = 3
    LOCKED = 4

    @property
    def starts_use(self) -> bool:
        """The phone became usable (screen on, or unlocked)."""
        return self in (ScreenEvent.SCREEN_ON, ScreenEvent.UNLOCKED)


@dataclass(frozen=True, slots=True)
class ScreenEventFrame:
    """Screen events of one patient, in time order.

    Attributes
    ----------
    patient_id : PatientId
    zone : str
        IANA zone of the patient's local days.
    time_utc_ms : ndarray of int64, shape (n,)
        UTC instants, milliseconds since the Unix epoch, non-decreasing (milliseconds because
        a screen can turn on and off within a second, and the order must survive).
    event : ndarray of int8, shape (n,)
        :class:`ScreenEvent` codes.
    source : str
    observed_hours_utc : ndarray of int64, shape (k,), optional
        UTC hours (hours since the epoch) in which the logger was known to run (Beiwe writes
        an hourly file, possibly empty, for every hour it ran); coverage is computed from them.
        None means every hour from the first to the last event.
    """

    patient_id: PatientId
    zone: str
    time_utc_ms: npt.NDArray[np.int64]
    event: npt.NDArray[np.int8]
    source: str = "<memory>"
    observed_hours_utc: npt.NDArray[np.int64] | None = None

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputFormatError(self.source, f"unknown IANA time zone {self.zone!r}") from exc
        if self.time_utc_ms.shape != self.event.shape or self.event.ndim != 1:
            raise InputFormatError(self.source, "columns differ in length", field="event")
        if self.time_utc_ms.size > 1 and not bool(np.all(np.diff(self.time_utc_ms) >= 0)):
            raise InputFormatError(self.source, "events are not in time order", field="time")
        known = np.isin(self.event, [int(e) for e in ScreenEvent])
        if not known.all():
            i = int(np.flatnonzero(~known)[0])
            raise InputFormatError(
                self.source, f"unknown event code {int(self.event[i])} at index {i}", field="event"
            )

    def __len__(self) -> int:
        return int(self.event.size)
