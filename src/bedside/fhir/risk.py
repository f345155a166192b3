"""RiskEstimate -> FHIR RiskAssessment.

Representation choices (all valid R4/R4B):

* ``prediction.probabilityDecimal`` is the calibrated probability; ``prediction.whenRange`` is the
  horizon, 0-14 days (UCUM ``d``), so "now or within 14 days" is machine-readable.
* The uncertainty interval is the extension :data:`EXT_PROBABILITY_INTERVAL` on the prediction,
  with a ``valueRange`` (low/high as unitless quantities, UCUM ``1``), and repeated in ``note``.
* ``prediction.qualitativeRisk`` uses the HL7 risk-probability codes with cut points
  :data:`QUALITATIVE_CUTS`: low below 0.10, moderate from 0.10 to below 0.30, high from 0.30. These
  are fixed display bands for the EHR; they are *not* the protocol's action threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bedside.domain import RiskEstimate
from bedside.fhir.codes import (
    EXT_PROBABILITY_INTERVAL,
    RISK_MODEL_SYSTEM,
    RISK_PROBABILITY_SYSTEM,
    SID,
    UCUM_SYSTEM,
    identifier,
    resource_id,
)
from bedside.fhir.participants import model_ref, patient_ref

__all__ = [
    "OUTCOME_TEXT",
    "QUALITATIVE_CUTS",
    "qualitative_risk",
    "risk_assessment",
    "risk_assessment_key",
    "risk_assessment_ref",
]

OUTCOME_TEXT = "Depressive episode (PHQ-9 >= 10) now or within 14 days"
QUALITATIVE_CUTS: tuple[float, float] = (0.10, 0.30)
"""Probability cut points: below the first is low, below the second moderate, else high."""


def qualitative_risk(probability: float) -> str:
    """HL7 risk-probability code (``low``, ``moderate`` or ``high``) of a probability."""
    low_cut, high_cut = QUALITATIVE_CUTS
    if probability < low_cut:
        return "low"
    return "moderate" if probability < high_cut else "high"


def risk_assessment_key(patient_id: str, risk: RiskEstimate) -> str:
    return f"{patient_id}/{risk.as_of.isoformat()}/{risk.model_id}/{risk.model_version}"


def risk_assessment_ref(patient_id: str, risk: RiskEstimate) -> str:
    return (
        f"RiskAssessment/{resource_id(SID.risk_assessment, risk_assessment_key(patient_id, risk))}"
    )


def _unitless(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "1", "system": UCUM_SYSTEM, "code": "1"}


def risk_assessment(
    patient_id: str, risk: RiskEstimate, basis: Sequence[str] = ()
) -> dict[str, Any]:
    """One calibrated episode-risk estimate as a final RiskAssessment.

    Parameters
    ----------
    patient_id : str
    risk : RiskEstimate
    basis : sequence of str
        References to the trend and biomarker Observations the estimate rests on.
    """
    key = risk_assessment_key(patient_id, risk)
    qualitative = qualitative_risk(risk.probability)
    contributions = "; ".join(
        f"{c.biomarker} {c.contribution:+.2f} log-odds" for c in risk.contributions
    )
    assessment: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "id": resource_id(SID.risk_assessment, key),
        "identifier": [identifier(SID.risk_assessment, key)],
        "status": "final",
        "subject": {"reference": patient_ref(patient_id)},
        "occurrenceDateTime": risk.as_of.isoformat(),
        "method": {
            "coding": [
                {
                    "system": RISK_MODEL_SYSTEM,
                    "version": risk.model_version,
                    "code": risk.model_id,
                    "display": f"{risk.model_id} {risk.model_version}",
                }
            ],
            "text": f"{risk.model_id} version {risk.model_version}",
        },
        "performer": {"reference": model_ref(risk.model_id, risk.model_version)},
        "prediction": [
            {
                "extension": [
                    {
                        "url": EXT_PROBABILITY_INTERVAL,
                        "valueRange": {
                            "low": _unitless(risk.interval_low),
                            "high": _unitless(risk.interval_high),
                        },
                    }
                ],
                "outcome": {"text": OUTCOME_TEXT},
                "probabilityDecimal": risk.probability,
                "qualitativeRisk": {
                    "coding": [
                        {
                            "system": RISK_PROBABILITY_SYSTEM,
                            "code": qualitative,
                            "display": qualitative.capitalize() + " likelihood",
                        }
                    ]
                },
                "whenRange": {
                    "low": {"value": 0, "unit": "d", "system": UCUM_SYSTEM, "code": "d"},
                    "high": {"value": 14, "unit": "d", "system": UCUM_SYSTEM, "code": "d"},
                },
            }
        ],
        "note": [
            {
                "text": f"Calibrated probability {risk.probability:.3f}, interval "
                f"{risk.interval_low:.3f}-{risk.interval_high:.3f}. Top contributions: "
                f"{contributions or 'none reported'}."
            }
        ],
    }
    if basis:
        assessment["basis"] = [{"reference": r} for r in basis]
    return assessment
