"""Verified trend (TrendFinding) -> FHIR Observation with interpretation U (up) or D (down)
and W (worse) or B (better)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bedside.biomarkers.registry import get_spec
from bedside.domain import TrendDirection, TrendFinding
from bedside.fhir.codes import (
    INTERPRETATION_SYSTEM,
    SID,
    TREND_MEASURE_SYSTEM,
    TREND_SYSTEM,
    UCUM_SYSTEM,
    identifier,
    resource_id,
)
from bedside.fhir.observations import biomarker_category, local_day_period
from bedside.fhir.participants import device_ref, patient_ref

__all__ = ["trend_observation", "trend_observation_key", "trend_observation_ref"]

_INTERPRETATION = {
    TrendDirection.UP: ("U", "Significant change up"),
    TrendDirection.DOWN: ("D", "Significant change down"),
}


def trend_observation_key(patient_id: str, trend: TrendFinding) -> str:
    """Business identifier value: patient, biomarker, direction, onset and detection dates."""
    return (
        f"{patient_id}/{trend.biomarker}/{trend.direction.value}/"
        f"{trend.onset_date.isoformat()}/{trend.detection_date.isoformat()}"
    )


def trend_observation_ref(patient_id: str, trend: TrendFinding) -> str:
    key = trend_observation_key(patient_id, trend)
    return f"Observation/{resource_id(SID.trend_observation, key)}"


def _component(code: str, display: str, value: float, unit: str) -> dict[str, Any]:
    return {
        "code": {"coding": [{"system": TREND_MEASURE_SYSTEM, "code": code, "display": display}]},
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM_SYSTEM, "code": unit},
    }


def trend_observation(
    patient_id: str,
    trend: TrendFinding,
    zone: str,
    device_id: str,
    derived_from: Sequence[str] = (),
) -> dict[str, Any]:
    """One verified trend as an Observation.

    The code is the Bedside biomarker-trend CodeSystem (code = biomarker id); the components hold
    the size (registry unit), the robust z (unit ``1``), the detector's false-alarm rate
    (per patient-year, ``/a``), coverage (``1``) and days sustained (``d``). The effective period
    runs from the start of the onset day to the end of the detection day (local zone).

    Parameters
    ----------
    patient_id : str
    trend : TrendFinding
    zone : str
        IANA zone of the patient's local days.
    device_id : str
        The device whose detector found the trend.
    derived_from : sequence of str
        References to the biomarker Observations the trend rests on.
    """
    spec = get_spec(trend.biomarker)
    key = trend_observation_key(patient_id, trend)
    code, display = _INTERPRETATION[trend.direction]
    # W/B say whether the change is clinically worse or better for this patient (the registry's
    # direction of concern), which U/D alone cannot.
    worse, worse_text = ("W", "Worse") if trend.adverse else ("B", "Better")
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id(SID.trend_observation, key),
        "identifier": [identifier(SID.trend_observation, key)],
        "status": "final",
        "category": [biomarker_category(spec.id)],
        "code": {
            "coding": [
                {"system": TREND_SYSTEM, "code": spec.id, "display": f"Trend of {spec.display}"}
            ],
            "text": f"Verified trend: {spec.display}",
        },
        "subject": {"reference": patient_ref(patient_id)},
        "effectivePeriod": local_day_period(trend.onset_date, zone, trend.detection_date),
        "issued": local_day_period(trend.detection_date, zone)["end"],
        "interpretation": [
            {"coding": [{"system": INTERPRETATION_SYSTEM, "code": code, "display": display}]},
            {"coding": [{"system": INTERPRETATION_SYSTEM, "code": worse, "display": worse_text}]},
        ],
        "device": {"reference": device_ref(device_id)},
        "component": [
            _component("size", "Mean change since onset", trend.size, spec.unit),
            _component("robust-z", "Change in robust baseline SDs", trend.robust_z, "1"),
            _component(
                "false-alarm-rate",
                "Detector false-alarm rate per patient-year",
                trend.false_alarm_rate_per_year,
                "/a",
            ),
            _component("coverage", "Data coverage over the trend", trend.coverage, "1"),
            _component("days-sustained", "Days sustained", float(trend.days_sustained), "d"),
        ],
        "note": [
            {
                "text": "Direction of concern (adverse)."
                if trend.adverse
                else "Not the direction of concern."
            }
        ],
    }
    if derived_from:
        obs["derivedFrom"] = [{"reference": r} for r in derived_from]
    return obs
