"""Verified trends of a daily table: one-shot evaluation and the device's daily monitor.

`active_trends` fits one baseline on the first days and runs the detector on the rest.

`DailyTrendMonitor` is what a device runs once a day. It replays the whole daily table, so that a
restart needs no state beyond the table the device already stores, and so that its output for a
day depends only on the rows up to that day:

* the first baseline is fitted on the first `window_days` days (at row `window_days`); biomarkers
  with fewer than `min_days` valid days in it stay without a baseline (NaN z) until a refit has
  enough. Fitting earlier, on `min_days` days, was tried and rejected: a 14-day median is off by
  about 0.33 SD, and in simulation most stable 60-day series then produced a false trend;
* the baseline is refitted every `refit_every_days` days on the most recent `window_days` valid
  days, excluding per biomarker the days of an alarmed episode (onset to the day its statistic
  returns to 0) plus `recent_days` after it, so that an episode is not absorbed into the baseline
  (sub-threshold excursions are NOT excluded: excluding them biases the baseline away from the
  excursion and, in simulation, raised false alarms by about a third);
* days older than `max_lookback_days` are never used; when the exclusions leave fewer than
  `min_days` valid days in that lookback, the exclusions are dropped for that biomarker: a change
  that lasts that long becomes the patient's new baseline (and its trend ends), which also stops a
  baseline that was unlucky at its first fit from producing a trend forever;
* each day is z-scored against the baseline in force that day, and the CUSUM runs on those z.

False alarms: the detector's nominal calibration assumes z-scores against the TRUE baseline. A
median and MAD estimated from 28 days are uncertain (the median by about 0.24 SD, the scale by
about 20 %), and the CUSUM integrates that error. In simulation (5 i.i.d. normal biomarkers, 365
days, default settings) the monitor raised about 9 false alarms per patient-year against the
nominal 1. The monitor therefore reports, in every finding, the rate of its own scheme
(`false_alarm_rate_per_year`: estimated-baseline simulation at the threshold in use), not the
nominal one. To meet the budget instead, pass ``CusumDetector(calibration="estimated_baseline")``
(higher threshold: a 2-SD shift is still found in about a week, a 1-SD shift often not within
3 weeks). Neither model covers autocorrelated or non-normal data; the per-patient bootstrap
calibration is the planned remedy.

Cost: every refit replays the CUSUM over the history so far, O(n_days^2 / refit_every_days) steps
in numpy; about 1 s for a year of 5 biomarkers on one core.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from bedside.baseline.calibration import false_alarm_rate_estimated_baseline
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

    Notes
    -----
    One baseline, never refitted: its estimation error persists over the whole evaluation, so
    false alarms are more frequent than the detector's nominal rate (in simulation, 18 of 30
    stable 70-day series of 5 biomarkers ended with an active trend at the nominal threshold).
    For a device use `DailyTrendMonitor`.
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
    scale : dict of str to ndarray of float64, shape (n_days,)
        Robust baseline scale (SD units) in force each day, in the biomarker's unit.
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
    scale: dict[str, FloatArray] = field(repr=False)
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
        max_lookback_days: int = 84,
    ) -> None:
        if refit_every_days < 1 or recent_days < 0 or max_lookback_days < 1:
            raise ConfigurationError(
                "refit_every_days and max_lookback_days must be >= 1, recent_days >= 0"
            )
        self.baseline_kwargs = dict(baseline_kwargs or {})
        self.detector = detector or CusumDetector()
        self.refit_every_days = refit_every_days
        self.recent_days = recent_days
        self.max_lookback_days = max_lookback_days

    def update(self, table: DailyBiomarkerTable) -> MonitorState:
        """Replay the table day by day and report the state at its last day."""
        n = table.n_days
        ids = table.biomarker_ids
        z = {b: np.full(n, math.nan) for b in ids}
        median = {b: np.full(n, math.nan) for b in ids}
        scale = {b: np.full(n, math.nan) for b in ids}
        params = RobustBaseline(**self.baseline_kwargs)
        min_days = params.min_days
        baseline: RobustBaseline | None = None
        refits: list[int] = []
        t = params.window_days
        while t < n:
            if baseline is None or t - refits[-1] >= self.refit_every_days:
                exclude = self._exclusion(table, {b: z[b][:t] for b in ids}, min_days)
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
                scale[b][t:stop] = sc
                z[b][t:stop] = (table.values[b][t:stop] - med) / sc
            t = stop
        daily = self.detector.scan(z, dict(table.values), median, table.dates)
        rate = self.false_alarm_rate_per_year(len(ids))
        daily = [
            [f.model_copy(update={"false_alarm_rate_per_year": rate}) for f in day] for day in daily
        ]
        return MonitorState(
            date=table.date_list()[-1] if n else None,
            trends=daily[-1] if daily else [],
            daily_trends=daily,
            baseline=baseline,
            refit_rows=refits,
            z=z,
            median=median,
            scale=scale,
            insufficient=list(ids) if baseline is None else list(baseline.insufficient_),
        )

    def false_alarm_rate_per_year(self, n_biomarkers: int) -> float:
        """False alarms per year of one biomarker (both directions) as this monitor runs.

        The detector's threshold for `n_biomarkers`, with z against a baseline estimated from
        `window_days` days and refitted every `refit_every_days` days (seeded simulation of
        `false_alarm_rate_estimated_baseline`; i.i.d. normal data, no exclusions).
        """
        det = self.detector
        return false_alarm_rate_estimated_baseline(
            det.k,
            det.threshold(n_biomarkers),
            det.winsor,
            RobustBaseline(**self.baseline_kwargs).window_days,
            self.refit_every_days,
        )

    def _exclusion(
        self, table: DailyBiomarkerTable, z_so_far: Mapping[str, FloatArray], min_days: int
    ) -> dict[str, BoolArray]:
        """Per-biomarker rows to leave out of a refit at row ``r = len(z_so_far[...])``."""
        out: dict[str, BoolArray] = {}
        if not z_so_far:
            return out
        n = table.n_days
        r = len(next(iter(z_so_far.values())))
        too_old = np.zeros(n, dtype=np.bool_)
        too_old[: max(0, r - self.max_lookback_days)] = True
        for b, by_direction in self.detector.track(z_so_far).items():
            mask = too_old.copy()
            for track in by_direction.values():
                for t in np.flatnonzero(track.in_episode):
                    stop = min(r, t + 1 + self.recent_days)
                    mask[int(track.onset[t]) : stop] = True
            valid = ~np.isnan(table.values[b][:r]) & ~mask[:r]
            # a change so long that too little pre-change data is left becomes the new normal
            out[b] = mask if int(valid.sum()) >= min_days else too_old
        return out
