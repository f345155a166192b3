"""Features of the Depresjon research benchmark (depressed vs control per participant).

This is a research benchmark of how much signal the actigraphy carries, never the clinical model.

Day selection
-------------
A participant's days are the first `MAX_DAYS` complete days of the recording: rows of the daily
table whose ``activity.mean_counts`` is not null (the biomarker layer nulls days with less than
80 % valid minutes, such as the partial first and last day). `MAX_DAYS` = 13 is the most common
``days`` value in ``scores.csv`` (the paper used the first ``days`` days); the rule does not read
``scores.csv``, so unseen recordings (any file name, no scores) are scored exactly like training
recordings. Minutes of other days are ignored (set missing) by every feature.

Features (one value per participant, `PARTICIPANT_FEATURES`)
-----------------------------------------------------------
Chosen before looking at their association with the label, from what the actigraphy literature
on depression reports, and kept few because there are only a few dozen participants. All are
pooled over the selected days' minutes (means, shares, quantiles, ratios), so they do not grow
with the number of days; only ``activity.daily_log_mean_sd`` needs more than one day.

- Level of activity: ``activity.log_mean_counts`` = ln(1 + mean counts/min); lower in
  depression (Burton et al. 2013, J Affect Disord 145:21-28, systematic review; Berle et al.
  2010, BMC Res Notes 3:149, from the Bergen group that collected this dataset).
- Distribution shape of ln(1 + counts) over minutes: 50th, 75th and 90th percentiles; the share
  of minutes at zero (``activity.zero_fraction``, one of the paper's three features) and of
  inactive minutes (count <= 4, the binarisation threshold of the rhythm measures); minute-to-minute
  coefficient of variation SD/mean of counts (the variability measure of Berle et al. 2010).
- Rest-activity rhythm, nonparametric (Van Someren et al. 1999, Chronobiol Int 16:505-518) over
  the whole selected span: interdaily stability IS, intradaily variability IV and relative
  amplitude RA on binarised minutes, and the levels of the most active 10 h (M10) and least active
  5 h (L5, night-time activity) of the average day in counts/min as ln(1 + level). Lower RA and
  M10 and higher IV are reported in depression (e.g. Difrancesco et al. 2019, Depress Anxiety
  36:975-986).
- Rest: ``sleep.rest_fraction`` = median over days of the main sleep period's minutes asleep
  (Cole-Kripke) / 1440.
- Day-to-day variability: ``activity.daily_log_mean_sd`` = SD over days of ln(1 + daily mean
  counts/min).

Season
------
In the Depresjon data season is confounded with the label. No feature sees a calendar date, a
month, day length or a clock time: the timing of L5/M10 and of sleep (clock times that move with
the seasons at Norway's latitude and with the clock change) is left out even though it is a
rhythm measure, because here it would be a proxy for the recording month. Re-dating a recording
to a different week (same weekday and wall-clock time) gives identical features (tested).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.circadian import nonparametric_from_grid
from bedside.biomarkers.daily_table import extract_daily
from bedside.biomarkers.epochs import MinuteGrid, minute_grid
from bedside.domain import DailyBiomarkerTable, InputFormatError, InsufficientDataError, SampleFrame

__all__ = [
    "FEATURE_SET",
    "MAX_DAYS",
    "PAPER_DAY_FEATURES",
    "PARTICIPANT_FEATURES",
    "ActigraphyRecording",
    "RecordingReader",
    "complete_days",
    "list_labelled_recordings",
    "paper_day_features",
    "participant_feature_names",
    "participant_features",
]

FloatArray = npt.NDArray[np.float64]

RecordingReader = Callable[[Path], SampleFrame]
"""Reads one recording file into its minute samples.

