"""Provenance for generated resources: who produced it (device, model, protocol) and from what.

Agents are Device references with HL7 provenance-participant-type codes: the patient's device
``assembler`` (it computed the values), the risk model ``performer`` of a RiskAssessment, and the
recommendation engine (one Device per protocol version) ``author`` of a Task. The protocol's
canonical URL with ``|version`` goes in ``policy``. Entities (role ``source``) chain the evidence:
biomarker Observation -> trend Observation -> RiskAssessment -> Task.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bedside.fhir.codes import FHIR_NAMESPACE, PROTOCOL_SYSTEM, PROVENANCE_AGENT_SYSTEM

__all__ = ["ProvenanceAgent", "protocol_policy", "provenance"]


@dataclass(frozen=True, slots=True)
class ProvenanceAgent:
    """One agent: a literal reference and its participation type code."""

    reference: str
    type: str  # performer | author | assembler | informant ...


def protocol_policy(protocol_id: str, protocol_version: str, protocol_hash: str) -> str:
    """Canonical URL of a protocol version (``...|<version>``) with the hash as fragment."""
    return f"{PROTOCOL_SYSTEM}/{protocol_id}|{protocol_version}#sha256={protocol_hash}"


def provenance(
    target: str,
    recorded: dt.datetime,
    agents: Sequence[ProvenanceAgent],
    sources: Sequence[str] = (),
    policies: Sequence[str] = (),
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
    if sources:
        prov["entity"] = [{"role": "source", "what": {"reference": s}} for s in sources]
    return prov
