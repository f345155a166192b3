"""What one protocol rule concludes about one patient-day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from bedside.domain import Evidence

__all__ = ["Reason", "ReasonCode", "RuleOutcome"]


class ReasonCode(StrEnum):
    """Why a protocol did not fire."""

    INSUFFICIENT_DATA = "insufficient_data"
    LOW_COVERAGE = "low_coverage"
    TOO_FEW_ADVERSE_TRENDS = "too_few_adverse_trends"
    TOO_FEW_FAMILIES = "too_few_families"
    RISK_BELOW_THRESHOLD = "risk_below_threshold"
    RISK_NOT_SUSTAINED = "risk_not_sustained"
    PHQ9_BELOW_THRESHOLD = "phq9_below_threshold"
    SUPPRESSED = "suppressed"
    NO_EVENT = "no_event"
    NOT_YET_DUE = "not_yet_due"
    RESPONDING = "responding"
    NOTHING_TO_CLOSE = "nothing_to_close"


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason a protocol did not fire, with the numbers behind it."""

    code: ReasonCode
    detail: str


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """A rule's verdict, and when it fired, everything the recommendation needs.

    Attributes
    ----------
    fired : bool
    reasons : tuple of Reason
        Why it did not fire (empty when it fired).
    ignored : tuple of str
        Inputs that did not count, each as ``<what>: <why>``.
    key_date : date or None
        The local date that identifies the episode of evidence (first trigger, PHQ-9 date,
        medication event); the recommendation id derives from it.
    evidence : tuple of Evidence
    rationale : str
    action : str or None
        The action text with placeholders filled from data (None: the protocol's text).
    risk_probability : float or None
    closes : tuple of str
        Protocol ids whose open recommendations this outcome closes (improvement only).
    """

    fired: bool
    reasons: tuple[Reason, ...] = ()
    ignored: tuple[str, ...] = ()
    key_date: dt.date | None = None
    evidence: tuple[Evidence, ...] = ()
    rationale: str = ""
    action: str | None = None
    risk_probability: float | None = None
    closes: tuple[str, ...] = field(default=())

    @staticmethod
    def no(*reasons: Reason, ignored: tuple[str, ...] = ()) -> RuleOutcome:
        return RuleOutcome(False, tuple(reasons), ignored)
