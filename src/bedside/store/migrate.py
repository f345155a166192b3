"""Schema migrations of the clinic database (Alembic, scripts in ``bedside/store/migrations``).

`upgrade_database` brings any database to the newest revision in one transaction: an empty one
is created from scratch; one made before Alembic (tables from ``metadata.create_all``, no
``alembic_version``) is adopted -- missing tables are created, existing ones are checked column
by column, then the revision is recorded -- and the returned `MigrationReport` says so.
`create_store` calls it on every open; ``bedside clinic migrate --db URL`` runs it explicitly.

A schema change (a new table or column in any layer's SQLAlchemy metadata) needs a new revision
under ``migrations/versions``; ``tests/store/test_store_migrations.py`` fails while the migrated
schema and the metadata differ.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from bedside.domain import StoreError

__all__ = [
    "MIGRATIONS_DIR",
    "MigrationReport",
    "alembic_config",
    "current_revision",
    "downgrade_database",
    "head_revision",
    "upgrade_database",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_VERSION_TABLE = "alembic_version"
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class MigrationReport:
    """What `upgrade_database` did.

    Attributes
    ----------
    before : str or None
        Revision found (None: empty or pre-Alembic database).
    after : str
        Revision now recorded.
    adopted_tables : tuple of str
        Tables that already existed without an Alembic revision (a pre-Alembic database),
        checked and kept; empty for a database Alembic made.
    """

    before: str | None
    after: str
    adopted_tables: tuple[str, ...] = field(default=())

    @property
    def message(self) -> str:
        """One line for people: what happened to the schema."""
        if self.adopted_tables:
            return (
                f"pre-Alembic database: kept {len(self.adopted_tables)} existing tables "
                f"({', '.join(self.adopted_tables)}) after checking their columns, created the "
                f"missing ones and recorded revision {self.after}"
            )
        if self.before == self.after:
            return f"schema already at revision {self.after}"
        return f"schema upgraded from {self.before or 'empty'} to revision {self.after}"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic `Config` on the packaged scripts, running on `connection` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision shipped with this code."""
    head = _scripts().get_current_head()
    if head is None:
        raise StoreError(f"no Alembic revisions under {MIGRATIONS_DIR}")
    return head


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that also covers DDL, on every backend.

    pysqlite opens transactions only before INSERT/UPDATE/DELETE, so a failed migration would
    leave the tables it already created. On SQLite the driver's implicit handling is switched off
    for this one connection and the transaction is opened explicitly (``BEGIN IMMEDIATE``, which
    also keeps two processes from migrating the same file at once).
    """
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with conn.begin():
                yield conn
            return
        driver = conn.connection.driver_connection
        saved = driver.isolation_level  # type: ignore[union-attr]
        driver.isolation_level = None  # type: ignore[union-attr]
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        finally:
            driver.isolation_level = saved  # type: ignore[union-attr]


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    """The revision recorded in the database (None when empty or pre-Alembic)."""
    with engine.connect() as conn:
        return _current(conn)


def upgrade_database(engine: Engine, revision: str = "head") -> MigrationReport:
    """Upgrade the database behind `engine` to `revision` (default: newest), in one transaction.

    Raises
    ------
    StoreError
        When the database cannot be reached, a pre-Alembic table has other columns than the
        baseline expects, or a migration fails; nothing is changed then.
    """
    target = head_revision() if revision == "head" else revision
    try:
        with engine.connect() as conn:
            before = _current(conn)
            if before == target:
                return MigrationReport(before=before, after=target)
        with _transaction(engine) as conn:
            before = _current(conn)
            adopted: tuple[str, ...] = ()
            if before is None:
                existing = set(sa.inspect(conn).get_table_names()) - {_VERSION_TABLE}
                adopted = tuple(sorted(existing))
            command.upgrade(alembic_config(conn), revision)
            after = _current(conn)
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(
            f"migrating the database at {engine.url.render_as_string()} to {revision} failed: {exc}"
        ) from exc
    report = MigrationReport(before=before, after=str(after), adopted_tables=adopted)
    if adopted:
        _LOG.warning("%s: %s", engine.url.render_as_string(), report.message)
    return report


def downgrade_database(engine: Engine, revision: str) -> str | None:
    """Downgrade to `revision` (``base`` drops every table); returns the revision now recorded."""
    try:
        with _transaction(engine) as conn:
            command.downgrade(alembic_config(conn), revision)
            return _current(conn)
    except Exception as exc:
        raise StoreError(f"downgrading to {revision} failed: {exc}") from exc
