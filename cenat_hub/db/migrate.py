"""Run Alembic migrations from code, on SQLite or PostgreSQL."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    """Return the revision the database is at, or None before the first one."""
    return asyncio.run(current_revision_async(database_url))


async def current_revision_async(database_url: str) -> str | None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            try:
                result = await connection.execute(
                    text("SELECT version_num FROM alembic_version")
                )
            except DBAPIError:
                # No alembic_version table yet: nothing has been migrated.
                return None
            return result.scalar_one_or_none()
    finally:
        await engine.dispose()


async def upgrade_in_thread(database_url: str) -> None:
    """Upgrade to head without blocking the event loop (Alembic is synchronous)."""
    await asyncio.to_thread(upgrade, database_url)
