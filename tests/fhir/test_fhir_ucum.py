"""The UCUM syntax checker accepts the units Bedside emits and rejects malformed codes."""

from __future__ import annotations

import pytest

from bedside.biomarkers import REGISTRY
from bedside.fhir import EMITTED_UNITS, UcumSyntaxError, parse_ucum


@pytest.mark.parametrize("unit", sorted(EMITTED_UNITS))
def test_emitted_units_parse(unit: str) -> None:
    parse_ucum(unit)


def test_registry_units_are_emitted_units() -> None:
    assert {spec.unit for spec in REGISTRY.values()} <= EMITTED_UNITS


@pytest.mark.parametrize("unit", ["mg/dL", "kg.m-2", "mmol/L", "/min", "m2", "(g.m)/s", "10.min"])
def test_other_valid_ucum_parses(unit: str) -> None:
    parse_ucum(unit)


def test_unsupported_atoms_are_rejected_not_guessed() -> None:
    # UCUM's 10*3 notation is valid UCUM but outside the supported subset: rejected, loudly.
    with pytest.raises(UcumSyntaxError, match="position 2"):
        parse_ucum("10*3")


@pytest.mark.parametrize(
    "unit", ["", "minutes", "{count", "min/", "//min", "xyz", "{co}unt}", "m+", "(min", "0"]
)
def test_invalid_units_rejected(unit: str) -> None:
    with pytest.raises(UcumSyntaxError, match="invalid UCUM unit"):
        parse_ucum(unit)
