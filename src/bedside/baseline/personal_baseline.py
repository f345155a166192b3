"""A patient's personal baseline: robust level, weekday effects, scale, and how sure we are of it.

For each biomarker, from the last `window_days` valid days before a row (skipping missing days and
days the caller excludes, i.e. periods already flagged as changed), `PersonalBaseline` learns

* the median and shrunk weekday offsets (see `bedside.baseline.robust_window`), so that a patient
  who always sleeps longer on Sundays is not "changed" every Sunday;
* the robust scale (MAD x 1.4826 of the weekday-adjusted residuals, floored as in
  `RobustBaseline`: ``max(MAD x 1.4826, rel_floor x |median|, unit floor)``);
* cold start: with a `PopulationPrior`, the median is shrunk towards the population centre with
  the empirical-Bayes weight ``w`` of `bedside.baseline.population_prior` and the log-scale towards
  the population's within-patient scale with `scale_pseudo_days` pseudo-days; the baseline then
  exists from the first valid day and `confidence_` (= ``w``, the share of the median's precision
  that comes from the patient's own data) says how much to trust it. Without a prior a biomarker
  needs `min_days` valid days (else it is in `insufficient_`) and `confidence_` is
  ``min(1, n / window_days)``.

It follows the scikit-learn estimator contract (constructor stores parameters only, `fit` returns
self, learned state ends in ``_``, `NotFittedError` before fit) and round-trips through JSON
(`to_dict` / `from_dict`) so that a device keeps a patient's baseline across restarts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from bedside.baseline.population_prior import PopulationPrior
from bedside.baseline.robust_baseline import UNIT_SCALE_FLOORS
from bedside.baseline.robust_window import fit_location_scale, last_valid_mask, weekday_of
from bedside.biomarkers import REGISTRY
from bedside.domain import ConfigurationError, DailyBiomarkerTable, InputFormatError, NotFittedError

__all__ = ["PersonalBaseline", "scale_floor"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_FORMAT_VERSION = 1
_MEDIAN_SE_FACTOR = 1.2533  # sqrt(pi / 2): SE of a normal median is 1.2533 s / sqrt(n)


def scale_floor(biomarker_id: str, median: float, rel_floor: float, default_floor: float) -> float:
    """Smallest robust scale of a biomarker with this median, in its unit (see RobustBaseline)."""
    spec = REGISTRY.get(biomarker_id)
    unit_floor = default_floor
    if spec is not None:
        unit_floor = UNIT_SCALE_FLOORS.get(spec.unit, default_floor)
    base = abs(median) if math.isfinite(median) else 0.0
    return max(rel_floor * base, unit_floor)


class PersonalBaseline:
    """Per-biomarker robust baseline with weekday effects and empirical-Bayes cold start.

    Parameters
    ----------
    window_days : int
        Most recent valid (non-missing, non-excluded) days used, in days.
    min_days : int
        Valid days needed without a prior (fewer: `insufficient_`).
    weekday_effects : bool
        Fit shrunk weekday offsets.
    weekday_shrinkage : float
        Pseudo-count (days) shrinking each weekday offset towards 0.
    prior : PopulationPrior or None
        Population prior for the cold start; None: no shrinkage.
    scale_pseudo_days : float
        Weight of the prior's within-patient scale, in pseudo-days.
    rel_floor, default_floor : float
        Scale floors (fraction of ``|median|``; unit floor for units without a table entry).

    Attributes
    ----------
    median_ : dict of str to float
        Baseline level (before weekday offsets), in the biomarker's unit; NaN when insufficient.
    weekday_offset_ : dict of str to list of float
        Seven offsets (Monday first) added to the median on that weekday, in the unit.
    scale_ : dict of str to float
        Robust SD, in the unit; NaN when insufficient.
    n_days_ : dict of str to int
        Valid days used.
    confidence_ : dict of str to float
        Baseline confidence in [0, 1] (see the module docstring).
    insufficient_ : list of str
        Biomarkers without a baseline.
    fitted_end_ : int
        Row (exclusive) the baseline was learned before.
    """

    def __init__(
        self,
        window_days: int = 56,
        min_days: int = 14,
        weekday_effects: bool = True,
        weekday_shrinkage: float = 4.0,
        prior: PopulationPrior | None = None,
        scale_pseudo_days: float = 7.0,
        rel_floor: float = 0.01,
        default_floor: float = 1e-6,
    ) -> None:
        self.window_days = window_days
        self.min_days = min_days
        self.weekday_effects = weekday_effects
        self.weekday_shrinkage = weekday_shrinkage
        self.prior = prior
        self.scale_pseudo_days = scale_pseudo_days
        self.rel_floor = rel_floor
        self.default_floor = default_floor

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters (scikit-learn contract)."""
        return {
            "window_days": self.window_days,
            "min_days": self.min_days,
            "weekday_effects": self.weekday_effects,
            "weekday_shrinkage": self.weekday_shrinkage,
            "prior": self.prior,
            "scale_pseudo_days": self.scale_pseudo_days,
            "rel_floor": self.rel_floor,
            "default_floor": self.default_floor,
        }

    def set_params(self, **params: Any) -> Self:
        """Set constructor parameters; unknown names raise ConfigurationError."""
        valid = self.get_params()
        for name, value in params.items():
            if name not in valid:
                raise ConfigurationError(f"PersonalBaseline has no parameter {name!r}")
            setattr(self, name, value)
        return self

    def _validate_params(self) -> None:
        if self.window_days < 1:
            raise ConfigurationError(f"window_days must be >= 1, got {self.window_days}")
        if not 1 <= self.min_days <= self.window_days:
            raise ConfigurationError(
                f"min_days must be in [1, window_days={self.window_days}], got {self.min_days}"
            )
        if self.weekday_shrinkage < 0 or self.scale_pseudo_days < 0:
            raise ConfigurationError("weekday_shrinkage and scale_pseudo_days must be >= 0")
        if self.rel_floor < 0 or self.default_floor <= 0:
            raise ConfigurationError("rel_floor must be >= 0 and default_floor > 0")

    def floor(self, biomarker_id: str, median: float) -> float:
        """Scale floor of a biomarker with this median, in its unit."""
        return scale_floor(biomarker_id, median, self.rel_floor, self.default_floor)

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
            Row (exclusive) the baseline is learned before; default all rows.
        exclude : bool ndarray (n_days,), mapping of biomarker id to one, or None
            Rows to skip (True = excluded, e.g. a flagged change), for all or per biomarker.

        Returns
        -------
        self
        """
        self._validate_params()
        n = table.n_days
        stop = n if end is None else end
        if not 0 <= stop <= n:
            raise ConfigurationError(f"end must be in [0, {n}], got {stop}")
        first_weekday = int(weekday_of(table.dates[:1])[0]) if n else 0
        self.median_: dict[str, float] = {}
        self.weekday_offset_: dict[str, list[float]] = {}
        self.scale_: dict[str, float] = {}
        self.n_days_: dict[str, int] = {}
        self.confidence_: dict[str, float] = {}
        self.insufficient_: list[str] = []
        for bid, col in table.values.items():
            x = np.asarray(col[:stop], dtype=np.float64).copy()
            x[_mask(exclude, bid, n)[:stop]] = np.nan
            keep = last_valid_mask(~np.isnan(x), self.window_days)
            x[~keep] = np.nan
            self._fit_one(bid, x, first_weekday)
        self.fitted_end_ = stop
        return self

    def _fit_one(self, bid: str, x: FloatArray, first_weekday: int) -> None:
        fit = fit_location_scale(
            x[None, :],
            first_weekday,
            0.0,
            weekday_effects=self.weekday_effects,
            weekday_shrinkage=self.weekday_shrinkage,
        )
        n = int(fit.n_valid[0])
        med = float(fit.median[0])
        raw_scale = float(fit.scale[0])
        offsets = [float(v) for v in fit.weekday_offset[0]]
        prior = None if self.prior is None else self.prior.biomarkers.get(bid)
        self.n_days_[bid] = n
        if prior is None:
            if n < self.min_days:
                self._set(bid, math.nan, [0.0] * 7, math.nan, 0.0)
                self.insufficient_.append(bid)
                return
            scale = max(raw_scale, self.floor(bid, med))
            self._set(bid, med, offsets, scale, min(1.0, n / self.window_days))
            return
        s_prior = max(prior.within_scale, self.floor(bid, prior.centre))
        if n == 0:
            self._set(bid, prior.centre, [0.0] * 7, s_prior, 0.0)
            return
        s_own = max(raw_scale, self.floor(bid, med))
        log_s = (n * math.log(s_own) + self.scale_pseudo_days * math.log(s_prior)) / (
            n + self.scale_pseudo_days
        )
        scale = math.exp(log_s)
        se2 = (_MEDIAN_SE_FACTOR * scale) ** 2 / n
        tau2 = prior.between_sd**2
        w = tau2 / (tau2 + se2)
        centre = w * med + (1.0 - w) * prior.centre
        self._set(bid, centre, [w * o for o in offsets], scale, w)

    def _set(self, bid: str, med: float, off: list[float], scale: float, conf: float) -> None:
        self.median_[bid] = med
        self.weekday_offset_[bid] = off
        self.scale_[bid] = scale
        self.confidence_[bid] = conf

    def _check_fitted(self) -> None:
        if not hasattr(self, "median_"):
            raise NotFittedError("PersonalBaseline is not fitted yet; call fit(table) first")

    @property
    def is_fitted(self) -> bool:
        return hasattr(self, "median_")

    def expected(self, table: DailyBiomarkerTable) -> dict[str, FloatArray]:
        """Baseline level of each row (median plus that weekday's offset), in each unit."""
        self._check_fitted()
        weekday = weekday_of(table.dates)
        out: dict[str, FloatArray] = {}
        for bid in table.values:
            med = self.median_.get(bid, math.nan)
            off = np.asarray(self.weekday_offset_.get(bid, [0.0] * 7), dtype=np.float64)
            out[bid] = med + off[weekday]
        return out

    def robust_z(self, table: DailyBiomarkerTable) -> dict[str, FloatArray]:
        """Robust z of every row: (value - expected) / scale_; NaN without value or baseline."""
        expected = self.expected(table)
        return {
            bid: (np.asarray(col, dtype=np.float64) - expected[bid])
            / self.scale_.get(bid, math.nan)
            for bid, col in table.values.items()
        }

    # -- persistence ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe state (NaN becomes None) including parameters and the prior."""
        self._check_fitted()
        params = self.get_params()
        params["prior"] = None if self.prior is None else self.prior.to_dict()
        return {
            "format_version": _FORMAT_VERSION,
            "kind": "PersonalBaseline",
            "params": params,
            "median": {k: _jf(v) for k, v in self.median_.items()},
            "weekday_offset": {k: list(v) for k, v in self.weekday_offset_.items()},
            "scale": {k: _jf(v) for k, v in self.scale_.items()},
            "n_days": dict(self.n_days_),
            "confidence": dict(self.confidence_),
            "insufficient": list(self.insufficient_),
            "fitted_end": self.fitted_end_,
        }

    def to_json(self) -> str:
        """`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PersonalBaseline:
        """Rebuild a fitted baseline from `to_dict` output; bad input raises InputFormatError."""
        source = "personal baseline state"
        try:
            if data["format_version"] != _FORMAT_VERSION or data["kind"] != "PersonalBaseline":
                raise InputFormatError(source, "not a PersonalBaseline state of format_version 1")
            params = dict(data["params"])
            if params.get("prior") is not None:
                params["prior"] = PopulationPrior.from_dict(params["prior"])
            obj = cls(**params)
            obj.median_ = {str(k): _fj(v) for k, v in data["median"].items()}
            obj.weekday_offset_ = {
                str(k): [float(x) for x in v] for k, v in data["weekday_offset"].items()
            }
            obj.scale_ = {str(k): _fj(v) for k, v in data["scale"].items()}
            obj.n_days_ = {str(k): int(v) for k, v in data["n_days"].items()}
            obj.confidence_ = {str(k): float(v) for k, v in data["confidence"].items()}
            obj.insufficient_ = [str(v) for v in data["insufficient"]]
            obj.fitted_end_ = int(data["fitted_end"])
        except KeyError as exc:
            raise InputFormatError(source, "missing key", field=str(exc.args[0])) from None
        except TypeError as exc:
            raise InputFormatError(source, f"malformed state: {exc}") from None
        if any(len(v) != 7 for v in obj.weekday_offset_.values()):
            raise InputFormatError(source, "weekday offsets need 7 values", field="weekday_offset")
        return obj

    @classmethod
    def from_json(cls, text: str) -> PersonalBaseline:
        """Rebuild from `to_json` output."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputFormatError("personal baseline state", f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise InputFormatError("personal baseline state", "expected a JSON object")
        return cls.from_dict(data)


def _mask(exclude: BoolArray | Mapping[str, BoolArray] | None, bid: str, n: int) -> BoolArray:
    if exclude is None:
        return np.zeros(n, dtype=np.bool_)
    if isinstance(exclude, Mapping):
        if bid not in exclude:
            return np.zeros(n, dtype=np.bool_)
        mask = np.asarray(exclude[bid], dtype=np.bool_)
    else:
        mask = np.asarray(exclude, dtype=np.bool_)
    if mask.shape != (n,):
        raise ConfigurationError(f"exclude mask has shape {mask.shape}, expected ({n},)")
    return mask


def _jf(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _fj(x: float | None) -> float:
    return math.nan if x is None else float(x)
