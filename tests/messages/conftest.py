from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from cenat_hub.simulator import SimulatorState, create_simulator_app
from tests.conftest import APP_SECRET
from tests.hub_simulator import HUB_BASE_URL, ForwardingApp, simulator_config


@pytest.fixture
def hub_forward() -> ForwardingApp:
    return ForwardingApp()


@pytest.fixture
async def simulator_app(hub_forward: ForwardingApp) -> AsyncIterator[FastAPI]:
    webhook_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=hub_forward), base_url=HUB_BASE_URL
    )
    application = create_simulator_app(simulator_config(APP_SECRET), webhook_client)
    async with application.router.lifespan_context(application):
        yield application
    await webhook_client.aclose()


@pytest.fixture
def graph_transport(simulator_app: FastAPI) -> httpx.AsyncBaseTransport:
    return httpx.ASGITransport(app=simulator_app)


@pytest.fixture
def simulator(
    simulator_app: FastAPI, app: FastAPI, hub_forward: ForwardingApp
) -> SimulatorState:
    hub_forward.target = app
    return simulator_app.state.simulator
