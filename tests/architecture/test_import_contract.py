"""Import contract: no layer imports a layer below it in ARCHITECTURE.md's table."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "bedside"

# Layer -> the bedside packages it may import (besides itself). Mirrors docs/architecture.md.
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "privacy": {"domain"},
    "store": {"domain", "privacy"},
    "audit": {"domain", "privacy"},
    "sensors": {"domain"},
    "inference": {"domain", "privacy"},
    "biomarkers": {"domain", "inference"},
    "baseline": {"domain", "biomarkers"},
    "models": {"domain", "biomarkers", "baseline", "inference"},
    "clinical": {"domain", "biomarkers"},
    "fhir": {"domain", "biomarkers", "clinical", "privacy"},
    "device": {
        "domain",
        "privacy",
        "store",
        "audit",
        "sensors",
        "inference",
        "biomarkers",
        "baseline",
        "models",
    },
}
ALLOWED["federated"] = ALLOWED["device"] | {"device"}
ALL_LAYERS = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
# server and cli sit at the bottom and may import everything.
ALLOWED["server"] = ALL_LAYERS - {"cli", "server"}
ALLOWED["cli"] = ALL_LAYERS - {"cli"}


def _bedside_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "bedside" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_every_layer_is_in_the_contract() -> None:
    assert set(ALLOWED) >= ALL_LAYERS, (
        f"layers missing from the contract: {ALL_LAYERS - set(ALLOWED)}"
    )


@pytest.mark.parametrize("layer", sorted(ALL_LAYERS))
def test_layer_imports_only_layers_above_it(layer: str) -> None:
    violations = []
    for path in sorted((SRC / layer).rglob("*.py")):
        for imported in _bedside_imports(path) - {layer}:
            if imported not in ALLOWED[layer]:
                violations.append(f"{path.relative_to(SRC)} imports bedside.{imported}")
    assert not violations, "\n".join(violations)


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from bedside.server import app\nimport bedside.cli.app\n", encoding="utf-8")
    assert _bedside_imports(bad) == {"server", "cli"}


@pytest.mark.parametrize("layer", sorted(ALL_LAYERS))
def test_public_package_declares_all(layer: str) -> None:
    tree = ast.parse((SRC / layer / "__init__.py").read_text(encoding="utf-8"))
    targets = [
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(t, ast.Name)
    ]
    assert "__all__" in targets, f"bedside.{layer} has no explicit __all__"
