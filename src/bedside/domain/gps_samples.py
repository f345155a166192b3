"""GPS fixes of one patient as typed numpy columns (raw coordinates stay on the device)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from bedside.domain.errors import InputFormatError
from bedside.domain.ids import PatientId

__all__ = ["GpsFrame"]


@dataclass(frozen=True, slots=True)
class GpsFrame:
    """Location fixes of one patient, sorted by UTC instant.

    Raw coordinates are identifying; they exist only inside the device and never leave the
    biomarker functions (only daily numbers do).

    Attributes
    ----------
    patient_id : PatientId
    zone : str
        The patient's IANA time zone; local days are computed in it.
    time_utc : ndarray of int64, shape (n,)
        UTC instants, seconds since the Unix epoch, non-decreasing (1 Hz fixes of phones are
        sub-second apart at times, so equal seconds are allowed).
    latitude_deg, longitude_deg : ndarray of float64, shape (n,)
        WGS84 coordinates, degrees, finite, within [-90, 90] and [-180, 180].
    accuracy_m : ndarray of float64, shape (n,)
        Reported horizontal accuracy (radius of 68% confidence), metres; NaN when unknown.
    source : str
        Where the fixes came from (folder or file name), for error messages and provenance.
    """

    patient_id: PatientId
    zone: str
    time_utc: npt.NDArray[np.int64]
    latitude_deg: npt.NDArray[np.float64]
    longitude_deg: npt.NDArray[np.float64]
    accuracy_m: npt.NDArray[np.float64]
    source: str = "<memory>"

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputFormatError(self.source, f"unknown IANA time zone {self.zone!r}") from exc
        n = self.time_utc.shape
        for name in ("latitude_deg", "longitude_deg", "accuracy_m"):
            if getattr(self, name).shape != n or len(n) != 1:
                raise InputFormatError(self.source, "columns differ in length", field=name)
        if self.time_utc.size > 1 and not bool(np.all(np.diff(self.time_utc) >= 0)):
            raise InputFormatError(self.source, "timestamps are not in order", field="time_utc")
        lat, lon = self.latitude_deg, self.longitude_deg
        bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputFormatError(
                self.source,
                f"coordinate ({lat[i]}, {lon[i]}) at index {i} is not a WGS84 position",
                field="latitude_deg/longitude_deg",
            )

    def __len__(self) -> int:
        return int(self.time_utc.size)
