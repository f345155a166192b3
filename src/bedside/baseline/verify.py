"""One-shot verified trends of a daily table: one baseline fitted before an evaluation window.

`active_trends` is the simple, non-recalibrated check used for quick looks; what a device runs
every day is `bedside.baseline.trend_monitor.DailyTrendMonitor` (refitted baselines, exclusions of
flagged periods, per-patient false-alarm calibration).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bedside.baseline.cusum import CusumDetector
from bedside.baseline.robust_baseline import RobustBaseline
from bedside.domain import DailyBiomarkerTable, TrendFinding

__all__ = ["active_trends"]


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
    For a device use `bedside.baseline.DailyTrendMonitor`.
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
