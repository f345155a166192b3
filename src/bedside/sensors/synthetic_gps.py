"""Synthetic GPS traces of one patient, with episode effects in published directions.

Each day the simulated patient sleeps at home, may go to work on weekdays and visits a few of
their personal places, travelling in straight lines at walking or driving speed. Fixes carry a
reported accuracy and matching position noise. Depressive severity in [0, 1] makes the patient
leave home less often, visit fewer places, get up later and travel less: the directions of
Saeb S et al. J Med Internet Res 2015;17(7):e175 (more home time, lower location variance and
entropy with more severe symptoms) and Canzian L, Musolesi M. UbiComp 2015:1293-1304 (smaller
mobility radius and distance during depressive states).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.domain import InputFormatError, PatientId
from bedside.domain.gps_samples import GpsFrame

__all__ = ["GpsSampling", "generate_gps"]

FloatArray = npt.NDArray[np.float64]

_M_PER_DEG_LAT = 111_195.0


@dataclass(frozen=True, slots=True)
class GpsSampling:
    """When the phone records fixes.

    Attributes
    ----------
    interval_s : int
        Seconds between fixes while the receiver is on (1 = 1 Hz).
    on_s, off_s : int
        Duty cycle: on for `on_s`, then off for `off_s` (Beiwe's common 60 s on, 540 s off);
        ``off_s = 0`` records continuously.
    """

    interval_s: int = 60
    on_s: int = 60
    off_s: int = 0

    def times(self, start: int, end: int) -> npt.NDArray[np.int64]:
        """Fix instants in [start, end), UTC seconds."""
        t = np.arange(start, end, self.interval_s, dtype=np.int64)
        if self.off_s > 0:
            t = t[(t - start) % (self.on_s + self.off_s) < self.on_s]
        return t


def _offset_deg(lat0: float, east_m: FloatArray, north_m: FloatArray) -> tuple[FloatArray, ...]:
    dlat = north_m / _M_PER_DEG_LAT
    dlon = east_m / (_M_PER_DEG_LAT * np.cos(np.radians(lat0)))
    return dlat, dlon


def generate_gps(
    rng: np.random.Generator,
    dates: Sequence[dt.date],
    zone: str,
    severity: npt.ArrayLike,
    *,
    patient_id: str = "synthetic",
    origin: tuple[float, float] = (59.91, 10.75),
    sampling: GpsSampling | None = None,
    employed: bool = True,
) -> GpsFrame:
    """Simulate a patient's GPS fixes over consecutive local dates.

    Parameters
    ----------
    rng : numpy.random.Generator
        Seeded generator; the output is a pure function of its state and the arguments.
    dates : sequence of date
        Consecutive local dates.
    zone : str
        IANA zone of the patient.
    severity : array_like of float, shape (len(dates),)
        Daily episode severity in [0, 1] (0 well, 1 full episode).
    patient_id : str
    origin : (float, float)
        Latitude and longitude of the patient's town, degrees; home is within about 3 km.
    sampling : GpsSampling, optional
        Default one fix a minute.
    employed : bool
        Whether the patient has a workplace visited on weekdays.

    Returns
    -------
    GpsFrame
        Fixes with reported accuracy 4-40 m and Gaussian position noise of that scale.
    """
    sev = np.clip(np.asarray(severity, dtype=np.float64), 0.0, 1.0)
    if sev.shape != (len(dates),):
        raise InputFormatError("synthetic GPS", "one severity per date", field="severity")
    sampling = sampling or GpsSampling()
    tz = ZoneInfo(zone)
    lat0, lon0 = origin
    # Personal geography, metres east/north of the origin.
    home = rng.normal(0.0, 1500.0, 2)
    work = home + rng.normal(0.0, 4000.0, 2)
    places = home + rng.normal(0.0, 2500.0, (6, 2))
    preference = 1.0 / np.arange(1, 7)
    preference /= preference.sum()
    knots_t: list[float] = []
    knots_xy: list[npt.NDArray[np.float64]] = []

    def stay(t0: float, t1: float, xy: npt.NDArray[np.float64]) -> None:
        knots_t.extend([t0, t1])
        knots_xy.extend([xy, xy])

    def travel_s(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
        d = float(np.hypot(*(b - a)))
        return d / (1.3 if d < 1500.0 else 11.0)

    day_starts: list[int] = []
    for i, day in enumerate(dates):
        s = float(sev[i])
        midnight = int(dt.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())
        day_starts.append(midnight)
        wake = midnight + 3600.0 * (7.0 + 1.5 * s + rng.normal(0.0, 0.5))
        back_by = midnight + 3600.0 * (21.0 - 2.0 * s + rng.normal(0.0, 0.7))
        t = float(midnight)
        stay(t, wake, home)
        t = wake + rng.uniform(1800.0, 3600.0)
        here = home
        goes_out = rng.random() < 0.95 - 0.6 * s
        if goes_out:
            stops: list[tuple[npt.NDArray[np.float64], float]] = []
            if employed and day.weekday() < 5 and rng.random() < 0.9 - 0.5 * s:
                stops.append((work, 3600.0 * rng.uniform(6.5, 8.5)))
            n_other = int(rng.poisson(2.0 * (1.0 - 0.7 * s)))
            for _ in range(min(n_other, 4)):
                stops.append((places[rng.choice(6, p=preference)], rng.uniform(1200.0, 7200.0)))
            for xy, length in stops:
                move = travel_s(here, xy)
                if t + move + length + travel_s(xy, home) > back_by:
                    break
                stay(t, t, here)
                t += move
                stay(t, t + length, xy)
                t += length
                here = xy
            move = travel_s(here, home)
            stay(t, t, here)
            t += move
        stay(t, midnight + 86_400.0, home)
    kt = np.asarray(knots_t)
    kxy = np.asarray(knots_xy)
    order = np.argsort(kt, kind="stable")
    kt, kxy = kt[order], kxy[order]
    end = day_starts[-1] + 86_400 if day_starts else 0
    times = sampling.times(day_starts[0], end) if day_starts else np.zeros(0, dtype=np.int64)
    x = np.interp(times, kt, kxy[:, 0])
    y = np.interp(times, kt, kxy[:, 1])
    accuracy = np.clip(rng.lognormal(np.log(10.0), 0.5, times.size), 4.0, 40.0)
    noise = rng.normal(0.0, 1.0, (times.size, 2)) * (accuracy / 1.5)[:, None]
    dlat, dlon = _offset_deg(lat0, x + noise[:, 0], y + noise[:, 1])
    return GpsFrame(
        patient_id=PatientId(patient_id),
        zone=zone,
        time_utc=times,
        latitude_deg=lat0 + dlat,
        longitude_deg=lon0 + dlon,
        accuracy_m=np.round(accuracy, 1),
        source="synthetic",
    )
