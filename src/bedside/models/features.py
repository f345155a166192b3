"""Episode-risk features: recent robust z-scores of each biomarker against the patient's baseline.

For every day ``t`` of a daily biomarker table and every selected biomarker, the robust z of a day
is ``(value - baseline median) / baseline scale``, clipped to ``[-Z_CLIP, Z_CLIP]`` so that one
corrupt day cannot dominate. The features of day ``t`` use only rows ``<= t`` (causal):

- ``<biomarker>.z_mean_7d``: mean robust z over the 7 days ending on ``t``, NaN-aware;
- ``<biomarker>.z_mean_14d``: the same over 14 days;
- ``coverage.fraction_14d``: share of (biomarker, day) cells in the 14 days ending on ``t`` that
  had a value (days before the table starts count as missing).

When a window has no value (or the biomarker has no baseline) its mean is imputed as 0, i.e. "at
baseline"; the coverage feature tells the model how much that happened.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bedside.domain import ConfigurationError, DailyBiomarkerTable, PatientId

__all__ = [
    "COVERAGE_FEATURE",
    "DEFAULT_EPISODE_BIOMARKERS",
    "WINDOWS_DAYS",
    "Z_CLIP",
    "BaselineLike",
    "EpisodeFeatures",
    "baseline_stats",
    "episode_feature_names",
    "episode_features",
]

FloatArray = npt.NDArray[np.float64]

DEFAULT_EPISODE_BIOMARKERS: tuple[str, ...] = (
    "activity.mean_counts",
    "activity.zero_fraction",
    "sleep.duration_min",
    "sleep.efficiency",
    "sleep.midpoint_min",
    "circadian.interdaily_stability",
    "circadian.intradaily_variability",
    "circadian.relative_amplitude",
)
"""Biomarkers the episode-risk model uses by default (activity, sleep and circadian families)."""

WINDOWS_DAYS: tuple[int, ...] = (7, 14)
"""Lengths, in days, of the trailing windows over which robust z-scores are averaged."""

Z_CLIP = 8.0
"""Robust z-scores are clipped to [-Z_CLIP, Z_CLIP] before averaging."""

COVERAGE_FEATURE = "coverage.fraction_14d"


class BaselineLike(Protocol):
    """Anything with fitted per-biomarker medians and scales (e.g. `bedside.baseline`'s)."""

    @property
    def median_(self) -> Mapping[str, float]: ...

    @property
    def scale_(self) -> Mapping[str, float]: ...


BaselineInput = BaselineLike | Mapping[str, tuple[float, float]]


def baseline_stats(baseline: BaselineInput) -> dict[str, tuple[float, float]]:
    """Normalise a baseline to ``{biomarker: (median, scale)}`` (units of the biomarker).

    Parameters
    ----------
    baseline : BaselineLike or mapping of str to (median, scale)
    """
    if isinstance(baseline, Mapping):
        return {str(k): (float(v[0]), float(v[1])) for k, v in baseline.items()}
    return {
        k: (float(m), float(baseline.scale_.get(k, math.nan))) for k, m in baseline.median_.items()
    }


def episode_feature_names(biomarkers: Sequence[str]) -> list[str]:
    """Feature names, in model order, for the given biomarkers."""
    names = [f"{b}.z_mean_{w}d" for b in biomarkers for w in WINDOWS_DAYS]
    return [*names, COVERAGE_FEATURE]


@dataclass(frozen=True)
class EpisodeFeatures:
    """Episode-risk features of one patient, one row per day.

    Attributes
    ----------
    patient_id : PatientId
    dates : ndarray of datetime64[D], shape (n_days,)
    names : tuple of str
        Feature names, the column order of `values`.
    values : ndarray of float64, shape (n_days, n_features)
        No NaN (missing windows are imputed as 0 = at baseline).
    biomarkers : tuple of str
        The biomarkers the features are computed from.
    recent_mean_7d : mapping of str to ndarray of float64, shape (n_days,)
        Raw 7-day mean of each biomarker, registry unit; NaN when the window had no value.
    baseline_median : mapping of str to float
        Baseline median of each biomarker (NaN when it has no baseline).
    """

    patient_id: PatientId
    dates: npt.NDArray[np.datetime64]
    names: tuple[str, ...]
    values: FloatArray
    biomarkers: tuple[str, ...]
    recent_mean_7d: Mapping[str, FloatArray]
    baseline_median: Mapping[str, float]

    def __post_init__(self) -> None:
        if self.values.shape != (self.dates.size, len(self.names)):
            raise ConfigurationError(
                f"features of {self.patient_id}: values shape {self.values.shape} does not match "
                f"{self.dates.size} dates x {len(self.names)} names"
            )

    @property
    def n_days(self) -> int:
        return int(self.dates.size)

    def column(self, name: str) -> FloatArray:
        """One feature column by name."""
        return self.values[:, self.names.index(name)]

    def columns(self) -> dict[str, FloatArray]:
        """All feature columns by name."""
        return {n: self.values[:, i] for i, n in enumerate(self.names)}

    def biomarker_of(self, feature: str) -> str | None:
        """The biomarker a feature is computed from (None for the coverage feature)."""
        for b in self.biomarkers:
            if feature.startswith(b + "."):
                return b
        return None

    def select(self, rows: npt.NDArray[np.bool_] | npt.NDArray[np.intp]) -> EpisodeFeatures:
        """A subset of rows (boolean mask or indices)."""
        return EpisodeFeatures(
            patient_id=self.patient_id,
            dates=self.dates[rows],
            names=self.names,
            values=self.values[rows],
            biomarkers=self.biomarkers,
            recent_mean_7d={k: v[rows] for k, v in self.recent_mean_7d.items()},
            baseline_median=self.baseline_median,
        )


def _trailing_sum(x: FloatArray, window: int) -> FloatArray:
    """Sum of x over the `window` rows ending at each row (fewer at the start)."""
    c = np.concatenate([[0.0], np.cumsum(x)])
    idx = np.arange(1, x.size + 1)
    out: FloatArray = c[idx] - c[np.maximum(idx - window, 0)]
    return out


def episode_features(
    table: DailyBiomarkerTable,
    baseline: BaselineInput,
    biomarkers: Sequence[str] = DEFAULT_EPISODE_BIOMARKERS,
) -> EpisodeFeatures:
    """Episode-risk features of every day of a table (causal: day t uses rows <= t only).

    Parameters
    ----------
    table : DailyBiomarkerTable
    baseline : BaselineLike or mapping of biomarker id to (median, scale)
        The patient's baseline, in each biomarker's unit. A biomarker without a finite median and
        a positive scale contributes no values (imputed 0, lowers coverage).
    biomarkers : sequence of str
        Biomarker ids to use; ids absent from the table count as missing.

    Returns
    -------
    EpisodeFeatures
    """
    if not biomarkers:
        raise ConfigurationError("episode features need at least one biomarker")
    stats = baseline_stats(baseline)
    n = table.n_days
    longest = max(WINDOWS_DAYS)
    cols: list[FloatArray] = []
    observed_14d = np.zeros(n)
    recent: dict[str, FloatArray] = {}
    medians: dict[str, float] = {}
    for b in biomarkers:
        raw = table.values.get(b)
        x = np.full(n, np.nan) if raw is None else np.asarray(raw, dtype=np.float64)
        med, scale = stats.get(b, (math.nan, math.nan))
        medians[b] = med
        if math.isfinite(med) and math.isfinite(scale) and scale > 0:
            z = np.clip((x - med) / scale, -Z_CLIP, Z_CLIP)
        else:
            z = np.full(n, np.nan)
        ok = np.isfinite(z)
        z0 = np.where(ok, z, 0.0)
        for w in WINDOWS_DAYS:
            count = _trailing_sum(ok.astype(np.float64), w)
            total = _trailing_sum(z0, w)
            cols.append(np.divide(total, count, out=np.zeros(n), where=count > 0))
        observed_14d += _trailing_sum(ok.astype(np.float64), longest)
        x_ok = np.isfinite(x)
        count7 = _trailing_sum(x_ok.astype(np.float64), 7)
        total7 = _trailing_sum(np.where(x_ok, x, 0.0), 7)
        recent[b] = np.divide(total7, count7, out=np.full(n, np.nan), where=count7 > 0)
    cols.append(observed_14d / (longest * len(biomarkers)))
    values = np.column_stack(cols) if n else np.empty((0, len(cols)))
    return EpisodeFeatures(
        patient_id=table.patient_id,
        dates=table.dates.astype("datetime64[D]"),
        names=tuple(episode_feature_names(biomarkers)),
        values=values,
        biomarkers=tuple(biomarkers),
        recent_mean_7d=recent,
        baseline_median=medians,
    )
