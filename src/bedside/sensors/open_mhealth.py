"""Open mHealth / IEEE 1752.1 data-point reader.

A data point is ``{"header": {..., "schema_id": {"namespace", "name", "version"}}, "body":
{...}}``; files may hold a JSON array of them, one of them, or JSON Lines (streamed, see
:mod:`bedside.sensors.json_stream`). Read schemas (namespace ``omh``): ``heart-rate``
(``heart_rate`` in beats/min), ``blood-glucose`` (mg/dL or mmol/L), ``step-count``
(``step_count`` as a number (1.0) or ``{value, unit}`` (2.0) over a time interval),
``physical-activity`` (``activity_name`` over an interval), ``total-sleep-time`` and its 1.0
name ``sleep-duration`` (minutes asleep within an interval), ``sleep-episode`` (an interval,
with ``total_sleep_time`` when given). Data points that are summaries of our own daily
biomarkers (written by :mod:`bedside.sensors.open_mhealth_writer`, recognisable by
``header.acquisition_provenance.source_name == "bedside"``) and other schemas are counted as
notes, not read as raw samples.

Time frames are ISO 8601 date-times with offsets (``date_time``) or intervals
(``time_interval`` with ``start_date_time`` and ``end_date_time``, or one of them and a
``duration``); each offset is honoured, so travel across zones is exact. A date-time without an
offset is read in the patient's zone. Instant samples with an interval take its start.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bedside.domain import SleepState
from bedside.sensors.health_import import HealthCollector, HealthImport
from bedside.sensors.json_stream import iter_json_values
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
    duration_to_min,
    glucose_factor,
    glucose_unit_hint,
    heart_rate_factor,
)

__all__ = ["BEDSIDE_SOURCE_NAME", "read_open_mhealth"]

BEDSIDE_SOURCE_NAME = "bedside"


class _BadPointError(Exception):
    def __init__(self, reason: str, message: str, field: str) -> None:
        super().__init__(message)
        self.reason, self.message, self.field = reason, message, field


def _get(obj: object, path: str) -> Any:
    cur: Any = obj
    for key in path.split("."):
        if not isinstance(cur, Mapping) or key not in cur:
            raise _BadPointError("missing_field", f"missing {path!r}", path)
        cur = cur[key]
    return cur


def _quantity(body: Mapping[str, Any], key: str) -> tuple[float, str]:
    q = _get(body, key)
    if isinstance(q, (int, float)) and not isinstance(q, bool):
        return float(q), ""
    value, unit = _get(q, "value"), _get(q, "unit")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise _BadPointError("value", f"{key}.value must be a finite number", f"body.{key}.value")
    if not isinstance(unit, str):
        raise _BadPointError("unit", f"{key}.unit must be a string", f"body.{key}.unit")
    return float(value), unit


class _Times:
    def __init__(self, home: str) -> None:
        self.home = zone_of(home)
        self.resolver = NaiveTimeResolver()

    def instant(self, text: object, field: str) -> int:
        if not isinstance(text, str):
            raise _BadPointError("time", "date-time must be a string", field)
        try:
            return self.resolver.to_utc(parse_iso_time(text), self.home)
        except TimeFormatError as exc:
            raise _BadPointError("time", str(exc), field) from exc

    def frame(self, body: Mapping[str, Any]) -> tuple[int, int]:
        """(start, end) UTC seconds of ``body.effective_time_frame`` (equal for an instant)."""
        tf = _get(body, "effective_time_frame")
        if isinstance(tf, Mapping) and "date_time" in tf:
            t = self.instant(tf["date_time"], "effective_time_frame.date_time")
            return t, t
        ti = _get(tf, "time_interval")
        path = "effective_time_frame.time_interval"
        start = self.instant(ti["start_date_time"], path) if "start_date_time" in ti else None
        end = self.instant(ti["end_date_time"], path) if "end_date_time" in ti else None
        if start is None or end is None:
            if "duration" not in ti or (start is None and end is None):
                raise _BadPointError(
                    "time", "time_interval needs two of start, end and duration", path
                )
            value, unit = _quantity(ti, "duration")
            minutes = duration_to_min(value, unit)
            if minutes is None or minutes < 0:
                raise _BadPointError("unit", f"unknown duration unit {unit!r}", path)
            seconds = round(minutes * 60.0)
            start = end - seconds if start is None and end is not None else start
            end = start + seconds if end is None and start is not None else end
        assert start is not None
        assert end is not None
        if end < start:
            raise _BadPointError("interval", "time_interval ends before it starts", path)
        return start, end


def _data_point(c: HealthCollector, times: _Times, point: object) -> None:
    header, body = _get(point, "header"), _get(point, "body")
    provenance = header.get("acquisition_provenance") if isinstance(header, Mapping) else None
    if isinstance(provenance, Mapping) and provenance.get("source_name") == BEDSIDE_SOURCE_NAME:
        c.issues.note("bedside_summary")
        return
    name = _get(header, "schema_id.name")
    src = ""
    if isinstance(provenance, Mapping) and isinstance(provenance.get("source_name"), str):
        src = provenance["source_name"]
    code = c.source_code(src)
    if name in ("heart-rate", "blood-glucose"):
        key = "heart_rate" if name == "heart-rate" else "blood_glucose"
        value, unit = _quantity(body, key)
        if name == "heart-rate":
            f, (lo, hi), col = heart_rate_factor(unit), HEART_RATE_PLAUSIBLE_BPM, c.heart_rate
        else:
            f, (lo, hi), col = glucose_factor(unit), GLUCOSE_PLAUSIBLE_MGDL, c.glucose
        if f is None:
            raise _BadPointError("unit", f"unit {unit!r} is not valid for {name}", f"body.{key}")
        if not lo <= value * f <= hi:
            raise _BadPointError(
                "implausible",
                f"{value:g} {unit} is outside the plausible range {lo:g}-{hi:g}"
                + (glucose_unit_hint(value, f) if name == "blood-glucose" else ""),
                f"body.{key}.value",
            )
        start, _ = times.frame(body)
        col.t.append(start)
        col.v.append(value * f)
        col.src.append(code)
        if name == "blood-glucose":
            c.glucose_factor.append(f)
    elif name == "step-count":
        value, unit = _quantity(body, "step_count")
        if unit not in ("", "steps", "count") or value < 0:
            raise _BadPointError("unit", f"step_count must be steps >= 0, got {unit!r}", "body")
        start, end = times.frame(body)
        steps = c.steps
        steps.start.append(start)
        steps.end.append(end)
        steps.v.append(value)
        steps.src.append(code)
    elif name in ("total-sleep-time", "sleep-duration", "sleep-episode"):
        start, end = times.frame(body)
        key = "sleep_duration" if name == "sleep-duration" else "total_sleep_time"
        asleep = math.nan
        if name != "sleep-episode" or key in body:
            value, unit = _quantity(body, key)
            minutes = duration_to_min(value, unit)
            if minutes is None or minutes < 0 or minutes * 60 > (end - start) + 60:
                raise _BadPointError(
                    "value", f"{key} {value:g} {unit} does not fit its time interval", key
                )
            asleep = minutes
        sleep = c.sleep
        sleep.start.append(start)
        sleep.end.append(end)
        sleep.src.append(code)
        state = SleepState.ASLEEP if name == "sleep-episode" else SleepState.IN_BED
        sleep.v.append(float(state))
        sleep.extra.append(asleep)
    elif name == "physical-activity":
        activity = _get(body, "activity_name")
        if not isinstance(activity, str):
            raise _BadPointError("value", "activity_name must be a string", "activity_name")
        start, end = times.frame(body)
        bouts = c.bouts
        bouts.start.append(start)
        bouts.end.append(end)
        bouts.v.append(0.0)
        bouts.src.append(code)
        c.bout_names.append(activity)
    else:
        c.issues.note(f"other_schema:{name}")


def read_open_mhealth(
    path: Path,
    *,
    zone: str,
    patient_id: str | None = None,
    lenient: bool = False,
    source_priority: Sequence[str] = (),
) -> HealthImport:
    """Read Open mHealth / IEEE 1752.1 data points.

    Parameters
    ----------
    path : Path
        ``.json`` (array or one data point) or ``.jsonl``/``.ndjson``.
    zone : str
        The patient's IANA zone (local days; date-times without offset).
    patient_id : str or None
        Defaults to the file stem.
    lenient : bool
        Drop malformed data points (counted) instead of raising.
    source_priority : sequence of str
        ``acquisition_provenance.source_name`` values, preferred first.

    Returns
    -------
    HealthImport

    Raises
    ------
    InputFormatError
        Malformed JSON (line), and in strict mode malformed data points (position, line and
        JSON path).
    """
    path = Path(path)
    source = str(path)
    check_zone(zone, source)
    c = HealthCollector(source, lenient=lenient)
    times = _Times(zone)
    for position, line, point in iter_json_values(path):
        c.records_read += 1
        try:
            _data_point(c, times, point)
        except _BadPointError as bad:
            c.issues.problem(
                bad.reason,
                bad.message,
                line=line,
                element=f"data point #{position}",
                field=bad.field,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            c.issues.problem(
                "structure",
                f"unexpected structure ({exc!r})",
                line=line,
                element=f"data point #{position}",
            )
    return c.build(patient_id if patient_id is not None else path.stem, zone, source_priority)
