"""A live server and Chromium for browser tests.

The server is the real application under uvicorn, in a thread with its own
event loop, on 127.0.0.1 and a free port. Meta's Graph API is a small fake at
the HTTP wire that returns new wamids for sends and records every request.
Chromium is Debian's, driven by pip ``playwright``.
"""

import asyncio
import itertools
import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from sqlalchemy import text
from sse_starlette.sse import AppStatus

from cenat_hub.app import build_state, create_app
from cenat_hub.config import Settings
from cenat_hub.integrations.whatsapp.signature import encode_body
from cenat_hub.models import Base
from tests.conftest import signed_headers
from tests.factories import ADMIN_PASSWORD

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
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@dataclass
class FakeGraph:
    """A fake of the Graph API calls the hub makes, recording each request."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next_sends: int = 0
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        with self._lock:
            self.requests.append({"path": request.url.path, "body": body})
            if body.get("status") == "read":
                return httpx.Response(200, json={"success": True})
            if self.fail_next_sends:
                self.fail_next_sends -= 1
                error = {"code": 131026, "message": "Message undeliverable"}
                return httpx.Response(400, json={"error": error})
            wamid = f"wamid.FAKE{next(self._ids):06d}"
        recipient = body.get("to") or body.get("recipient")
        return httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": recipient, "wa_id": recipient}],
                "messages": [{"id": wamid}],
            },
        )

    def sends(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r["body"] for r in self.requests if r["body"].get("type")]

    def read_receipts(self) -> list[str]:
        with self._lock:
            return [
                r["body"]["message_id"]
                for r in self.requests
                if r["body"].get("status") == "read"
            ]


class LiveServer:
    """uvicorn serving the app in a background thread."""

    def __init__(self, settings: Settings, graph: FakeGraph) -> None:
        self.graph = graph
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        transport = httpx.MockTransport(graph.handle)
        self.app = create_app(
            settings, graph_http=httpx.AsyncClient(transport=transport)
        )
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=3,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        for _ in range(200):
            if self.server.started:
                return
            threading.Event().wait(0.05)
        raise RuntimeError("the live server did not start")

    def stop(self) -> None:
        # uvicorn installs no signal handlers in a thread, so sse-starlette
        # cannot see the exit by itself; its flag is set for the shutdown only.
        AppStatus.should_exit = True
        self.server.should_exit = True
        self.thread.join(timeout=15)
        AppStatus.should_exit = False
        if self.thread.is_alive():
            raise RuntimeError("the live server did not stop within 15 seconds")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def empty_tables(settings: Settings) -> None:
    state = build_state(settings)
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    try:
        async with state.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
                )
            else:
                for table in tables:
                    await connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - names from metadata
    finally:
        await state.engine.dispose()


@pytest.fixture
def fake_graph() -> FakeGraph:
    return FakeGraph()


@pytest.fixture
async def live_server(
    settings: Settings, fake_graph: FakeGraph
) -> AsyncIterator[LiveServer]:
    await empty_tables(settings)
    server = LiveServer(settings, fake_graph)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


@pytest.fixture
async def seed_state(settings: Settings, live_server: LiveServer) -> AsyncIterator[Any]:
    """An AppState on the test's own event loop, for creating test data."""
    state = build_state(settings)
    yield state
    await state.engine.dispose()


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


@pytest.fixture
async def context(
    browser: Browser, live_server: LiveServer
) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(base_url=live_server.url, locale="pt-BR")
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    new_page = await context.new_page()
    errors: list[str] = []
    new_page.on("pageerror", lambda error: errors.append(str(error)))
    yield new_page
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
async def other_page(browser: Browser, live_server: LiveServer) -> AsyncIterator[Page]:
    """A page in a second browser context: another user or another browser."""
    other_context = await browser.new_context(base_url=live_server.url, locale="pt-BR")
    new_page = await other_context.new_page()
    errors: list[str] = []
    new_page.on("pageerror", lambda error: errors.append(str(error)))
    yield new_page
    await other_context.close()
    assert not errors, f"JavaScript errors on the second page: {errors}"


@pytest.fixture
async def http(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as client:
        yield client


async def post_signed(http: httpx.AsyncClient, payload: dict[str, Any]) -> None:
    """POST a webhook signed with the app secret, as Meta would."""
    body = encode_body(payload)
    response = await http.post("/webhook", content=body, headers=signed_headers(body))
    assert response.status_code == 200, response.text


POLL_SECONDS = 0.05
POLL_ATTEMPTS = 100


async def eventually(check: Callable[[], bool]) -> None:
    """Wait up to five seconds for ``check()`` to become true."""
    for _ in range(POLL_ATTEMPTS):
        if check():
            return
        await asyncio.sleep(POLL_SECONDS)
    assert check()


async def wait_for_contact(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Wait until the server has processed the webhook that created the lead."""
    for _ in range(POLL_ATTEMPTS):
        response = await http.get("/api/contacts/5511900000001", headers=headers)
        if response.status_code == 200:
            return
        await asyncio.sleep(POLL_SECONDS)
    raise AssertionError("the webhook that creates the lead was not processed")


async def log_in(page: Page, email: str = "admin@teste.invalid") -> None:
    await page.goto("/login")
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", ADMIN_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/conversas**")


def status_payload(
    wamid: str, status: str, timestamp: int, wa_id: str = "5511900000001"
) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "200000000000001",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "5511900000100",
                                "phone_number_id": "100000000000001",
                            },
                            "statuses": [
                                {
                                    "id": wamid,
                                    "status": status,
                                    "timestamp": str(timestamp),
                                    "recipient_id": wa_id,
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
