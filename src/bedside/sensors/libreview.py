"""LibreView (FreeStyle Libre) CSV export reader.

Layout (English exports): an optional first line ``Glucose Data,Generated on,<date>,Generated
by,<name>`` (or a ``Patient report`` line), then the header ``Device, Serial Number, Device
Timestamp, Record Type, Historic Glucose mg/dL, Scan Glucose mg/dL, ...`` (``mmol/L`` in
mmol/L accounts). ``Record Type`` 0 rows are the sensor's automatic historic readings (every
15 min on Libre 1/2, every 5 min on Libre 3), 1 are manual scans, the others notes, insulin,
food and strips. Only historic readings are used (as in the consensus' ambulatory glucose
profile); scans are counted as ``not_selected``. The device timestamp is the reader's or
phone's wall clock without offset, read in the patient's zone, and its date order follows the
account's locale: ``MM-DD-YYYY``, ``DD-MM-YYYY`` or ``YYYY-MM-DD``, with 24-hour or AM/PM times.
With ``date_order="auto"`` the order is inferred from the file (a first field above 12 means
day first, a second above 12 month first); a file where both readings stay possible is
refused rather than guessed. Localised (non-English) headers are not supported.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from bedside.domain import InputFormatError, Modality, SampleFrame
from bedside.sensors.csv_mapping import CsvMapping, TimeParser, read_mapped_csv
from bedside.sensors.import_report import ImportReport
from bedside.sensors.record_time import TimeFormatError

__all__ = ["LIBREVIEW_HEADER_PREFIX", "read_libreview"]

LIBREVIEW_HEADER_PREFIX = "Device,Serial Number,Device Timestamp,Record Type"
DateOrder = Literal["auto", "MDY", "DMY", "YMD"]
_VALUE = {"mg/dL": "Historic Glucose mg/dL", "mmol/L": "Historic Glucose mmol/L"}


def _split(text: str) -> tuple[list[str], str]:
    s = text.strip()
    date, _, clock = s.partition(" ")
    parts = date.replace("/", "-").replace(".", "-").split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or not clock:
        raise TimeFormatError(f"expected a date like 01-31-2024 14:30, got {text!r}")
    return parts, clock.strip()


def _make_parser(order: str) -> TimeParser:
    def parse(text: str) -> dt.datetime:
        parts, clock = _split(text)
        if order == "YMD":
            y, m, d = parts
        elif order == "MDY":
            m, d, y = parts
        else:
            d, m, y = parts
        fmt = "%I:%M %p" if clock[-2:].upper() in ("AM", "PM") else "%H:%M"
        if clock.count(":") == 2:
            fmt = fmt.replace("%M", "%M:%S")
        try:
            tod = dt.datetime.strptime(clock.upper(), fmt).time()
            return dt.datetime.combine(dt.date(int(y), int(m), int(d)), tod)
        except ValueError as exc:
            raise TimeFormatError(f"invalid date-time {text!r} for order {order} ({exc})") from exc

    return parse


def _detect_order(path: Path, source: str) -> str:
    first_big = second_big = False
    year_first = True
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        idx: int | None = None
        for row in reader:
            if idx is None:
                if ",".join(row).startswith(LIBREVIEW_HEADER_PREFIX):
                    idx = 2
                continue
            if len(row) <= idx:
                continue
            try:
                parts, _ = _split(row[idx])
            except TimeFormatError:
                continue
            year_first &= len(parts[0]) == 4
            if len(parts[0]) != 4:
                first_big |= int(parts[0]) > 12
                second_big |= int(parts[1]) > 12
    if year_first:
        return "YMD"
    if first_big and not second_big:
        return "DMY"
    if second_big and not first_big:
        return "MDY"
    raise InputFormatError(
        source,
        "cannot tell whether Device Timestamp dates are month-first or day-first; "
        "pass date_order='MDY' or 'DMY'",
        field="Device Timestamp",
    )


def read_libreview(
    path: Path,
    *,
    zone: str,
    patient_id: str | None = None,
    date_order: DateOrder = "auto",
    lenient: bool = False,
    source_priority: Sequence[str] = (),
) -> tuple[SampleFrame, ImportReport]:
    """Read a LibreView glucose CSV export.

    Parameters
    ----------
    path : Path
    zone : str
        The patient's IANA zone (device timestamps are naive wall-clock time).
    patient_id : str or None
        Defaults to the file stem.
    date_order : {"auto", "MDY", "DMY", "YMD"}
    lenient : bool
        Drop malformed historic rows (counted) instead of raising.
    source_priority : sequence of str
        Preferred sensor serial numbers first.

    Returns
    -------
    frame : SampleFrame
        ``GLUCOSE`` historic readings in mg/dL; ``epoch_s`` is the median spacing of the
        readings rounded to whole minutes (900 or 300 s on real sensors).
    report : ImportReport
    """
    path = Path(path)
    source = str(path)
    header: list[str] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                if ",".join(row).startswith(LIBREVIEW_HEADER_PREFIX):
                    header = [h.strip() for h in row]
                    break
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFormatError(source, f"cannot read file ({exc})") from exc
    units = [u for u, col in _VALUE.items() if col in header]
    if len(units) != 1:
        raise InputFormatError(
            source,
            f"not a LibreView export: expected a header starting {LIBREVIEW_HEADER_PREFIX!r} "
            "with a 'Historic Glucose mg/dL' or 'Historic Glucose mmol/L' column",
            field="header",
        )
    order = _detect_order(path, source) if date_order == "auto" else date_order
    mapping = CsvMapping(
        time_column="Device Timestamp",
        value_column=_VALUE[units[0]],
        modality=Modality.GLUCOSE,
        unit=units[0],
        source_column="Serial Number",
        select_column="Record Type",
        select_values=("0",),
        header_prefix=LIBREVIEW_HEADER_PREFIX,
        epoch_s=900,
        min_spacing_s=150,
    )
    frame, report = read_mapped_csv(
        path,
        mapping,
        zone=zone,
        patient_id=patient_id,
        lenient=lenient,
        source_priority=source_priority,
        time_parser=_make_parser(order),
    )
    if len(frame) > 1:
        step = float(np.median(np.diff(frame.time_utc)))
        epoch = max(60, round(step / 60.0) * 60)
        frame = SampleFrame(
            patient_id=frame.patient_id,
            modality=frame.modality,
            zone=frame.zone,
            time_utc=frame.time_utc,
            value=frame.value,
            epoch_s=epoch,
            source=frame.source,
        )
    return frame, report
