"""A live server on 127.0.0.1 and a headless Chromium page for browser tests."""

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import Page, async_playwright
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cenat_hub.app import create_app
from cenat_hub.config import Settings
from cenat_hub.db.session import create_engine, create_session_factory
from cenat_hub.models import Base

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
STARTUP_TIMEOUT_SECONDS = 20


@dataclass
class LiveServer:
    url: str
    session_factory: async_sessionmaker[AsyncSession]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graph_phone_number(request: httpx.Request) -> httpx.Response:
    """Meta's ``GET /{phone_number_id}`` for every token: a healthy number."""
    return httpx.Response(
        200, json={"verified_name": "CENAT Teste", "quality_rating": "GREEN"}
    )


@pytest.fixture
def graph_handler() -> Callable[[httpx.Request], httpx.Response]:
    return graph_phone_number


@pytest.fixture
async def live_server(
    settings: Settings, graph_handler: Callable[[httpx.Request], httpx.Response]
) -> AsyncIterator[LiveServer]:
    """Run the app under uvicorn in a thread, on an empty database."""
    engine = create_engine(settings.resolved_database_url)
    async with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            await connection.execute(table.delete())
    graph_http = httpx.AsyncClient(transport=httpx.MockTransport(graph_handler))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, graph_http=graph_http),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("The live server did not start.")
        await asyncio.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", create_session_factory(engine))
    server.should_exit = True
    thread.join(timeout=15)
    await graph_http.aclose()
    await engine.dispose()


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    """A fresh Chromium page; console errors fail the test."""
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        new_page = await context.new_page()
        errors: list[str] = []
        new_page.on(
            "console",
            lambda message: (
                errors.append(message.text) if message.type == "error" else None
            ),
        )
        new_page.on("pageerror", lambda error: errors.append(str(error)))
        yield new_page
        await browser.close()
    assert errors == [], errors
