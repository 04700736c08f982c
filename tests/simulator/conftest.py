"""Fixtures that run the simulator and a webhook receiver in memory, connected
through httpx's ASGI transport, so no socket is opened."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cenat_hub.simulator import SimulatorState, create_simulator_app
from tests.simulator.support import (
    SIMULATOR_URL,
    Simulator,
    SimulatorFactory,
    WebhookReceiver,
    make_config,
)


@pytest.fixture
async def make_simulator() -> AsyncIterator[SimulatorFactory]:
    """Return a factory that starts a simulator with config overrides; everything
    it started is closed after the test."""
    clients: list[httpx.AsyncClient] = []
    states: list[SimulatorState] = []

    async def start(**overrides: Any) -> Simulator:
        receiver = WebhookReceiver()
        hub_transport = httpx.ASGITransport(app=receiver.build_app())
        webhook_client = httpx.AsyncClient(transport=hub_transport)
        app = create_simulator_app(make_config(**overrides), webhook_client)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=SIMULATOR_URL
        )
        clients.extend([webhook_client, client])
        states.append(app.state.simulator)
        return Simulator(app, app.state.simulator, client, receiver)

    yield start
    for state in states:
        await state.close()
    for client in clients:
        await client.aclose()


@pytest.fixture
async def simulator(make_simulator: SimulatorFactory) -> Simulator:
    return await make_simulator()
