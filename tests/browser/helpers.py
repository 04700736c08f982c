"""Steps shared by the browser tests."""

import asyncio
from typing import Any

import httpx
from playwright.async_api import Page

from cenat_hub.auth.service import create_user
from cenat_hub.db.session import unit_of_work
from cenat_hub.integrations.whatsapp.signature import encode_body
from tests.browser.conftest import LiveServer
from tests.conftest import signed_headers
from tests.factories import ADMIN_PASSWORD

ADMIN_EMAIL = "admin@teste.invalid"


async def create_admin(server: LiveServer) -> None:
    async with unit_of_work(server.session_factory) as session:
        await create_user(
            session,
            name="Ana Admin Teste",
            email=ADMIN_EMAIL,
            password=ADMIN_PASSWORD,
            role="admin",
        )


async def log_in(page: Page, server: LiveServer, next_path: str) -> None:
    await page.goto(f"{server.url}/login?next={next_path}")
    await page.fill("input[name=email]", ADMIN_EMAIL)
    await page.fill("input[name=password]", ADMIN_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{server.url}{next_path}")


async def api_headers(server: LiveServer) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def send_webhook(server: LiveServer, payload: dict[str, Any]) -> None:
    """POST a payload to the live server, signed as Meta signs it."""
    body = encode_body(payload)
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            "/webhook", content=body, headers=signed_headers(body)
        )
    response.raise_for_status()


async def wait_for_json(
    server: LiveServer,
    path: str,
    params: dict[str, Any],
    headers: dict[str, str],
    expected_length: int,
    timeout_seconds: float = 10,
) -> list[dict[str, Any]]:
    """Poll an API list until it has ``expected_length`` items.

    Webhooks are processed in the background after the 200, so results lag.
    """
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as http:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_seconds
        while True:
            response = await http.get(path, params=params)
            response.raise_for_status()
            items: list[dict[str, Any]] = response.json()
            if len(items) == expected_length or loop.time() > deadline:
                return items
            await asyncio.sleep(0.1)
