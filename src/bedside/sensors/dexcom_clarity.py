"""Dexcom Clarity CSV export reader (G6, G7, ONE, Stelo).

Layout (the header Clarity writes; Dexcom publishes no specification, so this follows public
exports): ``Index, Timestamp (YYYY-MM-DDThh:mm:ss), Event Type, Event Subtype, Patient Info,
Device Info, Source Device ID, Glucose Value (mg/dL), Insulin Value (u), Carb Value (grams),
Duration (hh:mm:ss), Glucose Rate of Change (mg/dL/min), Transmitter Time (Long Integer),
Transmitter ID``; mmol/L exports say ``Glucose Value (mmol/L)``. The first rows are untimed
patient, device and alert settings; readings are the ``EGV`` rows, whose timestamps are the
receiver's wall-clock time without offset (read in the patient's zone). ``Low`` and ``High``
stand for readings below and above the sensor's reporting range (40-400 mg/dL, 2.2-22.2 mmol/L)
and are kept at those limits, counted as ``alias:Low``/``alias:High``. Readings of two
transmitters less than 2.5 min apart (a sensor warm-up overlapping the previous sensor) are
resolved by source rank (see :mod:`bedside.sensors.dedup`).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from bedside.domain import InputFormatError, Modality, SampleFrame
from bedside.sensors.csv_mapping import CsvMapping, read_mapped_csv
from bedside.sensors.import_report import ImportReport

__all__ = ["DEXCOM_TIME_COLUMN", "dexcom_mapping", "read_dexcom_clarity"]

DEXCOM_TIME_COLUMN = "Timestamp (YYYY-MM-DDThh:mm:ss)"
_VALUE = {"mg/dL": "Glucose Value (mg/dL)", "mmol/L": "Glucose Value (mmol/L)"}
_LIMITS = {"mg/dL": (40.0, 400.0), "mmol/L": (2.2, 22.2)}


def dexcom_mapping(header: list[str], source: str = "dexcom") -> CsvMapping:
    """The mapping for a Clarity header (its glucose column decides the unit).

    Raises
    ------
    InputFormatError
        When the header is not a Clarity header.
    """
    names = [h.strip() for h in header]
    units = [u for u, col in _VALUE.items() if col in names]
    if DEXCOM_TIME_COLUMN not in names or "Event Type" not in names or len(units) != 1:
        raise InputFormatError(
            source,
            f"not a Dexcom Clarity export: expected columns {DEXCOM_TIME_COLUMN!r}, "
            "'Event Type' and one of 'Glucose Value (mg/dL)' or 'Glucose Value (mmol/L)'",
            line=1,
            field="header",
        )
    unit = units[0]
    low, high = _LIMITS[unit]
    return CsvMapping(
        time_column=DEXCOM_TIME_COLUMN,
        value_column=_VALUE[unit],
        modality=Modality.GLUCOSE,
        unit=unit,
        source_column="Transmitter ID" if "Transmitter ID" in names else "Source Device ID",
        select_column="Event Type",
        select_values=("EGV",),
        value_aliases={"Low": low, "High": high},
        epoch_s=300,
        min_spacing_s=150,
    )


def read_dexcom_clarity(
    path: Path,
    *,
    zone: str,
    patient_id: str | None = None,
    lenient: bool = False,
    source_priority: Sequence[str] = (),
) -> tuple[SampleFrame, ImportReport]:
    """Read a Dexcom Clarity CSV export.

    Parameters
    ----------
    path : Path
    zone : str
        The patient's IANA zone (Clarity timestamps are naive receiver time).
    patient_id : str or None
        Defaults to the file stem.
    lenient : bool
        Drop malformed EGV rows (counted) instead of raising.
    source_priority : sequence of str
        Preferred transmitter ids first.

    Returns
    -------
    frame : SampleFrame
        ``GLUCOSE`` readings in mg/dL, ``epoch_s`` 300.
    report : ImportReport
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFormatError(str(path), f"cannot read file ({exc})") from exc
    mapping = dexcom_mapping(header, str(path))
    return read_mapped_csv(
        path,
        mapping,
        zone=zone,
        patient_id=patient_id,
        lenient=lenient,
        source_priority=source_priority,
    )
