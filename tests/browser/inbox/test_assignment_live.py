"""Take and release in the chat header, seen live by a second browser."""

from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from cenat_hub.web.state import AppState
from tests.browser.inbox.conftest import LiveServer, log_in, post_signed
from tests.factories import (
    ADMIN_PASSWORD,
    make_channel,
    make_user,
    text_message_payload,
)
from tests.inbox.helpers import now_ts

AGENT_EMAIL = "bia@teste.invalid"


@pytest.fixture
async def agent_page(browser: Browser, live_server: LiveServer) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=live_server.url, locale="pt-BR")
    new_page = await context.new_page()
    errors: list[str] = []
    new_page.on("pageerror", lambda error: errors.append(str(error)))
    yield new_page
    await context.close()
    assert not errors, f"JavaScript errors in the agent's browser: {errors}"


async def _open_conversation(page: Page, email: str) -> None:
    await log_in(page, email)
    await expect(page.locator("#inbox")).to_have_attribute("data-stream", "open")
    await page.locator(".conv-row", has_text="Ana Teste").click()
    await expect(page.locator("#assignment .assignee")).to_be_visible()
    await page.evaluate("window.samePage = true")


async def test_take_and_release_show_in_other_browser(
    page: Page, agent_page: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await make_channel(seed_state)
    await make_user(seed_state)
    await make_user(
        seed_state,
        email=AGENT_EMAIL,
        password=ADMIN_PASSWORD,
        role="atendente",
        name="Bia Atendente Teste",
    )
    payload = text_message_payload(wamid="wamid.AS1", timestamp=now_ts())
    await post_signed(http, payload)
    await _open_conversation(page, "admin@teste.invalid")
    await _open_conversation(agent_page, AGENT_EMAIL)
    admin_owner = page.locator("#assignment .assignee")
    await expect(admin_owner).to_have_text("Sem responsável")

    await (
        agent_page.locator("#assignment").get_by_role("button", name="Assumir").click()
    )

    await expect(agent_page.locator("#assignment .assignee")).to_have_text("Com você")
    await expect(admin_owner).to_have_text("Com Bia Atendente Teste")
    row = page.locator(".conv-row", has_text="Ana Teste")
    await expect(row).to_contain_text("Bia Atendente Teste")

    await agent_page.locator("#assignment").get_by_role("button", name="Soltar").click()

    await expect(admin_owner).to_have_text("Sem responsável")
    assert await page.evaluate("window.samePage") is True
    assert await agent_page.evaluate("window.samePage") is True
