"""CSV adapter of the daily biomarker table (the contract format of ``bedside biomarkers extract``).

Format: first column ``date`` (ISO ``YYYY-MM-DD``, local), then one column per biomarker id (any
registry ids, in any order), then ``coverage.<modality>`` columns with values in [0, 1]. An empty
cell is null (NaN). Numbers are written with full precision (``repr``), so a round trip is exact.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bedside.biomarkers.registry import REGISTRY
from bedside.domain import DailyBiomarkerTable, InputFormatError, Modality, PatientId

__all__ = ["read_daily_csv", "write_daily_csv"]

FloatArray = npt.NDArray[np.float64]
_COVERAGE = "coverage."


def _cell(x: float) -> str:
    return "" if math.isnan(x) else repr(float(x))


def write_daily_csv(table: DailyBiomarkerTable, path: Path) -> None:
    """Write a table as contract CSV (``date``, biomarker ids, ``coverage.<modality>``)."""
    ids = list(table.values)
    modalities = list(table.coverage)
    with Path(path).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["date", *ids, *(f"{_COVERAGE}{m.value}" for m in modalities)])
        for i, day in enumerate(table.date_list()):
            row = [day.isoformat()]
            row += [_cell(table.values[k][i]) for k in ids]
            row += [_cell(table.coverage[m][i]) for m in modalities]
            writer.writerow(row)


def _parse_header(header: list[str], source: str) -> tuple[list[str], list[Modality]]:
    if not header or header[0] != "date":
        raise InputFormatError(source, "first column must be 'date'", line=1)
    ids: list[str] = []
    modalities: list[Modality] = []
    seen: set[str] = set()
    for name in header[1:]:
        if name in seen:
            raise InputFormatError(source, f"duplicate column {name!r}", line=1, field=name)
        seen.add(name)
        if name.startswith(_COVERAGE):
            try:
                modalities.append(Modality(name[len(_COVERAGE) :]))
            except ValueError:
                raise InputFormatError(
                    source, f"unknown modality in column {name!r}", line=1, field=name
                ) from None
        elif modalities:
            raise InputFormatError(
                source, f"biomarker column {name!r} after coverage columns", line=1, field=name
            )
        elif name not in REGISTRY:
            raise InputFormatError(source, f"unknown biomarker id {name!r}", line=1, field=name)
        else:
            ids.append(name)
    return ids, modalities


def _number(text: str, source: str, line: int, field: str) -> float:
    if text.strip() == "":
        return math.nan
    try:
        value = float(text)
    except ValueError:
        raise InputFormatError(source, f"not a number: {text!r}", line=line, field=field) from None
    if not math.isfinite(value):
        raise InputFormatError(source, f"not a finite number: {text!r}", line=line, field=field)
    return value


def read_daily_csv(path: Path, *, patient_id: str, zone: str) -> DailyBiomarkerTable:
    """Read and validate a contract CSV into a table.

    Raises
    ------
    InputFormatError
        Naming the line and column: wrong header, unknown biomarker id or modality, wrong number
        of cells, unparseable, duplicate or non-consecutive dates, unparseable numbers, coverage
        outside [0, 1].
    """
    source = str(path)
    with Path(path).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise InputFormatError(source, "empty file: expected a header starting with 'date'")
    ids, modalities = _parse_header(rows[0], source)
    names = rows[0]
    n_cols = len(names)
    dates: list[dt.date] = []
    cells: list[list[float]] = []
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != n_cols:
            raise InputFormatError(source, f"expected {n_cols} cells, found {len(row)}", line=line)
        try:
            day = dt.date.fromisoformat(row[0])
        except ValueError:
            raise InputFormatError(
                source, f"not an ISO date: {row[0]!r}", line=line, field="date"
            ) from None
        if dates and day != dates[-1] + dt.timedelta(days=1):
            problem = "duplicate" if day in dates else "not the day after the previous row"
            raise InputFormatError(source, f"date {day} is {problem}", line=line, field="date")
        numbers = [_number(t, source, line, f) for t, f in zip(row[1:], names[1:], strict=True)]
        for value, name in zip(numbers[len(ids) :], names[1 + len(ids) :], strict=True):
            if not math.isnan(value) and not 0.0 <= value <= 1.0:
                raise InputFormatError(
                    source, f"coverage {value} outside [0, 1]", line=line, field=name
                )
        dates.append(day)
        cells.append(numbers)
    matrix = np.array(cells, dtype=np.float64).reshape(len(cells), n_cols - 1)
    values: dict[str, FloatArray] = {k: matrix[:, j].copy() for j, k in enumerate(ids)}
    coverage: dict[Modality, FloatArray] = {
        m: matrix[:, len(ids) + j].copy() for j, m in enumerate(modalities)
    }
    return DailyBiomarkerTable(
        patient_id=PatientId(patient_id),
        zone=zone,
        dates=np.array(dates, dtype="datetime64[D]"),
        values=values,
        coverage=coverage,
    )
