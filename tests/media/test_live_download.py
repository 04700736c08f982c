"""A body far over the limit, streamed over a real socket, is cut off early.

The in-memory transport buffers whole responses, so this test serves the
simulator with uvicorn on 127.0.0.1 and streams 200 MB of zeros that are
never held in memory at once.
"""

import time
from collections.abc import Iterator

import httpx
import pytest

from cenat_hub.config import Settings
from cenat_hub.simulator import SimulatorState, create_simulator_app, demo_config
from cenat_hub.web.state import AppState
from tests.conftest import APP_SECRET, post_webhook
from tests.live_server import ServerThread, free_port
from tests.media.support import (
    PHONE_NUMBER_ID,
    media_file,
    media_webhook,
    setup_hub,
    stored_files,
)

MEGABYTE = 1024 * 1024


@pytest.fixture
def live_simulator() -> Iterator[tuple[ServerThread, SimulatorState]]:
    port = free_port()
    config = demo_config(
        hub_webhook_url="http://127.0.0.1:9/webhook",
        app_secret=APP_SECRET,
        public_base_url=f"http://127.0.0.1:{port}",
    )
    app = create_simulator_app(config)
    server = ServerThread(app, port)
    server.start()
    yield server, app.state.simulator
    server.stop()


@pytest.fixture
def graph_transport() -> None:
    return None


@pytest.fixture
def settings(
    settings: Settings, live_simulator: tuple[ServerThread, SimulatorState]
) -> Settings:
    server, _ = live_simulator
    return settings.model_copy(update={"graph_api_url": f"{server.url}/v23.0"})


async def test_streamed_200_mb_video_is_cut_off(
    client: httpx.AsyncClient,
    state: AppState,
    live_simulator: tuple[ServerThread, SimulatorState],
) -> None:
    _, simulator = live_simulator
    await setup_hub(client, state)
    item = simulator.media.add(b"", "video/mp4", PHONE_NUMBER_ID)
    item.streamed_size = 200 * MEGABYTE
    item.reported_size = 1000
    payload = media_webhook(item, "video", "wamid.STREAMED0001", int(time.time()))

    started = time.monotonic()
    await post_webhook(client, payload, state)
    await state.media_downloader.drain()
    elapsed = time.monotonic() - started

    row = await media_file(state, item.media_id)
    assert row is not None
    assert row.state == "failed"
    assert row.last_error is not None
    assert row.last_error.startswith("too_large:")
    assert "16777216" in row.last_error
    assert stored_files(state.settings.media_dir) == []
    temporary = state.settings.media_dir / "tmp"
    assert not temporary.exists() or list(temporary.iterdir()) == []
    assert elapsed < 20
