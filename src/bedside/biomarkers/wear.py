"""Non-wear detection of wrist actigraphy, and the daily share of minutes the device was worn.

Why: a recorder taken off the wrist keeps recording. The Depresjon control recordings end with
days to weeks of near-zero counts (sensor noise of 1-125 counts per minute), and the minute
coverage of `extract_daily` counts those minutes as data. For the trend monitor such a day is not
"activity fell by 99%" but "no data": treating it as in-control data made the per-patient
calibration of the downward activity chart absorb non-wear drops, which hid real ones.

Rule (after Troiano RP et al. Physical activity in the United States measured by accelerometer.
Med Sci Sports Exerc 2008;40(1):181-188, and Choi L et al. Validation of accelerometer wear and
nonwear time classification algorithm. Med Sci Sports Exerc 2011;43(2):357-364): a minute is
non-wear when it lies in a run of at least `min_run_min` minutes whose counts are at most
`max_count`, where interruptions of up to `max_gap_min` minutes (of any count) do not break the
run. ActiGraph rules use zero counts and 60-90 minute runs; the Depresjon recorder (Actiwatch)
reports small noise counts when off the wrist, hence ``max_count = 10``. Its worn nights contain
still runs of several hours at that level (with 180- or 360-minute runs, many worn days of the
Depresjon participants lost 6-9 hours of "wear", which would hide hypersomnia), while an off-wrist
recorder gives still runs of days; hence ``min_run_min = 720``. Measured on the 36 Depresjon
recordings here: worn days keep a worn share of 1.0 except a few with a daytime gap (0.35-0.5),
off-wrist days drop to 0.00-0.15. Limit: a wearer lying still for 12 hours without a 3-minute
movement would be counted as not wearing the device.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.epochs import MinuteGrid, day_lengths_min, minute_grid
from bedside.domain import ConfigurationError, DailyBiomarkerTable, Modality, SampleFrame

__all__ = ["nonwear_minutes", "wear_coverage", "with_wear_coverage"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def _runs(mask: BoolArray) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Start and end (exclusive) of every run of True."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return edges[0::2].astype(np.int64), edges[1::2].astype(np.int64)


def nonwear_minutes(
    counts: FloatArray,
    *,
    max_count: float = 10.0,
    min_run_min: int = 720,
    max_gap_min: int = 2,
) -> BoolArray:
    """Minutes classified as non-wear (see the module docstring).

    Parameters
    ----------
    counts : ndarray of float64, shape (n,)
        Activity counts of consecutive minutes; NaN = not recorded (never non-wear, and it breaks
        a run: the recorder's own gaps are missing data already).
    max_count : float
        Largest count of a "still" minute, counts per minute.
    min_run_min : int
        Shortest run of still minutes that is non-wear, minutes.
    max_gap_min : int
        Longest interruption of a run that does not break it, minutes.

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    if max_count < 0 or min_run_min < 1 or max_gap_min < 0:
        raise ConfigurationError("need max_count >= 0, min_run_min >= 1, max_gap_min >= 0")
    x = np.asarray(counts, dtype=np.float64)
    recorded = ~np.isnan(x)
    still = recorded & (np.nan_to_num(x, nan=np.inf) <= max_count)
    bridged = still.copy()
    if max_gap_min > 0:
        # a short movement between two still runs (a bump of the table) does not end non-wear
        starts, ends = _runs(~still & recorded)
        for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
            if e - s <= max_gap_min and s > 0 and e < x.size and still[s - 1] and still[e]:
                bridged[s:e] = True
    out = np.zeros(x.size, dtype=np.bool_)
    starts, ends = _runs(bridged)
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        if e - s >= min_run_min:
            out[s:e] = True
    return out


def wear_coverage(grid: MinuteGrid, **rule: float) -> FloatArray:
    """Share of each local day with a recorded AND worn minute, in [0, 1], shape (n_days,).

    Parameters
    ----------
    grid : MinuteGrid
    **rule
        Keyword arguments of `nonwear_minutes`.
    """
    off = nonwear_minutes(grid.counts, **rule)  # type: ignore[arg-type]
    worn = grid.valid & ~off
    per_day = np.bincount(grid.day_index[worn], minlength=grid.n_days).astype(np.float64)
    lengths = day_lengths_min(grid.first_day, grid.n_days, grid.zone)
    out: FloatArray = np.clip(per_day / lengths, 0.0, 1.0)
    return out


def with_wear_coverage(table: DailyBiomarkerTable, frame: SampleFrame) -> DailyBiomarkerTable:
    """The table with its actigraphy coverage lowered to the share of worn minutes.

    Values are unchanged (accepted data is never lost); consumers that apply coverage rules (the
    trend monitor treats a day under half covered as missing) now see off-wrist days as missing.
    Days of the table the frame does not span keep their coverage (a multimodal table may span
    more days than its actigraphy).
    """
    grid = minute_grid(frame)
    worn = wear_coverage(grid)
    coverage = dict(table.coverage)
    old = coverage.get(Modality.ACTIGRAPHY)
    new = np.ones(table.n_days) if old is None else np.asarray(old, dtype=np.float64).copy()
    rows = (grid.dates - table.dates[0]).astype(np.int64) if table.n_days else np.zeros(0, int)
    inside = (rows >= 0) & (rows < table.n_days)
    new[rows[inside]] = np.minimum(new[rows[inside]], worn[inside])
    if old is None:
        # only the frame's days have an actigraphy coverage at all
        spanned = np.zeros(table.n_days, dtype=np.bool_)
        spanned[rows[inside]] = True
        new = np.where(spanned, new, 0.0)
    coverage[Modality.ACTIGRAPHY] = new
    return DailyBiomarkerTable(table.patient_id, table.zone, table.dates, table.values, coverage)
