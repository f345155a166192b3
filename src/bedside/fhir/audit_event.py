"""AuditEvent for every read and write of patient data, in the style of IHE BALP.

IHE Basic Audit Log Patterns (BALP) profile a RESTful access as: ``type`` = audit-event-type
``rest``; ``subtype`` = the FHIR restful-interaction (``read``, ``search-type``, ``create``,
``update``, ``transaction``...); ``action`` C/R/U/D/E; ``outcome`` 0 (success), 4 (minor
failure, e.g. a rejected request), 8 (serious failure); agents for the client (requestor, DICOM
110153 Source Role ID) and the server (DICOM 110152 Destination Role ID); ``source`` = the
observing system; entities for the patient (audit-entity-type 1 Person, object-role 1 Patient)
and for each resource touched (type 2 System Object, role 4 Domain Resource).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from bedside.fhir.codes import (
    AUDIT_ENTITY_TYPE_SYSTEM,
    AUDIT_EVENT_TYPE_SYSTEM,
    DICOM_SYSTEM,
    OBJECT_ROLE_SYSTEM,
    RESTFUL_INTERACTION_SYSTEM,
    SECURITY_SOURCE_TYPE_SYSTEM,
)

__all__ = ["AUDIT_ACTIONS", "AUDIT_OUTCOMES", "audit_event"]

AUDIT_ACTIONS: dict[str, str] = {
    "create": "C",
    "read": "R",
    "vread": "R",
    "search-type": "E",
    "search": "E",
    "update": "U",
    "patch": "U",
    "delete": "D",
    "transaction": "E",
    "batch": "E",
    "operation": "E",
}
"""restful-interaction code -> AuditEvent.action (BALP uses E for search and transactions)."""

AUDIT_OUTCOMES = {"success": "0", "minor-failure": "4", "serious-failure": "8"}


def audit_event(
    *,
    interaction: str,
    recorded: dt.datetime,
    client: str,
    server: str,
    outcome: str = "success",
    patient_ref: str | None = None,
    entities: Sequence[str] = (),
    outcome_desc: str | None = None,
    client_is_reference: bool = False,
    query: str | None = None,
) -> dict[str, Any]:
    """One AuditEvent for a REST interaction on patient data.

    Parameters
    ----------
    interaction : str
        FHIR restful-interaction code (a key of :data:`AUDIT_ACTIONS`).
    recorded : datetime
        Timezone-aware time of the event.
    client : str
        Who asked: a literal reference (``Device/<id>``) when `client_is_reference`, else an
        identifier such as the JWT ``iss`` of an EHR or a Backend Services client id.
    server : str
        The system that served the request (its base URL), also the audit ``source``.
    outcome : str
        ``success``, ``minor-failure`` or ``serious-failure``.
    patient_ref : str, optional
        ``Patient/<id>`` of the patient whose data was touched.
    entities : sequence of str
        References of the resources read or written.
    outcome_desc : str, optional
        Why it failed (for 400/401 answers).
    query : str, optional
        The search or hook request, kept as the entity's ``description`` (no payloads).
    """
    if recorded.tzinfo is None:
        raise ValueError("recorded must be timezone-aware")
    if interaction not in AUDIT_ACTIONS:
        raise ValueError(f"unknown restful interaction {interaction!r}")
    if outcome not in AUDIT_OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    who: dict[str, Any] = (
        {"reference": client} if client_is_reference else {"identifier": {"value": client}}
    )
    when = recorded.astimezone(dt.UTC).isoformat()
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": str(uuid.uuid4()),  # every event is a new record, even for identical requests
        "type": {"system": AUDIT_EVENT_TYPE_SYSTEM, "code": "rest", "display": "RESTful Operation"},
        "subtype": [{"system": RESTFUL_INTERACTION_SYSTEM, "code": interaction}],
        "action": AUDIT_ACTIONS[interaction],
        "recorded": when,
        "outcome": AUDIT_OUTCOMES[outcome],
        "agent": [
            {
                "type": {
                    "coding": [
                        {"system": DICOM_SYSTEM, "code": "110153", "display": "Source Role ID"}
                    ]
                },
                "who": who,
                "requestor": True,
            },
            {
                "type": {
                    "coding": [
                        {"system": DICOM_SYSTEM, "code": "110152", "display": "Destination Role ID"}
                    ]
                },
                "who": {"display": server},
                "requestor": False,
                "network": {"address": server, "type": "5"},
            },
        ],
        "source": {
            "observer": {"display": server},
            "type": [
                {
                    "system": SECURITY_SOURCE_TYPE_SYSTEM,
                    "code": "4",
                    "display": "Application Server",
                }
            ],
        },
    }
    if outcome_desc:
        event["outcomeDesc"] = outcome_desc
    entity: list[dict[str, Any]] = []
    if patient_ref is not None:
        entity.append(
            {
                "what": {"reference": patient_ref},
                "type": {"system": AUDIT_ENTITY_TYPE_SYSTEM, "code": "1", "display": "Person"},
                "role": {"system": OBJECT_ROLE_SYSTEM, "code": "1", "display": "Patient"},
            }
        )
    for ref in entities:
        entity.append(
            {
                "what": {"reference": ref},
                "type": {
                    "system": AUDIT_ENTITY_TYPE_SYSTEM,
                    "code": "2",
                    "display": "System Object",
                },
                "role": {"system": OBJECT_ROLE_SYSTEM, "code": "4", "display": "Domain Resource"},
            }
        )
    if query is not None:
        entity.append(
            {
                "type": {
                    "system": AUDIT_ENTITY_TYPE_SYSTEM,
                    "code": "2",
                    "display": "System Object",
                },
                "role": {"system": OBJECT_ROLE_SYSTEM, "code": "24", "display": "Query"},
                "description": query,
            }
        )
    if entity:
        event["entity"] = entity
    return event
