"""Fixtures with a live hub and a live Cloud API simulator on 127.0.0.1, and Chromium.

Each server runs under uvicorn in its own thread with its own event loop, on a
socket bound to a free port before either starts, so the hub's
``GRAPH_API_URL`` and the simulator's webhook URL can name each other.
"""

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, async_playwright
from pydantic import SecretStr
from sqlalchemy import text

from cenat_hub.app import create_app
from cenat_hub.auth.service import create_user
from cenat_hub.channels.schemas import ChannelCreate
from cenat_hub.channels.service import create_channel
from cenat_hub.config import Settings
from cenat_hub.db.session import create_engine, create_session_factory, unit_of_work
from cenat_hub.models import Base
from cenat_hub.security.crypto import TokenCipher
from cenat_hub.simulator import create_simulator_app, demo_config
from tests.conftest import APP_SECRET, VERIFY_TOKEN
from tests.factories import ADMIN_PASSWORD, CHANNEL_1

HOST = "127.0.0.1"
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
ADMIN_EMAIL = "admin@teste.invalid"


@dataclass
class LiveServers:
    hub_url: str
    simulator_url: str
    admin_email: str
    admin_password: str
    channel_id: int


class ThreadedServer:
    """A uvicorn server running in a daemon thread on an already bound socket."""

    def __init__(self, app: object, sock: socket.socket) -> None:
        config = uvicorn.Config(app, log_config=None, lifespan="on")
        self.server = uvicorn.Server(config)
        self.sock = sock
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )

    def start(self, timeout_seconds: float = 15.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout_seconds
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.sock.close()


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    return sock


async def _prepare_database(settings: Settings) -> int:
    """Empty every table, then create the admin and the first simulator number."""
    engine = create_engine(settings.resolved_database_url)
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            )
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - names from metadata
    factory = create_session_factory(engine)
    cipher = TokenCipher(settings.encryption_key.get_secret_value())
    async with unit_of_work(factory) as session:
        await create_user(
            session,
            name="Ana Admin Teste",
            email=ADMIN_EMAIL,
            password=ADMIN_PASSWORD,
            role="admin",
        )
        channel = await create_channel(session, cipher, ChannelCreate(**CHANNEL_1))
        channel_id = channel.id
    await engine.dispose()
    return channel_id


@pytest.fixture
def live_servers(database_url: str, tmp_path: Path) -> Iterator[LiveServers]:
    hub_socket = _bound_socket()
    simulator_socket = _bound_socket()
    hub_url = f"http://{HOST}:{hub_socket.getsockname()[1]}"
    simulator_url = f"http://{HOST}:{simulator_socket.getsockname()[1]}"

    settings = Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=tmp_path / "data",
        webhook_verify_token=SecretStr(VERIFY_TOKEN),
        whatsapp_app_secret=SecretStr(APP_SECRET),
        jwt_secret=SecretStr("test-jwt-secret-0123456789abcdef"),
        encryption_key=SecretStr("test-encryption-key-0123456789"),
        graph_api_url=f"{simulator_url}/v23.0",
        graph_retry_delays_seconds=(0.05, 0.1),
        run_migrations_on_start=False,
        background_sweep_seconds=1,
    )
    # A thread of its own keeps asyncio.run away from the test session's loop.
    with ThreadPoolExecutor(max_workers=1) as executor:
        channel_id = executor.submit(asyncio.run, _prepare_database(settings)).result()

    simulator_config = demo_config(
        hub_webhook_url=f"{hub_url}/webhook",
        app_secret=APP_SECRET,
        public_base_url=simulator_url,
    )
    simulator_config.status_delay_seconds = 0.05
    simulator_config.webhook_retry_base_seconds = 0.05

    servers = [
        ThreadedServer(create_simulator_app(simulator_config), simulator_socket),
        ThreadedServer(create_app(settings), hub_socket),
    ]
    for server in servers:
        server.start()
    try:
        yield LiveServers(
            hub_url, simulator_url, ADMIN_EMAIL, ADMIN_PASSWORD, channel_id
        )
    finally:
        for server in reversed(servers):
            server.stop()


@pytest.fixture(scope="module")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
async def chromium(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        await browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
