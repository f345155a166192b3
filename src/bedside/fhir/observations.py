"""Daily biomarker values -> FHIR Observation (one per non-missing patient-day value)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from bedside.biomarkers.registry import get_spec
from bedside.domain import DailyBiomarkerTable, InputFormatError
from bedside.fhir.codes import (
    OBSERVATION_CATEGORY_SYSTEM,
    SID,
    UCUM_SYSTEM,
    VITAL_SIGN_LOINC,
    biomarker_coding,
    identifier,
    resource_id,
)
from bedside.fhir.participants import device_ref, patient_ref

__all__ = [
    "ACTIVITY_CATEGORY",
    "SURVEY_CATEGORY",
    "VITAL_SIGNS_CATEGORY",
    "biomarker_category",
    "biomarker_observation",
    "biomarker_observation_key",
    "biomarker_observation_ref",
    "biomarker_observations",
    "local_day_period",
]

ACTIVITY_CATEGORY: dict[str, Any] = {
    "coding": [{"system": OBSERVATION_CATEGORY_SYSTEM, "code": "activity", "display": "Activity"}]
}
VITAL_SIGNS_CATEGORY: dict[str, Any] = {
    "coding": [
        {"system": OBSERVATION_CATEGORY_SYSTEM, "code": "vital-signs", "display": "Vital Signs"}
    ]
}
SURVEY_CATEGORY: dict[str, Any] = {
    "coding": [{"system": OBSERVATION_CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}]
}
_VITAL_FAMILIES = frozenset({"cardiac", "heart", "hrv", "weight", "body"})


def biomarker_category(biomarker_id: str) -> dict[str, Any]:
    """Observation category of a biomarker: ``vital-signs`` for heart rate, HRV and body
    weight (by LOINC code or family), ``activity`` for everything else a wearable measures."""
    spec = get_spec(biomarker_id)
    if spec.loinc in VITAL_SIGN_LOINC or spec.family in _VITAL_FAMILIES:
        return VITAL_SIGNS_CATEGORY
    return ACTIVITY_CATEGORY


def local_day_period(day: dt.date, zone: str, last_day: dt.date | None = None) -> dict[str, str]:
    """FHIR Period covering local days `day`..`last_day` (inclusive) in the IANA `zone`.

    Timestamps carry the zone's UTC offset at each end (``2026-03-29T00:00:00+01:00`` to
    ``2026-03-30T00:00:00+02:00`` across a clock change); the end is the next local midnight.
    """
    tz = ZoneInfo(zone)
    end_day = (last_day or day) + dt.timedelta(days=1)

    def midnight(d: dt.date) -> str:
        wall = dt.datetime.combine(d, dt.time(0), tzinfo=tz)
        return wall.astimezone(dt.UTC).astimezone(tz).isoformat()  # normalise skipped midnights

    return {"start": midnight(day), "end": midnight(end_day)}


def biomarker_observation_key(patient_id: str, day: dt.date, biomarker_id: str) -> str:
    """Business identifier value of one patient-day biomarker value."""
    return f"{patient_id}/{day.isoformat()}/{biomarker_id}"


def biomarker_observation_ref(patient_id: str, day: dt.date, biomarker_id: str) -> str:
    key = biomarker_observation_key(patient_id, day, biomarker_id)
    return f"Observation/{resource_id(SID.biomarker_observation, key)}"


def biomarker_observation(
    patient_id: str,
    day: dt.date,
    zone: str,
    biomarker_id: str,
    value: float,
    device_id: str,
) -> dict[str, Any]:
    """One daily biomarker value as a final activity Observation.

    Parameters
    ----------
    patient_id : str
    day : date
        The patient's local day the value belongs to.
    zone : str
        IANA zone of the patient's local day.
    biomarker_id : str
        Registry id; its LOINC code (when any) and UCUM unit are used.
    value : float
        Value in the registry unit; must be finite.
    device_id : str
        The device that computed it.
    """
    spec = get_spec(biomarker_id)
    if not math.isfinite(value):
        raise InputFormatError(f"biomarker value of {patient_id}", "not finite", field=spec.id)
    key = biomarker_observation_key(patient_id, day, spec.id)
    return {
        "resourceType": "Observation",
        "id": resource_id(SID.biomarker_observation, key),
        "identifier": [identifier(SID.biomarker_observation, key)],
        "status": "final",
        "category": [biomarker_category(spec.id)],
        "code": {"coding": biomarker_coding(spec.id), "text": spec.display},
        "subject": {"reference": patient_ref(patient_id)},
        "effectivePeriod": local_day_period(day, zone),
        "valueQuantity": {
            "value": float(value),
            "unit": spec.unit,
            "system": UCUM_SYSTEM,
            "code": spec.unit,
        },
        "device": {"reference": device_ref(device_id)},
    }


def biomarker_observations(
    table: DailyBiomarkerTable,
    device_id: str,
    *,
    biomarkers: Iterable[str] | None = None,
    days: Iterable[dt.date] | None = None,
) -> list[dict[str, Any]]:
    """Observations for every non-missing value of a daily table (NaN values are skipped).

    Parameters
    ----------
    table : DailyBiomarkerTable
    device_id : str
    biomarkers : iterable of str, optional
        Restrict to these biomarker ids (default: every column).
    days : iterable of date, optional
        Restrict to these local days (default: every row).

    Returns
    -------
    list of dict
        In row order, then column order.

    Raises
    ------
    InputFormatError
        For a column whose id is not in the biomarker registry.
    """
    wanted = list(table.values) if biomarkers is None else list(biomarkers)
    for bid in wanted:
        try:
            get_spec(bid)
        except KeyError:
            raise InputFormatError(
                f"daily table of {table.patient_id}", "not in the biomarker registry", field=bid
            ) from None
    day_filter = None if days is None else set(days)
    out: list[dict[str, Any]] = []
    for i, day in enumerate(table.date_list()):
        if day_filter is not None and day not in day_filter:
            continue
        for bid in wanted:
            column = table.values.get(bid)
            if column is None or math.isnan(float(column[i])):
                continue
            out.append(
                biomarker_observation(
                    table.patient_id, day, table.zone, bid, float(column[i]), device_id
                )
            )
    return out
