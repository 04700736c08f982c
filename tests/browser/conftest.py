"""A live server and a Chromium page for browser tests.

The server is the real app under uvicorn, in a thread of its own on
127.0.0.1 and a free port, using the test database (a temporary SQLite file,
or PostgreSQL when TEST_DATABASE_URL is set). Its Graph API calls go to
``graph_http``: a fake healthy number unless a test overrides the fixture
(the Cloud API simulator, for example). Chromium is Debian's
``/usr/bin/chromium`` driven by Playwright; no browser is downloaded.
"""

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
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cenat_hub.app import create_app
from cenat_hub.config import Settings
from cenat_hub.db.session import create_engine, create_session_factory
from tests.conftest import empty_all_tables

CHROMIUM = Path("/usr/bin/chromium")
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
    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def graph_phone_number(request: httpx.Request) -> httpx.Response:
    """Meta's ``GET /{phone_number_id}`` for every token: a healthy number."""
    return httpx.Response(
        200, json={"verified_name": "CENAT Teste", "quality_rating": "GREEN"}
    )


@pytest.fixture
def graph_handler() -> Callable[[httpx.Request], httpx.Response]:
    return graph_phone_number


@pytest.fixture
async def graph_http(
    graph_handler: Callable[[httpx.Request], httpx.Response],
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(graph_handler)
    ) as client:
        yield client


@pytest.fixture
async def live_server(
    settings: Settings, graph_http: httpx.AsyncClient
) -> AsyncIterator[LiveServer]:
    """Run the app under uvicorn in a thread, on an empty database."""
    engine = create_engine(settings.resolved_database_url)
    await empty_all_tables(engine)

    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, graph_http=graph_http),
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"The live server did not start on port {port}.")
        await asyncio.sleep(0.05)

    yield LiveServer(
        f"http://127.0.0.1:{port}", settings, create_session_factory(engine)
    )

    server.should_exit = True
    thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
    await engine.dispose()


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium package.")
    return str(CHROMIUM)


@pytest.fixture
async def browser(chromium_executable: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_executable, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh page; console errors (a CSP violation, a script error) fail the test."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = await browser.new_context(
        locale="pt-BR", viewport={"width": 1280, "height": 900}
    )
    new_page = await context.new_page()
    errors: list[str] = []

    def record(message: ConsoleMessage) -> None:
        # A page that answers 403 or 404 on purpose logs its own status; that
        # is the behaviour under test, not a script error.
        expected_status = message.text.startswith(
            "Failed to load resource: the server responded with a status of 4"
        )
        if message.type == "error" and not expected_status:
            errors.append(message.text)

    new_page.on("console", record)
    new_page.on("pageerror", lambda error: errors.append(str(error)))
    yield new_page
    await context.close()
    assert errors == [], errors


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# Fixtures of pages that need the hub and the simulator talking over real sockets.
from tests.browser.simulated_servers import (  # noqa: E402
    artifacts,
    chromium,
    chromium_path,
    live_servers,
)

__all__ = ["artifacts", "chromium", "chromium_path", "live_servers"]
