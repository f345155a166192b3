"""Provenance for generated resources: who produced it (device, model, protocol) and from what.

Agents are Device references with HL7 provenance-participant-type codes: the patient's device
``assembler`` (it computed the values), the risk model ``performer`` of a RiskAssessment, and the
recommendation engine (one Device per protocol version) ``author`` of a Task. The protocol's
canonical URL with ``|version`` goes in ``policy``. Entities (role ``source``) chain the evidence:
raw data stream (a logical reference: raw samples never leave the device) -> biomarker
Observation -> trend Observation -> RiskAssessment -> Task -> clinician outcome
(:func:`clinician_outcome_provenance`, agent = the clinician).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bedside.fhir.codes import (
    DATA_OPERATION_SYSTEM,
    FHIR_NAMESPACE,
    PROTOCOL_SYSTEM,
    PROVENANCE_AGENT_SYSTEM,
    SID,
)

__all__ = [
    "ProvenanceAgent",
    "RawSource",
    "clinician_outcome_provenance",
    "protocol_policy",
    "provenance",
]


@dataclass(frozen=True, slots=True)
class ProvenanceAgent:
    """One agent: a literal reference and its participation type code."""

    reference: str
    type: str  # performer | author | assembler | informant ...


@dataclass(frozen=True, slots=True)
class RawSource:
    """A raw data stream on the patient's device (``<device>/<modality>``) and its label."""

    stream_id: str
    display: str


def protocol_policy(protocol_id: str, protocol_version: str, protocol_hash: str) -> str:
    """Canonical URL of a protocol version (``...|<version>``) with the hash as fragment."""
    return f"{PROTOCOL_SYSTEM}/{protocol_id}|{protocol_version}#sha256={protocol_hash}"


def provenance(
    target: str,
    recorded: dt.datetime,
    agents: Sequence[ProvenanceAgent],
    sources: Sequence[str] = (),
    policies: Sequence[str] = (),
    raw_sources: Sequence[RawSource] = (),
) -> dict[str, Any]:
    """A Provenance for one target resource.

    Parameters
    ----------
    target : str
        Literal reference of the generated resource (``Observation/<id>``).
    recorded : datetime
        When the provenance was recorded; timezone-aware.
    agents : sequence of ProvenanceAgent
        At least one.
    sources : sequence of str
        References of the resources the target was derived from (entity role ``source``).
    policies : sequence of str
        Protocol canonical URLs (see :func:`protocol_policy`).
    raw_sources : sequence of RawSource
        Raw data streams the target was computed from; they never leave the device, so they
        are logical references (identifier + display), not resources.
    """
    if recorded.tzinfo is None:
        raise ValueError("recorded must be timezone-aware")
    if not agents:
        raise ValueError("a Provenance needs at least one agent")
    prov: dict[str, Any] = {
        "resourceType": "Provenance",
        "id": str(uuid.uuid5(FHIR_NAMESPACE, f"provenance|{target}")),
        "target": [{"reference": target}],
        "recorded": recorded.astimezone(dt.UTC).isoformat(),
        "agent": [
            {
                "type": {"coding": [{"system": PROVENANCE_AGENT_SYSTEM, "code": a.type}]},
                "who": {"reference": a.reference},
            }
            for a in agents
        ],
    }
    if policies:
        prov["policy"] = list(policies)
    entities = [
        {
            "role": "source",
            "what": {
                "identifier": {"system": SID.raw_stream, "value": r.stream_id},
                "display": r.display,
            },
        }
        for r in raw_sources
    ] + [{"role": "source", "what": {"reference": s}} for s in sources]
    if entities:
        prov["entity"] = entities
    return prov


def clinician_outcome_provenance(
    task: str,
    *,
    clinician_id: str,
    when: dt.datetime,
    outcome: str,
    reason: str = "",
    policies: Sequence[str] = (),
) -> dict[str, Any]:
    """Provenance of a clinician's decision on a recommendation's Task (the chain's last link).

    Parameters
    ----------
    task : str
        ``Task/<id>`` of the recommendation.
    clinician_id : str
        The clinician's identifier (Bedside clinician system); agent type ``verifier``.
    when : datetime
        Timezone-aware time of the decision.
    outcome : str
        What the clinician did (``accepted``, ``overridden``, ``completed``, ``dismissed``).
    reason : str
        The clinician's reason (override reason), kept as ``reason.text``.
    policies : sequence of str
        Protocol canonical URLs the recommendation came from.
    """
    if when.tzinfo is None:
        raise ValueError("when must be timezone-aware")
    stamp = when.astimezone(dt.UTC).isoformat()
    prov: dict[str, Any] = {
        "resourceType": "Provenance",
        "id": str(
            uuid.uuid5(FHIR_NAMESPACE, f"provenance|{task}|{outcome}|{clinician_id}|{stamp}")
        ),
        "target": [{"reference": task}],
        "recorded": stamp,
        "activity": {
            "coding": [{"system": DATA_OPERATION_SYSTEM, "code": "UPDATE", "display": "revise"}],
            "text": f"clinician {outcome}",
        },
        "agent": [
            {
                "type": {"coding": [{"system": PROVENANCE_AGENT_SYSTEM, "code": "verifier"}]},
                "who": {
                    "identifier": {"system": SID.clinician, "value": clinician_id},
                    "display": f"clinician {clinician_id}",
                },
            }
        ],
        "entity": [{"role": "revision", "what": {"reference": task}}],
    }
    if reason:
        prov["reason"] = [{"text": reason}]
    if policies:
        prov["policy"] = list(policies)
    return prov
