"""Sleep episodes from wearables and phones (Apple Health sleep analysis, Open mHealth
``sleep-episode`` / ``total-sleep-time``, synthetic sleep records): intervals labelled in bed,
asleep (with the stage where the source knows it) or awake.

One frame serves both the importers (which keep every stage the source states, and the
source's own minutes asleep) and the sleep-record biomarkers (which reduce the states to in
bed / asleep / awake with :data:`ASLEEP_STATES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from bedside.domain.errors import InputFormatError
from bedside.domain.ids import PatientId

__all__ = ["ASLEEP_STATES", "SleepEpisodeFrame", "SleepState"]


class SleepState(IntEnum):
    """What an interval of a sleep record says (codes stored in :attr:`SleepEpisodeFrame.state`).

    ``IN_BED`` intervals may overlap the asleep and ``AWAKE`` intervals they contain. Apple's
    core, deep and REM stages keep their own codes; biomarkers that only need "asleep" treat
    every code in :data:`ASLEEP_STATES` alike.
    """

    IN_BED = 0
    ASLEEP = 1
    AWAKE = 2
    ASLEEP_CORE = 3
    ASLEEP_DEEP = 4
    ASLEEP_REM = 5


ASLEEP_STATES: tuple[SleepState, ...] = (
    SleepState.ASLEEP,
    SleepState.ASLEEP_CORE,
    SleepState.ASLEEP_DEEP,
    SleepState.ASLEEP_REM,
)
"""The states that count as asleep (any stage)."""


@dataclass(frozen=True, slots=True)
class SleepEpisodeFrame:
    """One patient's sleep-record intervals, sorted by start.

    Attributes
    ----------
    patient_id : PatientId
    zone : str
        The patient's IANA time zone; sleep belongs to the local day the patient wakes up.
    start_utc, end_utc : ndarray of int64, shape (n,)
        Interval limits, UTC seconds since the Unix epoch; ``start_utc <= end_utc``; starts
        non-decreasing (intervals of different states may overlap).
    state : ndarray of int8, shape (n,)
        :class:`SleepState` code of each interval.
    asleep_min : ndarray of float64, shape (n,)
        Minutes asleep within the interval when the source states it (Open mHealth
        ``total-sleep-time``), NaN otherwise.
    source : str
        Where the records came from (file name, app), for error messages and provenance.
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
            raise InputFormatError(
                self.source, "start, end, state and asleep_min columns differ in length"
            )
        bad = np.flatnonzero(self.end_utc < self.start_utc)
        if bad.size:
            raise InputFormatError(
                self.source, f"sleep episode {int(bad[0])} ends before it starts", field="end_utc"
            )
        if self.start_utc.size > 1 and not bool(np.all(np.diff(self.start_utc) >= 0)):
            raise InputFormatError(self.source, "sleep episodes are not sorted by start")
        known = np.isin(self.state, [s.value for s in SleepState])
        if not bool(known.all()):
            i = int(np.flatnonzero(~known)[0])
            raise InputFormatError(
                self.source,
                f"sleep episode {i} has unknown state code {int(self.state[i])}",
                field="state",
            )

    def __len__(self) -> int:
        return int(self.start_utc.size)

    def asleep(self) -> npt.NDArray[np.bool_]:
        """Which intervals are asleep in any stage (:data:`ASLEEP_STATES`)."""
        return np.isin(self.state, [s.value for s in ASLEEP_STATES])
