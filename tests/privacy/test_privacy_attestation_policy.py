"""Release policy: allow-listed measurements, refusal of unattested processors unless allowed."""

from __future__ import annotations

import pytest

from bedside.privacy import IdentityError, ProcessorEvidence, ReleasePolicy


def test_unattested_is_refused_by_default() -> None:
    with pytest.raises(IdentityError, match="allow_unattested is off"):
        ReleasePolicy().check(ProcessorEvidence(status="unattested"))


def test_unattested_allowed_only_under_the_development_policy() -> None:
    text = ReleasePolicy(allow_unattested=True).check(ProcessorEvidence(status="unattested"))
    assert "UNATTESTED" in text
    assert "allow_unattested" in text


def test_attested_measurement_must_be_on_the_allow_list() -> None:
    policy = ReleasePolicy(allowed_measurements=frozenset({"ab" * 24}))
    assert "allow-list" in policy.check(ProcessorEvidence("attested", "ab" * 24))
    with pytest.raises(IdentityError, match="not allowed"):
        policy.check(ProcessorEvidence("attested", "cd" * 24))
