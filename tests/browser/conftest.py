"""A live server and a Chromium browser for page tests.

The server is the real app under uvicorn, in a thread of its own on
127.0.0.1 and a free port, using the test database (a temporary SQLite file,
or PostgreSQL when TEST_DATABASE_URL is set). Chromium is Debian's
``/usr/bin/chromium`` driven by Playwright; no browser is downloaded.
"""

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright
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
ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "test-artifacts"
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


@pytest.fixture
async def live_server(settings: Settings) -> AsyncIterator[LiveServer]:
    engine = create_engine(settings.resolved_database_url)
    await empty_all_tables(engine)

    port = _free_port()
    config = uvicorn.Config(
        create_app(settings),
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
    context = await browser.new_context(locale="pt-BR")
    new_page = await context.new_page()
    yield new_page
    await context.close()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR
