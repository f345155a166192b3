"""Declarative, versioned clinical protocols: schema, loading and the canonical hash.

A protocol is data (a JSON file), not code: the recommendation engine reads its trigger
conditions, action text, priority, route and timing from it. Every recommendation records the
protocol's id, version and the sha256 of its canonical JSON, so an auditor can tell exactly which
rule produced it.

The risk threshold is a *calibrated probability* in (0, 1], not a score: a threshold of 0.30
means "fire when the model says that at least 30 in 100 patient-days like this one are in, or
within 14 days enter, a depressive episode (PHQ-9 >= 10)". Because the model is calibrated, the
threshold can be chosen from the clinic's capacity (expected contacts per week = sum of
probabilities above it over the caseload) and changed only by a new protocol version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bedside.domain import Priority, ProtocolError, Role

__all__ = [
    "Protocol",
    "ProtocolSchemaError",
    "SuppressionRules",
    "TriggerConditions",
    "builtin_protocol_names",
    "load_builtin_protocol",
    "load_protocol",
    "parse_protocol",
]

_PACKAGE = "bedside.clinical"
_FOLDER = "protocols"


class ProtocolSchemaError(ProtocolError):
    """A protocol definition failed validation.

    Parameters
    ----------
    source : str
        File or other origin of the definition.
    field : str
        Dotted path of the offending field (``trigger.risk_threshold``); ``<root>`` for
        whole-document problems.
    message : str
        What is wrong.
    """

    def __init__(self, source: str, field: str, message: str) -> None:
        self.source = source
        self.field = field
        self.reason = message
        super().__init__(f"{source}: field {field!r}: {message}")


class TriggerConditions(BaseModel):
    """When a protocol fires.

    Attributes
    ----------
    min_adverse_trends : int
        Minimum number of verified trends in the direction of concern.
    min_families : int
        Minimum number of distinct biomarker families among those trends (default 2), so that
        one noisy sensor cannot trigger on its own.
    min_days_sustained : int
        A trend counts only when sustained at least this many days (onset..detection).
    max_trend_age_days : int
        A trend counts only when detected at most this many days before the finding's date.
    risk_threshold : float
        Calibrated probability in (0, 1]; fires when ``probability >= risk_threshold``.
    risk_threshold_basis : str
        Why this value (capacity, calibration); shown to auditors.
    min_coverage : float
        Minimum data coverage in [0, 1], both of each counted trend (mean over onset..detection)
        and of the trends' modalities on the finding's day.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_adverse_trends: int = Field(default=2, ge=1)
    min_families: int = Field(default=2, ge=1)
    min_days_sustained: int = Field(default=1, ge=1)
    max_trend_age_days: int = Field(default=14, ge=0)
    risk_threshold: float = Field(gt=0, le=1)
    risk_threshold_basis: str = Field(min_length=1)
    min_coverage: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _families_le_trends(self) -> TriggerConditions:
        if self.min_families > self.min_adverse_trends:
            raise ValueError("min_families cannot exceed min_adverse_trends")
        return self


class SuppressionRules(BaseModel):
    """When a firing protocol must not raise a new recommendation.

    Attributes
    ----------
    one_open_per_patient : bool
        While a recommendation of this protocol is open (not expired) for the patient, new
        evidence updates it instead of adding another.
    dismissal_cooldown_days : int
        After a clinician dismissed a recommendation of this protocol, do not raise a new one
        for this many days (counted from the dismissed recommendation's creation).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    one_open_per_patient: bool = True
    dismissal_cooldown_days: int = Field(default=0, ge=0)


class Protocol(BaseModel):
    """A declarative, versioned clinical protocol (see the module docstring).

    Attributes
    ----------
    id : str
        Lower-case identifier, e.g. ``relapse_watch``.
    version : str
        Semantic version ``MAJOR.MINOR.PATCH``; bump it on every change.
    title, description : str
    trigger : TriggerConditions
    action : str
        What the clinician is advised to consider; must start with ``Consider`` (a
        recommendation, never an order).
    priority : Priority
    due_within_hours : int
        Due time after the recommendation is raised, hours.
    route : Role
        Who receives the recommendation.
    expiry_days : int
        Days after which an unanswered recommendation lapses; at least the due time.
    suppression : SuppressionRules
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    trigger: TriggerConditions
    action: str = Field(min_length=1, max_length=200)
    priority: Priority
    due_within_hours: int = Field(default=72, ge=1)
    route: Role
    expiry_days: int = Field(ge=1)
    suppression: SuppressionRules = Field(default_factory=SuppressionRules)

    @field_validator("action")
    @classmethod
    def _recommendation_wording(cls, action: str) -> str:
        if not action.startswith("Consider "):
            raise ValueError("action must be worded as a recommendation starting with 'Consider '")
        return action

    @model_validator(mode="after")
    def _expiry_after_due(self) -> Protocol:
        if self.expiry_days * 24 < self.due_within_hours:
            raise ValueError("expiry_days must not end before due_within_hours")
        return self

    def canonical_json(self) -> str:
        """The protocol as canonical JSON: all fields with defaults, sorted keys, no spaces."""
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )

    @property
    def protocol_hash(self) -> str:
        """sha256 (hex) of :meth:`canonical_json`; recorded on every recommendation."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "<root>"


def parse_protocol(data: Mapping[str, Any] | str, source: str = "<memory>") -> Protocol:
    """Validate a protocol definition.

    Parameters
    ----------
    data : mapping or str
        The parsed JSON object, or JSON text.
    source : str
        Where it came from, for error messages.

    Raises
    ------
    ProtocolSchemaError
        Naming the first offending field (dotted path) and what is wrong.
    """
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ProtocolSchemaError(source, "<root>", f"not valid JSON ({exc})") from exc
    if not isinstance(data, Mapping):
        raise ProtocolSchemaError(source, "<root>", "a protocol must be a JSON object")
    try:
        return Protocol.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ProtocolSchemaError(source, _field_path(first["loc"]), first["msg"]) from exc


def load_protocol(path: Path) -> Protocol:
    """Read and validate a protocol JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolSchemaError(str(path), "<root>", f"cannot read file ({exc})") from exc
    return parse_protocol(text, source=str(path))


def builtin_protocol_names() -> list[str]:
    """Names of the protocols shipped in the package, sorted."""
    folder = resources.files(_PACKAGE).joinpath(_FOLDER)
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


def load_builtin_protocol(name: str = "relapse_watch") -> Protocol:
    """Load a protocol shipped in ``bedside/clinical/protocols/`` (via importlib.resources)."""
    resource = resources.files(_PACKAGE).joinpath(_FOLDER, f"{name}.json")
    if not resource.is_file():
        raise ProtocolSchemaError(
            f"{_FOLDER}/{name}.json", "<root>", f"no built-in protocol {name!r}"
        )
    return parse_protocol(resource.read_text(encoding="utf-8"), source=f"{_FOLDER}/{name}.json")
