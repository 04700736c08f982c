import time

from playwright.async_api import Page, expect

from cenat_hub.channels.schemas import ChannelCreate
from cenat_hub.channels.service import create_channel
from cenat_hub.db.session import unit_of_work
from cenat_hub.security.crypto import TokenCipher
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.helpers import (
    api_headers,
    create_admin,
    log_in,
    send_webhook,
    wait_for_json,
)
from tests.factories import CHANNEL_1, CHANNEL_2, text_message_payload


async def test_dashboard_chart_for_7_and_30_days(
    page: Page, live_server: LiveServer
) -> None:
    await create_admin(live_server)
    cipher = TokenCipher("test-encryption-key-0123456789")
    async with unit_of_work(live_server.session_factory) as session:
        for channel in (CHANNEL_1, CHANNEL_2):
            await create_channel(session, cipher, ChannelCreate(**channel))
    now = int(time.time())
    for number, (channel, days_ago) in enumerate(
        [(CHANNEL_1, 0), (CHANNEL_1, 1), (CHANNEL_2, 2), (CHANNEL_2, 12)]
    ):
        await send_webhook(
            live_server,
            text_message_payload(
                wamid=f"wamid.DASH{number}",
                wa_id=f"55119000001{number:02d}",
                phone_number_id=channel["phone_number_id"],
                timestamp=now - days_ago * 86400 - 60,
            ),
        )
    await wait_for_json(
        live_server, "/api/conversations", {}, await api_headers(live_server), 4
    )

    await log_in(page, live_server, "/dashboard")

    chart = page.locator("svg.chart")
    await expect(chart).to_have_attribute("data-day-count", "7")
    await expect(chart.locator("rect.bar-in")).to_have_count(7)
    await expect(chart.locator("rect.bar-out")).to_have_count(7)
    await expect(chart.locator("circle.leads-dot")).to_have_count(7)
    await expect(page.locator("#card-recebidas")).to_have_text("3")
    box = await chart.bounding_box()
    assert box is not None
    assert box["width"] > 600
    await page.screenshot(path=ARTIFACTS / "dashboard-7-days.png", full_page=True)

    await page.select_option("#filtro-periodo", "30")

    await expect(page.locator("#dashboard-body")).to_have_attribute("data-days", "30")
    await expect(chart.locator("rect.bar-in")).to_have_count(30)
    await expect(page.locator("#card-recebidas")).to_have_text("4")
    assert page.url.endswith("days=30&channel_id=")
    await page.screenshot(path=ARTIFACTS / "dashboard-30-days.png", full_page=True)
