"""The hub and the Cloud API simulator wired to each other in memory.

The hub's Graph client reaches the simulator, and the simulator's webhooks
reach the hub, through httpx's ASGI transport: real HTTP requests and
responses, no sockets.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from cenat_hub.simulator import SimulatorConfig, SimulatorState, demo_config

HUB_BASE_URL = "http://hub.test"


class ForwardingApp:
    """An ASGI app that forwards to a target set later (the hub, once built)."""

    def __init__(self) -> None:
        self.target: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.target is None:
            raise RuntimeError("the hub app is not running yet")
        await self.target(scope, receive, send)


def simulator_config(app_secret: str) -> SimulatorConfig:
    config = demo_config(
        hub_webhook_url=f"{HUB_BASE_URL}/webhook", app_secret=app_secret
    )
    config.status_delay_seconds = 0.01
    config.webhook_retry_base_seconds = 0.01
    return config


async def wait_for(
    condition: Callable[[], Awaitable[Any]],
    seconds: float = 5.0,
    interval: float = 0.02,
) -> Any:
    """Poll ``condition`` until it returns a truthy value, or fail after ``seconds``."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await condition()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {seconds} s")
        await asyncio.sleep(interval)


__all__ = ["ForwardingApp", "SimulatorState", "simulator_config", "wait_for"]
