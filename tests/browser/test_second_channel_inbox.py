"""A second number added on Canais gets its own list in Conversas.

The hub and the Cloud API simulator run as live servers. The lead writes
through the simulator, which signs and posts the webhook to the hub, and the
test reads the list Chromium renders, not the API.
"""

from pathlib import Path

import httpx
from playwright.async_api import Browser, expect

from tests.browser.simulated_servers import LiveServers
from tests.factories import CHANNEL_2

LEAD = "5511900000077"


async def test_second_channel_lists_only_its_own_lead(
    live_servers: LiveServers, chromium: Browser, artifacts: Path
) -> None:
    hub = live_servers.hub_url
    context = await chromium.new_context(locale="pt-BR")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        await page.goto(f"{hub}/login?next=/canais")
        await page.fill("input[name=email]", live_servers.admin_email)
        await page.fill("input[name=password]", live_servers.admin_password)
        await page.click("button[type=submit]")
        await expect(page).to_have_url(f"{hub}/canais")

        form = page.locator("#novo-canal")
        await form.locator("input[name=name]").fill(CHANNEL_2["name"])
        await form.locator("input[name=phone_number]").fill("+55 11 90000-0200")
        await form.locator("input[name=phone_number_id]").fill(
            CHANNEL_2["phone_number_id"]
        )
        await form.locator("input[name=waba_id]").fill(CHANNEL_2["waba_id"])
        await form.locator("input[name=whatsapp_token]").fill(
            CHANNEL_2["whatsapp_token"]
        )
        await form.locator("button[type=submit]").click()
        row = page.locator("tr", has_text=CHANNEL_2["name"])
        await expect(row).to_contain_text("5511900000200")
        second_id = await row.get_attribute("data-channel-id")
        assert second_id and int(second_id) != live_servers.channel_id

        async with httpx.AsyncClient(base_url=live_servers.simulator_url) as sim:
            sent = await sim.post(
                "/_simulator/leads/message",
                json={
                    "phone_number_id": CHANNEL_2["phone_number_id"],
                    "wa_id": LEAD,
                    "name": "Carla Teste",
                    "text": "Quero saber do curso livre",
                },
            )
        assert sent.status_code == 200, sent.text

        await page.goto(f"{hub}/conversas?channel_id={live_servers.channel_id}")
        rows = page.locator("#conversation-list .conv-row")
        await page.locator("#channel-select").select_option(second_id)
        await expect(page).to_have_url(f"{hub}/conversas?channel_id={second_id}")
        await expect(page.locator("#channel-select")).to_have_value(second_id)
        carla = rows.filter(has_text="Carla Teste")
        await expect(carla).to_have_count(1, timeout=10_000)
        await expect(carla).to_contain_text("Quero saber do curso livre")
        await page.screenshot(path=str(artifacts / "conversas-second-channel.png"))

        await page.locator("#channel-select").select_option(
            str(live_servers.channel_id)
        )
        await expect(page).to_have_url(
            f"{hub}/conversas?channel_id={live_servers.channel_id}"
        )
        await expect(page.locator("#channel-select")).to_have_value(
            str(live_servers.channel_id)
        )
        await expect(page.locator("#conversation-list .list-empty")).to_be_visible()
        await expect(rows).to_have_count(0)
        await expect(page.locator("#conversation-list")).not_to_contain_text(
            "Carla Teste"
        )
    finally:
        await context.close()
    assert errors == []
