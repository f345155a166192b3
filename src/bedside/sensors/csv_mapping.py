"""Generic mapped CSV importer: any ``timestamp, value`` table, described by a column mapping.

A :class:`CsvMapping` names the time and value columns, the unit (fixed or per row), how to read
times, where the time zone of naive times comes from (the patient's zone, or a per-row zone or
offset column for travel), which rows are readings (e.g. ``Event Type == EGV``), which column
names the device (for duplicate resolution) and text values that stand for numbers (``Low``).
The file is read row by row with :mod:`csv`; only the accepted samples are held in memory.
Rows may come in any order: samples are sorted, and duplicates and overlaps are resolved as in
:mod:`bedside.sensors.dedup`.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

from bedside.domain import InputFormatError, Modality, PatientId, SampleFrame
from bedside.sensors.dedup import rank_sources, resolve_instants
from bedside.sensors.import_report import ImportReport, IssueLog
from bedside.sensors.local_time import check_zone
from bedside.sensors.record_time import (
    NaiveTimeResolver,
    TimeFormatError,
    parse_iso_time,
    zone_of,
)
from bedside.sensors.units import (
    GLUCOSE_PLAUSIBLE_MGDL,
    HEART_RATE_PLAUSIBLE_BPM,
    check_glucose_unit_fits,
    glucose_factor,
    glucose_unit_hint,
    heart_rate_factor,
)

__all__ = ["CsvMapping", "TimeParser", "read_mapped_csv", "unit_factor"]

TimeParser = Callable[[str], dt.datetime]
_MAX_PREAMBLE_LINES = 30


class CsvMapping(BaseModel):
    """How to read one CSV layout.

    Attributes
    ----------
    time_column, value_column : str
        Header names of the timestamp and the value.
    modality : Modality
        Glucose values are converted to mg/dL and heart rates to bpm; other modalities keep
        their unit (which must then be given) and must be finite and non-negative.
    unit : str or None
        The unit of every value (``mg/dL``, ``mmol/L``, ``bpm``, ...).
    unit_column : str or None
        Or a column giving each row's unit.
    zone_column : str or None
        A column giving each row's IANA zone or UTC offset (``+02:00``), for naive times of a
        patient who travelled; without it naive times are in the patient's zone.
    time_format : str
        ``iso`` (ISO 8601, with or without offset), ``epoch_s``, ``epoch_ms``, or a
        :meth:`datetime.datetime.strptime` pattern.
    source_column : str or None
        Device or sensor id, ranked for duplicate resolution.
    select_column : str or None
        Only rows whose value in this column is one of `select_values` are readings; others
        are counted as ``not_selected``.
    select_values : tuple of str
    value_aliases : dict of str to float
        Text standing for a number in the row's unit (``{"Low": 40}``), counted as
        ``alias:<text>``.
    header_prefix : str or None
        The header is the first line starting with this (preamble lines before it are
        skipped); default the first line.
    delimiter : str
    epoch_s : int
        Nominal sampling interval, s.
    min_spacing_s : int
        Readings of different sources closer than this are an overlap (0: off).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_column: str
    value_column: str
    modality: Modality
    unit: str | None = None
    unit_column: str | None = None
    zone_column: str | None = None
    time_format: str = "iso"
    source_column: str | None = None
    select_column: str | None = None
    select_values: tuple[str, ...] = ()
    value_aliases: dict[str, float] = {}
    header_prefix: str | None = None
    delimiter: str = ","
    epoch_s: int = 60
    min_spacing_s: int = 0

    @model_validator(mode="after")
    def _check(self) -> CsvMapping:
        if (self.unit is None) == (self.unit_column is None):
            raise ValueError("give exactly one of unit and unit_column")
        if self.select_column is not None and not self.select_values:
            raise ValueError("select_column needs select_values")
        if self.epoch_s <= 0 or self.min_spacing_s < 0:
            raise ValueError("epoch_s must be positive and min_spacing_s non-negative")
        if self.unit is not None:
            unit_factor(self.modality, self.unit)
        return self


