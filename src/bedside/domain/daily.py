"""The daily biomarker table: one row per (patient, local date), one column per biomarker id."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from bedside.domain.errors import InputFormatError
from bedside.domain.ids import PatientId
from bedside.domain.modality import Modality

__all__ = ["DailyBiomarkerTable", "DailyBiomarkers"]

FloatArray = npt.NDArray[np.float64]


class DailyBiomarkers(BaseModel):
    """One patient-day: biomarker values (None = missing) and coverage per modality in [0, 1]."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    patient_id: str
    date: dt.date
    values: dict[str, float | None]
    coverage: dict[Modality, float]


@dataclass(frozen=True)
class DailyBiomarkerTable:
    """Daily biomarkers of one patient over consecutive local calendar days.

    Missing values are NaN in `values` and explicit: every day between the first and the last is a
    row, and `coverage` says how much raw data each modality had that day.

    Attributes
    ----------
    patient_id : PatientId
    zone : str
        IANA zone whose calendar defines the days.
    dates : ndarray of datetime64[D], shape (n_days,)
        Consecutive local dates.
    values : mapping of str to ndarray of float64, each shape (n_days,)
        Biomarker id -> daily values in the biomarker's registry unit; NaN is missing.
    coverage : mapping of Modality to ndarray of float64, each shape (n_days,)
        Fraction of the day with valid raw data, in [0, 1].
    """

    patient_id: PatientId
    zone: str
    dates: npt.NDArray[np.datetime64]
    values: Mapping[str, FloatArray] = field(default_factory=dict)
    coverage: Mapping[Modality, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.dates.size
        day_numbers = self.dates.astype("datetime64[D]").astype(np.int64)
        if n > 1 and not bool(np.all(np.diff(day_numbers) == 1)):
            raise InputFormatError(
                f"daily table of {self.patient_id}", "dates must be consecutive days in order"
            )
        for name, col in [*self.values.items(), *((str(k), v) for k, v in self.coverage.items())]:
            if col.shape != (n,):
                raise InputFormatError(
                    f"daily table of {self.patient_id}",
                    f"column has {col.shape[0] if col.ndim else 0} rows, expected {n}",
                    field=name,
                )
        for modality, col in self.coverage.items():
            ok = col[~np.isnan(col)]
            if ok.size and (ok.min() < 0.0 or ok.max() > 1.0):
                raise InputFormatError(
                    f"daily table of {self.patient_id}",
                    "coverage must be within [0, 1]",
                    field=f"coverage.{modality}",
                )

    @property
    def n_days(self) -> int:
        return int(self.dates.size)

    @property
    def biomarker_ids(self) -> list[str]:
        return list(self.values)

    def date_list(self) -> list[dt.date]:
        """Dates as `datetime.date` objects."""
        return [d.item() for d in self.dates.astype("datetime64[D]")]

    def index_of(self, day: dt.date) -> int:
        """Row index of a local date; raises KeyError when the table does not contain it."""
        if self.n_days == 0:
            raise KeyError(day)
        offset = (np.datetime64(day, "D") - self.dates[0].astype("datetime64[D]")).astype(int)
        if not 0 <= offset < self.n_days:
            raise KeyError(day)
        return int(offset)

    def row(self, day: dt.date) -> DailyBiomarkers:
        """One patient-day as a typed object (NaN becomes None)."""
        i = self.index_of(day)
        return DailyBiomarkers(
            patient_id=self.patient_id,
            date=day,
            values={k: (None if math.isnan(v[i]) else float(v[i])) for k, v in self.values.items()},
            coverage={m: float(c[i]) for m, c in self.coverage.items()},
        )

    def head(self, n_days: int) -> DailyBiomarkerTable:
        """The first `n_days` rows (what the device knew at the end of day `n_days - 1`)."""
        return DailyBiomarkerTable(
            patient_id=self.patient_id,
            zone=self.zone,
            dates=self.dates[:n_days],
            values={k: v[:n_days] for k, v in self.values.items()},
            coverage={m: c[:n_days] for m, c in self.coverage.items()},
        )
