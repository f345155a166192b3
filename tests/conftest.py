"""Shared fixtures: where the real Depresjon subset is, and the rule that CI never skips it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def depresjon_root() -> Path:
    """$BEDSIDE_DEPRESJON_DIR, else ../shared/data/depresjon beside the repository."""
    env = os.environ.get("BEDSIDE_DEPRESJON_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data" / "depresjon"


@pytest.fixture(scope="session")
def depresjon_dir() -> Path:
    """The real Depresjon subset; skipped locally when absent, a failure in CI."""
    root = depresjon_root()
    if not (root / "scores.csv").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Depresjon data not found at {root} (required in CI)")
        pytest.skip(f"Depresjon data not found at {root}")
    return root


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """The node/ folder with Medplum installed; skipped locally when absent, a failure in CI."""
    from bedside.domain import ConfigurationError
    from bedside.fhir import node_dir

    try:
        return node_dir()
    except ConfigurationError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Node tools unavailable (required in CI): {exc}")
        pytest.skip(f"Node tools unavailable: {exc}")
