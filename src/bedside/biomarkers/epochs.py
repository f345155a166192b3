"""Place minute samples on the patient's local calendar.

Every actigraphy biomarker starts from a :class:`MinuteGrid`: the samples of a
:class:`~bedside.domain.SampleFrame` spread over a dense grid of UTC minutes (missing minutes are
NaN), each minute labelled with its local calendar day and local wall-clock time in the frame's
IANA zone. Local days may last 23 h or 25 h on clock-change days; coverage is therefore computed
against the true length of each local day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import polars as pl

from bedside.domain import InputFormatError, SampleFrame

__all__ = [
    "MinuteGrid",
    "daily_coverage",
    "day_lengths_min",
    "local_days",
    "local_midnight_utc",
    "minute_grid",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True)
class MinuteGrid:
    """A dense grid of UTC minutes with local-calendar labels.

    Attributes
    ----------
    zone : str
        IANA zone of the labels.
    start_utc : int
        UTC instant of the first grid minute, seconds since the epoch (a multiple of 60).
    counts : ndarray of float64, shape (n,)
        Activity counts per minute; NaN where no valid sample exists.
    local_day : ndarray of int64, shape (n,)
        Local calendar date of each minute, as days since 1970-01-01.
    wall_min : ndarray of int64, shape (n,)
        Local wall-clock minute of the day, 0..1439 (repeats during a fall-back hour, skips the
        spring-forward hour).
    elapsed_min : ndarray of int64, shape (n,)
        Minutes elapsed since local midnight starting the minute's local day (0..1499 on a 25-h
        day, 0..1379 on a 23-h day).
    offset_s : ndarray of int64, shape (n,)
        UTC offset of the zone at each minute, seconds.
    first_day, n_days : int
        First local day (days since the epoch) and number of local days from first to last.
    """

    zone: str
    start_utc: int
    counts: FloatArray
    local_day: IntArray
    wall_min: IntArray
    elapsed_min: IntArray
    offset_s: IntArray
    first_day: int
    n_days: int

    @property
    def day_index(self) -> IntArray:
        """Row of each minute in a daily table starting on `first_day`, shape (n,)."""
        return self.local_day - self.first_day

    @property
    def dates(self) -> npt.NDArray[np.datetime64]:
        """Consecutive local dates, datetime64[D], shape (n_days,)."""
        return (np.arange(self.n_days, dtype=np.int64) + self.first_day).astype("datetime64[D]")

    @property
    def valid(self) -> npt.NDArray[np.bool_]:
        """Minutes with a valid (finite) count, shape (n,)."""
        return np.isfinite(self.counts)


def _utc_offsets(utc_s: IntArray, zone: str) -> IntArray:
    """UTC offset (seconds) of `zone` at each UTC instant, vectorised through polars."""
    if utc_s.size == 0:
        return np.zeros(0, dtype=np.int64)
    series = pl.Series("t", utc_s, dtype=pl.Int64)
    utc_dt = pl.from_epoch(series, time_unit="s").dt.replace_time_zone("UTC")
    wall = utc_dt.dt.convert_time_zone(zone).dt.replace_time_zone(None)
    wall_s = wall.dt.epoch(time_unit="s").to_numpy().astype(np.int64)
    return wall_s - utc_s


def local_days(utc_s: IntArray, zone: str) -> IntArray:
    """Local calendar day (days since 1970-01-01) of each UTC instant (seconds) in `zone`."""
    utc_s = np.asarray(utc_s, dtype=np.int64)
    days: IntArray = np.floor_divide(utc_s + _utc_offsets(utc_s, zone), _SECONDS_PER_DAY)
    return days


def local_midnight_utc(days: IntArray, zone: str) -> IntArray:
    """UTC instant (seconds) of the local midnight starting each local day.

    Parameters
    ----------
    days : ndarray of int64, shape (k,)
        Local dates as days since 1970-01-01.
    zone : str
        IANA zone.

    Returns
    -------
    ndarray of int64, shape (k,)
        When midnight does not exist (a clock change at midnight), the first instant of the day.
    """
    tz = ZoneInfo(zone)
    epoch = dt.date(1970, 1, 1)
    out = np.empty(days.size, dtype=np.int64)
    for i, d in enumerate(days.tolist()):
        day = epoch + dt.timedelta(days=int(d))
        naive = dt.datetime(day.year, day.month, day.day)
        # fold=0 before a gap resolves to the pre-transition offset; round-trip to detect a gap.
        aware = naive.replace(tzinfo=tz)
        ts = int(aware.timestamp())
        back = dt.datetime.fromtimestamp(ts, tz).replace(tzinfo=None)
        if back.date() != day:  # midnight skipped: the day starts at the transition instant
            ts = int(naive.replace(tzinfo=tz, fold=1).timestamp())
        out[i] = ts
    return out


def day_lengths_min(first_day: int, n_days: int, zone: str) -> FloatArray:
    """Length of each local day in minutes (1440, or 1380/1500 on clock-change days)."""
    days = np.arange(first_day, first_day + n_days + 1, dtype=np.int64)
    mid = local_midnight_utc(days, zone)
    return np.diff(mid).astype(np.float64) / 60.0


def minute_grid(frame: SampleFrame) -> MinuteGrid:
    """Spread a frame's samples over a dense UTC minute grid with local-calendar labels.

    Parameters
    ----------
    frame : SampleFrame
        Minute-level samples (``epoch_s`` must be 60); samples are placed in the UTC minute that
        contains them. Non-finite values count as missing.

    Returns
    -------
    MinuteGrid
        Covers every minute from the first to the last sample.

    Raises
    ------
    InputFormatError
        If the frame's epoch is not 60 s or two samples fall in the same minute.
    """
    if frame.epoch_s != 60:
        raise InputFormatError(
            frame.source, f"actigraphy biomarkers need 60-s epochs, got {frame.epoch_s} s"
        )
    t = np.asarray(frame.time_utc, dtype=np.int64)
    if t.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return MinuteGrid(frame.zone, 0, np.zeros(0), empty, empty, empty, empty, 0, 0)
    minute = np.floor_divide(t, 60)
    if minute.size > 1 and not bool(np.all(np.diff(minute) > 0)):
        raise InputFormatError(frame.source, "two samples fall in the same UTC minute")
    first_minute = int(minute[0])
    n = int(minute[-1]) - first_minute + 1
    counts = np.full(n, np.nan)
    counts[minute - first_minute] = np.asarray(frame.value, dtype=np.float64)
    counts[~np.isfinite(counts)] = np.nan
    utc = (np.arange(n, dtype=np.int64) + first_minute) * 60
    offset = _utc_offsets(utc, frame.zone)
    wall_s = utc + offset
    local_day = np.floor_divide(wall_s, _SECONDS_PER_DAY)
    wall_min = np.floor_divide(np.mod(wall_s, _SECONDS_PER_DAY), 60)
    first_day = int(local_day[0])
    n_days = int(local_day[-1]) - first_day + 1
    mid = local_midnight_utc(np.arange(first_day, first_day + n_days, dtype=np.int64), frame.zone)
    elapsed = np.floor_divide(utc - mid[local_day - first_day], 60)
    return MinuteGrid(
        zone=frame.zone,
        start_utc=first_minute * 60,
        counts=counts,
        local_day=local_day,
        wall_min=wall_min,
        elapsed_min=elapsed,
        offset_s=offset,
        first_day=first_day,
        n_days=n_days,
    )


def daily_coverage(grid: MinuteGrid) -> FloatArray:
    """Fraction of each local day with a valid minute, shape (n_days,), in [0, 1]."""
    if grid.n_days == 0:
        return np.zeros(0)
    valid = np.bincount(grid.day_index[grid.valid], minlength=grid.n_days).astype(np.float64)
    lengths = day_lengths_min(grid.first_day, grid.n_days, grid.zone)
    return np.clip(valid / lengths, 0.0, 1.0)
