"""The event stream across real uvicorn processes, and their shutdown."""

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from cenat_hub.app import build_state
from cenat_hub.config import Settings
from cenat_hub.integrations.whatsapp.signature import encode_body
from tests.browser.inbox.conftest import empty_tables
from tests.conftest import signed_headers
from tests.events.processes import ServiceProcess, read_events, start_service
from tests.factories import (
    ADMIN_PASSWORD,
    make_channel,
    make_user,
    text_message_payload,
)
from tests.inbox.helpers import now_ts

on_postgres = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="several worker processes need PostgreSQL",
)


async def _seed(settings: Settings) -> None:
    await empty_tables(settings)
    state = build_state(settings)
    try:
        await make_channel(state)
        await make_user(state)
    finally:
        await state.engine.dispose()


async def _token(http: httpx.AsyncClient, url: str) -> str:
    response = await http.post(
        f"{url}/api/auth/login",
        json={"email": "admin@teste.invalid", "password": ADMIN_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _start(settings: Settings, data_dir: Path) -> ServiceProcess:
    return await asyncio.to_thread(start_service, settings, data_dir)


@on_postgres
async def test_event_crosses_worker_processes(
    settings: Settings, tmp_path: Path
) -> None:
    await _seed(settings)
    first = await _start(settings, tmp_path)
    second = await _start(settings, tmp_path)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            headers = {"Authorization": f"Bearer {await _token(http, first.url)}"}
            async with http.stream(
                "GET", f"{second.url}/api/events", headers=headers
            ) as stream:
                events = read_events(stream)
                assert (await anext(events)).kind == "hello"

                body = encode_body(
                    text_message_payload(
                        wamid="wamid.CROSS1",
                        body="Oi de outro worker",
                        timestamp=now_ts(),
                    )
                )
                posted = await http.post(
                    f"{first.url}/webhook", content=body, headers=signed_headers(body)
                )
                assert posted.status_code == 200

                async with asyncio.timeout(5):
                    async for event in events:
                        if event.kind == "message":
                            break
                assert "Oi de outro worker" in event.data["html"]
                assert event.data["direction"] == "inbound"

                # The worker stops promptly although a stream is still open.
                assert await asyncio.to_thread(second.terminate) < 3
    finally:
        for process in (first, second):
            if process.process.poll() is None:
                await asyncio.to_thread(process.terminate)


async def test_shutdown_with_open_stream(settings: Settings, tmp_path: Path) -> None:
    await _seed(settings)
    service = await _start(settings, tmp_path)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            headers = {"Authorization": f"Bearer {await _token(http, service.url)}"}
            async with http.stream(
                "GET", f"{service.url}/api/events", headers=headers
            ) as stream:
                events = read_events(stream)
                assert (await anext(events)).kind == "hello"
                seconds = await asyncio.to_thread(service.terminate)
        # Below uvicorn's graceful timeout (5 s): the stream ended by itself.
        assert seconds < 3
    finally:
        if service.process.poll() is None:
            await asyncio.to_thread(service.terminate)
