"""Replay and sequence rules for sealed envelopes, as a pure decision over what was seen before.

At-least-once delivery means the same envelope may arrive many times: identical bytes under a
known envelope id are a *duplicate*, stored once and receipted every time. Anything else that
reuses an envelope id, or a (patient, sequence) already taken by another envelope, is a *replay*
and is rejected. A sequence number above the highest seen leaves a gap, which is recorded but does
not block delivery (devices buffer offline and retry out of order); a later envelope may fill it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["DeliveryDecision", "DeliveryKind", "PriorDelivery", "decide_delivery"]


class DeliveryKind(StrEnum):
    """How the clinic treats an incoming envelope."""

    NEW = "new"
    DUPLICATE = "duplicate"
    REPLAY = "replay"


@dataclass(frozen=True)
class PriorDelivery:
    """What the clinic already holds about an envelope id / a patient's sequence numbers.

    Attributes
    ----------
    digest_for_id : str or None
        Digest stored under the incoming envelope id, if that id was seen.
    id_for_sequence : str or None
        Envelope id stored under the incoming (patient, sequence), if taken.
    highest_sequence : int
        The patient's highest accepted sequence number (0 if none).
    """

    digest_for_id: str | None
    id_for_sequence: str | None
    highest_sequence: int


@dataclass(frozen=True)
class DeliveryDecision:
    """The decision, why, and the missing sequence numbers a NEW envelope reveals."""

    kind: DeliveryKind
    reason: str
    gap: tuple[int, int] | None = None
    """Inclusive range of sequence numbers skipped, when the envelope jumps ahead."""


def decide_delivery(
    envelope_id: str, digest: str, sequence: int, prior: PriorDelivery
) -> DeliveryDecision:
    """Classify an incoming envelope as new, duplicate or replay (see the module docstring)."""
    if prior.digest_for_id is not None:
        if prior.digest_for_id == digest:
            return DeliveryDecision(DeliveryKind.DUPLICATE, "envelope already stored")
        return DeliveryDecision(
            DeliveryKind.REPLAY, f"envelope id {envelope_id} was used for different content"
        )
    if prior.id_for_sequence is not None:
        return DeliveryDecision(
            DeliveryKind.REPLAY,
            f"sequence {sequence} was already used by envelope {prior.id_for_sequence}",
        )
    if sequence > prior.highest_sequence + 1:
        return DeliveryDecision(
            DeliveryKind.NEW,
            f"sequence jumps from {prior.highest_sequence} to {sequence}",
            gap=(prior.highest_sequence + 1, sequence - 1),
        )
    return DeliveryDecision(DeliveryKind.NEW, "in sequence")
