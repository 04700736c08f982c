from collections.abc import AsyncIterator

import pytest

from tests.conftest import _create_postgres_database, _drop_postgres_database


@pytest.fixture
async def postgres_url(database_url: str) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database; the test is skipped on SQLite runs."""
    if not database_url.startswith("postgresql"):
        pytest.skip("runs on PostgreSQL only (several workers need PostgreSQL)")
    url = await _create_postgres_database(database_url)
    yield url
    await _drop_postgres_database(url)
