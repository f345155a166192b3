"""Per-protocol analytics from feedback and later outcomes, and bounded threshold adaptation."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bedside.clinical.feedback import Feedback, FeedbackAction
from bedside.clinical.protocol import Protocol, RelapseTrigger
from bedside.domain import ConfigurationError, Recommendation

__all__ = ["ProtocolStats", "adapt_risk_threshold", "protocol_stats"]


@dataclass(frozen=True, slots=True)
class ProtocolStats:
    """How one protocol's recommendations fared.

    Attributes
    ----------
    protocol_id : str
    raised : int
    answered : int
        With at least one accept, complete or dismiss.
    acceptance_rate : float or None
        Accepted or completed / answered.
    ppv : float or None
        Share of recommendations followed by the outcome within the window (e.g. a PHQ-9 of
        10 or more, or an episode) - positive predictive value against later outcomes.
    median_hours_to_action : float or None
        From creation to the first accept, complete or dismiss.
    """

    protocol_id: str
    raised: int
    answered: int
    acceptance_rate: float | None
    ppv: float | None
    median_hours_to_action: float | None


def protocol_stats(
    recs: Sequence[Recommendation],
    feedback: Sequence[Feedback],
    outcomes: Mapping[str, Sequence[dt.date]],
    *,
    window_days: int = 28,
) -> list[ProtocolStats]:
    """Acceptance, PPV and time to action per protocol.

    Parameters
    ----------
    recs : sequence of Recommendation
    feedback : sequence of Feedback
    outcomes : mapping of str to sequence of date
        Patient id -> local dates on which the outcome was confirmed.
    window_days : int
        A recommendation is a true positive when an outcome date falls within
        [created date - window_days, created date + window_days]: relapse recommendations aim
        to catch episodes early, so an outcome confirmed shortly before counts too.
    """
    by_rec: dict[str, list[Feedback]] = {}
    for fb in feedback:
        by_rec.setdefault(fb.recommendation_id, []).append(fb)
    out: list[ProtocolStats] = []
    for protocol_id in sorted({r.protocol_id for r in recs}):
        mine = [r for r in recs if r.protocol_id == protocol_id]
        answered = accepted = 0
        hours: list[float] = []
        positives = 0
        for rec in mine:
            acts = sorted(
                (f for f in by_rec.get(rec.id, []) if f.action is not FeedbackAction.SNOOZE),
                key=lambda f: f.at,
            )
            if acts:
                answered += 1
                accepted += any(
                    f.action in (FeedbackAction.ACCEPT, FeedbackAction.COMPLETE) for f in acts
                )
                hours.append((acts[0].at - rec.created).total_seconds() / 3600.0)
            day = rec.created.date()
            window = dt.timedelta(days=window_days)
            positives += any(
                day - window <= d <= day + window for d in outcomes.get(rec.patient_id, ())
            )
        out.append(
            ProtocolStats(
                protocol_id=protocol_id,
                raised=len(mine),
                answered=answered,
                acceptance_rate=accepted / answered if answered else None,
                ppv=positives / len(mine) if mine else None,
                median_hours_to_action=statistics.median(hours) if hours else None,
            )
        )
    return out


def adapt_risk_threshold(
    protocol: Protocol,
    stats: ProtocolStats,
    *,
    bounds: tuple[float, float],
    target_ppv: float,
    step: float = 0.02,
    min_raised: int = 30,
) -> Protocol:
    """Nudge a relapse protocol's risk threshold towards a target PPV, within fixed bounds.

    Too few positives among the recommendations (PPV below target) raises the threshold by
    `step`; a PPV comfortably above target (by more than 0.1) lowers it, to catch more. Never
    leaves `bounds`, needs at least `min_raised` recommendations, and returns a new protocol
    whose patch version is bumped so every recommendation still names the exact rule.
    """
    trig = protocol.trigger
    if not isinstance(trig, RelapseTrigger):
        raise ConfigurationError(f"protocol {protocol.id} has no risk threshold to adapt")
    low, high = bounds
    if not 0 < low <= high <= 1:
        raise ConfigurationError(f"bounds must satisfy 0 < low <= high <= 1, got {bounds}")
    if stats.protocol_id != protocol.id or stats.ppv is None or stats.raised < min_raised:
        return protocol
    threshold = trig.risk_threshold
    if stats.ppv < target_ppv:
        threshold += step
    elif stats.ppv > target_ppv + 0.1:
        threshold -= step
    threshold = round(min(high, max(low, threshold)), 6)
    if threshold == trig.risk_threshold:
        return protocol
    major, minor, patch = protocol.version.split(".")
    return protocol.model_copy(
        update={
            "trigger": trig.model_copy(update={"risk_threshold": threshold}),
            "version": f"{major}.{minor}.{int(patch) + 1}",
        }
    )
