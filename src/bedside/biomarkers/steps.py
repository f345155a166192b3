"""Daily step count from step-count records (wearables, phones; Open mHealth ``step-count``)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.epochs import day_lengths_min, local_days
from bedside.domain import (
    ConfigurationError,
    DailyBiomarkerTable,
    InputFormatError,
    Modality,
    SampleFrame,
)

__all__ = ["STEP_IDS", "extract_steps_daily"]

FloatArray = npt.NDArray[np.float64]

STEP_IDS = ("activity.steps",)


def extract_steps_daily(frame: SampleFrame, *, min_coverage: float = 0.8) -> DailyBiomarkerTable:
    """Steps per local day.

    Parameters
    ----------
    frame : SampleFrame
        ``Modality.STEPS``: each sample is the number of steps in ``[time_utc, time_utc +
        epoch_s)``; the whole interval counts toward the local day in which it starts. Intervals
        without steps must be present as zeros for the day to count as covered (sources that
        only record walking bouts need ``min_coverage=0``).
    min_coverage : float
        Days whose recorded intervals cover less than this share of the day have NaN steps.

    Returns
    -------
    DailyBiomarkerTable
        ``activity.steps`` (steps per day) and ``coverage[Modality.STEPS]`` (share of the local
        day covered by recorded intervals, in [0, 1]), from the first to the last sample's day.

    Raises
    ------
    InputFormatError
        When the frame is not step counts or holds negative counts.
    """
    if not 0.0 <= min_coverage <= 1.0:
        raise ConfigurationError(f"min_coverage must be within [0, 1], got {min_coverage}")
    if frame.modality is not Modality.STEPS:
        raise InputFormatError(frame.source, f"expected step counts, got {frame.modality}")
    value = np.asarray(frame.value, dtype=np.float64)
    ok = np.isfinite(value)
    if bool((value[ok] < 0).any()):
        i = int(np.flatnonzero(ok & (value < 0))[0])
        raise InputFormatError(frame.source, f"sample {i} has a negative step count", field="value")
    if len(frame) == 0:
        empty = np.zeros(0)
        return DailyBiomarkerTable(
            frame.patient_id,
            frame.zone,
            np.zeros(0, dtype="datetime64[D]"),
            {"activity.steps": empty},
            {Modality.STEPS: empty.copy()},
        )
    day = local_days(frame.time_utc, frame.zone)
    first = int(day[0])
    n_days = int(day[-1]) - first + 1
    idx = (day - first)[ok]
    steps = np.bincount(idx, weights=value[ok], minlength=n_days)
    covered_min = np.bincount(idx, minlength=n_days) * (frame.epoch_s / 60.0)
    coverage = np.clip(covered_min / day_lengths_min(first, n_days, frame.zone), 0.0, 1.0)
    return DailyBiomarkerTable(
        patient_id=frame.patient_id,
        zone=frame.zone,
        dates=(np.arange(n_days, dtype=np.int64) + first).astype("datetime64[D]"),
        values={"activity.steps": np.where(coverage >= min_coverage, steps, np.nan)},
        coverage={Modality.STEPS: coverage},
    )
