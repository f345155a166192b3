"""A patient's consent to share Bedside findings with the clinic -> FHIR Consent.

Scope ``patient-privacy``, category LOINC 59284-0, policy rule ``OPTIN``; one ``permit``
provision for the consent period, purpose ``TREAT`` (treatment), limited to the data classes
the patient allowed (Bedside biomarker families, as codes of the biomarker CodeSystem). A
revoked consent keeps its resource with status ``inactive``: the record of what was allowed
when is never deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bedside.fhir.codes import (
    ACT_CODE_SYSTEM,
    ACT_REASON_SYSTEM,
    BIOMARKER_SYSTEM,
    CONSENT_SCOPE_SYSTEM,
    SID,
    identifier,
    loinc_coding,
    resource_id,
)
from bedside.fhir.participants import patient_ref

__all__ = ["consent_resource"]


def consent_resource(
    patient_id: str,
    consent_id: str,
    *,
    granted: dt.datetime,
    data_families: Sequence[str],
    until: dt.datetime | None = None,
    revoked: bool = False,
    organization: str = "Bedside clinic",
) -> dict[str, Any]:
    """One consent as a FHIR Consent.

    Parameters
    ----------
    patient_id : str
    consent_id : str
        Business identifier of the consent (e.g. the id of the patient's consent credential).
    granted : datetime
        Timezone-aware time the patient gave consent (``dateTime`` and provision start).
    data_families : sequence of str
        Biomarker families the clinic may receive (``sleep``, ``activity`` ...); at least one.
    until : datetime, optional
        End of the consent period.
    revoked : bool
        True once the patient withdrew consent (status ``inactive``).
    organization : str
        Name of the clinic the consent is given to.
    """
    if granted.tzinfo is None:
        raise ValueError("granted must be timezone-aware")
    if not data_families:
        raise ValueError("a consent must name at least one data family")
    period: dict[str, str] = {"start": granted.astimezone(dt.UTC).isoformat()}
    if until is not None:
        period["end"] = until.astimezone(dt.UTC).isoformat()
    return {
        "resourceType": "Consent",
        "id": resource_id(SID.consent, consent_id),
        "identifier": [identifier(SID.consent, consent_id)],
        "status": "inactive" if revoked else "active",
        "scope": {
            "coding": [
                {
                    "system": CONSENT_SCOPE_SYSTEM,
                    "code": "patient-privacy",
                    "display": "Privacy Consent",
                }
            ]
        },
        "category": [{"coding": [loinc_coding("59284-0")]}],
        "patient": {"reference": patient_ref(patient_id)},
        "dateTime": granted.astimezone(dt.UTC).isoformat(),
        "organization": [{"display": organization}],
        "policyRule": {
            "coding": [{"system": ACT_CODE_SYSTEM, "code": "OPTIN", "display": "opt-in"}]
        },
        "provision": {
            "type": "permit",
            "period": period,
            "purpose": [{"system": ACT_REASON_SYSTEM, "code": "TREAT", "display": "treatment"}],
            "class": [{"system": BIOMARKER_SYSTEM, "code": f} for f in sorted(set(data_families))],
        },
    }