def unit_factor(modality: Modality, unit: str) -> float:
    """Factor from `unit` to the modality's unit (mg/dL for glucose, bpm for heart rate).

    Raises
    ------
    ValueError
        When `unit` is not a unit of the modality.
    """
    if modality is Modality.GLUCOSE:
        f = glucose_factor(unit)
        if f is None:
            raise ValueError(f"{unit!r} is not a glucose unit; use mg/dL or mmol/L")
        return f
    if modality is Modality.HEART_RATE:
        f = heart_rate_factor(unit)
        if f is None:
            raise ValueError(f"{unit!r} is not a heart-rate unit; use bpm or count/min")
        return f
    return 1.0


def _plausible(modality: Modality) -> tuple[float, float]:
    if modality is Modality.GLUCOSE:
        return GLUCOSE_PLAUSIBLE_MGDL
    if modality is Modality.HEART_RATE:
        return HEART_RATE_PLAUSIBLE_BPM
    return (0.0, math.inf)


def _time_parser(fmt: str) -> TimeParser:
    if fmt == "iso":
        return parse_iso_time
    if fmt in ("epoch_s", "epoch_ms"):
        scale = 1.0 if fmt == "epoch_s" else 1000.0

        def epoch(text: str) -> dt.datetime:
            try:
                return dt.datetime.fromtimestamp(float(text) / scale, dt.UTC)
            except (ValueError, OverflowError, OSError) as exc:
                raise TimeFormatError(f"cannot read {text!r} as {fmt}") from exc

        return epoch

    def pattern(text: str) -> dt.datetime:
        try:
            return dt.datetime.strptime(text.strip(), fmt)
        except ValueError as exc:
            raise TimeFormatError(f"{text!r} does not match {fmt!r}") from exc

    return pattern


