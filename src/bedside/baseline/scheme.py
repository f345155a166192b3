"""The baseline maintenance scheme of the daily monitor, and its vectorised in-control replay.

Scheme (what `DailyTrendMonitor` does for each biomarker, all causal):

* the first baseline is fitted at row `start_days` on the days before it (a biomarker needs
  `min_days` valid days, else it has no baseline yet);
* it is refitted every `refit_every_days` days on the last `window_days` valid days within the
  last `max_lookback_days` days, leaving out the last `guard_days` days after the first fit (the
  monitor also leaves out days of alarmed changes);
* each day's robust z is ``(x - median - weekday offset) / scale`` against the baseline in force.

`scheme_z` replays the scheme without exclusions on many series at once; the per-patient
calibration runs it on bootstrap series so that the estimation error of the baseline (the
dominant cause of excess false alarms when the calibration assumes a known baseline) is part of
the simulated false-alarm rate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bedside.baseline.robust_window import fit_location_scale, last_valid_mask
from bedside.domain import ConfigurationError

__all__ = ["BaselineScheme", "scheme_z"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class BaselineScheme:
    """Settings of the monitor's baseline maintenance (days).

    Attributes
    ----------
    start_days : int
        Row of the first baseline fit (days of data before detection can start).
    window_days : int
        Most recent valid days each refit uses.
    min_days : int
        Valid days a biomarker needs for a baseline.
    refit_every_days : int
        Days between refits.
    max_lookback_days : int
        Days further back than this are never used.
    weekday_effects : bool
        Fit shrunk weekday offsets.
    weekday_shrinkage : float
        Pseudo-count of the weekday-offset shrinkage, in days.
    guard_days : int
        Days a monitored day waits before a refit may use it (never the days of the first fit).
        Why: a refit that takes in the first weeks of a change that has not alarmed yet moves
        the baseline towards it (the median) and widens it (the scale), so the change it should
        detect is partly absorbed; a day enters the baseline only once it has been monitored
        this long without an alarm (Phase I / Phase II separation). Chosen on development seed
        101 of the synthetic background (`bedside trends evaluate`, 40 patient-years, device
        family): guard 0 / 7 / 14 / 21 days gave 0.95 / 0.85 / 0.88 / 0.93 false alarms per
        year and caught the 1 SD episode in 82% / 88% / 90% / 85% within 21 days, the 2 SD
        change of activity alone in 90% / 88% / 88% / 82% (median 7.0 / 8.0 / 8.5 / 10.0 d: a
        shorter baseline costs the fast detections); on held-out seed 5 (100 patient-years)
        0 -> 14 gave 1.00 -> 0.96 false alarms per year, 86% -> 86%, and 94% / 8.0 d -> 95% /
        9.0 d (t6 note, 2026-11-28).
    """

    start_days: int = 28
    window_days: int = 84
    min_days: int = 14
    refit_every_days: int = 7
    max_lookback_days: int = 112
    weekday_effects: bool = True
    weekday_shrinkage: float = 14.0
    guard_days: int = 14

    def __post_init__(self) -> None:
        if self.guard_days < 0:
            raise ConfigurationError(f"guard_days must be >= 0, got {self.guard_days}")
        if self.refit_every_days < 1 or self.max_lookback_days < 1:
            raise ConfigurationError("refit_every_days and max_lookback_days must be >= 1")
        if not 1 <= self.min_days <= min(self.window_days, self.start_days):
            raise ConfigurationError(
                f"min_days must be >= 1 and at most window_days and start_days, got {self.min_days}"
            )
        if self.max_lookback_days < self.window_days:
            raise ConfigurationError("max_lookback_days must be >= window_days")

    def refit_rows(self, n_days: int) -> list[int]:
        """Rows at which the baseline is (re)fitted, on the rows before them."""
        return list(range(self.start_days, n_days, self.refit_every_days))

    def refit_cutoff(self, row: int) -> int:
        """First row a refit at `row` leaves out (the guard band), never before `start_days`."""
        return max(min(row, self.start_days), row - self.guard_days)

    def as_dict(self) -> dict[str, Any]:
        """The settings as a JSON-safe dict."""
        return asdict(self)


def scheme_z(
    values: FloatArray,
    scheme: BaselineScheme,
    floor: FloatArray | float,
    first_weekday: int = 0,
) -> FloatArray:
    """Robust z of every day against the scheme's baseline in force, without exclusions.

    Parameters
    ----------
    values : ndarray of float64, shape L + (n_days,)
        Daily values (NaN missing), consecutive days.
    scheme : BaselineScheme
    floor : float or ndarray broadcastable to L
        Scale floor, in the values' unit.
    first_weekday : int
        Weekday (Monday = 0) of the first day.

    Returns
    -------
    ndarray of float64, shape L + (n_days,)
        NaN before `start_days`, on missing days, and while a series has fewer than `min_days`
        valid days in its window.
    """
    x = np.asarray(values, dtype=np.float64)
    n = x.shape[-1]
    z = np.full(x.shape, np.nan)
    for r in scheme.refit_rows(n):
        lo = max(0, r - scheme.max_lookback_days)
        window = x[..., lo:r].copy()
        window[..., scheme.refit_cutoff(r) - lo :] = np.nan
        keep = last_valid_mask(~np.isnan(window), scheme.window_days)
        window[~keep] = np.nan
        fit = fit_location_scale(
            window,
            (first_weekday + lo) % 7,
            floor,
            weekday_effects=scheme.weekday_effects,
            weekday_shrinkage=scheme.weekday_shrinkage,
        )
        ok = fit.n_valid >= scheme.min_days
        stop = min(n, r + scheme.refit_every_days)
        wd = (first_weekday + np.arange(r, stop)) % 7
        expected = fit.median[..., None] + fit.weekday_offset[..., wd]
        block = (x[..., r:stop] - expected) / fit.scale[..., None]
        z[..., r:stop] = np.where(ok[..., None], block, np.nan)
    return z
