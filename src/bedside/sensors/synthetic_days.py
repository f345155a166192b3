"""Local-day edges in UTC for the per-modality synthetic generators (sensors layer only)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.domain import InputFormatError

__all__ = ["check_severity", "local_midnights_utc"]


def local_midnights_utc(dates: Sequence[dt.date], zone: str) -> npt.NDArray[np.int64]:
    """UTC seconds of local midnight of each date and of the day after the last, shape (n+1,).

    Raises
    ------
    InputFormatError
        When `dates` are not consecutive.
    """
    tz = ZoneInfo(zone)
    days = list(dates)
    for a, b in itertools.pairwise(days):
        if (b - a).days != 1:
            raise InputFormatError("synthetic", f"dates must be consecutive, got {a} then {b}")
    if days:
        days.append(days[-1] + dt.timedelta(days=1))
    return np.array(
        [int(dt.datetime(d.year, d.month, d.day, tzinfo=tz).timestamp()) for d in days],
        dtype=np.int64,
    )


def check_severity(severity: npt.ArrayLike, n_days: int) -> npt.NDArray[np.float64]:
    """Validate a daily episode-severity array: shape (n_days,), values in [0, 1]."""
    s = np.asarray(severity, dtype=np.float64)
    if s.shape != (n_days,):
        raise InputFormatError("synthetic", f"severity has shape {s.shape}, expected ({n_days},)")
    if not bool(np.all((s >= 0.0) & (s <= 1.0))):
        raise InputFormatError("synthetic", "severity must lie within [0, 1]")
    return s
