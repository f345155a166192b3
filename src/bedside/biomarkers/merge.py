"""Combine per-modality daily tables into one patient table.

Every modality's extractor returns its own `DailyBiomarkerTable` (its columns and its coverage
entry) over the days its raw data spans; this module is the one place where they meet, so adding a
modality never touches another modality's code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bedside.domain import DailyBiomarkerTable, Modality
from bedside.domain.daily import FloatArray
from bedside.domain.errors import InputFormatError

__all__ = ["merge_daily_tables"]


def merge_daily_tables(tables: Sequence[DailyBiomarkerTable]) -> DailyBiomarkerTable:
    """Align daily tables of one patient on the union of their local dates.

    Parameters
    ----------
    tables : sequence of DailyBiomarkerTable
        One or more tables of the same patient and time zone, with disjoint biomarker ids and
        disjoint coverage modalities (each modality is produced by exactly one extractor).

    Returns
    -------
    DailyBiomarkerTable
        Rows from the earliest to the latest date of any input. A biomarker is NaN and a
        modality's coverage is 0 on days its table does not contain: no data there is no
        coverage, never a value.

    Raises
    ------
    InputFormatError
        When the tables belong to different patients or zones, or two tables both provide the
        same biomarker id or modality.
    """
    if not tables:
        raise InputFormatError("daily tables", "nothing to merge")
    first = tables[0]
    values: dict[str, FloatArray] = {}
    coverage: dict[Modality, FloatArray] = {}
    non_empty = [t for t in tables if t.n_days]
    for table in tables:
        if table.patient_id != first.patient_id or table.zone != first.zone:
            raise InputFormatError(
                "daily tables",
                f"cannot merge {table.patient_id} ({table.zone}) with "
                f"{first.patient_id} ({first.zone})",
            )
    if not non_empty:
        start = end = 0
    else:
        start = min(int(t.dates[0].astype("datetime64[D]").astype(np.int64)) for t in non_empty)
        end = 1 + max(int(t.dates[-1].astype("datetime64[D]").astype(np.int64)) for t in non_empty)
    dates = np.arange(start, end, dtype=np.int64).astype("datetime64[D]")
    for table in tables:
        offset = (
            int(table.dates[0].astype("datetime64[D]").astype(np.int64)) - start
            if table.n_days
            else 0
        )
        rows = slice(offset, offset + table.n_days)
        for key, col in table.values.items():
            if key in values:
                raise InputFormatError(
                    "daily tables", "two tables provide the same biomarker", field=key
                )
            out = np.full(dates.size, np.nan)
            out[rows] = col
            values[key] = out
        for modality, col in table.coverage.items():
            if modality in coverage:
                raise InputFormatError(
                    "daily tables",
                    "two tables provide coverage of the same modality",
                    field=str(modality),
                )
            cov = np.zeros(dates.size)
            cov[rows] = col
            coverage[modality] = cov
    return DailyBiomarkerTable(
        patient_id=first.patient_id, zone=first.zone, dates=dates, values=values, coverage=coverage
    )
