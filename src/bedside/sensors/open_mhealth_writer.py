"""Daily biomarkers as Open mHealth / IEEE 1752.1 data points (JSON Lines), and back.

Each non-missing value of a :class:`~bedside.domain.DailyBiomarkerTable` becomes one data point
whose ``effective_time_frame`` is the patient's local day (midnight to midnight, each end with
its own UTC offset). Where an Open mHealth schema means the same quantity it is used
(``omh:heart-rate:2.0`` for mean and resting heart rate, ``omh:blood-glucose:3.0`` for mean
glucose, with ``descriptive_statistic``; ``omh:total-sleep-time:1.0`` for sleep duration);
every other biomarker uses the ``bedside`` namespace with the biomarker id as schema name and
``{"value", "unit"}`` in its registry (UCUM) unit. Every body also carries
``bedside_biomarker`` (the id) and ``bedside_coverage``, and every header
``acquisition_provenance.source_name = "bedside"``, so a reader can tell computed summaries from
raw data. Ids are UUID 5 of patient, date and biomarker: rewriting a table gives the same ids.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from bedside.domain import BiomarkerSpec, DailyBiomarkerTable, InputFormatError, PatientId
from bedside.sensors.json_stream import iter_json_values
from bedside.sensors.open_mhealth import BEDSIDE_SOURCE_NAME
from bedside.sensors.record_time import TimeFormatError, parse_iso_time

__all__ = ["daily_data_points", "read_daily_data_points", "write_daily_data_points"]

_STANDARD: Mapping[str, tuple[str, str, str, dict[str, str]]] = {
    # biomarker id -> (schema name, version, body key, extra body fields)
    "cardiac.mean_hr_bpm": (
        "heart-rate",
        "2.0",
        "heart_rate",
        {"descriptive_statistic": "average"},
    ),
    "cardiac.resting_hr_bpm": (
        "heart-rate",
        "2.0",
        "heart_rate",
        {
            "descriptive_statistic": "minimum",
            "temporal_relationship_to_physical_activity": "at rest",
        },
    ),
    "glucose.mean_mgdl": (
        "blood-glucose",
        "3.0",
        "blood_glucose",
        {"descriptive_statistic": "average"},
    ),
    "sleep.duration_min": ("total-sleep-time", "1.0", "total_sleep_time", {}),
}
_OMH_UNIT = {"/min": "beats/min", "mg/dL": "mg/dL", "min": "min"}
_NAMESPACE = uuid.UUID("6f1d6a52-93f5-4d4f-9d4b-0c5b3c1f8e21")


def _iso(day: dt.date, tz: ZoneInfo) -> str:
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz).isoformat()


def daily_data_points(
    table: DailyBiomarkerTable, specs: Mapping[str, BiomarkerSpec]
) -> Iterator[dict[str, Any]]:
    """Data points for every non-missing value of `table`, day by day in column order.

    Parameters
    ----------
    table : DailyBiomarkerTable
    specs : mapping of str to BiomarkerSpec
        The registry (units and modalities); every column of `table` must be in it.

    Raises
    ------
    InputFormatError
        When a column is not in `specs`.
    """
    tz = ZoneInfo(table.zone)
    for key in table.values:
        if key not in specs:
            raise InputFormatError("daily table", "biomarker not in the registry", field=key)
    for i, day in enumerate(table.date_list()):
        frame = {
            "time_interval": {
                "start_date_time": _iso(day, tz),
                "end_date_time": _iso(day + dt.timedelta(days=1), tz),
            }
        }
        for key, column in table.values.items():
            value = float(column[i])
            if math.isnan(value):
                continue
            spec = specs[key]
            cov = table.coverage.get(spec.modality)
            coverage = None if cov is None else float(cov[i])
            standard = _STANDARD.get(key)
            if standard is not None:
                name, version, body_key, extra = standard
                body: dict[str, Any] = {
                    body_key: {"value": value, "unit": _OMH_UNIT[spec.unit]},
                    **extra,
                }
                namespace = "omh"
            else:
                name, version, namespace = key, "1.0", "bedside"
                body = {"value": {"value": value, "unit": spec.unit}}
            body["effective_time_frame"] = frame
            body["bedside_biomarker"] = key
            body["bedside_coverage"] = coverage
            yield {
                "header": {
                    "uuid": str(uuid.uuid5(_NAMESPACE, f"{table.patient_id}/{day}/{key}")),
                    "schema_id": {"namespace": namespace, "name": name, "version": version},
                    "source_creation_date_time": frame["time_interval"]["end_date_time"],
                    "modality": "sensed",
                    "acquisition_provenance": {
                        "source_name": BEDSIDE_SOURCE_NAME,
                        "modality": "sensed",
                    },
                    "user_id": str(table.patient_id),
                },
                "body": body,
            }


def write_daily_data_points(
    table: DailyBiomarkerTable, specs: Mapping[str, BiomarkerSpec], path: Path
) -> int:
    """Write :func:`daily_data_points` as JSON Lines; returns the number of data points."""
    n = 0
    with Path(path).open("w", encoding="utf-8") as out:
        for point in daily_data_points(table, specs):
            out.write(json.dumps(point, separators=(",", ":"), allow_nan=False))
            out.write("\n")
            n += 1
    return n


def read_daily_data_points(path: Path, *, patient_id: str, zone: str) -> DailyBiomarkerTable:
    """Rebuild a daily table from data points written by :func:`write_daily_data_points`.

    Data points without ``bedside_biomarker`` are ignored. Coverage is restored per modality
    only for what the points carry, so a modality whose values were all missing is absent.

    Raises
    ------
    InputFormatError
        Malformed JSON or a data point whose time frame or value cannot be read (line).
    """
    path = Path(path)
    tz = ZoneInfo(zone)
    rows: dict[tuple[dt.date, str], float] = {}
    for _, line, point in iter_json_values(path):
        body = point.get("body") if isinstance(point, dict) else None
        if not isinstance(body, dict) or "bedside_biomarker" not in body:
            continue
        key = str(body["bedside_biomarker"])
        try:
            start = parse_iso_time(body["effective_time_frame"]["time_interval"]["start_date_time"])
            quantity = next(v for k, v in body.items() if isinstance(v, dict) and "value" in v)
            value = float(quantity["value"])
        except (KeyError, TypeError, ValueError, StopIteration, TimeFormatError) as exc:
            raise InputFormatError(
                str(path), f"unreadable bedside data point ({exc})", line=line
            ) from exc
        local = start.astimezone(tz).date() if start.tzinfo else start.date()
        rows[(local, key)] = value
    if not rows:
        return DailyBiomarkerTable(PatientId(patient_id), zone, np.array([], dtype="datetime64[D]"))
    days = sorted({d for d, _ in rows})
    first = np.datetime64(days[0], "D")
    n = (days[-1] - days[0]).days + 1
    keys = list(dict.fromkeys(k for _, k in rows))
    values = {k: np.full(n, np.nan) for k in keys}
    for (day, key), value in rows.items():
        values[key][(day - days[0]).days] = value
    return DailyBiomarkerTable(
        patient_id=PatientId(patient_id),
        zone=zone,
        dates=np.arange(first, first + n),
        values=values,
    )
