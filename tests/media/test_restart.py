"""Downloads left pending by a stopped app finish in the next app."""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from cenat_hub.app import create_app
from cenat_hub.config import Settings
from cenat_hub.simulator.sample_files import jpeg_image, png_image, webp_image
from cenat_hub.web.state import AppState
from tests.conftest import empty_all_tables, post_webhook
from tests.factories import make_channel
from tests.media.support import add_file, media_file, media_webhook, wait_for_state


@asynccontextmanager
async def running_hub(
    settings: Settings, simulator_app: FastAPI
) -> AsyncIterator[tuple[AppState, httpx.AsyncClient]]:
    graph_http = httpx.AsyncClient(transport=httpx.ASGITransport(app=simulator_app))
    app = create_app(settings, graph_http=graph_http)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub.test"
        ) as client:
            yield app.state.cenat, client
    await graph_http.aclose()


async def test_restart_resumes_pending_downloads(
    settings: Settings, simulator_app: FastAPI
) -> None:
    simulator = simulator_app.state.simulator
    settings = settings.model_copy(
        update={"media_retry_base_seconds": 0.3, "background_sweep_seconds": 0.1}
    )
    failing = [
        add_file(simulator, jpeg_image(), "image/jpeg"),
        add_file(simulator, png_image(), "image/png"),
    ]
    untouched = add_file(simulator, webp_image(), "image/webp")
    for item in failing:
        simulator.fail_downloads(item.media_id, 1000)
    now = int(time.time())

    async with running_hub(settings, simulator_app) as (state, client):
        await empty_all_tables(state.engine)
        await make_channel(state)
        for number, item in enumerate(failing):
            payload = media_webhook(item, "image", f"wamid.RESTART{number}", now)
            await post_webhook(client, payload, state)
        await state.media_downloader.drain()
        await state.media_downloader.stop()
        payload = media_webhook(untouched, "sticker", "wamid.RESTART9", now)
        await post_webhook(client, payload, state)
        for item in [*failing, untouched]:
            row = await media_file(state, item.media_id)
            assert row is not None
            assert row.state == "pending"
            assert row.claimed_until is None
        for item in failing:
            row = await media_file(state, item.media_id)
            assert row is not None
            assert row.attempts >= 1

    for item in failing:
        simulator.fail_downloads(item.media_id, 0)

    async with running_hub(settings, simulator_app) as (state, _client):
        for item in [*failing, untouched]:
            row = await wait_for_state(state, item.media_id, "stored")
            stored = state.settings.media_dir / (row.path or "")
            assert stored.read_bytes() == item.data
