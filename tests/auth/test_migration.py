"""The accounts revision migrates up and down on SQLite and PostgreSQL."""

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from cenat_hub.db.migrate import downgrade, upgrade
from tests.conftest import _create_postgres_database, _drop_postgres_database


@pytest.fixture
async def fresh_database_url(tmp_path: Path) -> AsyncIterator[str]:
    base_url = os.environ.get("TEST_DATABASE_URL", "")
    if base_url.startswith("postgresql"):
        url = await _create_postgres_database(base_url)
        yield url
        await _drop_postgres_database(url)
        return
    yield f"sqlite+aiosqlite:///{tmp_path / 'migrate.db'}"


async def _tables_and_indexes(url: str) -> tuple[set[str], set[str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:

            def read(sync_connection: object) -> tuple[set[str], set[str]]:
                inspector = inspect(sync_connection)
                tables = set(inspector.get_table_names())
                indexes = set()
                if "login_attempts" in tables:
                    indexes = {
                        index["name"]
                        for index in inspector.get_indexes("login_attempts")
                    }
                return tables, indexes

            return await connection.run_sync(read)
    finally:
        await engine.dispose()


async def test_login_attempts_up_down_up(fresh_database_url: str) -> None:
    await asyncio.to_thread(upgrade, fresh_database_url)
    tables, indexes = await _tables_and_indexes(fresh_database_url)
    assert "login_attempts" in tables
    assert indexes == {
        "ix_login_attempts_email_attempted_at",
        "ix_login_attempts_client_address_attempted_at",
        "ix_login_attempts_attempted_at",
    }

    await asyncio.to_thread(downgrade, fresh_database_url, "0001")
    tables, _ = await _tables_and_indexes(fresh_database_url)
    assert "login_attempts" not in tables
    assert "users" in tables

    await asyncio.to_thread(upgrade, fresh_database_url)
    tables, _ = await _tables_and_indexes(fresh_database_url)
    assert "login_attempts" in tables
