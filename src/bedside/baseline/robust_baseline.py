"""A per-patient robust baseline: median and MAD-based scale of each biomarker.

The baseline of a biomarker is learned from the last `window_days` valid days before a row
(exclusive), skipping missing days and days the caller excludes (days already flagged as part of a
change, so that an episode is not absorbed into the patient's "normal").

Scale floor
-----------
A near-constant series has a MAD of (almost) zero, which would turn any tiny change into a huge
robust z-score. The robust scale is therefore

    scale = max(MAD x 1.4826, rel_floor x |median|, unit floor)

where ``rel_floor`` defaults to 1 % of the median's magnitude and the unit floor is the smallest
change that is meaningful in the biomarker's UCUM unit (`UNIT_SCALE_FLOORS`: 1 min for ``min``,
0.5 percentage points for ``%``, 0.005 for dimensionless ``1`` fractions and indices, 1 count for
``{count}``, 0.1 count/min for ``{count}/min``). Biomarkers not in the registry, or with a unit not
in the table, use `default_floor` (1e-6 in the biomarker's unit). The relative floor alone would not
do: clock-time biomarkers (minutes from midnight) have medians near zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from bedside.biomarkers import REGISTRY
from bedside.domain import ConfigurationError, DailyBiomarkerTable, InputFormatError, NotFittedError

__all__ = ["MAD_TO_SD", "UNIT_SCALE_FLOORS", "RobustBaseline"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAD_TO_SD = 1.4826
"""Factor turning a median absolute deviation into a standard-deviation estimate (normal data)."""

UNIT_SCALE_FLOORS: dict[str, float] = {
    "min": 1.0,
    "%": 0.5,
    "1": 0.005,
    "{count}": 1.0,
    "{count}/min": 0.1,
}
"""Smallest robust scale per UCUM unit (see the module docstring)."""

_FORMAT_VERSION = 1


class RobustBaseline:
    """Per-biomarker median and robust scale, following the scikit-learn estimator contract.

    Parameters
    ----------
    window_days : int
        Number of most recent valid (non-missing, non-excluded) days the baseline uses.
    min_days : int
        Fewer valid days than this leaves the biomarker without a baseline (NaN, `insufficient_`).
    rel_floor : float
        Scale floor as a fraction of ``|median|``.
    default_floor : float
        Scale floor, in the biomarker's unit, for biomarkers whose unit has no entry in
        `UNIT_SCALE_FLOORS`.

    Attributes
    ----------
    median_ : dict of str to float
        Baseline median per biomarker id, in its unit; NaN when insufficient.
    scale_ : dict of str to float
        Robust scale (floored MAD x 1.4826) per biomarker id, in its unit; NaN when insufficient.
    n_days_ : dict of str to int
        Number of valid days the baseline of each biomarker used.
    fitted_end_ : int
        The row (exclusive) the baseline was learned before.
    insufficient_ : list of str
        Biomarker ids with fewer than `min_days` valid days.
    """

    def __init__(
        self,
        window_days: int = 28,
        min_days: int = 14,
        rel_floor: float = 0.01,
        default_floor: float = 1e-6,
    ) -> None:
        self.window_days = window_days
        self.min_days = min_days
        self.rel_floor = rel_floor
        self.default_floor = default_floor

    # -- scikit-learn style parameter access -------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters (scikit-learn contract)."""
        return {
            "window_days": self.window_days,
            "min_days": self.min_days,
            "rel_floor": self.rel_floor,
            "default_floor": self.default_floor,
        }

    def set_params(self, **params: Any) -> Self:
        """Set constructor parameters; unknown names raise ConfigurationError."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ConfigurationError(f"RobustBaseline has no parameter {name!r}")
            setattr(self, name, value)
        return self

    def _validate_params(self) -> None:
        if self.window_days < 1:
            raise ConfigurationError(f"window_days must be >= 1, got {self.window_days}")
        if not 1 <= self.min_days <= self.window_days:
            raise ConfigurationError(
                f"min_days must be in [1, window_days={self.window_days}], got {self.min_days}"
            )
        if self.rel_floor < 0 or self.default_floor <= 0:
            raise ConfigurationError("rel_floor must be >= 0 and default_floor > 0")

    def scale_floor(self, biomarker_id: str, median: float) -> float:
        """The smallest scale allowed for a biomarker with this median, in its unit."""
        spec = REGISTRY.get(biomarker_id)
        unit_floor = self.default_floor
        if spec is not None:
            unit_floor = UNIT_SCALE_FLOORS.get(spec.unit, self.default_floor)
        return max(self.rel_floor * abs(median), unit_floor)

    # -- fitting -----------------------------------------------------------------------------
    def fit(
        self,
        table: DailyBiomarkerTable,
        *,
        end: int | None = None,
        exclude: BoolArray | Mapping[str, BoolArray] | None = None,
    ) -> Self:
        """Learn the baseline from the last `window_days` valid days before row `end`.

        Parameters
        ----------
        table : DailyBiomarkerTable
        end : int or None
            Row index (exclusive) the baseline is learned before; default: all rows.
        exclude : bool ndarray of shape (n_days,), or mapping of biomarker id to one, or None
            Rows to skip (True = excluded), for all biomarkers or per biomarker.

        Returns
        -------
        self
        """
        self._validate_params()
        n = table.n_days
        stop = n if end is None else end
        if not 0 <= stop <= n:
            raise ConfigurationError(f"end must be in [0, {n}], got {stop}")
        median: dict[str, float] = {}
        scale: dict[str, float] = {}
        n_days: dict[str, int] = {}
        insufficient: list[str] = []
        for bid, col in table.values.items():
            mask = _exclusion_mask(exclude, bid, n)
            window = col[:stop]
            valid = window[~np.isnan(window) & ~mask[:stop]]
            valid = valid[-self.window_days :]
            n_days[bid] = int(valid.size)
            if valid.size < self.min_days:
                median[bid] = math.nan
                scale[bid] = math.nan
                insufficient.append(bid)
                continue
            med = float(np.median(valid))
            mad = float(np.median(np.abs(valid - med)))
            median[bid] = med
            scale[bid] = max(mad * MAD_TO_SD, self.scale_floor(bid, med))
        self.median_ = median
        self.scale_ = scale
        self.n_days_ = n_days
        self.fitted_end_ = stop
        self.insufficient_ = insufficient
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "median_"):
            raise NotFittedError("RobustBaseline is not fitted yet; call fit(table) first")

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "median_")

    def robust_z(self, table: DailyBiomarkerTable) -> dict[str, FloatArray]:
        """Robust z-score of every row: (value - median_) / scale_.

        Parameters
        ----------
        table : DailyBiomarkerTable

        Returns
        -------
        dict of str to ndarray of float64, each shape (n_days,)
            One entry per biomarker of `table`; NaN where the value is missing or the biomarker
            has no baseline (insufficient or not seen at fit time).
        """
        self._check_fitted()
        out: dict[str, FloatArray] = {}
        for bid, col in table.values.items():
            med = self.median_.get(bid, math.nan)
            sc = self.scale_.get(bid, math.nan)
            out[bid] = (np.asarray(col, dtype=np.float64) - med) / sc
        return out

    # -- persistence ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe state (NaN becomes None), so a device keeps its baseline across restarts."""
        self._check_fitted()
        return {
            "format_version": _FORMAT_VERSION,
            "params": self.get_params(),
            "median": {k: _json_float(v) for k, v in self.median_.items()},
            "scale": {k: _json_float(v) for k, v in self.scale_.items()},
            "n_days": dict(self.n_days_),
            "fitted_end": self.fitted_end_,
            "insufficient": list(self.insufficient_),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RobustBaseline:
        """Rebuild a fitted baseline from `to_dict` output."""
        source = "baseline state"
        try:
            if data["format_version"] != _FORMAT_VERSION:
                raise InputFormatError(
                    source, f"unsupported format_version {data['format_version']!r}"
                )
            obj = cls(**data["params"])
            obj.median_ = {str(k): _from_json_float(v) for k, v in data["median"].items()}
            obj.scale_ = {str(k): _from_json_float(v) for k, v in data["scale"].items()}
            obj.n_days_ = {str(k): int(v) for k, v in data["n_days"].items()}
            obj.fitted_end_ = int(data["fitted_end"])
            obj.insufficient_ = [str(v) for v in data["insufficient"]]
        except KeyError as exc:
            raise InputFormatError(source, "missing key", field=str(exc.args[0])) from None
        except TypeError as exc:
            raise InputFormatError(source, f"malformed state: {exc}") from None
        return obj


def _exclusion_mask(
    exclude: BoolArray | Mapping[str, BoolArray] | None, biomarker_id: str, n: int
) -> BoolArray:
    if exclude is None:
        return np.zeros(n, dtype=np.bool_)
    if isinstance(exclude, Mapping):
        if biomarker_id not in exclude:
            return np.zeros(n, dtype=np.bool_)
        mask = np.asarray(exclude[biomarker_id], dtype=np.bool_)
    else:
        mask = np.asarray(exclude, dtype=np.bool_)
    if mask.shape != (n,):
        raise ConfigurationError(f"exclude mask has shape {mask.shape}, expected ({n},)")
    return mask


def _json_float(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _from_json_float(x: float | None) -> float:
    return math.nan if x is None else float(x)
