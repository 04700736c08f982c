"""A live hub and simulator on 127.0.0.1, and Debian's Chromium driven by
Playwright.

The hub and the simulator each run under uvicorn in their own thread and
reach each other over real sockets; the tests use the hub's own Conversas
page.
"""

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cenat_hub.app import create_app
from cenat_hub.config import Settings
from cenat_hub.simulator import SimulatorState, create_simulator_app, demo_config
from cenat_hub.web.state import AppState
from tests.conftest import APP_SECRET, empty_all_tables
from tests.factories import make_channel, make_user
from tests.live_server import ServerThread, free_port

playwright_api = pytest.importorskip("playwright.async_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
HERE = Path(__file__).parent
ARTIFACTS = HERE.parent.parent.parent / "test-artifacts"


@dataclass
class LiveSystem:
    hub: ServerThread
    simulator_server: ServerThread
    state: AppState
    simulator: SimulatorState

    @property
    def url(self) -> str:
        return self.hub.url


@pytest.fixture
def live_system(settings: Settings) -> Iterator[LiveSystem]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    hub_port, simulator_port = free_port(), free_port()
    config = demo_config(
        hub_webhook_url=f"http://127.0.0.1:{hub_port}/webhook",
        app_secret=APP_SECRET,
        public_base_url=f"http://127.0.0.1:{simulator_port}",
    )
    config.status_delay_seconds = 0.01
    simulator_app = create_simulator_app(config)
    hub_settings = settings.model_copy(
        update={
            "graph_api_url": f"http://127.0.0.1:{simulator_port}/v23.0",
            "background_sweep_seconds": 0.5,
        }
    )
    hub_app = create_app(hub_settings)
    simulator_server = ServerThread(simulator_app, simulator_port)
    hub = ServerThread(hub_app, hub_port)
    simulator_server.start()
    hub.start()
    try:
        yield LiveSystem(
            hub, simulator_server, hub_app.state.cenat, simulator_app.state.simulator
        )
    finally:
        hub.stop()
        simulator_server.stop()


@pytest.fixture
async def live(live_system: LiveSystem) -> LiveSystem:
    """The live system with empty tables, one channel and an admin."""
    state = live_system.state
    await live_system.hub.run(empty_all_tables(state.engine))
    await live_system.hub.run(make_channel(state))
    await live_system.hub.run(make_user(state))
    return live_system


@pytest.fixture
async def page(live: LiveSystem) -> AsyncIterator[Any]:
    ARTIFACTS.mkdir(exist_ok=True)
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(base_url=live.url)
        browser_page = await context.new_page()
        yield browser_page
        await browser.close()


@pytest.fixture
def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if path is None:
        pytest.skip("ffmpeg is not installed on this machine")
    return path
