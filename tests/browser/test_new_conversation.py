"""Starting a conversation from the "Nova conversa" page in Chromium.

After the send the browser lands on the conversation in the Conversas page,
where the tests read the rendered template bubble: the body with
its variables filled and the image header, typed as a link or uploaded.
"""

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from cenat_hub.simulator.sample_files import jpeg_image
from tests.browser.simulated_servers import LiveServers

TYPED_NUMBER = "(11) 98765-4321"
REGISTERED_WA_ID = "551187654321"
IMAGE_LINK = "https://example.invalid/turma-2026.jpg"
FILLED_BODY = (
    "Oi, Bia! Seja bem-vindo(a) ao curso Saúde Mental. Sua turma começa em breve."
)


async def _log_in(page: Page, live_servers: LiveServers) -> None:
    hub = live_servers.hub_url
    await page.goto(f"{hub}/login?next=/nova-conversa")
    await page.fill("input[name=email]", live_servers.admin_email)
    await page.fill("input[name=password]", live_servers.admin_password)
    await page.click("button[type=submit]")
    await expect(page).to_have_url(f"{hub}/nova-conversa")


async def _template_bubble_in_chat(page: Page, live_servers: LiveServers) -> Any:
    """Wait for the landing chat and return its one template bubble, once sent."""
    await page.wait_for_url(re.compile(r"/conversas\?"))
    landed = urlsplit(page.url)
    assert landed.path == "/conversas"
    assert parse_qs(landed.query) == {
        "contact": [REGISTERED_WA_ID],
        "channel_id": [str(live_servers.channel_id)],
    }
    chat = page.locator("#chat-pane")
    await expect(chat).to_have_attribute("data-wa-id", REGISTERED_WA_ID)
    bubble = chat.locator(".msg.outbound.type-template")
    await expect(bubble).to_have_count(1)
    await expect(bubble).to_have_attribute(
        "data-status", re.compile(r"^(sent|delivered|read)$")
    )
    return bubble


