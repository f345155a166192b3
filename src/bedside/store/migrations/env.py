"""Alembic environment of the clinic store: runs on the connection `bedside.store.migrate` passes.

The store never runs Alembic from an ini file: `upgrade_database` builds the `Config` in code and
hands over an open connection (``config.attributes["connection"]``), so in-memory SQLite and a
PostgreSQL ``search_path`` schema work unchanged. ``config.attributes["target_metadata"]`` is
only set by autogenerate callers (the schema test compares every layer's tables).
"""

from __future__ import annotations

from alembic import context

__all__: list[str] = []


def _run() -> None:
    if context.is_offline_mode():
        raise RuntimeError("the Bedside store has no offline (SQL script) migrations")
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through bedside.store.migrate (it passes a connection)")
    context.configure(
        connection=connection,
        target_metadata=config.attributes.get("target_metadata"),
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


_run()
