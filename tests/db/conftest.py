"""Fixtures of the migration tests."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import _create_postgres_database, _drop_postgres_database


@pytest.fixture
async def empty_database(tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables, on the server the test run uses."""
    base_url = os.environ.get("TEST_DATABASE_URL", "")
    if base_url.startswith("postgresql"):
        url = await _create_postgres_database(base_url)
        yield url
        await _drop_postgres_database(url)
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'migration.db'}"
