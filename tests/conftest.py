"""Shared fixtures: a migrated database (SQLite or PostgreSQL), the app, a client.

``TEST_DATABASE_URL`` selects the database. Unset, each run uses a new SQLite
file; a PostgreSQL URL names a server where a fresh database is created for
the run and dropped at the end.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from cenat_hub.app import create_app
from cenat_hub.config import Settings
from cenat_hub.db.migrate import upgrade
from cenat_hub.integrations.whatsapp.signature import (
    SIGNATURE_HEADER,
    encode_body,
    sign,
)
from cenat_hub.models import Base
from cenat_hub.web.state import AppState

APP_SECRET = "test-app-secret-0123456789"
VERIFY_TOKEN = "test-verify-token-0123456789"


async def _create_postgres_database(url: str) -> str:
    parsed = make_url(url)
    name = f"cenat_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database=parsed.database or "postgres",
    )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return parsed.set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(url: str) -> None:
    parsed = make_url(url)
    admin = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database="postgres",
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    base_url = os.environ.get("TEST_DATABASE_URL", "")
    if base_url.startswith("postgresql"):
        url = await _create_postgres_database(base_url)
        await asyncio.to_thread(upgrade, url)
        yield url
        await _drop_postgres_database(url)
        return
    path = tmp_path_factory.mktemp("db") / "test.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    yield url


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=data_dir,
        webhook_verify_token=SecretStr(VERIFY_TOKEN),
        whatsapp_app_secret=SecretStr(APP_SECRET),
        jwt_secret=SecretStr("test-jwt-secret-0123456789abcdef"),
        encryption_key=SecretStr("test-encryption-key-0123456789"),
        graph_api_url="http://graph.test/v23.0",
        graph_retry_delays_seconds=(0.01, 0.02),
        run_migrations_on_start=False,
        background_sweep_seconds=3600,
        background_first_sweep_delay_seconds=3600,
    )


async def empty_all_tables(engine: AsyncEngine) -> None:
    """Delete every row; retry when TRUNCATE deadlocks with a background sweep."""
    for attempt in range(5):
        try:
            await _delete_all_rows(engine)
            return
        except DBAPIError as exc:
            if "deadlock" not in str(exc) or attempt == 4:
                raise
            await asyncio.sleep(0.05)


async def _delete_all_rows(engine: AsyncEngine) -> None:
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            )
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - table names from metadata


@pytest.fixture
def graph_transport() -> httpx.AsyncBaseTransport | None:
    """The transport the hub's Graph client uses; tests override it."""
    return None


@pytest.fixture
async def app(
    settings: Settings, graph_transport: httpx.AsyncBaseTransport | None
) -> AsyncIterator[FastAPI]:
    graph_http = (
        httpx.AsyncClient(transport=graph_transport) if graph_transport else None
    )
    application = create_app(settings, graph_http=graph_http)
    async with application.router.lifespan_context(application):
        await empty_all_tables(application.state.cenat.engine)
        yield application
    if graph_http:
        await graph_http.aclose()


@pytest.fixture
def state(app: FastAPI) -> AppState:
    return app.state.cenat


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test"
    ) as http:
        yield http


def signed_headers(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(body, secret), "Content-Type": "application/json"}


async def post_webhook(
    client: httpx.AsyncClient, payload: Any, state: AppState | None = None
) -> httpx.Response:
    """POST a payload signed like Meta; wait for processing when ``state`` is given."""
    body = encode_body(payload)
    response = await client.post("/webhook", content=body, headers=signed_headers(body))
    if state is not None:
        await state.webhook_worker.drain()
    return response
