"""Take and release in the chat header, seen live by a second browser."""

import httpx
from playwright.async_api import Page, expect

from cenat_hub.web.state import AppState
from tests.browser.inbox.conftest import log_in, post_signed
from tests.factories import (
    ADMIN_PASSWORD,
    make_channel,
    make_user,
    text_message_payload,
)
from tests.inbox.helpers import now_ts

AGENT_EMAIL = "bia@teste.invalid"


async def _open_conversation(page: Page, email: str) -> None:
    await log_in(page, email)
    await expect(page.locator("#inbox")).to_have_attribute("data-stream", "open")
    await page.locator(".conv-row", has_text="Ana Teste").click()
    await expect(page.locator("#assignment .assignee")).to_be_visible()
    await page.evaluate("window.samePage = true")


async def test_take_and_release_show_in_other_browser(
    page: Page, other_page: Page, http: httpx.AsyncClient, seed_state: AppState
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
    await _open_conversation(other_page, AGENT_EMAIL)
    admin_owner = page.locator("#assignment .assignee")
    await expect(admin_owner).to_have_text("Sem responsável")

    await (
        other_page.locator("#assignment").get_by_role("button", name="Assumir").click()
    )

    await expect(other_page.locator("#assignment .assignee")).to_have_text("Com você")
    await expect(admin_owner).to_have_text("Com Bia Atendente Teste")
    row = page.locator(".conv-row", has_text="Ana Teste")
    await expect(row).to_contain_text("Bia Atendente Teste")

    await other_page.locator("#assignment").get_by_role("button", name="Soltar").click()

    await expect(admin_owner).to_have_text("Sem responsável")
    assert await page.evaluate("window.samePage") is True
    assert await other_page.evaluate("window.samePage") is True
