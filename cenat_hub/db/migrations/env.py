"""Alembic environment: one set of revisions for SQLite and PostgreSQL."""

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from cenat_hub.models import Base

# Any constant works; it only has to be the same for every worker.
_MIGRATION_LOCK_ID = 4_815_162_342

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        if not is_sqlite:
            # Several workers start at once; only one migrates at a time.
            connection.execute(
                text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_ID})")
            )
        context.run_migrations()


def _make_sqlite_transactional(engine: Any) -> None:
    """Let SQLite roll back a failed migration instead of leaving stray tables.

    Foreign keys stay OFF here (the SQLite default for a new connection): with
    them ON, a batch rebuild of a parent table deletes child rows through
    ``ON DELETE CASCADE``.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


async def _run_async_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    engine = create_async_engine(url, poolclass=NullPool)
    if url.startswith("sqlite"):
        _make_sqlite_transactional(engine)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure_and_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(_run_async_migrations())
