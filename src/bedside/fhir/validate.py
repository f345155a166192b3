"""Validation of the FHIR resources Bedside emits: structure plus terminology.

Structure is checked with the fhir.resources R4B models (cardinality, types, no unknown
elements). fhir.resources does not check required code bindings, so Bedside adds its own checks:

* required codes: Observation/RiskAssessment ``status``, Task ``status``/``intent``/``priority``,
  Device ``status``, Bundle ``type`` and ``request.method``, Provenance ``entity.role``;
* every Coding of a curated HL7 CodeSystem uses a known code; every LOINC Coding is in
  :data:`~bedside.fhir.codes.LOINC_DISPLAYS` with its official display;
* every UCUM Quantity code is one of :data:`~bedside.fhir.ucum.EMITTED_UNITS` and parses as UCUM;
* in a Bundle, fullUrls are unique and every ``urn:uuid:`` reference resolves to an entry.

Errors name the resource (``Task/<id>``) and the path (``Task.priority``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from bedside.domain import BedsideError
from bedside.fhir.codes import (
    ACT_REASON_SYSTEM,
    AUDIT_ENTITY_TYPE_SYSTEM,
    AUDIT_EVENT_TYPE_SYSTEM,
    CONSENT_SCOPE_SYSTEM,
    DATA_OPERATION_SYSTEM,
    DICOM_SYSTEM,
    FLAG_CATEGORY_SYSTEM,
    INTERPRETATION_SYSTEM,
    LOINC_DISPLAYS,
    LOINC_SYSTEM,
    OBJECT_ROLE_SYSTEM,
    OBSERVATION_CATEGORY_SYSTEM,
    PROVENANCE_AGENT_SYSTEM,
    RESTFUL_INTERACTION_SYSTEM,
    RISK_PROBABILITY_SYSTEM,
    SECURITY_SOURCE_TYPE_SYSTEM,
    UCUM_SYSTEM,
)
from bedside.fhir.ucum import EMITTED_UNITS, UcumSyntaxError, parse_ucum

__all__ = ["FhirValidationError", "validate_bundle", "validate_resource"]

_OBS_STATUS = frozenset(
    {"registered", "preliminary", "final", "amended", "corrected", "cancelled"}
    | {"entered-in-error", "unknown"}
)
_PRIORITY = frozenset({"routine", "urgent", "asap", "stat"})
_REQUEST_STATUS = frozenset(
    {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
)
_REQUIRED_CODES: dict[tuple[str, str], frozenset[str]] = {
    ("Observation", "status"): _OBS_STATUS,
    ("RiskAssessment", "status"): _OBS_STATUS,
    ("Task", "status"): frozenset(
        {"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled"}
        | {"in-progress", "on-hold", "failed", "completed", "entered-in-error"}
    ),
    ("Task", "intent"): frozenset(
        {"unknown", "proposal", "plan", "order", "original-order", "reflex-order"}
        | {"filler-order", "instance-order", "option"}
    ),
    ("Task", "priority"): _PRIORITY,
    ("Device", "status"): frozenset({"active", "inactive", "entered-in-error", "unknown"}),
    ("Flag", "status"): frozenset({"active", "inactive", "entered-in-error"}),
    ("DetectedIssue", "status"): _OBS_STATUS,
    ("DetectedIssue", "severity"): frozenset({"high", "moderate", "low"}),
    ("CommunicationRequest", "status"): _REQUEST_STATUS,
    ("CommunicationRequest", "priority"): _PRIORITY,
    ("ServiceRequest", "status"): _REQUEST_STATUS,
    ("ServiceRequest", "intent"): frozenset(
        {"proposal", "plan", "directive", "order", "original-order", "reflex-order"}
        | {"filler-order", "instance-order", "option"}
    ),
    ("ServiceRequest", "priority"): _PRIORITY,
    ("Questionnaire", "status"): frozenset({"draft", "active", "retired", "unknown"}),
    ("QuestionnaireResponse", "status"): frozenset(
        {"in-progress", "completed", "amended", "entered-in-error", "stopped"}
    ),
    ("Consent", "status"): frozenset(
        {"draft", "proposed", "active", "rejected", "inactive", "entered-in-error"}
    ),
    ("AuditEvent", "action"): frozenset({"C", "R", "U", "D", "E"}),
    ("AuditEvent", "outcome"): frozenset({"0", "4", "8", "12"}),
    ("Bundle", "type"): frozenset(
        {"document", "message", "transaction", "transaction-response", "batch"}
        | {"batch-response", "history", "searchset", "collection"}
    ),
}
_REQUIRED_PRESENT: dict[str, tuple[str, ...]] = {
    "Observation": ("status",),
    "RiskAssessment": ("status",),
    "Task": ("status", "intent"),
    "Flag": ("status",),
    "DetectedIssue": ("status",),
    "CommunicationRequest": ("status",),
    "ServiceRequest": ("status", "intent"),
    "Questionnaire": ("status",),
    "QuestionnaireResponse": ("status",),
    "Consent": ("status", "scope", "category"),
}
_KNOWN_CODES: dict[str, frozenset[str]] = {
    OBSERVATION_CATEGORY_SYSTEM: frozenset(
        {"social-history", "vital-signs", "imaging", "laboratory", "procedure", "survey"}
        | {"exam", "therapy", "activity"}
    ),
    INTERPRETATION_SYSTEM: frozenset({"U", "D", "N", "H", "L", "A", "W", "B"}),
    RISK_PROBABILITY_SYSTEM: frozenset({"negligible", "low", "moderate", "high", "certain"}),
    FLAG_CATEGORY_SYSTEM: frozenset(
        {"diet", "drug", "lab", "admin", "contact", "clinical", "behavioral", "research"}
        | {"advance-directive", "safety"}
    ),
    CONSENT_SCOPE_SYSTEM: frozenset({"adr", "research", "patient-privacy", "treatment"}),
    AUDIT_EVENT_TYPE_SYSTEM: frozenset({"rest", "access", "export", "device"}),
    AUDIT_ENTITY_TYPE_SYSTEM: frozenset({"1", "2", "3", "4"}),
    OBJECT_ROLE_SYSTEM: frozenset({str(i) for i in range(1, 25)}),
    DICOM_SYSTEM: frozenset({"110150", "110151", "110152", "110153", "110154", "110155"}),
    SECURITY_SOURCE_TYPE_SYSTEM: frozenset({str(i) for i in range(1, 10)}),
    RESTFUL_INTERACTION_SYSTEM: frozenset(
        {"read", "vread", "update", "patch", "delete", "history", "history-instance"}
        | {"history-type", "history-system", "create", "search", "search-type"}
        | {"search-system", "capabilities", "transaction", "batch", "operation"}
    ),
    DATA_OPERATION_SYSTEM: frozenset({"CREATE", "DELETE", "UPDATE", "APPEND", "NULLIFY"}),
    ACT_REASON_SYSTEM: frozenset({"TREAT", "HPAYMT", "HOPERAT", "HRESCH", "PUBHLTH"}),
    PROVENANCE_AGENT_SYSTEM: frozenset(
        {"enterer", "performer", "author", "verifier", "legal", "attester", "informant"}
        | {"custodian", "assembler", "composer"}
    ),
}
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"})
_ENTITY_ROLES = frozenset({"derivation", "revision", "quotation", "source", "removal"})


class FhirValidationError(BedsideError, ValueError):
    """A generated FHIR resource is invalid.

    Attributes
    ----------
    resource : str
        ``<resourceType>/<id>`` of the offending resource.
    path : str
        FHIRPath-like location, e.g. ``Task.priority`` or ``Observation.component[0].code``.
    reason : str
    """

    def __init__(self, resource: str, path: str, message: str) -> None:
        self.resource = resource
        self.path = path
        self.reason = message
        super().__init__(f"{resource}: {path}: {message}")


def _label(resource: Mapping[str, Any]) -> str:
    return f"{resource.get('resourceType', '?')}/{resource.get('id', '?')}"


def _path(root: str, loc: tuple[int | str, ...]) -> str:
    out = root
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _walk(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every dict inside `node` with its path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def _check_terminology(resource: Mapping[str, Any], label: str, root: str) -> None:
    rtype = str(resource.get("resourceType"))
    for field in _REQUIRED_PRESENT.get(rtype, ()):
        if field not in resource:
            raise FhirValidationError(label, f"{root}.{field}", "required element is missing")
    for (type_name, field), allowed in _REQUIRED_CODES.items():
        if type_name == rtype and field in resource and resource[field] not in allowed:
            raise FhirValidationError(
                label, f"{root}.{field}", f"code {resource[field]!r} not in {sorted(allowed)}"
            )
    if rtype == "Consent":
        provision_type = (resource.get("provision") or {}).get("type")
        if provision_type is not None and provision_type not in ("deny", "permit"):
            raise FhirValidationError(
                label, f"{root}.provision.type", f"code {provision_type!r} not deny/permit"
            )
    if rtype == "Provenance":
        for i, entity in enumerate(resource.get("entity", [])):
            if entity.get("role") not in _ENTITY_ROLES:
                raise FhirValidationError(
                    label, f"{root}.entity[{i}].role", f"unknown role {entity.get('role')!r}"
                )
    for path, node in _walk(dict(resource), root):
        system, code = node.get("system"), node.get("code")
        if system == LOINC_SYSTEM:
            if code not in LOINC_DISPLAYS:
                raise FhirValidationError(label, path, f"LOINC {code!r} not in the curated table")
            if node.get("display") != LOINC_DISPLAYS[code]:
                raise FhirValidationError(
                    label,
                    f"{path}.display",
                    f"LOINC {code} display must be "
                    f"{LOINC_DISPLAYS[code]!r}, got {node.get('display')!r}",
                )
        elif system in _KNOWN_CODES and code not in _KNOWN_CODES[system]:
            raise FhirValidationError(label, f"{path}.code", f"{code!r} not a code of {system}")
        elif system == UCUM_SYSTEM:
            if code not in EMITTED_UNITS:
                raise FhirValidationError(
                    label, f"{path}.code", f"UCUM unit {code!r} not in the emitted set"
                )
            try:
                parse_ucum(str(code))
            except UcumSyntaxError as exc:
                raise FhirValidationError(label, f"{path}.code", str(exc)) from exc


def validate_resource(resource: Mapping[str, Any], root: str | None = None) -> None:
    """Validate one resource with the R4B model and Bedside's terminology checks.

    Parameters
    ----------
    resource : mapping
        A FHIR resource as a JSON dict.
    root : str, optional
        Path prefix for messages (default: the resource type).

    Raises
    ------
    FhirValidationError
        Naming the resource and the path of the first problem.
    """
    label = _label(resource)
    rtype = resource.get("resourceType")
    root = root or str(rtype)
    if not isinstance(rtype, str):
        raise FhirValidationError(label, f"{root}.resourceType", "missing resourceType")
    try:
        model = get_fhir_model_class(rtype)
    except (KeyError, ValueError, AttributeError, ImportError) as exc:
        raise FhirValidationError(label, f"{root}.resourceType", f"unknown type {rtype!r}") from exc
    try:
        model.model_validate(dict(resource))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FhirValidationError(label, _path(root, first["loc"]), first["msg"]) from exc
    _check_terminology(resource, label, root)


def validate_bundle(bundle: Mapping[str, Any]) -> None:
    """Validate a Bundle: the R4B model, every entry resource, requests and internal references.

    Raises
    ------
    FhirValidationError
        Naming the entry's resource and the path (``Bundle.entry[3].resource.status``).
    """
    validate_resource(bundle)
    label = _label(bundle)
    entries = bundle.get("entry", [])
    full_urls = [e.get("fullUrl") for e in entries]
    for i, entry in enumerate(entries):
        root = f"Bundle.entry[{i}]"
        if full_urls.count(entry.get("fullUrl")) > 1:
            raise FhirValidationError(label, f"{root}.fullUrl", "duplicate fullUrl")
        resource = entry.get("resource")
        if resource is None:
            raise FhirValidationError(label, f"{root}.resource", "entry without resource")
        validate_resource(resource, root=f"{root}.resource")
        request = entry.get("request")
        is_transaction = bundle.get("type") in ("transaction", "batch")
        if is_transaction and (request is None or request.get("method") not in _METHODS):
            raise FhirValidationError(
                _label(resource), f"{root}.request.method", "missing or invalid method"
            )
        for path, node in _walk(resource, f"{root}.resource"):
            ref = node.get("reference")
            if isinstance(ref, str) and ref.startswith("urn:uuid:") and ref not in full_urls:
                raise FhirValidationError(
                    _label(resource), f"{path}.reference", f"{ref} does not resolve in the bundle"
                )
