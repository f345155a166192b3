"""Relapse watch, sustained-risk path: fires, does not fire, boundaries, schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bedside.clinical import (
    PatientContext,
    ProtocolSchemaError,
    ReasonCode,
    load_builtin_protocol,
    parse_protocol,
)
from bedside.clinical.rule_relapse import check_relapse
from bedside.domain import Finding

from .conftest import DAY, make_finding, make_trend

PROTOCOL = load_builtin_protocol("relapse_watch")
TRIG = PROTOCOL.trigger
assert TRIG.kind == "relapse_watch"
SUSTAINED = TRIG.sustained_risk_threshold
DAYS = TRIG.sustained_risk_days


def _context(risks: list[float | None], **kw: Any) -> PatientContext:
    """Findings on consecutive days ending on DAY, the last risk being DAY's (None: no finding)."""
    findings: list[Finding] = []
    for back, p in enumerate(reversed(risks)):
        if p is not None:
            day = DAY - dt.timedelta(days=back)
            findings.append(make_finding(day, **({"p": p} | kw)))
    findings.sort(key=lambda f: f.date)
    today = findings[-1] if findings and findings[-1].date == DAY else None
    return PatientContext(
        patient_id="p001",
        date=DAY,
        finding=today,
        history=tuple(f for f in findings if f.date < DAY),
    )


def _without_path() -> Any:
    data = PROTOCOL.model_dump(mode="json")
    data["trigger"]["sustained_risk_threshold"] = None
    data["trigger"]["sustained_risk_basis"] = None
    return parse_protocol(data)


def test_builtin_protocol_enables_the_path_with_a_documented_basis() -> None:
    assert SUSTAINED is not None
    assert TRIG.risk_threshold <= SUSTAINED
    # the same persistence a trend must show before it counts
    assert TRIG.min_days_sustained == DAYS
    assert TRIG.sustained_risk_basis is not None
    assert "calibrated" in TRIG.sustained_risk_basis.lower()


def test_high_sustained_risk_without_two_families_now_fires() -> None:
    """The missed-episode pattern of the triage evaluation: the calibrated risk stays high while
    verified trends cover one family only (or none yet)."""
    assert SUSTAINED is not None
    one_family = [make_trend("sleep.duration_min", onset=DAY - dt.timedelta(5), detected=DAY)]
    ctx = _context([SUSTAINED + 0.1] * DAYS, trends=one_family)
    before = check_relapse(_without_path(), ctx)[0]
    assert not before.fired
    assert any(r.code is ReasonCode.TOO_FEW_FAMILIES for r in before.reasons)
    after = check_relapse(PROTOCOL, ctx)[0]
    assert after.fired
    assert after.key_date == DAY
    assert "sustained-risk path" in after.rationale
    assert "not an order" in after.rationale
    kinds = [e.kind for e in after.evidence]
    assert "risk" in kinds
    assert "trend" in kinds
    assert "coverage" in kinds
    no_trends = check_relapse(PROTOCOL, _context([SUSTAINED + 0.1] * DAYS))[0]
    assert no_trends.fired


@pytest.mark.parametrize(
    ("risks_offset", "fires"),
    [
        ([0.0] * 3, True),  # exactly at the threshold on every day: fires
        ([-0.2, 0.0, 0.0, 0.0], True),  # only the last DAYS days matter (the run ends today)
        ([0.0, -1e-6, 0.0], False),
        ([0.0, 0.0, -1e-6], False),
        ([0.0, 0.0], False),  # one day too few
    ],
)
def test_threshold_and_day_count_boundaries(risks_offset: list[float], fires: bool) -> None:
    assert SUSTAINED is not None
    assert DAYS == 3, "the parametrisation above spells out three days"
    risks: list[float | None] = [SUSTAINED + d for d in risks_offset]
    out = check_relapse(PROTOCOL, _context(risks))[0]
    assert out.fired is fires
    if not fires:
        assert any(r.code is ReasonCode.RISK_NOT_SUSTAINED for r in out.reasons)


def test_a_day_without_finding_breaks_the_run() -> None:
    assert SUSTAINED is not None
    out = check_relapse(PROTOCOL, _context([SUSTAINED, None, SUSTAINED, SUSTAINED]))[0]
    assert not out.fired
    assert any(r.code is ReasonCode.RISK_NOT_SUSTAINED for r in out.reasons)


def test_low_coverage_today_never_fires() -> None:
    assert SUSTAINED is not None
    ctx = _context([SUSTAINED + 0.2] * DAYS, coverage=TRIG.min_coverage - 0.01)
    out = check_relapse(PROTOCOL, ctx)[0]
    assert not out.fired
    assert any(r.code is ReasonCode.LOW_COVERAGE for r in out.reasons)


def test_moderate_risk_alone_still_needs_trends() -> None:
    """Between the two thresholds only the trend path can fire."""
    assert SUSTAINED is not None
    p = (TRIG.risk_threshold + SUSTAINED) / 2
    out = check_relapse(PROTOCOL, _context([p] * (DAYS + 5)))[0]
    assert not out.fired
    codes = {r.code for r in out.reasons}
    assert {ReasonCode.TOO_FEW_FAMILIES, ReasonCode.RISK_NOT_SUSTAINED} <= codes


def test_threshold_without_basis_is_rejected_naming_the_field() -> None:
    data = PROTOCOL.model_dump(mode="json")
    data["trigger"]["sustained_risk_basis"] = None
    with pytest.raises(ProtocolSchemaError, match="sustained_risk_basis") as info:
        parse_protocol(data)
    assert "trigger" in info.value.field
    data["trigger"]["sustained_risk_days"] = 0
    with pytest.raises(ProtocolSchemaError, match="sustained_risk_days"):
        parse_protocol(data)
