"""Features of the Depresjon research benchmark (depressed vs control per participant).

This is a research benchmark of how much signal the biomarkers carry, never the clinical model.

Day selection
-------------
A participant's days are the first `MAX_DAYS` complete days of the recording: rows of the daily
table whose ``activity.mean_counts`` is not null (the biomarker layer nulls days with too little
valid data, such as the partial first and last day). `MAX_DAYS` = 13 is the most common ``days``
value in ``scores.csv`` (the paper used the first ``days`` days); the rule does not read
``scores.csv``, so unseen recordings (any file name, no scores) are scored exactly like training
recordings.

Season
------
In the Depresjon data season is confounded with the label. No feature sees a calendar date, a
month, day length or a clock time that moves with the season or the clock change: only
day-level amounts and shapes of activity, sleep and the nonparametric circadian measures (IS, IV,
RA, L5, M10 levels), summarised over days by the median and the interquartile range. Clock-time
biomarkers (sleep onset/offset/midpoint, L5/M10 onset) are left out. Re-dating a recording to a
different week (same weekday and clock time) gives identical features (tested).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bedside.domain import DailyBiomarkerTable, InputFormatError, InsufficientDataError

__all__ = [
    "MAX_DAYS",
    "PAPER_DAY_FEATURES",
    "PARTICIPANT_BIOMARKERS",
    "DepresjonRecord",
    "RecordingReader",
    "complete_days",
    "list_labelled_recordings",
    "paper_day_features",
    "participant_feature_names",
    "participant_features",
]

FloatArray = npt.NDArray[np.float64]

RecordingReader = Callable[[Path], DailyBiomarkerTable]
"""Reads one recording file into its daily biomarker table.

The models layer does not import the readers (sensors sits beside it); callers pass e.g.
``lambda p: extract_daily(read_depresjon(p))``.
"""

MAX_DAYS = 13

PARTICIPANT_BIOMARKERS: tuple[str, ...] = (
    "activity.mean_counts",
    "activity.sd_counts",
    "activity.zero_fraction",
    "sleep.duration_min",
    "sleep.efficiency",
    "sleep.waso_min",
    "circadian.interdaily_stability",
    "circadian.intradaily_variability",
    "circadian.relative_amplitude",
    "circadian.l5",
    "circadian.m10",
)

PAPER_DAY_FEATURES: tuple[str, ...] = (
    "activity.mean_counts",
    "activity.sd_counts",
    "activity.zero_fraction",
)
"""The three day-level features of Garcia-Ceja et al. 2018 (mean, SD, share of zero minutes)."""


@dataclass(frozen=True)
class DepresjonRecord:
    """One participant's recording, read into its daily table.

    Attributes
    ----------
    participant : str
        File stem (``condition_3``) or any name for unseen files.
    label : int or None
        1 depressed, 0 control, None unknown.
    table : DailyBiomarkerTable
    """

    participant: str
    label: int | None
    table: DailyBiomarkerTable


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


def participant_feature_names(biomarkers: Sequence[str] = PARTICIPANT_BIOMARKERS) -> list[str]:
    """``<biomarker>.median`` and ``<biomarker>.iqr`` for each biomarker, in order."""
    return [f"{b}.{stat}" for b in biomarkers for stat in ("median", "iqr")]


def participant_features(
    table: DailyBiomarkerTable,
    *,
    max_days: int = MAX_DAYS,
    biomarkers: Sequence[str] = PARTICIPANT_BIOMARKERS,
) -> FloatArray:
    """Median and IQR over the selected days of each biomarker (NaN if it has no value).

    Returns
    -------
    ndarray of float64, shape (2 * len(biomarkers),)
        In the order of `participant_feature_names`.
    """
    rows = complete_days(table, max_days)
    out = np.full(2 * len(biomarkers), np.nan)
    for i, b in enumerate(biomarkers):
        col = table.values.get(b)
        if col is None:
            continue
        x = col[rows]
        x = x[np.isfinite(x)]
        if x.size:
            q1, med, q3 = np.percentile(x, [25.0, 50.0, 75.0])
            out[2 * i] = med
            out[2 * i + 1] = q3 - q1
    return out


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
