"""A `MedicationRecord` as the FHIR R4 MedicationRequest an EHR would hold (simulated EHRs).

Used where Bedside plays the EHR's part -- the demo's clinic keeps its patients' medication
record in the FHIR store so the dashboard reads it the way it reads a real EHR's
(`bedside.fhir.ehr_context.read_ehr_context`): RxNorm ingredient coding plus the generic name as
text, ``authoredOn`` the local start (or dose-change) day, the daily dose as a text instruction.
"""

from __future__ import annotations

import uuid
from typing import Any

from bedside.domain import MedicationRecord
from bedside.fhir.codes import FHIR_NAMESPACE, RXNORM_SYSTEM
from bedside.fhir.participants import patient_ref

__all__ = ["medication_request"]


def medication_request(record: MedicationRecord) -> dict[str, Any]:
    """An active MedicationRequest (intent ``order``) for one medication start or dose change."""
    key = f"medication-request|{record.patient_id}|{record.name}|{record.start}|{record.kind}"
    concept: dict[str, Any] = {"text": record.name}
    if record.rxnorm:
        concept["coding"] = [
            {"system": RXNORM_SYSTEM, "code": record.rxnorm, "display": record.name}
        ]
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": str(uuid.uuid5(FHIR_NAMESPACE, key)),
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": concept,
        "subject": {"reference": patient_ref(record.patient_id)},
        "authoredOn": record.start.isoformat(),
    }
    if record.dose_mg_per_day is not None:
        change = " (dose change)" if record.kind == "dose_change" else ""
        resource["dosageInstruction"] = [{"text": f"{record.dose_mg_per_day:g} mg per day{change}"}]
    return resource
