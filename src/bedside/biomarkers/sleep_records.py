"""Sleep biomarkers from sleep records (wearables, phones): in-bed, asleep and awake intervals.

The records are laid on a minute grid (a minute takes the state of the interval holding its
first second; ``AWAKE`` overrides ``ASLEEP``) and the main sleep period ending on each local day
is found with the same rules as for actigraphy (:func:`bedside.biomarkers.main_sleep_periods`:
the 18:00-12:00 night window, wake gaps up to 60 min merged, the longest bout of at least 60
min), so ``sleep.onset_min``, ``offset``, ``midpoint``, ``duration``, ``efficiency`` (asleep share
of the period) and ``waso`` mean the same from either source. In addition:

* ``sleep.latency_min``: minutes from the start of the in-bed interval holding the sleep onset to
  the onset; NaN when no in-bed interval holds it (the record does not say when the patient went
  to bed).
* ``sleep.sri`` and ``sleep.social_jetlag_min`` over the rolling week, as for actigraphy
  (:mod:`bedside.biomarkers.sleep_regularity`); minutes of a day count as known when that day's
  night is recorded.

A record is taken as a complete account of its night: a night whose window holds any record has
coverage 1 (minutes without an asleep interval are awake), a night without one has coverage 0
and NaN values.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.epochs import local_midnight_utc, minute_grid
from bedside.biomarkers.sleep import SLEEP_IDS, main_sleep_periods
from bedside.biomarkers.sleep_regularity import sleep_regularity_index, social_jetlag
from bedside.domain import (
    DailyBiomarkerTable,
    Modality,
    SampleFrame,
    SleepEpisodeFrame,
    SleepState,
)

__all__ = ["SLEEP_RECORD_IDS", "extract_sleep_records_daily"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

SLEEP_RECORD_IDS: tuple[str, ...] = (
    *SLEEP_IDS,
    "sleep.latency_min",
    "sleep.sri",
    "sleep.social_jetlag_min",
)

_WINDOW_START_MIN = -360
_WINDOW_END_MIN = 720


def _minute_mask(
    start_s: IntArray, end_s: IntArray, first_minute: int, n: int
) -> tuple[BoolArray, IntArray]:
    """Minutes whose first second lies in some interval; also the per-minute interval count."""
    lo = np.clip(-((-start_s) // 60) - first_minute, 0, n)
    hi = np.clip(-((-end_s) // 60) - first_minute, 0, n)
    diff = np.zeros(n + 1, dtype=np.int64)
    np.add.at(diff, lo, 1)
    np.add.at(diff, hi, -1)
    depth = np.cumsum(diff[:n])
    return depth > 0, depth


def extract_sleep_records_daily(
    frame: SleepEpisodeFrame, *, regularity_window_days: int = 7
) -> DailyBiomarkerTable:
    """Daily sleep biomarkers from sleep records.

    Parameters
    ----------
    frame : SleepEpisodeFrame
    regularity_window_days : int
        Days of the rolling window of the Sleep Regularity Index and social jetlag.

    Returns
    -------
    DailyBiomarkerTable
        Columns :data:`SLEEP_RECORD_IDS` (minutes, % for efficiency, dimensionless SRI) and
        ``coverage[Modality.SLEEP_RECORDS]`` (1 on days whose night is recorded, else 0), from
        the local day of the first record's start to that of the last record's end.
    """
    if len(frame) == 0:
        return DailyBiomarkerTable(
            frame.patient_id,
            frame.zone,
            np.zeros(0, dtype="datetime64[D]"),
            {k: np.zeros(0) for k in SLEEP_RECORD_IDS},
            {Modality.SLEEP_RECORDS: np.zeros(0)},
        )
    first_minute = int(frame.start_utc.min() // 60)
    last_minute = int(-((-frame.end_utc.max()) // 60))
    n = max(last_minute - first_minute, 1)
    state = frame.state
    is_asleep = frame.asleep()  # every stage (core, deep, REM) counts as asleep
    asleep, _ = _minute_mask(
        frame.start_utc[is_asleep],
        frame.end_utc[is_asleep],
        first_minute,
        n,
    )
    awake, _ = _minute_mask(
        frame.start_utc[state == SleepState.AWAKE],
        frame.end_utc[state == SleepState.AWAKE],
        first_minute,
        n,
    )
    in_bed, _ = _minute_mask(
        frame.start_utc[state == SleepState.IN_BED],
        frame.end_utc[state == SleepState.IN_BED],
        first_minute,
        n,
    )
    recorded = asleep | awake | in_bed
    sleep = asleep & ~awake
    t = (np.arange(n, dtype=np.int64) + first_minute) * 60
    grid = minute_grid(
        SampleFrame(
            frame.patient_id,
            Modality.SLEEP_RECORDS,
            frame.zone,
            t,
            np.zeros(n),
            60,
            frame.source,
        )
    )
    periods = main_sleep_periods(grid, min_coverage=0.0, sleep=sleep)
    mid = local_midnight_utc(
        np.arange(grid.first_day, grid.first_day + grid.n_days, dtype=np.int64), grid.zone
    )
    base = (mid - grid.start_utc) // 60
    rec_cum = np.concatenate(([0], np.cumsum(recorded)))
    lo = np.clip(base + _WINDOW_START_MIN, 0, n)
    hi = np.clip(base + _WINDOW_END_MIN, 0, n)
    known = (rec_cum[hi] - rec_cum[lo]) > 0
    for key in SLEEP_IDS:
        periods[key][~known] = np.nan

    latency = np.full(grid.n_days, np.nan)
    bed_cum = np.concatenate(([0], np.cumsum(~in_bed)))  # out-of-bed minutes so far
    for d in np.flatnonzero(np.isfinite(periods["sleep.onset_min"])).tolist():
        onset = int(base[d] + periods["sleep.onset_min"][d])
        if not 0 <= onset < n or not in_bed[onset]:
            continue
        # Start of the in-bed run holding the onset: the last out-of-bed minute before it + 1.
        before = bed_cum[onset + 1]
        start = int(np.searchsorted(bed_cum, before, side="left")) if before else 0
        latency[d] = float(onset - start)

    day_known = known[grid.day_index]
    values: dict[str, FloatArray] = {k: periods[k] for k in SLEEP_IDS}
    values["sleep.latency_min"] = latency
    values["sleep.sri"] = sleep_regularity_index(
        grid, sleep, valid=day_known, window_days=regularity_window_days
    )
    values["sleep.social_jetlag_min"] = social_jetlag(
        periods["sleep.midpoint_min"], grid.dates, window_days=regularity_window_days
    )
    return DailyBiomarkerTable(
        patient_id=frame.patient_id,
        zone=frame.zone,
        dates=grid.dates,
        values=values,
        coverage={Modality.SLEEP_RECORDS: known.astype(np.float64)},
    )