def _rows(handle: TextIO, mapping: CsvMapping, source: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (1-based line, fields) of the data rows, the header first (line of the header)."""
    reader = csv.reader(handle, delimiter=mapping.delimiter)
    if mapping.header_prefix is not None:
        for row in reader:
            line = ",".join(row)
            if line.startswith(mapping.header_prefix):
                yield reader.line_num, row
                break
            if reader.line_num >= _MAX_PREAMBLE_LINES:
                raise InputFormatError(
                    source,
                    f"no header starting with {mapping.header_prefix!r} in the first "
                    f"{_MAX_PREAMBLE_LINES} lines",
                    line=reader.line_num,
                )
        else:
            raise InputFormatError(source, f"no header starting with {mapping.header_prefix!r}")
    for row in reader:
        yield reader.line_num, row


def read_mapped_csv(
    path: Path,
    mapping: CsvMapping,
    *,
    zone: str,
    patient_id: str | None = None,
    lenient: bool = False,
    source_priority: Sequence[str] = (),
    time_parser: TimeParser | None = None,
) -> tuple[SampleFrame, ImportReport]:
    """Read a CSV file described by `mapping`.

    Parameters
    ----------
    path : Path
    mapping : CsvMapping
    zone : str
        The patient's IANA zone: local days are computed in it, and naive times without a
        zone column are read in it.
    patient_id : str or None
        Defaults to the file stem.
    lenient : bool
        Drop malformed rows (counted, one :class:`~bedside.domain.DroppedRowsWarning`)
        instead of raising.
    source_priority : sequence of str
        Preferred sources first (values of `mapping.source_column`).
    time_parser : callable or None
        Overrides `mapping.time_format` (used by vendor readers with their own date forms).

    Returns
    -------
    frame : SampleFrame
        Sorted, duplicates resolved, values in the modality's unit.
    report : ImportReport

    Raises
    ------
    InputFormatError
        Naming file, line and column: missing header columns, unparseable or nonexistent
        times, unknown units, non-numeric or implausible values (strict mode), or a file whose
        values contradict their declared glucose unit.
    """
    path = Path(path)
    source = str(path)
    check_zone(zone, source)
    home = zone_of(zone)
    parse = time_parser if time_parser is not None else _time_parser(mapping.time_format)
    issues = IssueLog(source, lenient=lenient)
    resolver = NaiveTimeResolver()
    lo, hi = _plausible(mapping.modality)
    utc: list[int] = []
    raw: list[float] = []
    factor: list[float] = []
    src: list[str] = []
    n_read = 0
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputFormatError(source, f"cannot read file ({exc.strerror})") from exc
    with handle:
        rows = _rows(handle, mapping, source)
        try:
            header_line, header = next(rows)
        except StopIteration:
            raise InputFormatError(source, "empty file, expected a header", line=1) from None
        except UnicodeDecodeError as exc:
            raise InputFormatError(source, f"not UTF-8 text ({exc.reason})") from exc
        col = _columns(header, mapping, source, header_line)
        try:
            for line, row in rows:
                if not row or all(not f.strip() for f in row):
                    continue
                n_read += 1
                got = _read_row(row, line, col, mapping, parse, resolver, home, issues, lo, hi)
                if got is not None:
                    utc.append(got[0])
                    raw.append(got[1])
                    factor.append(got[2])
                    src.append(got[3])
        except UnicodeDecodeError as exc:
            raise InputFormatError(source, f"not UTF-8 text ({exc.reason})") from exc
        except csv.Error as exc:
            raise InputFormatError(source, f"malformed CSV ({exc})") from exc
    raw_a = np.asarray(raw, dtype=np.float64)
    fac_a = np.asarray(factor, dtype=np.float64)
    if mapping.modality is Modality.GLUCOSE:
        check_glucose_unit_fits(raw_a, fac_a, source)
    ranks = rank_sources(src, source_priority)
    rank_a = np.asarray([ranks[s] for s in src], dtype=np.int64)
    t_a = np.asarray(utc, dtype=np.int64)
    keep, counts = resolve_instants(t_a, raw_a * fac_a, rank_a, min_spacing_s=mapping.min_spacing_s)
    for key, count in counts.items():
        issues.note(key, count)
    frame = SampleFrame(
        patient_id=PatientId(patient_id if patient_id is not None else path.stem),
        modality=mapping.modality,
        zone=zone,
        time_utc=t_a[keep],
        value=(raw_a * fac_a)[keep],
        epoch_s=mapping.epoch_s,
        source=source,
    )
    return frame, issues.finish(n_read, int(keep.size))


def _columns(header: list[str], mapping: CsvMapping, source: str, line: int) -> dict[str, int]:
    wanted = {
        "time": mapping.time_column,
        "value": mapping.value_column,
        "unit": mapping.unit_column,
        "zone": mapping.zone_column,
        "source": mapping.source_column,
        "select": mapping.select_column,
    }
    names = [h.strip() for h in header]
    out: dict[str, int] = {}
    for key, name in wanted.items():
        if name is None:
            continue
        if name not in names:
            raise InputFormatError(
                source, f"missing column {name!r} (header has {names[:8]})", line=line, field=name
            )
        out[key] = names.index(name)
    return out


def _cell(row: list[str], i: int | None) -> str:
    if i is None or i >= len(row):
        return ""
    return row[i].strip()


def _read_row(
    row: list[str],
    line: int,
    col: dict[str, int],
    mapping: CsvMapping,
    parse: TimeParser,
    resolver: NaiveTimeResolver,
    home: dt.tzinfo,
    issues: IssueLog,
    lo: float,
    hi: float,
) -> tuple[int, float, float, str] | None:
    if "select" in col and _cell(row, col["select"]) not in mapping.select_values:
        issues.note("not_selected")
        return None
    text_t = _cell(row, col["time"])
    try:
        stamp = parse(text_t)
        tz = zone_of(_cell(row, col["zone"])) if "zone" in col else home
        t = resolver.to_utc(stamp, tz)
    except TimeFormatError as exc:
        issues.problem("time", str(exc), line=line, field=mapping.time_column)
        return None
    text_v = _cell(row, col["value"])
    if text_v in mapping.value_aliases:
        value = float(mapping.value_aliases[text_v])
        issues.note(f"alias:{text_v}")
    else:
        try:
            value = float(text_v)
        except ValueError:
            issues.problem(
                "value",
                f"cannot read {text_v!r} as a number",
                line=line,
                field=mapping.value_column,
            )
            return None
    unit = mapping.unit if mapping.unit is not None else _cell(row, col["unit"])
    try:
        f = unit_factor(mapping.modality, unit)
    except ValueError as exc:
        issues.problem("unit", str(exc), line=line, field=mapping.unit_column or "unit")
        return None
    converted = value * f
    if not (math.isfinite(converted) and lo <= converted <= hi):
        issues.problem(
            "implausible",
            f"value {text_v!r} {unit} is outside the plausible range {lo:g}-{hi:g} "
            "(after conversion)"
            + (glucose_unit_hint(value, f) if mapping.modality is Modality.GLUCOSE else ""),
            line=line,
            field=mapping.value_column,
        )
        return None
    return t, value, f, _cell(row, col.get("source"))
