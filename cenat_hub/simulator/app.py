"""The simulator's FastAPI app: Meta's Graph API for WhatsApp, served under any
``/v<major>.<minor>`` prefix or none, plus the lead control routes."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from cenat_hub.simulator import control_routes, graph_routes
from cenat_hub.simulator.config import SimulatorConfig
from cenat_hub.simulator.errors import (
    GraphError,
    LeadControlError,
    render_graph_error,
    render_lead_control_error,
    unknown_path,
)
from cenat_hub.simulator.state import SimulatorState

_VERSION_PREFIX = re.compile(r"^/v\d+\.\d+(?=/)")
_CONTROL_PREFIXES = ("/_simulator", "/_media")


class GraphVersionPrefix:
    """ASGI middleware that treats a leading ``/v<major>.<minor>`` as a mount point.

    The prefix moves into ``root_path``, so the routes match without it while
    ``request.url`` keeps the full URL (paging links then keep the version).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            root_path = scope.get("root_path", "")
            route_path = scope["path"].removeprefix(root_path)
            match = _VERSION_PREFIX.match(route_path)
            if match:
                scope = {**scope, "root_path": root_path + match.group(0)}
        await self.app(scope, receive, send)


def create_simulator_app(
    config: SimulatorConfig, webhook_client: httpx.AsyncClient | None = None
) -> FastAPI:
    """Build a simulator app whose state is ``app.state.simulator``.

    Webhooks go to ``config.hub_webhook_url`` through ``webhook_client``; without
    one the app creates its own client and closes it at shutdown.
    """
    client = webhook_client or httpx.AsyncClient(timeout=httpx.Timeout(10.0))
    state = SimulatorState(config, client)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await state.close()
        if webhook_client is None:
            await client.aclose()

    app = FastAPI(title="Cenat Hub Cloud API simulator", lifespan=lifespan)
    app.state.simulator = state
    app.add_middleware(GraphVersionPrefix)
    app.add_exception_handler(GraphError, render_graph_error)
    app.add_exception_handler(LeadControlError, render_lead_control_error)
    app.add_exception_handler(StarletteHTTPException, _render_http_error)
    app.include_router(control_routes.router)
    app.include_router(graph_routes.router)
    return app


async def _render_http_error(request: Request, error: Exception) -> JSONResponse:
    """Render unmatched Graph paths as Meta's "Unknown path components" error."""
    assert isinstance(error, StarletteHTTPException)
    route_path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    if error.status_code in {404, 405} and not route_path.startswith(_CONTROL_PREFIXES):
        return await render_graph_error(request, unknown_path(route_path))
    return JSONResponse(
        {"detail": error.detail}, status_code=error.status_code, headers=error.headers
    )
