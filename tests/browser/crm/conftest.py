"""A live server on 127.0.0.1 and Debian's Chromium, for tests of pages.

The server is a second application instance on the test database, run by
uvicorn in a thread. The ``app`` fixture empties the tables before it starts.
"""

import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.async_api import Browser, BrowserContext, async_playwright

from cenat_hub.app import create_app
from cenat_hub.config import Settings
from cenat_hub.web.security import SESSION_COOKIE

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
SERVER_START_SECONDS = 15


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def live_server(app: FastAPI, settings: Settings) -> Iterator[str]:
    """Serve a second app on the same database; yield its base URL."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_SECONDS
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=SERVER_START_SECONDS)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        await chromium.close()


async def logged_in_context(
    browser: Browser,
    base_url: str,
    client: httpx.AsyncClient,
    email: str,
    password: str,
) -> BrowserContext:
    """Open a browser context that carries the session cookie of a user."""
    response = await client.post(
        "/api/auth/login", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    context = await browser.new_context(base_url=base_url, locale="pt-BR")
    await context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": response.json()["access_token"],
                "url": base_url,
                "httpOnly": True,
                "sameSite": "Lax",
            }
        ]
    )
    return context


def screenshot_path(name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / f"{name}.png")
