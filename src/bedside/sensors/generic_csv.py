"""Reader of generic ``timestamp,value`` CSV files of any modality.

Timestamps are ISO 8601 (``YYYY-MM-DD[T ]HH:MM[:SS]``): with ``Z`` or a numeric offset they are
taken as given; without one they are wall-clock times in the declared IANA zone, converted with
the same clock-change rules as the Depresjon reader (skipped local times are errors, the repeated
fall-back hour is resolved by file order). Both forms may be mixed in one file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bedside.domain import InputFormatError, Modality, PatientId, SampleFrame
from bedside.sensors.csv_fields import parse_values, split_fields
from bedside.sensors.local_time import check_zone
from bedside.sensors.read_report import ReadReport, RowChecker, read_data_lines
from bedside.sensors.timestamps import assign_utc, parse_timestamps

__all__ = [
    "TIMESTAMP_VALUE_HEADER",
    "read_timestamp_value_csv",
    "read_timestamp_value_csv_with_report",
]

TIMESTAMP_VALUE_HEADER = "timestamp,value"


def read_timestamp_value_csv_with_report(
    path: Path,
    *,
    zone: str,
    modality: Modality,
    patient_id: str | None = None,
    epoch_s: int = 60,
    lenient: bool = False,
) -> tuple[SampleFrame, ReadReport]:
    """Read a ``timestamp,value`` CSV file and report what was read and dropped.

    Parameters
    ----------
    path : Path
    zone : str
        The patient's IANA zone; naive timestamps are wall-clock times in it.
    modality : Modality
    patient_id : str, optional
        Defaults to the file stem.
    epoch_s : int
        Nominal sampling interval in seconds.
    lenient : bool
        Drop bad rows with a :class:`~bedside.domain.DroppedRowsWarning` instead of raising.

    Returns
    -------
    frame : SampleFrame
        ``value`` in the modality's unit (float64, finite, >= 0), ``time_utc`` int64 UTC seconds.
    report : ReadReport

    Raises
    ------
    InputFormatError
        Naming file, 1-based line and field, for the same problems as the Depresjon reader
        (header, field count, timestamp, value, negative value, nonexistent local time,
        duplicate instant, out of order), or an unknown zone.
    """
    path = Path(path)
    source, lines = read_data_lines(path, TIMESTAMP_VALUE_HEADER)
    if epoch_s <= 0:
        raise InputFormatError(source, f"epoch must be positive, got {epoch_s} s")
    check_zone(zone, source)
    checker = RowChecker(source, len(lines))
    ts_text, value_text = split_fields(checker, lines, ("timestamp", "value"))
    parsed = parse_timestamps(ts_text, allow_offset=True)
    raw_ts = ts_text  # indexed lazily, only for error messages
    checker.flag(
        ~parsed.valid,
        "timestamp",
        "timestamp",
        lambda i: f"cannot parse {raw_ts[i]!r} as ISO 8601 YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]",
    )
    values = parse_values(checker, value_text, "value")
    utc = assign_utc(checker, parsed, zone, raw_ts)
    keep, report = checker.finish(lenient=lenient)
    frame = SampleFrame(
        patient_id=PatientId(patient_id if patient_id is not None else path.stem),
        modality=modality,
        zone=zone,
        time_utc=np.ascontiguousarray(utc[keep], dtype=np.int64),
        value=np.ascontiguousarray(values[keep], dtype=np.float64),
        epoch_s=epoch_s,
        source=source,
    )
    return frame, report


def read_timestamp_value_csv(
    path: Path,
    *,
    zone: str,
    modality: Modality,
    patient_id: str | None = None,
    epoch_s: int = 60,
    lenient: bool = False,
) -> SampleFrame:
    """Read a ``timestamp,value`` CSV file; see :func:`read_timestamp_value_csv_with_report`."""
    frame, _ = read_timestamp_value_csv_with_report(
        path,
        zone=zone,
        modality=modality,
        patient_id=patient_id,
        epoch_s=epoch_s,
        lenient=lenient,
    )
    return frame
