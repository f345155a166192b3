"""Verified trends of a daily table: one-shot evaluation and the device's daily monitor.

`active_trends` fits one baseline on the first days and runs the detector on the rest.

`DailyTrendMonitor` is what a device runs once a day. It replays the whole daily table, so that a
restart needs no state beyond the table the device already stores, and so that its output for a
day depends only on the rows up to that day:

* the first baseline is fitted on the first day with at least `min_days` days of history (it uses
  up to the `window_days` most recent valid days, so the first fits use fewer than a full window);
* the baseline is refitted every `refit_every_days` days on the most recent `window_days` valid
  days, excluding per biomarker the days of an alarmed episode (onset to the day its statistic
  returns to 0) plus `recent_days` after it, and the days of a not-yet-alarmed excursion whose
  statistic is above h / 2 at refit time, so that an episode is not absorbed into the baseline;
* each day is z-scored against the baseline in force that day, and the CUSUM runs on those z.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from bedside.baseline.cusum import CusumDetector
from bedside.baseline.robust_baseline import RobustBaseline
from bedside.domain import ConfigurationError, DailyBiomarkerTable, TrendFinding

__all__ = ["DailyTrendMonitor", "MonitorState", "active_trends"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def active_trends(
    table: DailyBiomarkerTable,
    *,
    baseline_kwargs: Mapping[str, Any] | None = None,
    detector: CusumDetector | None = None,
    eval_start: int | None = None,
) -> list[TrendFinding]:
    """Trends active on the table's last day, with one baseline fitted before the evaluation.

    Parameters
    ----------
    table : DailyBiomarkerTable
    baseline_kwargs : mapping or None
        Arguments of `RobustBaseline`.
    detector : CusumDetector or None
        Default: ``CusumDetector()`` (calibrated to 1 false alarm per patient-year).
    eval_start : int or None
        First row of the evaluation window; the baseline is fitted on the rows before it.
        Default: the baseline's `window_days`.

    Returns
    -------
    list of TrendFinding
        Empty when the table ends before the evaluation window.
    """
    baseline = RobustBaseline(**dict(baseline_kwargs or {}))
    det = detector or CusumDetector()
    start = baseline.window_days if eval_start is None else eval_start
    if start >= table.n_days:
        return []
    baseline.fit(table, end=start)
    z = {k: v[start:] for k, v in baseline.robust_z(table).items()}
    values = {k: v[start:] for k, v in table.values.items()}
    return det.detect(z, values, baseline, table.dates[start:])


@dataclass(frozen=True)
class MonitorState:
    """What the monitor knows at the end of the table's last day.

    Attributes
    ----------
    date : date or None
        The last day of the table (None for an empty table).
    trends : list of TrendFinding
        Trends active on `date`.
    daily_trends : list of list of TrendFinding
        Trends active on every day of the table (for replay and evaluation).
    baseline : RobustBaseline or None
        The baseline in force on `date` (None before the first fit).
    refit_rows : list of int
        Rows at which a baseline was (re)fitted, on the rows before them.
    z : dict of str to ndarray of float64, shape (n_days,)
        Robust z of every day against the baseline in force that day (NaN before the first fit).
    median : dict of str to ndarray of float64, shape (n_days,)
        Baseline median in force each day, in the biomarker's unit.
    insufficient : list of str
        Biomarkers without a baseline on `date`.
    """

    date: dt.date | None
    trends: list[TrendFinding]
    daily_trends: list[list[TrendFinding]]
    baseline: RobustBaseline | None
    refit_rows: list[int]
    z: dict[str, FloatArray] = field(repr=False)
    median: dict[str, FloatArray] = field(repr=False)
    insufficient: list[str]


class DailyTrendMonitor:
    """Daily baseline maintenance plus CUSUM trend detection (see the module docstring).

    Parameters
    ----------
    baseline_kwargs : mapping or None
        Arguments of `RobustBaseline` (window_days, min_days, floors).
    detector : CusumDetector or None
        Default: ``CusumDetector()``.
    refit_every_days : int
        Days between refits of the baseline.
    recent_days : int
        Days after the end of an alarmed episode that stay excluded from refits.
    """

    def __init__(
        self,
        baseline_kwargs: Mapping[str, Any] | None = None,
        detector: CusumDetector | None = None,
        refit_every_days: int = 7,
        recent_days: int = 7,
    ) -> None:
        if refit_every_days < 1 or recent_days < 0:
            raise ConfigurationError("refit_every_days must be >= 1 and recent_days >= 0")
        self.baseline_kwargs = dict(baseline_kwargs or {})
        self.detector = detector or CusumDetector()
        self.refit_every_days = refit_every_days
        self.recent_days = recent_days

    def update(self, table: DailyBiomarkerTable) -> MonitorState:
        """Replay the table day by day and report the state at its last day."""
        n = table.n_days
        ids = table.biomarker_ids
        z = {b: np.full(n, math.nan) for b in ids}
        median = {b: np.full(n, math.nan) for b in ids}
        min_days = RobustBaseline(**self.baseline_kwargs).min_days
        baseline: RobustBaseline | None = None
        refits: list[int] = []
        t = min_days
        while t < n:
            if baseline is None or t - refits[-1] >= self.refit_every_days:
                exclude = self._exclusion({b: z[b][:t] for b in ids}, n)
                candidate = RobustBaseline(**self.baseline_kwargs).fit(
                    table, end=t, exclude=exclude
                )
                if baseline is not None or len(candidate.insufficient_) < len(ids):
                    baseline = candidate
                    refits.append(t)
            if baseline is None:
                t += 1
                continue
            stop = min(n, t + self.refit_every_days)
            for b in ids:
                med = baseline.median_.get(b, math.nan)
                sc = baseline.scale_.get(b, math.nan)
                median[b][t:stop] = med
                z[b][t:stop] = (table.values[b][t:stop] - med) / sc
            t = stop
        daily = self.detector.scan(z, dict(table.values), median, table.dates)
        return MonitorState(
            date=table.date_list()[-1] if n else None,
            trends=daily[-1] if daily else [],
            daily_trends=daily,
            baseline=baseline,
            refit_rows=refits,
            z=z,
            median=median,
            insufficient=list(ids) if baseline is None else list(baseline.insufficient_),
        )

    def _exclusion(self, z_so_far: Mapping[str, FloatArray], n: int) -> dict[str, BoolArray]:
        """Per-biomarker rows to leave out of a refit at row ``len(z_so_far[...])``."""
        out: dict[str, BoolArray] = {}
        if not z_so_far:
            return out
        r = len(next(iter(z_so_far.values())))
        h = self.detector.threshold(len(z_so_far))
        for b, by_direction in self.detector.track(z_so_far).items():
            mask = np.zeros(n, dtype=np.bool_)
            for track in by_direction.values():
                for t in np.flatnonzero(track.in_episode):
                    stop = min(r, t + 1 + self.recent_days)
                    mask[int(track.onset[t]) : stop] = True
                if r and not track.in_episode[-1] and track.statistic[-1] > h / 2.0:
                    zeros = np.flatnonzero(track.statistic <= 0.0)
                    start = int(zeros[-1]) + 1 if zeros.size else 0
                    mask[start:r] = True
            out[b] = mask
        return out
