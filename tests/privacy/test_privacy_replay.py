"""Replay/duplicate/gap decisions and clinic receipts."""

from __future__ import annotations

import datetime as dt

import pytest

from bedside.privacy import (
    DeliveryKind,
    Identity,
    IdentityError,
    PriorDelivery,
    Receipt,
    decide_delivery,
    issue_receipt,
    verify_receipt,
)


def test_first_in_sequence_is_new() -> None:
    d = decide_delivery("e1", "h1", 1, PriorDelivery(None, None, 0))
    assert d.kind is DeliveryKind.NEW
    assert d.gap is None


def test_same_bytes_again_is_a_duplicate_not_a_replay() -> None:
    d = decide_delivery("e1", "h1", 1, PriorDelivery("h1", "e1", 1))
    assert d.kind is DeliveryKind.DUPLICATE


def test_reused_id_with_other_content_is_a_replay() -> None:
    d = decide_delivery("e1", "h2", 1, PriorDelivery("h1", "e1", 1))
    assert d.kind is DeliveryKind.REPLAY


def test_reused_sequence_under_a_new_id_is_a_replay() -> None:
    d = decide_delivery("e9", "h9", 3, PriorDelivery(None, "e3", 5))
    assert d.kind is DeliveryKind.REPLAY
    assert "e3" in d.reason


def test_jump_records_the_gap_and_a_late_one_fills_it() -> None:
    d = decide_delivery("e5", "h5", 5, PriorDelivery(None, None, 2))
    assert d.kind is DeliveryKind.NEW
    assert d.gap == (3, 4)
    late = decide_delivery("e3", "h3", 3, PriorDelivery(None, None, 5))
    assert late.kind is DeliveryKind.NEW
    assert late.gap is None


def test_receipt_round_trip_and_wrong_signer(clinic: Identity, stranger: Identity) -> None:
    receipt = Receipt(
        envelope_id="e1",
        digest="ab" * 32,
        status="stored",
        received_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        clinic_did=clinic.did,
    )
    token = issue_receipt(clinic.signing_only(), receipt)
    assert verify_receipt(token, clinic_did=clinic.did) == receipt
    with pytest.raises(IdentityError, match="expected"):
        verify_receipt(token, clinic_did=stranger.did)
    with pytest.raises(IdentityError, match="must be the signing clinic"):
        issue_receipt(stranger, receipt)
