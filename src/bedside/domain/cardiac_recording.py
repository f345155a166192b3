"""A patient's cardiac raw data: heart-rate samples and/or RR intervals, as one raw frame."""

from __future__ import annotations

from dataclasses import dataclass

from bedside.domain.errors import InputFormatError
from bedside.domain.ids import PatientId
from bedside.domain.modality import Modality
from bedside.domain.rr_intervals import RRIntervalFrame
from bedside.domain.samples import SampleFrame

__all__ = ["CardiacRecording"]


@dataclass(frozen=True, slots=True)
class CardiacRecording:
    """Heart-rate samples and RR intervals of one patient (either may be absent, not both).

    A wearable typically reports heart rate all day (about 1/min) and beat-to-beat intervals
    only at night or on demand; the cardiac daily table needs both, so the heart-rate modality's
    raw frame carries the pair.

    Attributes
    ----------
    heart_rate : SampleFrame or None
        Heart-rate samples, beats per minute, modality ``HEART_RATE``.
    rr : RRIntervalFrame or None
        RR intervals, milliseconds.
    """

    heart_rate: SampleFrame | None
    rr: RRIntervalFrame | None

    def __post_init__(self) -> None:
        hr, rr = self.heart_rate, self.rr
        if hr is None and rr is None:
            raise InputFormatError("cardiac recording", "needs heart-rate samples or RR intervals")
        if hr is not None and hr.modality is not Modality.HEART_RATE:
            raise InputFormatError(hr.source, f"expected heart-rate samples, got {hr.modality}")
        if (
            hr is not None
            and rr is not None
            and (hr.patient_id, hr.zone) != (rr.patient_id, rr.zone)
        ):
            raise InputFormatError(
                rr.source, "heart-rate samples and RR intervals of different patients or zones"
            )

    @property
    def patient_id(self) -> PatientId:
        """The patient both series belong to."""
        return self.heart_rate.patient_id if self.heart_rate is not None else self._rr().patient_id

    @property
    def zone(self) -> str:
        """The patient's IANA time zone."""
        return self.heart_rate.zone if self.heart_rate is not None else self._rr().zone

    @property
    def source(self) -> str:
        """Where the data came from (both sources when they differ)."""
        names = [f.source for f in (self.heart_rate, self.rr) if f is not None]
        return " + ".join(dict.fromkeys(names))

    def _rr(self) -> RRIntervalFrame:
        assert self.rr is not None  # __post_init__: one of the two is present
        return self.rr
