"""The actigraphy daily biomarker table: every actigraphy registry id, one row per local date."""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.activity import DEFAULT_MIN_COVERAGE, daily_activity
from bedside.biomarkers.activity_bouts import (
    daily_activity_bouts,
    day_scored_sleep,
    sleep_period_mask,
)
from bedside.biomarkers.circadian import DEFAULT_THRESHOLD, rolling_nonparametric
from bedside.biomarkers.cosinor import rolling_cosinor
from bedside.biomarkers.epochs import daily_coverage, minute_grid
from bedside.biomarkers.registry import REGISTRY
from bedside.biomarkers.sleep import cole_kripke, main_sleep_periods
from bedside.biomarkers.sleep_regularity import sleep_regularity_index, social_jetlag
from bedside.domain import (
    ConfigurationError,
    DailyBiomarkerTable,
    DataQualityWarning,
    Modality,
    SampleFrame,
)

__all__ = ["ACTIGRAPHY_IDS", "extract_daily"]

FloatArray = npt.NDArray[np.float64]

ACTIGRAPHY_IDS: tuple[str, ...] = tuple(
    spec.id for spec in REGISTRY.values() if spec.modality is Modality.ACTIGRAPHY
)


def _enforce_valid_ranges(values: dict[str, FloatArray], source: str) -> None:
    """Set values outside the registry's valid range to NaN, warning once with the counts."""
    problems: list[str] = []
    for key, col in values.items():
        spec = REGISTRY[key]
        with np.errstate(invalid="ignore"):
            bad = np.isfinite(col) & ((col < spec.valid_min) | (col > spec.valid_max))
        if bad.any():
            problems.append(f"{key}: {int(bad.sum())} day(s)")
            col[bad] = np.nan
    if problems:
        warnings.warn(
            f"{source}: values outside the registry's valid range set to null ("
            + "; ".join(problems)
            + ")",
            DataQualityWarning,
            stacklevel=3,
        )


def extract_daily(
    frame: SampleFrame,
    *,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
    circadian_window_days: int = 7,
    binarize_threshold: float = DEFAULT_THRESHOLD,
) -> DailyBiomarkerTable:
    """Daily actigraphy biomarkers of one patient.

    Parameters
    ----------
    frame : SampleFrame
        Minute-level activity counts (``epoch_s == 60``) with the patient's IANA zone.
    min_coverage : float
        Minimum share of valid minutes, in [0, 1]: of the local day for ``activity.*``, of the
        night window (18:00-12:00) for ``sleep.*``, of the rolling week's 24-h minute pairs for
        ``sleep.sri`` and of the circadian window for ``circadian.*``; below it the values are
        NaN (coverage still reported).
    circadian_window_days : int
        Days (ending on the row's date) over which the ``circadian.*`` measures, the Sleep
        Regularity Index and social jetlag are computed.
    binarize_threshold : float
        Counts/min above which a minute is active for the circadian measures (pyActigraphy: 4).

    Returns
    -------
    DailyBiomarkerTable
        One row per local date from the first to the last sample; a column per actigraphy
        registry id (registry order) and ``coverage[Modality.ACTIGRAPHY]`` in [0, 1].

    Warns
    -----
    DataQualityWarning
        Only when some value falls outside its registry valid range (it is set to NaN).
    """
    if not 0.0 <= min_coverage <= 1.0:
        raise ConfigurationError(f"min_coverage must be within [0, 1], got {min_coverage}")
    if circadian_window_days < 1:
        raise ConfigurationError("circadian_window_days must be at least 1")
    grid = minute_grid(frame)
    asleep = cole_kripke(grid.counts)
    columns: dict[str, FloatArray] = {}
    columns.update(daily_activity(grid, min_coverage=min_coverage))
    columns.update(main_sleep_periods(grid, min_coverage=min_coverage, sleep=asleep))
    in_sleep = sleep_period_mask(
        grid, columns["sleep.onset_min"], columns["sleep.offset_min"]
    ) | day_scored_sleep(grid)
    columns.update(daily_activity_bouts(grid, in_sleep, min_coverage=min_coverage))
    columns["sleep.sri"] = sleep_regularity_index(
        grid, asleep, window_days=circadian_window_days, min_coverage=min_coverage
    )
    columns["sleep.social_jetlag_min"] = social_jetlag(
        columns["sleep.midpoint_min"], grid.dates, window_days=circadian_window_days
    )
    columns.update(
        rolling_cosinor(grid, window_days=circadian_window_days, min_coverage=min_coverage)
    )
    columns.update(
        rolling_nonparametric(
            grid,
            window_days=circadian_window_days,
            min_coverage=min_coverage,
            threshold=binarize_threshold,
        )
    )
    values = {key: columns[key] for key in ACTIGRAPHY_IDS}
    _enforce_valid_ranges(values, frame.source)
    return DailyBiomarkerTable(
        patient_id=frame.patient_id,
        zone=frame.zone,
        dates=grid.dates,
        values=values,
        coverage={Modality.ACTIGRAPHY: daily_coverage(grid)},
    )
