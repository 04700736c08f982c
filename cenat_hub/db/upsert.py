"""``INSERT ... ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL alike."""

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

ModelT = TypeVar("ModelT", bound=DeclarativeBase)


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
    table = model.__table__
    statement = (
        dialect_insert(session)(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(table.c.id)
    )
    result = await session.execute(statement)
    return result.scalar_one_or_none()


def dialect_insert(
    session: AsyncSession,
) -> Callable[..., postgresql.Insert | sqlite.Insert]:
    """Return the ``insert`` construct of the session's database.

    Both accept ``on_conflict_do_nothing``; given an ORM class and
    ``.returning(Class)``, the statement returns the inserted object.
    """
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def insert_or_ignore_object(
    session: AsyncSession,
    model: type[ModelT],
    values: dict[str, Any],
    conflict_columns: list[str],
) -> ModelT | None:
    """Insert a row unless one with the same conflict key exists; return it loaded.

    Same as ``insert_or_ignore``, but the new row comes back as an object of
    the session (one statement instead of an insert and a select), or None.
    """
    statement = (
        dialect_insert(session)(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_columns)
        .returning(model)
    )
    result = await session.execute(
        statement, execution_options={"populate_existing": True}
    )
    return result.scalar_one_or_none()
