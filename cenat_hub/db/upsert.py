"""``INSERT ... ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL alike."""

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


async def insert_or_ignore(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: dict[str, Any],
    conflict_columns: list[str],
) -> int | None:
    """Insert a row unless one with the same conflict key exists.

    Returns the new row's id, or None when a row with that key was already
    there (or, on PostgreSQL, committed meanwhile by another transaction).
    """
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(table.c.id)
    )
    result = await session.execute(statement)
    return result.scalar_one_or_none()
