"""Local calendar days of a patient as UTC intervals (23 h or 25 h on clock-change days)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

__all__ = ["LocalDays", "local_days", "utc_of_local_hour"]


@dataclass(frozen=True, slots=True)
class LocalDays:
    """Consecutive local dates and the UTC instants of their midnights.

    Attributes
    ----------
    dates : ndarray of datetime64[D], shape (n,)
    edges : ndarray of int64, shape (n + 1,)
        UTC seconds of each date's local midnight, then of the day after the last date.
    zone : str
    """

    dates: npt.NDArray[np.datetime64]
    edges: npt.NDArray[np.int64]
    zone: str

    @property
    def n(self) -> int:
        return int(self.dates.size)

    def date(self, k: int) -> dt.date:
        """Row `k` as a `datetime.date`."""
        day: dt.date = self.dates[k].astype("datetime64[D]").item()
        return day


def utc_of_local_hour(day: dt.date, hour: int, tz: ZoneInfo) -> int:
    """UTC seconds of local wall time ``hour:00`` on `day` (``24`` = next midnight).

    A wall time inside a spring-forward gap takes the pre-transition offset (``fold=0``).
    """
    wall = dt.datetime(day.year, day.month, day.day) + dt.timedelta(hours=hour)
    return int(wall.replace(tzinfo=tz).timestamp())


def local_days(first_utc: int, last_utc: int, zone: str) -> LocalDays:
    """The local dates spanned by the UTC instants ``first_utc..last_utc`` (inclusive).

    Parameters
    ----------
    first_utc, last_utc : int
        UTC seconds, ``first_utc <= last_utc``.
    zone : str
        IANA zone.
    """
    tz = ZoneInfo(zone)
    first = dt.datetime.fromtimestamp(first_utc, tz).date()
    last = dt.datetime.fromtimestamp(last_utc, tz).date()
    n = (last - first).days + 1
    days = [first + dt.timedelta(days=k) for k in range(n + 1)]
    edges = np.array([utc_of_local_hour(d, 0, tz) for d in days], dtype=np.int64)
    dates = np.arange(np.datetime64(first, "D"), np.datetime64(first, "D") + n)
    return LocalDays(dates=dates, edges=edges, zone=zone)
