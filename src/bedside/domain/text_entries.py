"""Free-text entries of one patient (journal, check-ins), held only until they are analysed.

The device reads the text once to compute language biomarkers; the text itself never enters a
daily table, a finding or the store. Entries differ in length, so the text is a tuple of
strings beside numpy columns of instants.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from bedside.domain.errors import InputFormatError
from bedside.domain.ids import PatientId

__all__ = ["TextEntryFrame"]


@dataclass(frozen=True, slots=True)
class TextEntryFrame:
    """Text entries of one patient, in time order.

    Attributes
    ----------
    patient_id : PatientId
    zone : str
        The patient's IANA time zone; an entry belongs to the local day it was written on.
    time_utc_s : ndarray of int64, shape (n,)
        UTC instants the entries were written, seconds since the Unix epoch, non-decreasing.
    texts : tuple of str, length n
        The entries' text (any length; empty entries are allowed and count zero words).
    source : str
        App or file the entries came from, for error messages and provenance.
    """

    patient_id: PatientId
    zone: str
    time_utc_s: npt.NDArray[np.int64]
    texts: tuple[str, ...]
    source: str = "<memory>"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputFormatError(self.source, f"unknown IANA time zone {self.zone!r}") from exc
        if self.time_utc_s.ndim != 1 or self.time_utc_s.dtype != np.int64:
            raise InputFormatError(
                self.source, "instants must be a 1-D int64 array of UTC seconds", field="time"
            )
        if self.time_utc_s.size != len(self.texts):
            raise InputFormatError(
                self.source,
                f"{self.time_utc_s.size} instants but {len(self.texts)} texts",
                field="texts",
            )
        for i, text in enumerate(self.texts):
            if not isinstance(text, str):
                raise InputFormatError(
                    self.source, f"entry {i} is {type(text).__name__}, not str", field="texts"
                )
        if self.time_utc_s.size > 1 and not bool(np.all(np.diff(self.time_utc_s) >= 0)):
            i = int(np.flatnonzero(np.diff(self.time_utc_s) < 0)[0]) + 1
            raise InputFormatError(
                self.source, f"entry {i} is earlier than the entry before it", field="time"
            )

    def __len__(self) -> int:
        return len(self.texts)
