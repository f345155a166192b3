"""Shared fixtures: where the real Depresjon subset is, and the rule that CI never skips it."""

from __future__ import annotations

import os
from collections.abc import Iterator
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


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A SQLAlchemy URL on $BEDSIDE_TEST_POSTGRES_URL confined to a fresh schema, dropped after.

    Skipped locally when the variable is unset; a failure in CI (where `.ci/run` starts
    PostgreSQL), so the PostgreSQL half of a contract suite can never silently vanish.
    """
    import uuid

    import sqlalchemy as sa

    base = os.environ.get("BEDSIDE_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI") == "true":
            pytest.fail("BEDSIDE_TEST_POSTGRES_URL is not set (PostgreSQL is required in CI)")
        pytest.skip("BEDSIDE_TEST_POSTGRES_URL not set")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at BEDSIDE_TEST_POSTGRES_URL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    url = sa.engine.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()
