"""Local-day helpers for event streams (screen events, key presses): day of an instant, coverage.

Event streams have no regular sampling, so their coverage comes from the hours in which the
logger is known to have run (Beiwe writes one file per hour it ran, even when empty).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.epochs import _utc_offsets, day_lengths_min, local_midnight_utc

__all__ = ["EventDays", "event_days"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_DAY_S = 86_400


class EventDays:
    """Local calendar of a set of UTC instants in one zone.

    Parameters
    ----------
    utc_s : ndarray of int64, shape (n,)
        Instants, UTC seconds.
    zone : str
    observed_hours : ndarray of int64, shape (k,), optional
        UTC hours (since the epoch) the logger ran; default every hour the instants span.

    Attributes
    ----------
    first_day, n_days : int
        First local day (days since the epoch) and number of days (covering instants and
        observed hours).
    day : ndarray of int64, shape (n,)
        Row (0-based from `first_day`) of each instant.
    wall_s : ndarray of int64, shape (n,)
        Local wall-clock seconds after midnight of each instant.
    coverage : ndarray of float64, shape (n_days,)
        Share of each local day inside observed hours.
    midnights : ndarray of int64, shape (n_days + 1,)
        UTC instants of the local midnights bounding the days.
    """

    def __init__(self, utc_s: IntArray, zone: str, observed_hours: IntArray | None = None) -> None:
        self.zone = zone
        if observed_hours is None:
            if utc_s.size:
                observed_hours = np.arange(utc_s.min() // 3600, utc_s.max() // 3600 + 1)
            else:
                observed_hours = np.zeros(0, dtype=np.int64)
        hours = np.unique(np.asarray(observed_hours, dtype=np.int64))
        anchors = np.concatenate([utc_s, hours * 3600, hours * 3600 + 3599])
        if anchors.size == 0:
            self.first_day, self.n_days = 0, 0
            self.day = np.zeros(0, dtype=np.int64)
            self.wall_s = np.zeros(0, dtype=np.int64)
            self.coverage = np.zeros(0)
            self.midnights = np.zeros(1, dtype=np.int64)
            return
        local_anchor = np.floor_divide(anchors + _utc_offsets(anchors, zone), _DAY_S)
        self.first_day = int(local_anchor.min())
        self.n_days = int(local_anchor.max()) - self.first_day + 1
        self.midnights = local_midnight_utc(
            np.arange(self.first_day, self.first_day + self.n_days + 1, dtype=np.int64), zone
        )
        self.day = np.searchsorted(self.midnights, utc_s, side="right").astype(np.int64) - 1
        self.wall_s = (
            utc_s
            + _utc_offsets(utc_s, zone)
            - (np.floor_divide(utc_s + _utc_offsets(utc_s, zone), _DAY_S) * _DAY_S)
        )
        # Coverage: observed seconds per local day (hours cut at local midnights).
        start = hours * 3600
        end = start + 3600
        covered = np.zeros(self.n_days)
        for edge_lo, edge_hi, d in zip(
            self.midnights[:-1], self.midnights[1:], range(self.n_days), strict=True
        ):
            overlap = np.clip(np.minimum(end, edge_hi) - np.maximum(start, edge_lo), 0, None)
            covered[d] = overlap.sum()
        lengths = day_lengths_min(self.first_day, self.n_days, zone) * 60.0
        self.coverage = np.clip(covered / lengths, 0.0, 1.0)

    @property
    def dates(self) -> npt.NDArray[np.datetime64]:
        return (np.arange(self.n_days, dtype=np.int64) + self.first_day).astype("datetime64[D]")

    def split_intervals(self, start_s: FloatArray, end_s: FloatArray) -> FloatArray:
        """Seconds of each interval ``[start, end)`` falling in each local day, shape (n_days,)."""
        out = np.zeros(self.n_days)
        for d in range(self.n_days):
            lo, hi = self.midnights[d], self.midnights[d + 1]
            out[d] = np.clip(np.minimum(end_s, hi) - np.maximum(start_s, lo), 0, None).sum()
        return out


def event_days(utc_s: IntArray, zone: str, observed_hours: IntArray | None = None) -> EventDays:
    """The local calendar of event instants (see :class:`EventDays`)."""
    ZoneInfo(zone)  # a clear error for an unknown zone before any work
    return EventDays(utc_s, zone, observed_hours)
