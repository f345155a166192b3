"""Synthetic screen events and keystroke metadata of one patient, with episode effects.

Published directions used for the episode effects (severity 0 well .. 1 full episode):

- phone use: longer and more frequent use and more use at night with more severe depressive
  symptoms (Saeb S et al. J Med Internet Res 2015;17(7):e175; Wang R et al. Proc ACM IMWUT
  2018;2(1):43);
- typing: longer inter-key delays and more variable typing with more severe depressive
  symptoms (Zulueta J et al. J Med Internet Res 2018;20(7):e241; Mastoras RE et al. Touchscreen
  typing pattern analysis for remote detection of the depressive tendency. Sci Rep
  2019;9:13414), fewer typing sessions and a larger share of typing at night (Vesel C et al.
  J Am Med Inform Assoc 2020;27(7):1007-1018).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.domain import (
    InputFormatError,
    KeyKind,
    KeystrokeFrame,
    PatientId,
    ScreenEvent,
    ScreenEventFrame,
)

__all__ = ["generate_keystrokes", "generate_screen_events"]

FloatArray = npt.NDArray[np.float64]


def _check(dates: Sequence[dt.date], severity: npt.ArrayLike) -> FloatArray:
    sev = np.clip(np.asarray(severity, dtype=np.float64), 0.0, 1.0)
    if sev.shape != (len(dates),):
        raise InputFormatError("synthetic phone data", "one severity per date", field="severity")
    return sev


def _start_times(
    rng: np.random.Generator, midnight_ms: int, n: int, night_share: float
) -> npt.NDArray[np.int64]:
    """`n` instants in a day: a share at night (00-06), the rest between 07:00 and 23:30."""
    night = rng.random(n) < night_share
    hours = np.where(night, rng.uniform(0.0, 6.0, n), rng.uniform(7.0, 23.5, n))
    return np.sort(midnight_ms + (hours * 3_600_000).astype(np.int64))


def _midnights_ms(dates: Sequence[dt.date], zone: str) -> list[int]:
    tz = ZoneInfo(zone)
    return [int(dt.datetime(d.year, d.month, d.day, tzinfo=tz).timestamp()) * 1000 for d in dates]


def generate_screen_events(
    rng: np.random.Generator,
    dates: Sequence[dt.date],
    zone: str,
    severity: npt.ArrayLike,
    *,
    patient_id: str = "synthetic",
    ios: bool = False,
) -> ScreenEventFrame:
    """Simulate screen on/off (Android) or unlock/lock (iOS) events over local dates.

    Parameters
    ----------
    rng : numpy.random.Generator
    dates : sequence of date
        Consecutive local dates.
    zone : str
    severity : array_like of float, shape (len(dates),)
        Daily episode severity in [0, 1].
    patient_id : str
    ios : bool
        Emit ``UNLOCKED``/``LOCKED`` instead of ``SCREEN_ON``/``SCREEN_OFF``.

    Returns
    -------
    ScreenEventFrame
        About 60 uses a day of median 1 min when well; with severity up to 1.4 times as many,
        1.8 times as long, and 4 times the share at night.
    """
    sev = _check(dates, severity)
    on, off = (
        (ScreenEvent.UNLOCKED, ScreenEvent.LOCKED)
        if ios
        else (
            ScreenEvent.SCREEN_ON,
            ScreenEvent.SCREEN_OFF,
        )
    )
    times: list[npt.NDArray[np.int64]] = []
    events: list[npt.NDArray[np.int8]] = []
    for mid, s in zip(_midnights_ms(dates, zone), sev.tolist(), strict=True):
        n = int(rng.poisson(60.0 * (1.0 + 0.4 * s)))
        start = _start_times(rng, mid, n, 0.04 * (1.0 + 3.0 * s))
        dur = (rng.lognormal(np.log(60.0 * (1.0 + 0.8 * s)), 1.0, n) * 1000).astype(np.int64)
        nxt = np.r_[start[1:], mid + 86_400_000 + 3_600_000]
        end = np.minimum(start + np.maximum(dur, 1000), nxt - 1)
        keep = end > start
        t = np.column_stack([start[keep], end[keep]]).ravel()
        e = np.tile(np.array([int(on), int(off)], dtype=np.int8), int(keep.sum()))
        times.append(t)
        events.append(e)
    t_all = np.concatenate(times) if times else np.zeros(0, dtype=np.int64)
    e_all = np.concatenate(events) if events else np.zeros(0, dtype=np.int8)
    order = np.argsort(t_all, kind="stable")
    return ScreenEventFrame(
        patient_id=PatientId(patient_id),
        zone=zone,
        time_utc_ms=t_all[order],
        event=e_all[order],
        source="synthetic",
    )


def generate_keystrokes(
    rng: np.random.Generator,
    dates: Sequence[dt.date],
    zone: str,
    severity: npt.ArrayLike,
    *,
    patient_id: str = "synthetic",
) -> KeystrokeFrame:
    """Simulate keystroke timing metadata (no content) over local dates.

    Returns
    -------
    KeystrokeFrame
        About 40 sessions of about 50 presses a day when well (about 2,000 presses); median
        inter-key interval 250 ms, backspaces 8% of presses. With severity: up to 35% fewer
        sessions, 30% longer and more variable intervals, backspaces up to 12%, and 4 times
        the share of typing at night.
    """
    sev = _check(dates, severity)
    times: list[npt.NDArray[np.int64]] = []
    sessions: list[npt.NDArray[np.int64]] = []
    kinds: list[npt.NDArray[np.int8]] = []
    next_session = 0
    kind_codes = np.array([int(k) for k in KeyKind], dtype=np.int8)
    for mid, s in zip(_midnights_ms(dates, zone), sev.tolist(), strict=True):
        n_sess = int(rng.poisson(40.0 * (1.0 - 0.35 * s)))
        starts = _start_times(rng, mid, n_sess, 0.04 * (1.0 + 3.0 * s))
        session_speed = rng.lognormal(0.0, 0.15 * (1.0 + s), n_sess)
        prev_end = -1
        for k in range(n_sess):
            n_keys = int(rng.geometric(1.0 / 50.0))
            iki = rng.lognormal(np.log(250.0 * (1.0 + 0.3 * s)), 0.45, n_keys) * session_speed[k]
            t = max(int(starts[k]), prev_end + 1000) + np.cumsum(iki).astype(np.int64)
            p_back = 0.08 + 0.04 * s
            probs = np.array([0.72 - p_back, p_back, 0.18, 0.06, 0.04])
            kind = kind_codes[rng.choice(5, size=n_keys, p=probs / probs.sum())]
            times.append(t)
            kinds.append(kind)
            sessions.append(np.full(n_keys, next_session, dtype=np.int64))
            next_session += 1
            prev_end = int(t[-1])
    t_all = np.concatenate(times) if times else np.zeros(0, dtype=np.int64)
    return KeystrokeFrame(
        patient_id=PatientId(patient_id),
        zone=zone,
        time_utc_ms=t_all,
        session=np.concatenate(sessions) if sessions else np.zeros(0, dtype=np.int64),
        kind=np.concatenate(kinds) if kinds else np.zeros(0, dtype=np.int8),
        source="synthetic",
    )
