"""Migrations run up, down and up again on the database under test."""

import asyncio

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from cenat_hub.db.migrate import current_revision, downgrade, upgrade
from cenat_hub.models import Base
from tests.conftest import _create_postgres_database, _drop_postgres_database


async def _table_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(
                lambda sync: inspect(sync).get_table_names()
            )
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def _fresh_database(database_url: str, tmp_path_name: str) -> str:
    if database_url.startswith("postgresql"):
        return await _create_postgres_database(database_url)
    return f"sqlite+aiosqlite:///{tmp_path_name}/migrations.db"


async def test_up_down_up(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = await _fresh_database(database_url, str(tmp_path))
    try:
        await asyncio.to_thread(upgrade, url)
        assert await _table_names(url) == set(Base.metadata.tables)
        await asyncio.to_thread(downgrade, url, "base")
        assert await _table_names(url) == set()
        await asyncio.to_thread(upgrade, url)
        assert await _table_names(url) == set(Base.metadata.tables)
        head = await asyncio.to_thread(current_revision, url)
        assert head is not None
    finally:
        if url.startswith("postgresql"):
            await _drop_postgres_database(url)


async def test_models_match_migrations(database_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Autogenerate finds nothing to add: the migrations describe every model."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = await _fresh_database(database_url, str(tmp_path))
    try:
        await asyncio.to_thread(upgrade, url)
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync), Base.metadata
                )
            )
        await engine.dispose()
        # Trigram indexes for accent-insensitive search exist on PostgreSQL
        # only; the migration creates them and the models do not describe them.
        diff = [
            item
            for item in diff
            if not (item[0] == "remove_index" and str(item[1].name).endswith("_trgm"))
        ]
        assert diff == []
    finally:
        if url.startswith("postgresql"):
            await _drop_postgres_database(url)
