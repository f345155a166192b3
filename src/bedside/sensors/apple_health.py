"""Apple Health ``export.xml`` reader, streamed with :func:`xml.etree.ElementTree.iterparse`.

Read record types: ``HKQuantityTypeIdentifierStepCount`` (count over an interval),
``HKQuantityTypeIdentifierHeartRate`` (count/min), ``HKQuantityTypeIdentifierHeartRate
VariabilitySDNN`` (ms), ``HKQuantityTypeIdentifierBloodGlucose`` (mg/dL, or mmol/L written
``mmol<180.15588...>/L``) and ``HKCategoryTypeIdentifierSleepAnalysis`` (in bed, asleep,
awake, core, deep, REM); ``Workout`` elements become activity bouts. Other types are counted
(``other_type``), not read. Every date carries its own UTC offset
(``2024-03-31 08:00:00 +0200``), so travel across zones is exact record by record; local days
are computed in the zone the caller gives. Each top-level element is processed when it ends and
the tree is then cleared, so memory stays bounded by the accepted samples (see
``bench/importers.py``). iterparse reports no line numbers, so a malformed record is named by
its position and type (``Record #1234 (HKQuantityTypeIdentifierHeartRate)``); an XML syntax
error gives the line and column.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path

from bedside.domain import InputFormatError, SleepState
from bedside.sensors.health_import import HealthCollector, HealthImport
from bedside.sensors.local_time import check_zone
from bedside.sensors.record_time import TimeFormatError, parse_apple_time
from bedside.sensors.units import (
    GLUCOSE_PLAUSIBLE_MGDL,
    HEART_RATE_PLAUSIBLE_BPM,
    glucose_factor,
    glucose_unit_hint,
    heart_rate_factor,
)

__all__ = ["APPLE_SLEEP_STATES", "read_apple_health"]

_STEPS = "HKQuantityTypeIdentifierStepCount"
_HR = "HKQuantityTypeIdentifierHeartRate"
_HRV = "HKQuantityTypeIdentifierHeartRateVariabilitySDNN"
_GLUCOSE = "HKQuantityTypeIdentifierBloodGlucose"
_SLEEP = "HKCategoryTypeIdentifierSleepAnalysis"
_PREFIX = "HKCategoryValueSleepAnalysis"

APPLE_SLEEP_STATES: Mapping[str, SleepState] = {
    _PREFIX + "InBed": SleepState.IN_BED,
    _PREFIX + "Asleep": SleepState.ASLEEP,
    _PREFIX + "AsleepUnspecified": SleepState.ASLEEP,
    _PREFIX + "Awake": SleepState.AWAKE,
    _PREFIX + "AsleepCore": SleepState.ASLEEP_CORE,
    _PREFIX + "AsleepDeep": SleepState.ASLEEP_DEEP,
    _PREFIX + "AsleepREM": SleepState.ASLEEP_REM,
}


class _BadRecordError(Exception):
    """A malformed record: (reason, message, attribute)."""

    def __init__(self, reason: str, message: str, field: str) -> None:
        super().__init__(message)
        self.reason, self.message, self.field = reason, message, field


def _attr(a: Mapping[str, str], name: str) -> str:
    v = a.get(name)
    if v is None:
        raise _BadRecordError("missing_attribute", f"missing attribute {name!r}", name)
    return v


def _time(a: Mapping[str, str], name: str) -> int:
    try:
        return parse_apple_time(_attr(a, name))
    except TimeFormatError as exc:
        raise _BadRecordError("time", str(exc), name) from exc


def _number(a: Mapping[str, str]) -> float:
    text = _attr(a, "value")
    try:
        v = float(text)
    except ValueError:
        raise _BadRecordError("value", f"cannot read value {text!r} as a number", "value") from None
    if not math.isfinite(v) or v < 0:
        raise _BadRecordError("value", f"value {text!r} must be finite and non-negative", "value")
    return v


def _record(c: HealthCollector, a: Mapping[str, str]) -> None:
    kind = _attr(a, "type")
    if kind not in (_STEPS, _HR, _HRV, _GLUCOSE, _SLEEP):
        c.issues.note("other_type")
        return
    src = c.source_code(a.get("sourceName", ""))
    start = _time(a, "startDate")
    if kind == _SLEEP:
        end = _time(a, "endDate")
        state = APPLE_SLEEP_STATES.get(_attr(a, "value"))
        if state is None:
            raise _BadRecordError("value", f"unknown sleep analysis value {a['value']!r}", "value")
        if end < start:
            raise _BadRecordError("interval", "endDate is before startDate", "endDate")
        col = c.sleep
        col.start.append(start)
        col.end.append(end)
        col.src.append(src)
        col.v.append(float(state))
        col.extra.append(math.nan)
        return
    value = _number(a)
    unit = _attr(a, "unit")
    if kind == _STEPS:
        end = _time(a, "endDate")
        if unit != "count":
            raise _BadRecordError("unit", f"step count unit must be 'count', got {unit!r}", "unit")
        if end < start:
            raise _BadRecordError("interval", "endDate is before startDate", "endDate")
        steps = c.steps
        steps.start.append(start)
        steps.end.append(end)
        steps.v.append(value)
        steps.src.append(src)
        return
    if kind == _HR:
        f = heart_rate_factor(unit)
        lo, hi = HEART_RATE_PLAUSIBLE_BPM
        col_i = c.heart_rate
    elif kind == _HRV:
        f = 1.0 if unit == "ms" else None
        lo, hi = 0.0, 1000.0
        col_i = c.hrv
    else:
        f = glucose_factor(unit)
        lo, hi = GLUCOSE_PLAUSIBLE_MGDL
        col_i = c.glucose
    if f is None:
        raise _BadRecordError("unit", f"unit {unit!r} is not valid for {kind}", "unit")
    if not lo <= value * f <= hi:
        raise _BadRecordError(
            "implausible",
            f"value {value:g} {unit} is outside the plausible range {lo:g}-{hi:g}"
            + (glucose_unit_hint(value, f) if kind == _GLUCOSE else ""),
            "value",
        )
    col_i.t.append(start)
    col_i.v.append(value * f)
    col_i.src.append(src)
    if kind == _GLUCOSE:
        c.glucose_factor.append(f)


def _workout(c: HealthCollector, a: Mapping[str, str]) -> None:
    start, end = _time(a, "startDate"), _time(a, "endDate")
    if end < start:
        raise _BadRecordError("interval", "endDate is before startDate", "endDate")
    name = a.get("workoutActivityType", "HKWorkoutActivityTypeOther")
    bouts = c.bouts
    bouts.start.append(start)
    bouts.end.append(end)
    bouts.v.append(0.0)
    bouts.src.append(c.source_code(a.get("sourceName", "")))
    c.bout_names.append(name.removeprefix("HKWorkoutActivityType").lower())


def read_apple_health(
    path: Path,
    *,
    zone: str,
    patient_id: str | None = None,
    lenient: bool = False,
    source_priority: Sequence[str] = (),
) -> HealthImport:
    """Stream an Apple Health ``export.xml``.

    Parameters
    ----------
    path : Path
    zone : str
        The patient's home IANA zone (local days); record instants use their own offsets.
    patient_id : str or None
        Defaults to the parent folder's name (exports unpack to ``apple_health_export/``).
    lenient : bool
        Drop malformed records (counted) instead of raising.
    source_priority : sequence of str
        ``sourceName`` values, preferred first (e.g. the watch before the phone), for
        duplicates and overlaps; other sources follow by name.

    Returns
    -------
    HealthImport

    Raises
    ------
    InputFormatError
        XML syntax errors (line and column), a root element other than ``HealthData``, and in
        strict mode malformed records (position, type and attribute).
    """
    path = Path(path)
    source = str(path)
    check_zone(zone, source)
    c = HealthCollector(source, lenient=lenient)
    depth = 0
    index = 0
    root: ET.Element | None = None
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            if event == "start":
                depth += 1
                if root is None:
                    root = elem
                    if elem.tag != "HealthData":
                        raise InputFormatError(
                            source, f"root element is <{elem.tag}>, expected <HealthData>"
                        )
                continue
            depth -= 1
            if depth != 1:
                continue
            tag = elem.tag
            if tag in ("Record", "Workout"):
                index += 1
                c.records_read += 1
                try:
                    (_record if tag == "Record" else _workout)(c, elem.attrib)
                except _BadRecordError as bad:
                    kind = elem.attrib.get("type", elem.attrib.get("workoutActivityType", "?"))
                    c.issues.problem(
                        bad.reason,
                        bad.message,
                        element=f"<{tag}> #{index} ({kind})",
                        field=bad.field,
                    )
            assert root is not None
            root.clear()
    except ET.ParseError as exc:
        line, column = exc.position
        raise InputFormatError(
            source, f"XML syntax error at column {column}: {exc}", line=line
        ) from exc
    except OSError as exc:
        raise InputFormatError(source, f"cannot read file ({exc.strerror})") from exc
    if root is None:
        raise InputFormatError(source, "empty file, expected <HealthData>")
    pid = patient_id if patient_id is not None else (path.parent.name or path.stem)
    return c.build(pid, zone, source_priority)
