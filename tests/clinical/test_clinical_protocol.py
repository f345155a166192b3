"""Protocol schema: the shipped relapse watch loads, errors name the field, hash is canonical."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from bedside.clinical import (
    Protocol,
    ProtocolSchemaError,
    builtin_protocol_names,
    load_builtin_protocol,
    load_protocol,
    parse_protocol,
)
from bedside.domain import Priority, ProtocolError, Role


def _data() -> dict[str, Any]:
    return load_builtin_protocol().model_dump(mode="json")


def test_builtin_relapse_watch_loads_with_documented_values() -> None:
    assert "relapse_watch" in builtin_protocol_names()
    p = load_builtin_protocol("relapse_watch")
    assert p.id == "relapse_watch"
    assert p.priority is Priority.URGENT
    assert p.route is Role.PSYCHIATRIST
    assert p.due_within_hours == 72
    assert p.trigger.min_families == 2
    assert 0 < p.trigger.risk_threshold <= 1
    assert "probability" in p.trigger.risk_threshold_basis
    assert p.action.startswith("Consider contacting the patient within 72 h")


def test_hash_is_sha256_of_canonical_json_and_ignores_formatting(tmp_path: Path) -> None:
    p = load_builtin_protocol()
    expected = hashlib.sha256(
        json.dumps(_data(), sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    assert p.protocol_hash == expected
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(dict(reversed(list(_data().items()))), indent=4))
    assert load_protocol(pretty).protocol_hash == p.protocol_hash


def test_hash_changes_with_any_field() -> None:
    data = _data()
    data["trigger"]["risk_threshold"] = 0.31
    assert parse_protocol(data).protocol_hash != load_builtin_protocol().protocol_hash


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("trigger", "risk_threshold"), 1.5, "trigger.risk_threshold"),
        (("trigger", "risk_threshold"), 0.0, "trigger.risk_threshold"),
        (("trigger", "min_coverage"), -0.1, "trigger.min_coverage"),
        (("priority",), "asap-ish", "priority"),
        (("route",), "surgeon", "route"),
        (("version",), "v1", "version"),
        (("action",), "Call the patient now", "action"),
        (("suppression", "dismissal_cooldown_days"), -1, "suppression.dismissal_cooldown_days"),
        (("trigger", "surprise"), 1, "trigger.surprise"),
    ],
)
def test_schema_errors_name_the_field(path: tuple[str, ...], value: object, field: str) -> None:
    data = _data()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ProtocolSchemaError) as info:
        parse_protocol(data, source="bad.json")
    assert info.value.field == field
    assert field in str(info.value)
    assert "bad.json" in str(info.value)
    assert isinstance(info.value, ProtocolError)


def test_missing_required_field_is_named() -> None:
    data = _data()
    del data["trigger"]["risk_threshold"]
    with pytest.raises(ProtocolSchemaError) as info:
        parse_protocol(data)
    assert info.value.field == "trigger.risk_threshold"


def test_cross_field_rules() -> None:
    data = _data()
    data["expiry_days"] = 1  # 24 h < 72 h due
    with pytest.raises(ProtocolSchemaError, match="expiry_days"):
        parse_protocol(data)
    data = _data()
    data["trigger"]["min_families"] = 3
    data["trigger"]["min_adverse_trends"] = 2
    with pytest.raises(ProtocolSchemaError, match="min_families"):
        parse_protocol(data)


def test_invalid_json_and_missing_builtin(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ProtocolSchemaError, match="not valid JSON") as info:
        load_protocol(broken)
    assert info.value.field == "<root>"
    with pytest.raises(ProtocolSchemaError, match="no built-in protocol"):
        load_builtin_protocol("does_not_exist")


def test_route_is_protocol_data() -> None:
    data = _data()
    data["route"] = "therapist"
    assert parse_protocol(data).route is Role.THERAPIST
    assert isinstance(parse_protocol(json.dumps(data)), Protocol)


@pytest.mark.parametrize(
    ("name", "path", "value", "field"),
    [
        ("crisis", ("priority",), "urgent", "<root>"),
        ("crisis", ("due_within_hours",), 48, "<root>"),
        ("crisis", ("suppression", "dismissal_cooldown_days"), 3, "<root>"),
        ("crisis", ("trigger", "item9_min"), 2, "trigger.item9_min"),
        ("data_gap", ("priority",), "critical", "<root>"),
        ("data_gap", ("trigger", "max_coverage"), 0, "trigger.max_coverage"),
        ("improvement", ("interruptive",), True, "<root>"),
        ("medication_effect", ("trigger", "families"), [], "trigger.families"),
        ("relapse_watch", ("trigger", "kind"), "astrology", "trigger"),
    ],
)
def test_safety_rules_of_every_protocol_kind(
    name: str, path: tuple[str, ...], value: object, field: str
) -> None:
    data = load_builtin_protocol(name).model_dump(mode="json")
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ProtocolSchemaError) as info:
        parse_protocol(data, source=f"{name}.json")
    assert info.value.field == field
