"""Patient stub and Device resources: the patient's device, the risk model, the protocol engine.

Resources are plain JSON dicts (FHIR R4 / R4B); ids are uuid5 of their business identifiers, so
the same patient, device, model or protocol always maps to the same resource id.
"""

from __future__ import annotations

from typing import Any

from bedside.fhir.codes import SID, identifier, resource_id

__all__ = [
    "device_ref",
    "engine_device",
    "engine_ref",
    "model_device",
    "model_ref",
    "patient_device",
    "patient_ref",
    "patient_stub",
]


def patient_ref(patient_id: str) -> str:
    """Literal reference ``Patient/<uuid>`` of a Bedside patient id."""
    return f"Patient/{resource_id(SID.patient, patient_id)}"


def device_ref(device_id: str) -> str:
    return f"Device/{resource_id(SID.device, device_id)}"


def _model_key(model_id: str, model_version: str) -> str:
    return f"{model_id}|{model_version}"


def model_ref(model_id: str, model_version: str) -> str:
    return f"Device/{resource_id(SID.model, _model_key(model_id, model_version))}"


def _engine_key(protocol_id: str, protocol_version: str) -> str:
    return f"{protocol_id}|{protocol_version}"


def engine_ref(protocol_id: str, protocol_version: str) -> str:
    return f"Device/{resource_id(SID.engine, _engine_key(protocol_id, protocol_version))}"


def patient_stub(patient_id: str) -> dict[str, Any]:
    """A Patient carrying only Bedside's pseudonymous patient identifier (no demographics)."""
    return {
        "resourceType": "Patient",
        "id": resource_id(SID.patient, patient_id),
        "identifier": [identifier(SID.patient, patient_id)],
        "active": True,
    }


def patient_device(device_id: str, patient_id: str) -> dict[str, Any]:
    """The patient's device (phone companion, hub or wearable gateway) that computed findings."""
    return {
        "resourceType": "Device",
        "id": resource_id(SID.device, device_id),
        "identifier": [identifier(SID.device, device_id)],
        "status": "active",
        "deviceName": [{"name": device_id, "type": "user-friendly-name"}],
        "patient": {"reference": patient_ref(patient_id)},
    }


def model_device(model_id: str, model_version: str) -> dict[str, Any]:
    """The episode-risk model as a software Device with its id and version."""
    key = _model_key(model_id, model_version)
    return {
        "resourceType": "Device",
        "id": resource_id(SID.model, key),
        "identifier": [identifier(SID.model, key)],
        "status": "active",
        "deviceName": [{"name": model_id, "type": "model-name"}],
        "version": [{"value": model_version}],
        "type": {"text": "Episode-risk model (software)"},
    }


def engine_device(protocol_id: str, protocol_version: str, protocol_hash: str) -> dict[str, Any]:
    """The recommendation engine running one protocol version, as a software Device."""
    key = _engine_key(protocol_id, protocol_version)
    return {
        "resourceType": "Device",
        "id": resource_id(SID.engine, key),
        "identifier": [identifier(SID.engine, key)],
        "status": "active",
        "deviceName": [{"name": f"Bedside protocol {protocol_id}", "type": "model-name"}],
        "version": [{"value": protocol_version}],
        "type": {"text": "Clinical decision support protocol engine (software)"},
        "note": [{"text": f"protocol sha256 {protocol_hash}"}],
    }