async def test_new_conversation_with_named_image_template(
    live_servers: LiveServers, chromium: Browser, artifacts: Path
) -> None:
    hub = live_servers.hub_url
    async with httpx.AsyncClient(base_url=live_servers.simulator_url) as simulator:
        registered = await simulator.post(
            "/_simulator/leads/register", json={"wa_id": REGISTERED_WA_ID}
        )
        assert registered.status_code == 200
    page = await chromium.new_page()
    console_errors: list[str] = []

    def remember_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    page.on("console", remember_error)

    await _log_in(page, live_servers)

    await page.fill("input[name=phone]", TYPED_NUMBER)
    await page.fill("input[name=name]", "Bia Teste")
    await page.select_option("select[name=template]", "boas_vindas_curso|pt_BR")
    customer = page.locator('input[name="body.customer_name"]')
    await expect(customer).to_be_visible()
    await expect(customer).to_have_attribute("placeholder", "Ana")
    preview = page.locator("#preview")
    await expect(preview.locator(".wa-media-label")).to_have_text("Imagem")
    await expect(preview.locator(".wa-var-empty").first).to_have_text(
        "{{customer_name}}"
    )

    await page.fill('input[name="header.media"]', IMAGE_LINK)
    await customer.fill("Bia")
    await page.fill('input[name="body.course_name"]', "Saúde Mental")
    await expect(preview.locator(".wa-body")).to_have_text(FILLED_BODY)
    await expect(preview.locator(".wa-media-name")).to_have_text("turma-2026.jpg")
    await expect(preview.locator(".wa-footer")).to_have_text(
        "CENAT - Educação em Saúde Mental"
    )
    await expect(preview.locator(".wa-button")).to_contain_text("Acessar portal")
    await expect(preview.locator(".wa-var-empty")).to_have_count(0)
    await page.screenshot(
        path=str(artifacts / "nova-conversa-preview.png"), full_page=True
    )
    assert console_errors == []

    await page.click("#send-template")
    bubble = await _template_bubble_in_chat(page, live_servers)

    header = bubble.locator(".template-header-image")
    await expect(bubble.locator(".template-body")).to_have_text(FILLED_BODY)
    await expect(header.locator(".template-header-kind")).to_have_text(
        "Cabeçalho com imagem"
    )
    await expect(header.locator(".template-header-name")).to_have_text("turma-2026.jpg")
    await expect(header.locator("a.template-header-link")).to_have_attribute(
        "href", IMAGE_LINK
    )
    await expect(bubble.locator(".template-footer")).to_have_text(
        "CENAT - Educação em Saúde Mental"
    )
    await expect(bubble.locator(".template-button")).to_contain_text(["Acessar portal"])
    assert "{{" not in await bubble.inner_text()
    await page.screenshot(
        path=str(artifacts / "nova-conversa-sent.png"), full_page=True
    )
    await page.close()
    assert console_errors == []

    async with httpx.AsyncClient(base_url=hub) as api:
        login = await api.post(
            "/api/auth/login",
            json={
                "email": live_servers.admin_email,
                "password": live_servers.admin_password,
            },
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        history = await api.get(
            f"/api/messages/{REGISTERED_WA_ID}",
            params={"channel_id": live_servers.channel_id},
            headers=headers,
        )
        contact = await api.get("/api/contacts/5511987654321", headers=headers)

    messages = history.json()
    assert len(messages) == 1
    message = messages[0]
    assert message["message_type"] == "template"
    assert message["status"] in {"sent", "delivered", "read"}
    assert message["content"] == FILLED_BODY
    assert message["template"]["name"] == "boas_vindas_curso"
    assert message["template"]["header"]["media"]["link"] == IMAGE_LINK
    assert message["template"]["footer"] == "CENAT - Educação em Saúde Mental"
    assert message["template"]["buttons"][0]["text"] == "Acessar portal"
    assert contact.json()["wa_id"] == REGISTERED_WA_ID
    assert contact.json()["name"] == "Bia Teste"


async def test_uploaded_header_image_shows(
    live_servers: LiveServers, chromium: Browser, artifacts: Path
) -> None:
    async with httpx.AsyncClient(base_url=live_servers.simulator_url) as simulator:
        registered = await simulator.post(
            "/_simulator/leads/register", json={"wa_id": REGISTERED_WA_ID}
        )
        assert registered.status_code == 200
    page = await chromium.new_page()
    await _log_in(page, live_servers)

    await page.fill("input[name=phone]", TYPED_NUMBER)
    await page.select_option("select[name=template]", "boas_vindas_curso|pt_BR")
    customer = page.locator('input[name="body.customer_name"]')
    await expect(customer).to_be_visible()
    await customer.fill("Bia")
    await page.fill('input[name="body.course_name"]', "Saúde Mental")
    await expect(page.locator("#preview .wa-body")).to_have_text(FILLED_BODY)
    await page.set_input_files(
        "input[name=header_file]",
        files=[{"name": "turma.jpg", "mimeType": "image/jpeg", "buffer": jpeg_image()}],
    )
    await page.click("#send-template")
    bubble = await _template_bubble_in_chat(page, live_servers)

    image = bubble.locator(".template-header-stored img")
    await expect(bubble.locator(".template-body")).to_have_text(FILLED_BODY)
    await expect(image).to_have_count(1)
    await page.wait_for_function(
        """() => {
            const image = document.querySelector(".template-header-stored img");
            return image.complete && image.naturalWidth > 0;
        }"""
    )
    await page.screenshot(
        path=str(artifacts / "nova-conversa-sent-upload.png"), full_page=True
    )
    source = await image.get_attribute("src")
    served = await page.request.get(f"{live_servers.hub_url}{source}")
    served_body = await served.body()
    await page.close()

    assert source is not None and source.startswith("/api/media/")
    assert served.status == 200
    assert served_body == jpeg_image()
