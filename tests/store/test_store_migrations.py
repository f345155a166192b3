"""Alembic migrations: the migrated schema is exactly the SQLAlchemy metadata, on both databases.

Also: downgrade to nothing and back, a database made before Alembic adopted (stamped with a
message, data kept, missing tables created), a mismatching pre-Alembic table refused with a
message naming it, and ``bedside clinic migrate``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from bedside.audit.sql_log import AUDIT_METADATA
from bedside.cli.app import app
from bedside.domain import StoreError
from bedside.store import create_store, upgrade_database
from bedside.store.ingest_tables import INGEST_METADATA
from bedside.store.migrate import current_revision, downgrade_database, head_revision
from bedside.store.sqlalchemy_store import METADATA


def all_metadata() -> sa.MetaData:
    """Every layer's tables in one MetaData (what the migrations must produce)."""
    combined = sa.MetaData()
    for metadata in (METADATA, INGEST_METADATA, AUDIT_METADATA):
        for table in metadata.tables.values():
            table.to_metadata(combined)
    return combined


def schema_diff(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        diff: list[object] = compare_metadata(MigrationContext.configure(conn), all_metadata())
    return diff


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'clinic.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


def test_upgrade_from_empty_gives_exactly_the_metadata(db_url: str) -> None:
    store = create_store(db_url)
    try:
        assert store.migration is not None
        assert store.migration.before is None
        assert store.migration.after == head_revision()
        assert store.migration.adopted_tables == ()
        assert schema_diff(store.engine) == []
        again = create_store(db_url)  # opening again changes nothing
        again.close()
        assert again.migration is not None
        assert again.migration.message == f"schema already at revision {head_revision()}"
    finally:
        store.close()


def test_the_comparison_sees_a_difference(db_url: str) -> None:
    """The no-diff assertion above could fail: a dropped index shows up."""
    store = create_store(db_url)
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DROP INDEX ix_consents_patient_id")
        assert any("ix_consents_patient_id" in str(d) for d in schema_diff(store.engine))
    finally:
        store.close()


def test_downgrade_and_upgrade_round_trip(db_url: str) -> None:
    store = create_store(db_url)
    engine = store.engine
    try:
        assert downgrade_database(engine, "base") is None
        left = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
        assert left == set()
        report = upgrade_database(engine)
        assert (report.before, report.after) == (None, head_revision())
        assert schema_diff(engine) == []
    finally:
        store.close()


def test_pre_alembic_database_is_adopted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    # What create_store made before Alembic: only the store's own tables of that time, with data.
    before_alembic = [t for t in METADATA.sorted_tables if t.name != "phq9_responses"]
    METADATA.create_all(engine, tables=before_alembic)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO findings (patient_id, date, device_id, body) VALUES ('p', 'd', 'x', '{}')"
        )
    engine.dispose()
    with caplog.at_level(logging.WARNING, logger="bedside.store.migrate"):
        store = create_store(url)
    try:
        report = store.migration
        assert report is not None
        assert report.adopted_tables == tuple(sorted(t.name for t in before_alembic))
        assert "pre-Alembic database" in report.message
        assert "pre-Alembic database" in caplog.text
        assert current_revision(store.engine) == head_revision()
        assert schema_diff(store.engine) == []
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM findings").scalar() == 1
    finally:
        store.close()


def test_mismatching_pre_alembic_table_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE consents (id TEXT PRIMARY KEY, colour TEXT)")
    with pytest.raises(StoreError, match=r"'consents'.*unexpected columns \['colour'\]"):
        create_store(url)
    # Nothing changed: no revision recorded, no table created.
    assert set(sa.inspect(engine).get_table_names()) == {"consents"}
    engine.dispose()


def test_cli_migrate(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    first = CliRunner().invoke(app, ["clinic", "migrate", "--db", url])
    assert first.exit_code == 0, first.output
    assert f"to revision {head_revision()}" in first.output
    again = CliRunner().invoke(app, ["clinic", "migrate", "--db", url])
    assert "already at revision" in again.output
    bad = CliRunner().invoke(app, ["clinic", "migrate", "--db", "nosuchdb://x"])
    assert bad.exit_code == 2
    assert "nosuchdb" in bad.output
