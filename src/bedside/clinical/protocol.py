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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bedside.domain import Priority, ProtocolError, Role

__all__ = [
    "TRIGGER_KINDS",
    "CrisisTrigger",
    "DataGapTrigger",
    "EscalationRule",
    "ImprovementTrigger",
    "MeasurementTrigger",
    "MedicationTrigger",
    "Protocol",
    "ProtocolSchemaError",
    "RelapseTrigger",
    "SuppressionRules",
    "Trigger",
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


class RelapseTrigger(BaseModel):
    """When the relapse watch fires: sustained adverse trends AND calibrated risk.

    Attributes
    ----------
    kind : "relapse_watch"
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
    sustained_risk_threshold : float or None
        Second evidence path (None: off). The relapse watch also fires when the calibrated
        probability was at or above this on each of the last `sustained_risk_days` local days
        (a finding on every one of them), without waiting for verified trends. The risk model
        already combines every watched biomarker's deviation from the patient's own baseline, so
        its sustained crossing is multi-biomarker evidence; verified trends are specific but, at
        one false alarm per patient-year, slower than the episode's 7-day ramp (see
        ``relapse_watch.json``). Normally above `risk_threshold`: the path has no trend behind
        it.
    sustained_risk_days : int
        Consecutive days the sustained-risk path needs (>= 1).
    sustained_risk_basis : str or None
        How `sustained_risk_threshold` was derived; required when it is set.
    phq9_threshold : int or None
        Third evidence path (None: off). The relapse watch also fires when the patient's latest
        PHQ-9 (self-reported on the device or from the EHR), at most `phq9_max_age_days` old,
        totals at least this many points (0-27): a validated questionnaire is direct evidence of
        the symptoms the other paths infer from sensors.
    phq9_max_age_days : int
        How old, in days, the latest PHQ-9 may be for the third path (>= 0).
    phq9_min_rise : int or None
        When set, the third path also needs the latest total to be at least this many points
        above the previous PHQ-9 (None: no previous report needed), so that a patient whose
        usual total sits at the cut-off is not contacted after every questionnaire.
    phq9_basis : str or None
        How `phq9_threshold` was chosen; required when it is set.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["relapse_watch"] = "relapse_watch"
    min_adverse_trends: int = Field(default=2, ge=1)
    min_families: int = Field(default=2, ge=1)
    min_days_sustained: int = Field(default=1, ge=1)
    max_trend_age_days: int = Field(default=14, ge=0)
    risk_threshold: float = Field(gt=0, le=1)
    risk_threshold_basis: str = Field(min_length=1)
    min_coverage: float = Field(ge=0, le=1)
    sustained_risk_threshold: float | None = Field(default=None, gt=0, le=1)
    sustained_risk_days: int = Field(default=3, ge=1)
    sustained_risk_basis: str | None = Field(default=None, min_length=1)
    phq9_threshold: int | None = Field(default=None, ge=1, le=27)
    phq9_max_age_days: int = Field(default=7, ge=0)
    phq9_min_rise: int | None = Field(default=None, ge=1, le=27)
    phq9_basis: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _families_le_trends(self) -> RelapseTrigger:
        if self.min_families > self.min_adverse_trends:
            raise ValueError("min_families cannot exceed min_adverse_trends")
        if self.sustained_risk_threshold is not None and self.sustained_risk_basis is None:
            raise ValueError("sustained_risk_basis is required with sustained_risk_threshold")
        if self.phq9_threshold is not None and self.phq9_basis is None:
            raise ValueError("phq9_basis is required with phq9_threshold")
        return self


TriggerConditions = RelapseTrigger
"""The relapse watch's trigger (the name the walking skeleton used)."""


class MeasurementTrigger(BaseModel):
    """Measurement-based care on a PHQ-9 series (Kroenke 2001; response/remission per Rush 2006).

    Attributes
    ----------
    kind : "measurement_based_care"
    min_baseline_total : int
        The course's first PHQ-9 must score at least this (0-27) for response to be judged.
    response_drop : float
        Relative drop from baseline that counts as response (0.5 = 50 %).
    remission_below : int
        A total below this is remission.
    nonresponse_after_weeks : int
        Weeks from the baseline PHQ-9 after which no response is non-response; clinical
        guidance puts this at 8-12 weeks of an adequate trial, so the schema keeps it there.
    max_latest_age_days : int
        The latest PHQ-9 must be at most this old to judge (an old score says nothing now).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["measurement_based_care"] = "measurement_based_care"
    min_baseline_total: int = Field(default=10, ge=0, le=27)
    response_drop: float = Field(default=0.5, gt=0, lt=1)
    remission_below: int = Field(default=5, ge=1, le=27)
    nonresponse_after_weeks: int = Field(default=8, ge=8, le=12)
    max_latest_age_days: int = Field(default=28, ge=1)


class MedicationTrigger(BaseModel):
    """A sleep or activity trend that starts soon after a medication start or dose change.

    Attributes
    ----------
    kind : "medication_effect"
    families : list of str
        Biomarker families whose trends count (either direction: sedation and activation both
        matter).
    window_days : int
        A trend counts when its onset is within this many days after the medication event.
    min_days_sustained : int
    min_coverage : float
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["medication_effect"] = "medication_effect"
    families: list[str] = Field(default_factory=lambda: ["sleep", "activity"], min_length=1)
    window_days: int = Field(default=28, ge=1, le=180)
    min_days_sustained: int = Field(default=3, ge=1)
    min_coverage: float = Field(default=0.6, ge=0, le=1)


class CrisisTrigger(BaseModel):
    """A crisis signal: PHQ-9 item 9 >= 1 or a configured crisis signal.

    Attributes
    ----------
    kind : "crisis"
    item9_min : int
        Fixed at 1: any endorsement of item 9 is a crisis signal; the schema refuses a weaker
        rule.
    lookback_days : int
        Responses and signals dated up to this many days before the evaluation day count (so a
        late-synced answer is still caught); each event raises its own recommendation.
    signals : list of str
        Other crisis signal kinds the clinic configured (e.g. ``clinician_flag``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["crisis"] = "crisis"
    item9_min: Literal[1] = 1
    lookback_days: int = Field(default=7, ge=0, le=90)
    signals: list[str] = Field(default_factory=list)


class DataGapTrigger(BaseModel):
    """Coverage of a modality the patient normally has stays low for several days.

    Attributes
    ----------
    kind : "data_gap"
    max_coverage : float
        A day counts as a gap day when the modality's coverage is below this.
    min_days : int
        Consecutive gap days (ending on the evaluation day) needed to fire.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["data_gap"] = "data_gap"
    max_coverage: float = Field(default=0.3, gt=0, le=1)
    min_days: int = Field(default=3, ge=1, le=60)


class ImprovementTrigger(BaseModel):
    """Sustained return to baseline, or PHQ-9 remission, while a recommendation is open.

    Attributes
    ----------
    kind : "improvement"
    min_days : int
        Days without any active adverse trend, each with a finding and risk below `risk_below`.
    risk_below : float
        Calibrated probability under which a day counts as back to baseline.
    remission_below : int
        A latest PHQ-9 total below this (after an earlier one at or above 10) also counts.
    closes : list of str
        Protocol ids whose OPEN recommendations this closes; never a crisis protocol.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["improvement"] = "improvement"
    min_days: int = Field(default=14, ge=3)
    risk_below: float = Field(default=0.15, gt=0, lt=1)
    remission_below: int = Field(default=5, ge=1, le=27)
    closes: list[str] = Field(default_factory=lambda: ["relapse_watch"])


Trigger = Annotated[
    RelapseTrigger
    | MeasurementTrigger
    | MedicationTrigger
    | CrisisTrigger
    | DataGapTrigger
    | ImprovementTrigger,
    Field(discriminator="kind"),
]
TRIGGER_KINDS = (
    "relapse_watch",
    "measurement_based_care",
    "medication_effect",
    "crisis",
    "data_gap",
    "improvement",
)


class EscalationRule(BaseModel):
    """What happens when an open recommendation is overdue.

    Attributes
    ----------
    after_overdue_hours : int
        Hours past the due time after which the recommendation escalates (once).
    to_priority : Priority or None
        The new tier; must be more urgent than the protocol's.
    to_route : Role or None
        The new role (e.g. from therapist to psychiatrist).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    after_overdue_hours: int = Field(default=24, ge=0)
    to_priority: Priority | None = None
    to_route: Role | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> EscalationRule:
        if self.to_priority is None and self.to_route is None:
            raise ValueError("escalation must change the priority, the route or both")
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
    resolution_cooldown_days : int
        After an improvement protocol resolved a recommendation of this protocol, do not raise a
        new one for this many days (counted from the resolved recommendation's creation). Without
        it, evidence that outlasts the episode (post-episode sensors still off baseline) raises a
        new recommendation the day after each resolution, which the improvement protocol closes
        again: the same alert, every day.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    one_open_per_patient: bool = True
    dismissal_cooldown_days: int = Field(default=0, ge=0)
    resolution_cooldown_days: int = Field(default=0, ge=0)


class Protocol(BaseModel):
    """A declarative, versioned clinical protocol (see the module docstring).

    Attributes
    ----------
    id : str
        Lower-case identifier, e.g. ``relapse_watch``.
    version : str
        Semantic version ``MAJOR.MINOR.PATCH``; bump it on every change.
    title, description : str
    trigger : Trigger
        One of the six kinds (relapse_watch, measurement_based_care, medication_effect,
        crisis, data_gap, improvement), selected by ``trigger.kind``.
    action : str
        What the clinician is advised to consider; must start with ``Consider`` (a
        recommendation, never an order). May name ``{drug}``, ``{event}`` and ``{date}``,
        filled in from the evidence (medication_effect only), never generated.
    priority : Priority
    due_within_hours : int
        Due time after the recommendation is raised, hours.
    route : Role
        Who receives the recommendation.
    expiry_days : int
        Days after which an unanswered recommendation lapses; at least the due time.
    suppression : SuppressionRules
    escalation : EscalationRule or None
    actionability : float
        Share of such recommendations on which a clinician can act usefully, in (0, 1]; one
        factor of the triage's expected benefit (see ``clinical/triage.py``).
    interruptive : bool
        Whether it may interrupt (a CDS card / push) or only ever waits in the queue.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    trigger: Trigger
    action: str = Field(min_length=1, max_length=200)
    priority: Priority
    due_within_hours: int = Field(default=72, ge=1)
    route: Role
    expiry_days: int = Field(ge=1)
    suppression: SuppressionRules = Field(default_factory=SuppressionRules)
    escalation: EscalationRule | None = None
    actionability: float = Field(default=1.0, gt=0, le=1)
    interruptive: bool = True

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

    @model_validator(mode="after")
    def _safety_rules(self) -> Protocol:
        # A crisis must reach a clinician the same day and can never be silenced, so the schema
        # refuses any crisis protocol that could be delayed, suppressed or queued.
        if self.trigger.kind == "crisis":
            if self.priority is not Priority.CRITICAL:
                raise ValueError("a crisis protocol must have priority 'critical'")
            if self.due_within_hours > 24:
                raise ValueError("a crisis protocol must be due within 24 hours")
            if self.suppression.dismissal_cooldown_days:
                raise ValueError("a crisis protocol cannot have a dismissal cooldown")
            if not self.interruptive:
                raise ValueError("a crisis protocol must be interruptive")
        elif self.priority is Priority.CRITICAL:
            raise ValueError("only crisis protocols may be critical")
        if self.priority is Priority.INFO and self.interruptive:
            raise ValueError("an info protocol cannot be interruptive")
        if self.escalation and self.escalation.to_priority is not None:
            if self.escalation.to_priority.rank >= self.priority.rank:
                raise ValueError("escalation.to_priority must be more urgent than priority")
            if self.escalation.to_priority is Priority.CRITICAL:
                raise ValueError("only crisis protocols may be critical")
        if "{" in self.action and self.trigger.kind != "medication_effect":
            raise ValueError("only medication_effect actions may use placeholders")
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
    # Drop pydantic's discriminator tag (trigger.<kind>.x -> trigger.x): authors write no tag.
    parts = [
        str(part)
        for i, part in enumerate(loc)
        if not (i > 0 and loc[i - 1] == "trigger" and part in TRIGGER_KINDS)
    ]
    return ".".join(parts) or "<root>"


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
