"""Relapse watch, PHQ-9 path: fires, does not fire, boundaries, precedence, schema."""

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
from bedside.domain import Phq9Response

from .conftest import DAY, make_finding, phq9

PROTOCOL = load_builtin_protocol("relapse_watch")
TRIG = PROTOCOL.trigger
assert TRIG.kind == "relapse_watch"
CUTOFF = TRIG.phq9_threshold
MAX_AGE = TRIG.phq9_max_age_days
RISE = TRIG.phq9_min_rise
PREVIOUS = dt.timedelta(days=14)  # the synthetic clinic's PHQ-9 interval


def _pair(day: dt.date, total: int, previous_total: int = 0) -> list[Phq9Response]:
    """A previous PHQ-9 two weeks before `day`, then `total` on `day`."""
    return [phq9(day - PREVIOUS, previous_total), phq9(day, total)]


def _context(
    reports: list[Phq9Response], *, p: float | None = 0.05, finding: bool = True
) -> PatientContext:
    return PatientContext(
        patient_id="p001",
        date=DAY,
        finding=make_finding(DAY, p=p) if finding else None,
        phq9=tuple(reports),
    )


def _with(**trigger: Any) -> Any:
    data = PROTOCOL.model_dump(mode="json")
    data["trigger"].update(trigger)
    return parse_protocol(data)


def test_builtin_protocol_enables_the_path_at_the_published_cutoff() -> None:
    assert CUTOFF == 10  # Kroenke 2001: >= 10, sensitivity and specificity 88% for major depression
    assert RISE == 5  # Lowe 2004: a 5-point change is clinically significant
    assert TRIG.phq9_basis is not None
    assert "Kroenke" in TRIG.phq9_basis
    assert "Lowe" in TRIG.phq9_basis


def test_recent_phq9_at_cutoff_fires_without_any_sensor_evidence() -> None:
    assert CUTOFF is not None
    ctx = _context([phq9(DAY - dt.timedelta(14), 4), phq9(DAY, CUTOFF)])
    out = check_relapse(PROTOCOL, ctx)[0]
    assert out.fired
    assert out.key_date == DAY
    assert "PHQ-9 path" in out.rationale
    assert "not an order" in out.rationale
    assert f"+{CUTOFF - 4:d} points against the previous PHQ-9 (4 on" in out.rationale
    kinds = [e.kind for e in out.evidence]
    assert kinds.count("phq9") == 2  # the triggering one and the previous one
    assert "risk" in kinds  # the device's risk is shown next to it
    without = check_relapse(_with(phq9_threshold=None, phq9_basis=None), ctx)[0]
    assert not without.fired


def test_fires_on_a_day_without_a_device_finding() -> None:
    assert CUTOFF is not None
    out = check_relapse(PROTOCOL, _context(_pair(DAY, CUTOFF + 3), finding=False))[0]
    assert out.fired
    assert [e.kind for e in out.evidence] == ["phq9", "phq9"]


def test_one_point_below_the_cutoff_does_not_fire() -> None:
    assert CUTOFF is not None
    out = check_relapse(PROTOCOL, _context(_pair(DAY, CUTOFF - 1)))[0]
    assert not out.fired
    assert any(r.code is ReasonCode.PHQ9_BELOW_THRESHOLD for r in out.reasons)


@pytest.mark.parametrize(("rise", "fires"), [(5, True), (4, False)])
def test_rise_boundary_above_the_cutoff(rise: int, fires: bool) -> None:
    """A patient whose usual total sits near the cut-off needs a clinically significant rise."""
    assert CUTOFF is not None
    out = check_relapse(PROTOCOL, _context(_pair(DAY, CUTOFF + 2, CUTOFF + 2 - rise)))[0]
    assert out.fired is fires
    if not fires:
        assert any(r.code is ReasonCode.PHQ9_BELOW_THRESHOLD for r in out.reasons)


def test_first_phq9_has_no_rise_to_measure() -> None:
    assert CUTOFF is not None
    out = check_relapse(PROTOCOL, _context([phq9(DAY, 20)]))[0]
    assert not out.fired
    assert any("no earlier PHQ-9" in r.detail for r in out.reasons)
    no_rise_needed = _with(phq9_min_rise=None)
    assert check_relapse(no_rise_needed, _context([phq9(DAY, CUTOFF)]))[0].fired


@pytest.mark.parametrize(("age", "fires"), [(0, True), (MAX_AGE, True), (MAX_AGE + 1, False)])
def test_age_boundary(age: int, fires: bool) -> None:
    assert CUTOFF is not None
    out = check_relapse(PROTOCOL, _context(_pair(DAY - dt.timedelta(age), CUTOFF)))[0]
    assert out.fired is fires
    if not fires:
        assert any("old" in r.detail for r in out.reasons)


def test_only_the_latest_phq9_counts() -> None:
    """A high total followed by a low one is a recovery, not a reason to contact."""
    assert CUTOFF is not None
    reports = [*_pair(DAY - dt.timedelta(3), CUTOFF + 5), phq9(DAY - dt.timedelta(1), CUTOFF - 4)]
    out = check_relapse(PROTOCOL, _context(reports))[0]
    assert not out.fired
    future = check_relapse(PROTOCOL, _context(_pair(DAY + dt.timedelta(1), 20)))[0]
    assert not future.fired  # a replay never sees the future


def test_sensor_path_takes_precedence_and_keeps_its_evidence() -> None:
    assert CUTOFF is not None
    assert TRIG.sustained_risk_threshold is not None
    p = TRIG.sustained_risk_threshold + 0.1
    history = tuple(make_finding(DAY - dt.timedelta(k), p=p) for k in (2, 1))
    ctx = PatientContext(
        patient_id="p001",
        date=DAY,
        finding=make_finding(DAY, p=p),
        history=history,
        phq9=tuple(_pair(DAY, CUTOFF)),
    )
    out = check_relapse(PROTOCOL, ctx)[0]
    assert out.fired
    assert "sustained-risk path" in out.rationale


def test_threshold_without_basis_is_rejected_naming_the_field() -> None:
    with pytest.raises(ProtocolSchemaError, match="phq9_basis") as info:
        _with(phq9_basis=None)
    assert "trigger" in info.value.field
    with pytest.raises(ProtocolSchemaError, match="phq9_threshold"):
        _with(phq9_threshold=28)
    with pytest.raises(ProtocolSchemaError, match="phq9_max_age_days"):
        _with(phq9_max_age_days=-1)
    with pytest.raises(ProtocolSchemaError, match="phq9_min_rise"):
        _with(phq9_min_rise=0)
