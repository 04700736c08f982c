"""The hub wired to the simulator, with media retries fast enough for tests, and
a record of every Graph API request the hub makes."""

import httpx
import pytest
from fastapi import FastAPI

from cenat_hub.config import Settings
from tests.messages.conftest import (  # noqa: F401 - fixtures used by these tests
    hub_forward,
    simulator,
    simulator_app,
)


class RecordingTransport(httpx.AsyncBaseTransport):
    """Forwards to the simulator and records the method and path of each request."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)

    def count(self, method: str, path_start: str) -> int:
        return sum(
            1
            for seen_method, path in self.requests
            if seen_method == method and path.startswith(path_start)
        )


@pytest.fixture
def graph_transport(simulator_app: FastAPI) -> RecordingTransport:  # noqa: F811
    return RecordingTransport(httpx.ASGITransport(app=simulator_app))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "media_retry_base_seconds": 0.05,
            "media_retry_max_seconds": 0.2,
        }
    )
