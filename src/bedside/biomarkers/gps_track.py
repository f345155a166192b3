"""From raw GPS fixes to a cleaned minute-by-minute track on the patient's local calendar.

Phones deliver fixes with bad accuracy, repeated stale fixes (the operating system handing back
its last cached position), single-fix or short "teleport" excursions (a Wi-Fi or cell-tower
position far from the true one) and long gaps (GPS off, battery, duty cycling). Each of these
would turn into nonsense mobility numbers if used as is, so this module

1. drops fixes whose reported accuracy is worse than ``max_accuracy_m`` (Forest's default limit
   is 51 m; Barnett I, Onnela JP. Inferring mobility measures from GPS traces with missing data.
   Biostatistics 2020;21(2):e98-e112);
2. drops stale fixes: after ``stale_after_s`` of bit-identical coordinates, further identical
   fixes are not evidence of where the patient is (real receivers jitter in the last digits);
3. drops excursions: runs of fixes that are entered and left at an implausible speed
   (``> max_speed_m_s``) within ``max_excursion_s``, returning to where they left;
4. averages the remaining fixes per UTC minute and carries a minute's position forward for at
   most ``hold_s`` (Beiwe's usual duty cycle is 1 min on, 9 min off), so time after a longer gap
   is unobserved: it lowers coverage and is never imputed.

Steps between minutes whose implied speed is still implausible (a one-way jump) are flagged and
never counted as distance travelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.epochs import MinuteGrid, _utc_offsets, local_midnight_utc
from bedside.domain import InputFormatError
from bedside.domain.gps_samples import GpsFrame

__all__ = [
    "EARTH_RADIUS_M",
    "CleanedFixes",
    "GpsSettings",
    "MinuteTrack",
    "clean_fixes",
    "haversine_m",
    "minute_track",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_SECONDS_PER_DAY = 86_400

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""


@dataclass(frozen=True, slots=True)
class GpsSettings:
    """Settings of GPS cleaning and of the mobility biomarkers.

    Attributes
    ----------
    max_accuracy_m : float
        Fixes with a reported accuracy above this are dropped, metres.
    stale_after_s : int
        Identical coordinates repeated for longer than this are stale, seconds.
    max_speed_m_s : float
        Faster movement between fixes is implausible for a phone on the ground, m/s
        (55 m/s = 198 km/h).
    max_excursion_s : int
        Longest excursion (entered and left at implausible speed) that is dropped, seconds.
    hold_s : int
        A minute's position stands for at most this long after its last fix, seconds.
    moving_floor_m : float
        A step between minutes shorter than this is GPS noise, not movement, metres.
    noise_factor : float
        A step is also noise when shorter than this many times the combined noise of its two
        minute positions (reported accuracy / sqrt(fixes averaged), added in quadrature).
    place_radius_m : float
        Radius of a place: stationary minutes within it of a place centre belong to it, metres.
    min_place_min : int
        A place is significant on a day when the patient stayed at least this long, minutes;
        places are only founded from stationary time at least this long over the whole trace.
    night_start_h, night_end_h : int
        Local wall-clock hours whose stationary minutes define home (Saeb et al. 2015: 0-6).
    min_home_night_min : int
        Home is undefined (home-based biomarkers NaN) with fewer night minutes at any place.
    min_coverage : float
        A day's biomarkers are NaN when less than this share of its minutes is observed.
    circadian_window_days : int
        Days (ending on the day) over which circadian movement is computed.
    """

    max_accuracy_m: float = 100.0
    stale_after_s: int = 600
    max_speed_m_s: float = 55.0
    max_excursion_s: int = 900
    hold_s: int = 600
    moving_floor_m: float = 30.0
    noise_factor: float = 2.5
    place_radius_m: float = 100.0
    min_place_min: int = 10
    night_start_h: int = 0
    night_end_h: int = 6
    min_home_night_min: int = 60
    min_coverage: float = 0.5
    circadian_window_days: int = 7

    def __post_init__(self) -> None:
        positive = {
            "max_accuracy_m": self.max_accuracy_m,
            "stale_after_s": self.stale_after_s,
            "max_speed_m_s": self.max_speed_m_s,
            "hold_s": self.hold_s,
            "place_radius_m": self.place_radius_m,
            "circadian_window_days": self.circadian_window_days,
        }
        for name, value in positive.items():
            if not value > 0:
                raise InputFormatError("GPS settings", f"must be positive, got {value}", field=name)
        if not 0.0 <= self.min_coverage <= 1.0:
            raise InputFormatError("GPS settings", "must be in [0, 1]", field="min_coverage")
        if not 0 <= self.night_start_h < self.night_end_h <= 24:
            raise InputFormatError(
                "GPS settings", "need 0 <= night_start_h < night_end_h <= 24", field="night"
            )


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance on a sphere of radius `EARTH_RADIUS_M`, metres (degrees in)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat = p2 - p1
    dlon = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dlat / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


@dataclass(frozen=True, slots=True)
class CleanedFixes:
    """Which fixes survived cleaning, and why the others did not.

    Attributes
    ----------
    kept : ndarray of bool, shape (n,)
    n_inaccurate, n_stale, n_excursion : int
        Fixes dropped for accuracy, staleness and implausible excursions (first reason wins).
    """

    kept: BoolArray
    n_inaccurate: int
    n_stale: int
    n_excursion: int


def _stale(t: IntArray, lat: FloatArray, lon: FloatArray, stale_after_s: int) -> BoolArray:
    n = t.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = (lat[1:] != lat[:-1]) | (lon[1:] != lon[:-1])
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(n), 0))
    return np.asarray((t - t[run_start]) > stale_after_s)


def _excursions(t: IntArray, lat: FloatArray, lon: FloatArray, settings: GpsSettings) -> BoolArray:
    """Fixes inside runs entered and left at implausible speed, returning near the origin."""
    n = t.size
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    step = haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])
    dt = np.maximum(np.diff(t), 1).astype(np.float64)
    jump = np.flatnonzero(step / dt > settings.max_speed_m_s) + 1  # fix index after the step
    if jump.size < 2:
        return out
    enter, leave = jump[:-1], jump[1:]
    # The excursion is fixes enter..leave-1; the patient returns to where they left from.
    back = haversine_m(lat[enter - 1], lon[enter - 1], lat[leave], lon[leave])
    span = np.maximum(t[leave] - t[enter - 1], 1).astype(np.float64)
    ok = ((t[leave - 1] - t[enter]) <= settings.max_excursion_s) & (
        back / span <= settings.max_speed_m_s
    )
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, enter[ok], 1)
    np.add.at(marks, leave[ok], -1)
    out = np.cumsum(marks[:-1]) > 0
    return np.asarray(out)


def clean_fixes(frame: GpsFrame, settings: GpsSettings) -> CleanedFixes:
    """Flag inaccurate, stale and excursion fixes (see the module docstring for the rules).

    Parameters
    ----------
    frame : GpsFrame
    settings : GpsSettings

    Returns
    -------
    CleanedFixes
        ``kept`` marks the fixes used for every biomarker.
    """
    acc = frame.accuracy_m
    inaccurate = np.isfinite(acc) & (acc > settings.max_accuracy_m)
    keep = ~inaccurate
    idx = np.flatnonzero(keep)
    t, lat, lon = frame.time_utc[idx], frame.latitude_deg[idx], frame.longitude_deg[idx]
    stale = _stale(t, lat, lon, settings.stale_after_s)
    idx2 = idx[~stale]
    excursion = _excursions(
        frame.time_utc[idx2], frame.latitude_deg[idx2], frame.longitude_deg[idx2], settings
    )
    kept = np.zeros(len(frame), dtype=bool)
    kept[idx2[~excursion]] = True
    return CleanedFixes(
        kept=kept,
        n_inaccurate=int(inaccurate.sum()),
        n_stale=int(stale.sum()),
        n_excursion=int(excursion.sum()),
    )


@dataclass(frozen=True, slots=True)
class MinuteTrack:
    """The cleaned track on a dense grid of UTC minutes with local-calendar labels.

    Attributes
    ----------
    grid : MinuteGrid
        Local labels of each minute (``grid.counts`` holds the number of kept fixes, NaN if 0).
    latitude_deg, longitude_deg : ndarray of float64, shape (n,)
        Mean position of the minute's fixes, or the held position; NaN when unobserved.
    observed_min : ndarray of int64, shape (n,)
        Grid index of the minute whose fixes gave the position (itself unless held); -1 if none.
    step_m : ndarray of float64, shape (n,)
        Distance from the previous minute's position, metres; NaN when it is within the noise
        floor (stationary) and at the first minute of a run.
    jump : ndarray of bool, shape (n,)
        The step into this minute implies an implausible speed (never counted as travel).
    """

    grid: MinuteGrid
    latitude_deg: FloatArray
    longitude_deg: FloatArray
    observed_min: IntArray
    step_m: FloatArray
    jump: BoolArray

    @property
    def valid(self) -> BoolArray:
        """Minutes with a known position, shape (n,)."""
        return np.asarray(np.isfinite(self.latitude_deg))

    @property
    def moving(self) -> BoolArray:
        """Minutes entered by a step of real movement (above the noise floor, not a jump)."""
        return np.asarray(np.isfinite(self.step_m) & ~self.jump)


def _empty_track(frame: GpsFrame) -> MinuteTrack:
    empty_i = np.zeros(0, dtype=np.int64)
    empty_f = np.zeros(0)
    grid = MinuteGrid(frame.zone, 0, empty_f, empty_i, empty_i, empty_i, empty_i, 0, 0)
    return MinuteTrack(grid, empty_f, empty_f, empty_i, empty_f, np.zeros(0, dtype=bool))


def _local_grid(first_minute: int, n: int, zone: str, counts: FloatArray) -> MinuteGrid:
    """Local-calendar labels of `n` UTC minutes from `first_minute` (minutes since the epoch).

    Zone offsets are looked up once per hour and per minute only in hours where the offset
    changes, which is exact for every transition on a minute boundary (all modern ones).
    """
    utc = (np.arange(n, dtype=np.int64) + first_minute) * 60
    h0 = int(utc[0] // 3600)
    n_h = int(utc[-1] // 3600) - h0 + 2
    hour_off = _utc_offsets((np.arange(n_h, dtype=np.int64) + h0) * 3600, zone)
    rel_h = utc // 3600 - h0
    offset = hour_off[rel_h]
    changing = np.flatnonzero(hour_off[1:] != hour_off[:-1])
    if changing.size:
        exact = np.isin(rel_h, changing)
        offset[exact] = _utc_offsets(utc[exact], zone)
    wall_s = utc + offset
    local_day = np.floor_divide(wall_s, _SECONDS_PER_DAY)
    first_day = int(local_day[0])
    n_days = int(local_day[-1]) - first_day + 1
    mid = local_midnight_utc(np.arange(first_day, first_day + n_days, dtype=np.int64), zone)
    return MinuteGrid(
        zone=zone,
        start_utc=first_minute * 60,
        counts=counts,
        local_day=local_day,
        wall_min=np.floor_divide(np.mod(wall_s, _SECONDS_PER_DAY), 60),
        elapsed_min=np.floor_divide(utc - mid[local_day - first_day], 60),
        offset_s=offset,
        first_day=first_day,
        n_days=n_days,
    )


def minute_track(frame: GpsFrame, settings: GpsSettings) -> MinuteTrack:
    """Clean the fixes and place them on a minute grid on the patient's local calendar.

    Parameters
    ----------
    frame : GpsFrame
    settings : GpsSettings

    Returns
    -------
    MinuteTrack
        Covers every minute from the first to the last kept fix (plus the hold after it).
    """
    kept = clean_fixes(frame, settings).kept
    t = frame.time_utc[kept]
    if t.size == 0:
        return _empty_track(frame)
    lat, lon = frame.latitude_deg[kept], frame.longitude_deg[kept]
    acc = np.nan_to_num(frame.accuracy_m[kept], nan=0.0)
    minute = np.floor_divide(t, 60)
    first = int(minute[0])
    hold_min = int(settings.hold_s // 60)
    n = int(minute[-1]) - first + 1 + hold_min
    rel = minute - first
    n_fix = np.bincount(rel, minlength=n).astype(np.float64)
    has = n_fix > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mlat = np.bincount(rel, weights=lat, minlength=n) / n_fix
        mlon = np.bincount(rel, weights=lon, minlength=n) / n_fix
        # Noise of a minute's mean position: accuracy / sqrt(number of fixes averaged).
        noise = np.sqrt(np.bincount(rel, weights=acc * acc, minlength=n) / n_fix) / np.sqrt(n_fix)
    # Carry each observed minute forward for at most hold_min minutes.
    pos = np.arange(n, dtype=np.int64)
    last_obs = np.maximum.accumulate(np.where(has, pos, -1))
    held = (last_obs >= 0) & (pos - last_obs <= hold_min)
    observed = np.where(held, last_obs, -1)
    src = np.maximum(observed, 0)
    glat = np.where(held, mlat[src], np.nan)
    glon = np.where(held, mlon[src], np.nan)
    # Steps between consecutive valid minutes; speed uses the time between the observations.
    step = np.full(n, np.nan)
    jump = np.zeros(n, dtype=bool)
    both = held[1:] & held[:-1]
    i = np.flatnonzero(both) + 1
    d = haversine_m(glat[i - 1], glon[i - 1], glat[i], glon[i])
    dt_s = np.maximum(observed[i] - observed[i - 1], 1).astype(np.float64) * 60.0
    floor = np.maximum(
        settings.moving_floor_m,
        settings.noise_factor * np.hypot(noise[observed[i - 1]], noise[observed[i]]),
    )
    step[i] = np.where(d > floor, d, np.nan)
    jump[i] = d / dt_s > settings.max_speed_m_s
    labels = _local_grid(first, n, frame.zone, np.where(has, n_fix, np.nan))
    return MinuteTrack(
        grid=labels,
        latitude_deg=glat,
        longitude_deg=glon,
        observed_min=observed,
        step_m=step,
        jump=jump,
    )
