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
from tests.factories import CHANNEL_1, text_message_payload


async def test_second_channel_receives_its_own_lead(
    page: Page, live_server: LiveServer
) -> None:
    await create_admin(live_server)
    async with unit_of_work(live_server.session_factory) as session:
        first = await create_channel(
            session,
            TokenCipher("test-encryption-key-0123456789"),
            ChannelCreate(**CHANNEL_1),
        )
    await log_in(page, live_server, "/canais")

    form = page.locator("#novo-canal")
    await form.locator("input[name=name]").fill("Cursos Livres")
    await form.locator("input[name=phone_number]").fill("+55 11 90000-0200")
    await form.locator("input[name=phone_number_id]").fill("100000000000002")
    await form.locator("input[name=waba_id]").fill("200000000000001")
    await form.locator("input[name=whatsapp_token]").fill("sim-token-2")
    await form.locator("button[type=submit]").click()

    await expect(page.get_by_role("status")).to_contain_text("Cursos Livres")
    row = page.locator("tr", has_text="Cursos Livres")
    await expect(row).to_contain_text("5511900000200")
    await expect(row).to_contain_text("Ativo")
    await row.get_by_role("button", name="Verificar").click()
    await expect(row.locator(".check-result")).to_contain_text("Token válido.")
    await expect(row.locator(".check-result")).to_contain_text("Qualidade: Alta.")
    second_id = int(await row.get_attribute("data-channel-id") or 0)
    await page.screenshot(path=ARTIFACTS / "canais-second-channel.png", full_page=True)

    await send_webhook(
        live_server,
        text_message_payload(
            wamid="wamid.BROWSER1",
            wa_id="5511900000077",
            name="Carla Teste",
            phone_number_id="100000000000002",
        ),
    )

    headers = await api_headers(live_server)
    on_second = await wait_for_json(
        live_server, "/api/conversations", {"channel_id": second_id}, headers, 1
    )
    on_first = await wait_for_json(
        live_server, "/api/conversations", {"channel_id": first.id}, headers, 0
    )
    assert [item["contact"]["wa_id"] for item in on_second] == ["5511900000077"]
    assert on_second[0]["contact"]["name"] == "Carla Teste"
    assert on_first == []


async def test_deactivate_from_canais(page: Page, live_server: LiveServer) -> None:
    await create_admin(live_server)
    async with unit_of_work(live_server.session_factory) as session:
        await create_channel(
            session,
            TokenCipher("test-encryption-key-0123456789"),
            ChannelCreate(**CHANNEL_1),
        )
    await log_in(page, live_server, "/canais")
    page.on("dialog", lambda dialog: dialog.accept())

    row = page.locator("tr", has_text=CHANNEL_1["name"])
    await row.get_by_role("button", name="Desativar").click()

    await expect(row).to_contain_text("Inativo")
    await expect(row.get_by_role("button", name="Ativar")).to_be_visible()
