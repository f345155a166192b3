"""A population prior for cold-start baselines (empirical Bayes).

For each biomarker the prior holds the centre and spread of patients' own medians and the typical
within-patient robust scale, learned from a cohort of daily tables (e.g. the synthetic training
cohort, or a clinic's earlier patients). `PersonalBaseline` shrinks a new patient's median towards
the population centre with the normal-normal posterior weight

    w = tau^2 / (tau^2 + se^2),   se = 1.2533 s / sqrt(n)

(``tau`` between-patient SD of medians, ``s`` the within-patient scale, ``n`` the patient's valid
days, 1.2533 the asymptotic efficiency loss of the median), the estimator of Efron B, Morris C.
Stein's estimation rule and its competitors - an empirical Bayes approach. J Am Stat Assoc
1973;68(341):117-130.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bedside.baseline.robust_window import MAD_TO_SD, fit_location_scale, weekday_of
from bedside.domain import DailyBiomarkerTable, InputFormatError, InsufficientDataError

__all__ = ["BiomarkerPrior", "PopulationPrior"]

_FORMAT_VERSION = 1


@dataclass(frozen=True)
class BiomarkerPrior:
    """Population distribution of one biomarker's personal baseline.

    Attributes
    ----------
    centre : float
        Median of the patients' medians, in the biomarker's unit.
    between_sd : float
        Robust SD of the patients' medians (``tau``), in the biomarker's unit.
    within_scale : float
        Median of the patients' robust scales, in the biomarker's unit.
    n_patients : int
        Patients the prior was learned from.
    """

    centre: float
    between_sd: float
    within_scale: float
    n_patients: int


@dataclass(frozen=True)
class PopulationPrior:
    """Per-biomarker population priors (see the module docstring)."""

    biomarkers: Mapping[str, BiomarkerPrior]

    @classmethod
    def from_tables(
        cls, tables: Sequence[DailyBiomarkerTable], *, min_days: int = 14
    ) -> PopulationPrior:
        """Learn the prior from patients with at least `min_days` valid days of a biomarker.

        Raises
        ------
        InsufficientDataError
            When fewer than 3 patients qualify for every biomarker.
        """
        per: dict[str, list[tuple[float, float]]] = {}
        for table in tables:
            if table.n_days == 0:
                continue
            wd = int(weekday_of(table.dates[:1])[0])
            for bid, col in table.values.items():
                fit = fit_location_scale(col[None, :], wd, 0.0)
                if int(fit.n_valid[0]) >= min_days:
                    per.setdefault(bid, []).append((float(fit.median[0]), float(fit.scale[0])))
        priors: dict[str, BiomarkerPrior] = {}
        for bid, pairs in per.items():
            if len(pairs) < 3:
                continue
            med = np.array([p[0] for p in pairs])
            sc = np.array([p[1] for p in pairs])
            centre = float(np.median(med))
            tau = MAD_TO_SD * float(np.median(np.abs(med - centre)))
            priors[bid] = BiomarkerPrior(
                centre=centre,
                between_sd=max(tau, 1e-12),
                within_scale=float(np.median(sc)),
                n_patients=len(pairs),
            )
        if not priors:
            raise InsufficientDataError(
                f"population prior: no biomarker has {min_days} valid days in 3 or more tables"
            )
        return cls(priors)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "format_version": _FORMAT_VERSION,
            "biomarkers": {
                b: {
                    "centre": p.centre,
                    "between_sd": p.between_sd,
                    "within_scale": p.within_scale,
                    "n_patients": p.n_patients,
                }
                for b, p in self.biomarkers.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PopulationPrior:
        """Rebuild from `to_dict` output; malformed input raises InputFormatError."""
        source = "population prior"
        try:
            if data["format_version"] != _FORMAT_VERSION:
                raise InputFormatError(
                    source, f"unsupported format_version {data['format_version']!r}"
                )
            out: dict[str, BiomarkerPrior] = {}
            for b, p in data["biomarkers"].items():
                prior = BiomarkerPrior(
                    centre=float(p["centre"]),
                    between_sd=float(p["between_sd"]),
                    within_scale=float(p["within_scale"]),
                    n_patients=int(p["n_patients"]),
                )
                if not all(
                    math.isfinite(v) for v in (prior.centre, prior.between_sd, prior.within_scale)
                ):
                    raise InputFormatError(source, "values must be finite", field=str(b))
                out[str(b)] = prior
        except KeyError as exc:
            raise InputFormatError(source, "missing key", field=str(exc.args[0])) from None
        except (TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, InputFormatError):
                raise
            raise InputFormatError(source, f"malformed prior: {exc}") from None
        return cls(out)
