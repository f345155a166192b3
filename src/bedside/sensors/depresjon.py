"""Reader of Depresjon actigraphy files (Garcia-Ceja et al., MMSys 2018).

One file per participant, header ``timestamp,date,activity``: local wall-clock time in
Europe/Oslo (``YYYY-MM-DD HH:MM:SS``, one row per minute), its date part, and the Actiwatch AW4
activity count of that minute. Clock changes are handled exactly: the skipped spring-forward hour
simply is not in the file, and the repeated fall-back hour appears twice in order (first pass =
summer time). See :mod:`bedside.sensors.timestamps`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bedside.domain import Modality, PatientId, SampleFrame
from bedside.sensors.csv_fields import parse_values, split_fields
from bedside.sensors.local_time import check_zone
from bedside.sensors.read_report import ReadReport, RowChecker, read_data_lines
from bedside.sensors.timestamps import assign_utc, parse_timestamps

__all__ = ["DEPRESJON_HEADER", "read_depresjon", "read_depresjon_with_report"]

DEPRESJON_HEADER = "timestamp,date,activity"


def read_depresjon_with_report(
    path: Path,
    *,
    patient_id: str | None = None,
    zone: str = "Europe/Oslo",
    lenient: bool = False,
) -> tuple[SampleFrame, ReadReport]:
    """Read one Depresjon actigraphy file and report what was read and dropped.

    Parameters
    ----------
    path : Path
        A ``condition_N.csv`` or ``control_N.csv`` file.
    patient_id : str, optional
        Defaults to the file stem (``condition_1``).
    zone : str
        IANA zone of the wall-clock timestamps (Depresjon: ``Europe/Oslo``).
    lenient : bool
        False (default): the first bad row raises. True: bad rows are dropped, a
        :class:`~bedside.domain.DroppedRowsWarning` gives counts per reason, and the report
        holds them.

    Returns
    -------
    frame : SampleFrame
        Modality actigraphy, ``epoch_s`` 60, ``value`` activity counts per minute (float64),
        ``time_utc`` int64 UTC seconds of each minute's start.
    report : ReadReport

    Raises
    ------
    InputFormatError
        Naming file, 1-based line and field: bad header, wrong number of fields, unparseable
        timestamp or count, ``date`` not the timestamp's date, negative count, a local time that
        does not exist in ``zone``, a duplicate UTC instant, or a row earlier than a preceding one.
    """
    path = Path(path)
    source, lines = read_data_lines(path, DEPRESJON_HEADER)
    check_zone(zone, source)
    checker = RowChecker(source, len(lines))
    ts_text, date_text, count_text = split_fields(checker, lines, ("timestamp", "date", "activity"))
    parsed = parse_timestamps(ts_text, allow_offset=False)
    raw_ts = ts_text  # indexed lazily, only for error messages
    checker.flag(
        ~parsed.valid,
        "timestamp",
        "timestamp",
        lambda i: f"cannot parse {raw_ts[i]!r} as local time YYYY-MM-DD HH:MM:SS",
    )
    raw_dates = date_text
    date_ok = (date_text == ts_text.str.slice(0, 10)).fill_null(False).to_numpy()
    checker.flag(
        ~date_ok,
        "date_mismatch",
        "date",
        lambda i: f"date {raw_dates[i]!r} is not the date of timestamp {raw_ts[i]!r}",
    )
    values = parse_values(checker, count_text, "activity")
    utc = assign_utc(checker, parsed, zone, raw_ts)
    keep, report = checker.finish(lenient=lenient)
    frame = SampleFrame(
        patient_id=PatientId(patient_id if patient_id is not None else path.stem),
        modality=Modality.ACTIGRAPHY,
        zone=zone,
        time_utc=np.ascontiguousarray(utc[keep], dtype=np.int64),
        value=np.ascontiguousarray(values[keep], dtype=np.float64),
        epoch_s=60,
        source=source,
    )
    return frame, report


def read_depresjon(
    path: Path,
    *,
    patient_id: str | None = None,
    zone: str = "Europe/Oslo",
    lenient: bool = False,
) -> SampleFrame:
    """Read one Depresjon actigraphy file; see :func:`read_depresjon_with_report`."""
    frame, _ = read_depresjon_with_report(path, patient_id=patient_id, zone=zone, lenient=lenient)
    return frame
