"""cenat-hub check reports each broken setting, one at a time."""

import asyncio
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from cenat_hub.config import Settings
from cenat_hub.db.migrate import downgrade
from cenat_hub.ops.checks import FAIL, OK, CheckResult, run_checks
from cenat_hub.simulator import create_simulator_app
from cenat_hub.web.state import AppState
from tests.conftest import APP_SECRET
from tests.factories import CHANNEL_1, make_channel
from tests.hub_simulator import simulator_config

STRONG = SecretStr("a-long-random-secret-value-123456")


@pytest.fixture
async def graph_http() -> httpx.AsyncClient:
    simulator = create_simulator_app(simulator_config(APP_SECRET))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator))


def _by_name(results: list[CheckResult], prefix: str) -> list[CheckResult]:
    return [result for result in results if result.name.startswith(prefix)]


def _production(settings: Settings, **overrides: object) -> Settings:
    values = {
        **settings.model_dump(),
        "environment": "production",
        "webhook_verify_token": STRONG,
        "whatsapp_app_secret": STRONG,
        "jwt_secret": STRONG,
        "encryption_key": settings.encryption_key,
        **overrides,
    }
    return Settings(_env_file=None, **values)


async def test_healthy_setup_passes(
    settings: Settings, state: AppState, graph_http: httpx.AsyncClient
) -> None:
    await make_channel(state)
    results = await run_checks(_production(settings), graph_http)
    assert [r for r in results if r.status == FAIL] == []
    assert _by_name(results, "channel 1")[0].status == OK


async def test_placeholder_secret_fails_in_production(
    settings: Settings, app: FastAPI, graph_http: httpx.AsyncClient
) -> None:
    broken = _production(settings, jwt_secret=SecretStr("change-me"))
    results = await run_checks(broken, graph_http)
    failures = [r for r in results if r.status == FAIL]
    assert len(failures) == 1
    assert "JWT_SECRET" in failures[0].detail


async def test_unreachable_database_fails(settings: Settings, tmp_path: Path) -> None:
    broken = _production(
        settings, database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none"
    )
    results = await run_checks(broken)
    database = _by_name(results, "database")[0]
    assert database.status == FAIL
    assert "DATABASE_URL" in database.detail


async def test_unwritable_data_dir_fails(settings: Settings, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    results = await run_checks(_production(settings, data_dir=not_a_folder))
    data_dir = _by_name(results, "data_dir")[0]
    assert data_dir.status == FAIL
    assert str(not_a_folder) in data_dir.detail


async def test_database_behind_migrations_fails(
    tmp_path: Path, settings: Settings
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await asyncio.to_thread(downgrade, url, "base")
    results = await run_checks(_production(settings, database_url=url))
    migrations = _by_name(results, "migrations")[0]
    assert migrations.status == FAIL
    assert "cenat-hub migrate" in migrations.detail


async def test_rejected_channel_token_fails(
    settings: Settings, state: AppState, graph_http: httpx.AsyncClient
) -> None:
    await make_channel(state, {**CHANNEL_1, "whatsapp_token": "revoked-token"})
    results = await run_checks(_production(settings), graph_http)
    channel = _by_name(results, "channel 1")[0]
    assert channel.status == FAIL
    assert "190" in channel.detail


async def test_wrong_encryption_key_fails(
    settings: Settings, state: AppState, graph_http: httpx.AsyncClient
) -> None:
    await make_channel(state)
    broken = _production(settings, encryption_key=SecretStr("another-key-0123456789"))
    results = await run_checks(broken, graph_http)
    channel = _by_name(results, "channel 1")[0]
    assert channel.status == FAIL
    assert "ENCRYPTION_KEY" in channel.detail


async def test_missing_web_assets_fail(settings: Settings, tmp_path: Path) -> None:
    results = await run_checks(_production(settings, web_vendor_dir=tmp_path))
    assets = _by_name(results, "web_assets")[0]
    assert assets.status == FAIL
    assert "npm ci" in assets.detail
