"""Triage: who sees which recommendation, and which may interrupt them, within a budget.

Alert fatigue is the failure mode of clinical decision support (overrides of 49-96%, van der
Sijs et al. 2006; acceptance falls with each extra reminder, Ancker et al. 2017), so each
clinician gets at most `AlertBudget.max_interruptive_per_day` interruptive recommendations a
day. What does not fit waits in the non-interruptive queue: nothing is ever dropped, and
critical recommendations (crises) always interrupt, whatever the budget.

Ranking uses the expected benefit of interrupting now::

    benefit = probability x actionability x time_sensitivity

* probability: the calibrated model probability behind the recommendation when there is one;
  1 when the trigger is an observation rather than a prediction (a PHQ-9 answer, a data gap),
  because the observation itself is certain;
* actionability: the protocol's declared share of such recommendations a clinician can act on
  (protocol field, reviewed with the feedback analytics);
* time_sensitivity: 1 / (1 + hours until due / 24), 1 once due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from bedside.domain import Priority, Recommendation, RecommendationStatus, Role

__all__ = [
    "AlertBudget",
    "CareTeam",
    "Delivery",
    "TriageItem",
    "TriageResult",
    "expected_benefit",
    "queue_order",
    "triage",
]


class AlertBudget(BaseModel):
    """How many interruptive recommendations one clinician receives per day at most.

    Attributes
    ----------
    max_interruptive_per_day : int
        Per clinician and local day; critical recommendations do not count against it.
    enabled : bool
        False turns the budget off (every interruptive recommendation interrupts); used to
        measure what the budget saves.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_interruptive_per_day: int = Field(default=5, ge=0)
    enabled: bool = True


class CareTeam(BaseModel):
    """Which clinician holds which role for each patient.

    Attributes
    ----------
    members : dict of str to dict of Role to str
        patient id -> role -> clinician id.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    members: dict[str, dict[Role, str]] = Field(default_factory=dict)

    def clinician_for(self, patient_id: str, role: Role) -> str | None:
        return self.members.get(patient_id, {}).get(role)


class Delivery(StrEnum):
    INTERRUPTIVE = "interruptive"
    QUEUE = "queue"
    SNOOZED = "snoozed"
    UNASSIGNED = "unassigned"
    """No clinician holds the role for this patient: shown to every clinician's team lead."""


@dataclass(frozen=True, slots=True)
class TriageItem:
    """One recommendation's delivery decision."""

    recommendation: Recommendation
    clinician: str | None
    delivery: Delivery
    benefit: float


@dataclass(frozen=True, slots=True)
class TriageResult:
    """Every input recommendation exactly once, with its delivery."""

    items: tuple[TriageItem, ...]

    def interruptive_count(self) -> dict[str, int]:
        """Interruptive recommendations per clinician (critical included)."""
        out: dict[str, int] = {}
        for item in self.items:
            if item.delivery is Delivery.INTERRUPTIVE and item.clinician is not None:
                out[item.clinician] = out.get(item.clinician, 0) + 1
        return out

    def by_delivery(self, delivery: Delivery) -> list[Recommendation]:
        return [i.recommendation for i in self.items if i.delivery is delivery]


def expected_benefit(
    rec: Recommendation, now: dt.datetime, actionability: Mapping[str, float]
) -> float:
    """Expected benefit of interrupting for `rec` now (see the module docstring), in [0, 1]."""
    probability = 1.0 if rec.risk_probability is None else rec.risk_probability
    hours = max(0.0, (rec.due - now).total_seconds() / 3600.0)
    return probability * actionability.get(rec.protocol_id, 1.0) / (1.0 + hours / 24.0)


def queue_order(
    recs: Sequence[Recommendation], now: dt.datetime, actionability: Mapping[str, float]
) -> list[Recommendation]:
    """The clinician's queue: tier first (critical pinned on top), then due time, then benefit."""
    return sorted(
        recs, key=lambda r: (r.priority.rank, r.due, -expected_benefit(r, now, actionability), r.id)
    )


def triage(
    recs: Sequence[Recommendation],
    now: dt.datetime,
    team: CareTeam,
    budget: AlertBudget,
    actionability: Mapping[str, float],
    already_interrupted: Mapping[str, int] | None = None,
) -> TriageResult:
    """Decide the delivery of the recommendations raised or escalated since the last run.

    Parameters
    ----------
    recs : sequence of Recommendation
        Distinct ids; open or accepted ones are delivered, others pass through as queued.
    now : datetime
        Timezone-aware.
    team : CareTeam
    budget : AlertBudget
    actionability : mapping of str to float
        Protocol id -> actionability (``Protocol.actionability``).
    already_interrupted : mapping of str to int, optional
        Non-critical interruptions each clinician already had today.

    Returns
    -------
    TriageResult
        Each input exactly once. Critical ones are always interruptive; the rest interrupt in
        order of expected benefit while the clinician's budget lasts, then queue.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ids = [r.id for r in recs]
    if len(set(ids)) != len(ids):
        raise ValueError("triage needs distinct recommendation ids")
    used = dict(already_interrupted or {})
    items: list[TriageItem] = []
    candidates: list[tuple[float, Recommendation, str]] = []
    for rec in recs:
        clinician = team.clinician_for(rec.patient_id, rec.route)
        benefit = expected_benefit(rec, now, actionability)
        if rec.priority is Priority.CRITICAL:
            # Crises bypass everything: no budget, no snooze, not even a missing assignment.
            items.append(TriageItem(rec, clinician, Delivery.INTERRUPTIVE, benefit))
        elif clinician is None:
            items.append(TriageItem(rec, None, Delivery.UNASSIGNED, benefit))
        elif rec.snoozed_until is not None and rec.snoozed_until > now:
            items.append(TriageItem(rec, clinician, Delivery.SNOOZED, benefit))
        elif (
            not rec.interruptive
            or rec.priority is Priority.INFO
            or rec.status not in (RecommendationStatus.OPEN, RecommendationStatus.ACCEPTED)
        ):
            items.append(TriageItem(rec, clinician, Delivery.QUEUE, benefit))
        else:
            candidates.append((benefit, rec, clinician))
    candidates.sort(key=lambda c: (-c[0], c[1].priority.rank, c[1].due, c[1].id))
    for benefit, rec, clinician in candidates:
        if not budget.enabled or used.get(clinician, 0) < budget.max_interruptive_per_day:
            used[clinician] = used.get(clinician, 0) + 1
            items.append(TriageItem(rec, clinician, Delivery.INTERRUPTIVE, benefit))
        else:
            items.append(TriageItem(rec, clinician, Delivery.QUEUE, benefit))
    return TriageResult(tuple(items))
