"""Daily phone use from screen events: screen-on time, unlocks and night-time use.

A use interval starts at a screen-on (Android) or unlock (iOS) event and ends at the next
event of any kind: normally the screen-off or lock; if another start comes first (a lost
off-event), the interval ends there. Intervals longer than ``max_use_min`` are cut to it, so a
lost off-event cannot fill a night. Unlocks are the start events (Android reports no unlock,
only the screen turning on; on Android the count is therefore of screen activations).
Night is 00:00-06:00 local time.

Screen-on time and unlock counts as behavioural markers of depression: Saeb S et al. J Med
Internet Res 2015;17(7):e175 (phone usage duration and frequency); Wang R et al. Proc ACM IMWUT
2018;2(1):43 (unlock duration and night-time phone use with depression).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.event_days import event_days
from bedside.domain import DailyBiomarkerTable, Modality, PatientId
from bedside.domain.screen_events import ScreenEvent, ScreenEventFrame

__all__ = ["PHONE_USE_IDS", "daily_phone_use"]

FloatArray = npt.NDArray[np.float64]

PHONE_USE_IDS = ("phone_use.screen_on_min", "phone_use.unlocks", "phone_use.night_use_min")

_STARTS = np.array([int(ScreenEvent.SCREEN_ON), int(ScreenEvent.UNLOCKED)], dtype=np.int8)


def _night_windows(first_day: int, n_days: int, zone: str) -> tuple[FloatArray, FloatArray]:
    tz = ZoneInfo(zone)
    epoch = dt.date(1970, 1, 1)
    lo = np.empty(n_days)
    hi = np.empty(n_days)
    for i in range(n_days):
        day = epoch + dt.timedelta(days=first_day + i)
        lo[i] = dt.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
        hi[i] = dt.datetime(day.year, day.month, day.day, 6, tzinfo=tz).timestamp()
    return lo, hi


def daily_phone_use(
    frame: ScreenEventFrame, *, max_use_min: float = 240.0, min_coverage: float = 0.5
) -> DailyBiomarkerTable:
    """Daily phone-use biomarkers of one patient.

    Parameters
    ----------
    frame : ScreenEventFrame
    max_use_min : float
        Longest credible single use interval, minutes.
    min_coverage : float
        Values are NaN on days with less than this share inside observed hours.

    Returns
    -------
    DailyBiomarkerTable
        ``phone_use.screen_on_min`` (min), ``phone_use.unlocks`` (count) and
        ``phone_use.night_use_min`` (min, 00:00-06:00 local) per local day, with
        ``coverage[Modality.PHONE_USE]``. An interval is split across local midnights.
    """
    t_s = frame.time_utc_ms.astype(np.float64) / 1000.0
    days = event_days(
        np.floor_divide(frame.time_utc_ms, 1000), frame.zone, frame.observed_hours_utc
    )
    n = days.n_days
    is_start = np.isin(frame.event, _STARTS)
    starts = np.flatnonzero(is_start[:-1]) if t_s.size > 1 else np.zeros(0, dtype=np.int64)
    begin = t_s[starts]
    end = np.minimum(t_s[starts + 1], begin + 60.0 * max_use_min)
    on_s = days.split_intervals(begin, end)
    night_s = np.zeros(n)
    if n:
        lo, hi = _night_windows(days.first_day, n, frame.zone)
        for d in range(n):
            night_s[d] = np.clip(np.minimum(end, hi[d]) - np.maximum(begin, lo[d]), 0, None).sum()
    unlocks = np.bincount(days.day[is_start], minlength=n).astype(np.float64)
    low = days.coverage < min_coverage
    values: dict[str, FloatArray] = {
        "phone_use.screen_on_min": on_s / 60.0,
        "phone_use.unlocks": unlocks,
        "phone_use.night_use_min": night_s / 60.0,
    }
    for col in values.values():
        col[low] = np.nan
    return DailyBiomarkerTable(
        patient_id=PatientId(frame.patient_id),
        zone=frame.zone,
        dates=days.dates,
        values=values,
        coverage={Modality.PHONE_USE: days.coverage},
    )
