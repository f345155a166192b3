"""Simple biomarker proxies used to check the synthetic generator's effects (test helper)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.sensors import SyntheticPatient

FloatArray = npt.NDArray[np.float64]


def local_midnights(patient: SyntheticPatient, extra_hours: int = 0) -> npt.NDArray[np.int64]:
    """UTC seconds of local midnight (+ extra_hours) of days 0..n_days."""
    tz = ZoneInfo(patient.zone)
    return np.array(
        [
            int(
                dt.datetime.combine(
                    patient.start_date + dt.timedelta(days=k), dt.time(extra_hours), tz
                ).timestamp()
            )
            for k in range(patient.n_days + 1)
        ],
        dtype=np.int64,
    )


def daily_totals(patient: SyntheticPatient) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Total counts and number of samples per local calendar day."""
    frame = patient.actigraphy
    day = np.searchsorted(local_midnights(patient), frame.time_utc, side="right") - 1
    ok = (day >= 0) & (day < patient.n_days)
    totals = np.bincount(day[ok], weights=frame.value[ok], minlength=patient.n_days)
    counts = np.bincount(day[ok], minlength=patient.n_days)
    return totals, counts


def rest_periods(patient: SyntheticPatient) -> tuple[FloatArray, FloatArray]:
    """Per day, the longest rest run ending that day (noon-to-noon) and its zero-minute share.

    Rest = minutes whose 31-minute centred share of non-zero minutes is below 0.3. Days with
    missing minutes in the window get NaN.
    """
    frame = patient.actigraphy
    noon = local_midnights(patient, extra_hours=12)
    start = int(noon[0]) - 86400
    n_min = (int(noon[-1]) - start) // 60
    active = np.full(n_min, np.nan)
    idx = (frame.time_utc - start) // 60
    ok = (idx >= 0) & (idx < n_min)
    active[idx[ok]] = (frame.value[ok] > 0).astype(np.float64)
    kernel = np.ones(31) / 31
    share = np.convolve(np.nan_to_num(active, nan=1.0), kernel, mode="same")
    rest = share < 0.3
    length = np.full(patient.n_days, np.nan)
    zero_share = np.full(patient.n_days, np.nan)
    bounds = np.concatenate([[start], noon])
    for k in range(patient.n_days):
        lo, hi = (int(bounds[k]) - start) // 60, (int(bounds[k + 1]) - start) // 60
        window = rest[lo:hi]
        if np.isnan(active[lo:hi]).any() or not window.any():
            continue
        edges = np.diff(np.concatenate([[0], window.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        j = int(np.argmax(ends - starts))
        length[k] = ends[j] - starts[j]
        zero_share[k] = 1.0 - np.mean(active[lo + starts[j] : lo + ends[j]])
    return length, zero_share


def interdaily_stability(patient: SyntheticPatient, first_day: int, n_days: int) -> float:
    """IS of hourly means over local days [first_day, first_day + n_days) (no gaps allowed)."""
    frame = patient.actigraphy
    mids = local_midnights(patient)
    lo, hi = mids[first_day], mids[first_day + n_days]
    sel = (frame.time_utc >= lo) & (frame.time_utc < hi)
    hours = (frame.time_utc[sel] - lo) // 3600
    x = np.bincount(hours, weights=frame.value[sel]) / np.maximum(np.bincount(hours), 1)
    x = x[: (x.size // 24) * 24]
    profile = x.reshape(-1, 24).mean(axis=0)
    mean = x.mean()
    return float(x.size * np.sum((profile - mean) ** 2) / (24 * np.sum((x - mean) ** 2)))
