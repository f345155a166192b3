"""Where a device reads its raw data from, a UTC interval at a time.

Chunked extraction (``bedside.biomarkers.chunked``) asks a source for each modality's time span
and then for one interval at a time, so a source backed by files (the phone's sensor store) never
has to hold a patient-year in memory. :class:`FrameSource` serves frames already in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from bedside.domain.errors import InputFormatError
from bedside.domain.modality import Modality
from bedside.domain.raw_frames import RawFrame
from bedside.domain.time_slice import frame_span, slice_frame

__all__ = ["FrameSource", "RawSource"]


@runtime_checkable
class RawSource(Protocol):
    """Raw frames of one patient, readable by UTC interval.

    Attributes
    ----------
    zone : str
        The patient's IANA time zone (the zone of every frame the source returns).
    """

    zone: str

    def modalities(self) -> list[Modality]:
        """The modalities with data, in a fixed order."""
        ...

    def span(self, modality: Modality) -> tuple[int, int] | None:
        """First and last instant of the modality's data, UTC seconds (see `frame_span`)."""
        ...

    def read(self, modality: Modality, start_utc: int, end_utc: int) -> RawFrame:
        """The modality's data inside ``[start_utc, end_utc)`` (see `slice_frame`)."""
        ...


class FrameSource:
    """A `RawSource` over frames held in memory (slices are copies).

    Parameters
    ----------
    frames : mapping of Modality to RawFrame
    """

    def __init__(self, frames: Mapping[Modality, RawFrame]) -> None:
        self._frames = dict(frames)
        if not self._frames:
            raise InputFormatError("raw frames", "no frame in the source")
        self.zone = next(iter(self._frames.values())).zone

    def modalities(self) -> list[Modality]:
        return list(self._frames)

    def span(self, modality: Modality) -> tuple[int, int] | None:
        return frame_span(self._frames[modality])

    def read(self, modality: Modality, start_utc: int, end_utc: int) -> RawFrame:
        return slice_frame(self._frames[modality], start_utc, end_utc)