The models layer does not import the readers (sensors sits beside it); callers pass e.g.
``bedside.sensors.read_depresjon``.
"""

MAX_DAYS = 13

INACTIVE_MAX_COUNTS = 4.0
"""Counts/min at or below which a minute is inactive (pyActigraphy's binarisation threshold)."""

FEATURE_SET = "depresjon-participant-v2"
"""Name of the feature definition below, stored in model bundles."""

PARTICIPANT_FEATURES: tuple[tuple[str, str], ...] = (
    ("activity.log_mean_counts", "ln(1 + mean counts/min) over the selected days' minutes"),
    ("activity.zero_fraction", "share of minutes with count 0 (1)"),
    ("activity.inactive_fraction", "share of minutes with count <= 4 (1)"),
    ("activity.log_counts_q50", "median of ln(1 + counts/min) over minutes"),
    ("activity.log_counts_q75", "75th percentile of ln(1 + counts/min) over minutes"),
    ("activity.log_counts_q90", "90th percentile of ln(1 + counts/min) over minutes"),
    ("activity.minute_cv", "SD / mean of counts per minute (1)"),
    ("activity.daily_log_mean_sd", "SD over days of ln(1 + daily mean counts/min)"),
    ("circadian.interdaily_stability", "IS over the selected span, binarised minutes (1)"),
    ("circadian.intradaily_variability", "IV over the selected span, binarised minutes (1)"),
    ("circadian.relative_amplitude", "RA over the selected span, binarised minutes (1)"),
    ("circadian.log_m10_counts", "ln(1 + mean counts/min of the most active 10 h)"),
    ("circadian.log_l5_counts", "ln(1 + mean counts/min of the least active 5 h)"),
    ("sleep.rest_fraction", "median over days of minutes asleep in the main period / 1440 (1)"),
)
"""Feature name and definition (unit in parentheses when not ln counts/min)."""

PAPER_DAY_FEATURES: tuple[str, ...] = (
    "activity.mean_counts",
    "activity.sd_counts",
    "activity.zero_fraction",
)
"""The three day-level features of Garcia-Ceja et al. 2018 (mean, SD, share of zero minutes)."""


@dataclass(frozen=True)
class ActigraphyRecording:
    """One recording's minute grid and its daily biomarker table.

    Attributes
    ----------
    grid : MinuteGrid
        Minute counts on the local calendar.
    table : DailyBiomarkerTable
        Daily biomarkers (`bedside.biomarkers.extract_daily`) of the same samples.
    """

    grid: MinuteGrid
    table: DailyBiomarkerTable

    @classmethod
    def from_frame(cls, frame: SampleFrame) -> ActigraphyRecording:
        """Grid and daily table of minute-level actigraphy samples."""
        return cls(grid=minute_grid(frame), table=extract_daily(frame))


def list_labelled_recordings(root: Path) -> list[tuple[str, int, Path]]:
    """``(participant, label, path)`` for ``root/condition/*.csv`` (1) and ``root/control/*.csv``
    (0), sorted by group then participant number."""
    out: list[tuple[str, int, Path]] = []
    for group, label in (("condition", 1), ("control", 0)):
        paths = sorted((root / group).glob("*.csv"), key=_natural_key)
        out.extend((p.stem, label, p) for p in paths)
    if not out:
        raise InputFormatError(str(root), "no condition/*.csv or control/*.csv recordings found")
    return out


def _natural_key(path: Path) -> tuple[str, int]:
    stem = path.stem
    head, _, tail = stem.rpartition("_")
    return (head, int(tail)) if tail.isdigit() else (stem, -1)


def complete_days(table: DailyBiomarkerTable, max_days: int = MAX_DAYS) -> npt.NDArray[np.intp]:
    """Row indices of the first `max_days` complete days (``activity.mean_counts`` not null)."""
    col = table.values.get("activity.mean_counts")
    if col is None:
        raise InputFormatError(
            f"daily table of {table.patient_id}", "missing column", field="activity.mean_counts"
        )
    rows = np.flatnonzero(np.isfinite(col))[:max_days]
    if rows.size == 0:
        raise InsufficientDataError(f"{table.patient_id}: no complete day of actigraphy")
    return rows


def participant_feature_names() -> list[str]:
    """Names of `participant_features`, in order."""
    return [name for name, _ in PARTICIPANT_FEATURES]


def _selected_grid(recording: ActigraphyRecording, max_days: int) -> MinuteGrid:
    """The grid with every minute outside the selected days set missing."""
    grid = recording.grid
    rows = complete_days(recording.table, max_days)
    keep = np.isin(grid.local_day - grid.first_day, rows)
    return dataclasses.replace(grid, counts=np.where(keep, grid.counts, np.nan))


def participant_features(recording: ActigraphyRecording, *, max_days: int = MAX_DAYS) -> FloatArray:
    """The participant's `PARTICIPANT_FEATURES` over its first `max_days` complete days.

    Returns
    -------
    ndarray of float64, shape (len(PARTICIPANT_FEATURES),)
        NaN where a feature cannot be computed (e.g. day-to-day SD from one day).
    """
    grid = _selected_grid(recording, max_days)
    x = grid.counts[np.isfinite(grid.counts)]
    if x.size == 0:
        raise InsufficientDataError(f"{recording.table.patient_id}: no valid minute")
    logx = np.log1p(x)
    mean = float(x.mean())
    q50, q75, q90 = np.percentile(logx, [50.0, 75.0, 90.0])
    valid = np.flatnonzero(np.isfinite(grid.counts))
    lo, hi = int(valid[0]), int(valid[-1]) + 1
    binary = nonparametric_from_grid(grid, lo, hi, binarize=True, threshold=INACTIVE_MAX_COUNTS)
    counts = nonparametric_from_grid(grid, lo, hi, binarize=False)
    rows = complete_days(recording.table, max_days)
    daily = np.log1p(recording.table.values["activity.mean_counts"][rows])
    sleep_col = recording.table.values.get("sleep.duration_min")
    asleep = np.array([]) if sleep_col is None else sleep_col[rows]
    asleep = asleep[np.isfinite(asleep)]
    values = {
        "activity.log_mean_counts": np.log1p(mean),
        "activity.zero_fraction": float(np.mean(x == 0.0)),
        "activity.inactive_fraction": float(np.mean(x <= INACTIVE_MAX_COUNTS)),
        "activity.log_counts_q50": q50,
        "activity.log_counts_q75": q75,
        "activity.log_counts_q90": q90,
        "activity.minute_cv": float(x.std(ddof=1)) / mean if mean > 0 and x.size > 1 else np.nan,
        "activity.daily_log_mean_sd": float(np.std(daily, ddof=1)) if daily.size > 1 else np.nan,
        "circadian.interdaily_stability": binary.interdaily_stability,
        "circadian.intradaily_variability": binary.intradaily_variability,
        "circadian.relative_amplitude": binary.relative_amplitude,
        "circadian.log_m10_counts": np.log1p(counts.m10),
        "circadian.log_l5_counts": np.log1p(counts.l5),
        "sleep.rest_fraction": float(np.median(asleep)) / 1440.0 if asleep.size else np.nan,
    }
    return np.array([values[name] for name in participant_feature_names()], dtype=np.float64)


def paper_day_features(table: DailyBiomarkerTable, *, max_days: int = MAX_DAYS) -> FloatArray:
    """The paper's three features for each selected day, shape (n_days, 3)."""
    rows = complete_days(table, max_days)
    cols = []
    for b in PAPER_DAY_FEATURES:
        col = table.values.get(b)
        if col is None:
            raise InputFormatError(f"daily table of {table.patient_id}", "missing column", field=b)
        cols.append(col[rows])
    X = np.column_stack(cols)
    out: FloatArray = X[np.all(np.isfinite(X), axis=1)]
    return out
