import asyncio
import re
import time

import httpx
from playwright.async_api import Browser, ConsoleMessage, Locator, Page, expect

from cenat_hub.web.state import AppState
from tests.browser.crm.conftest import logged_in_context, screenshot_path
from tests.crm.helpers import make_lost_reason, receive_text
from tests.factories import ADMIN_PASSWORD, make_channel, make_user

COLUMN = '.pipeline-column[data-status="{}"]'


async def _setup_leads(client: httpx.AsyncClient, state: AppState) -> None:
    await make_user(state)
    await make_channel(state)
    await receive_text(client, state, wamid="wamid.B1", wa_id="5511900000001")
    await receive_text(
        client,
        state,
        wamid="wamid.B2",
        wa_id="5511900000002",
        name="Bruno Teste",
        body="Tem turma à noite?",
    )


async def _open_page(
    browser: Browser, live_server: str, client: httpx.AsyncClient, path: str
) -> tuple[Page, list[str]]:
    """Open a page as the admin; the list collects script errors it reports."""
    context = await logged_in_context(
        browser, live_server, client, "admin@teste.invalid", ADMIN_PASSWORD
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def record_console_error(message: ConsoleMessage) -> None:
        # Rejected requests (a duplicate tag's 409) also log "Failed to load
        # resource"; the tests check those on the page, so they do not count.
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(message.text)

    page.on("console", record_console_error)
    await page.goto(path)
    return page, errors


def _card(page: Page, status: str, name: str) -> Locator:
    return page.locator(COLUMN.format(status)).locator(".lead-card", has_text=name)


async def test_panel_status_change_shows_on_board(
    browser: Browser, live_server: str, client: httpx.AsyncClient, state: AppState
) -> None:
    await _setup_leads(client, state)
    board, board_errors = await _open_page(browser, live_server, client, "/funil")
    panel, panel_errors = await _open_page(
        browser, live_server, client, "/crm/panel/5511900000001"
    )
    await expect(_card(board, "novo", "Ana Teste")).to_be_visible()

    await panel.get_by_role("button", name="Contato", exact=True).click()

    await expect(
        panel.locator('.status-button[data-status="contato"]')
    ).to_have_attribute("aria-pressed", "true")
    await expect(panel.locator(".history")).to_contain_text("Status: Novo → Contato")
    await panel.screenshot(path=screenshot_path("crm-panel-status"), full_page=True)
    # The board has no live event stream yet, so this second browser reloads.
    await board.reload()
    await expect(_card(board, "contato", "Ana Teste")).to_be_visible()
    await expect(_card(board, "novo", "Ana Teste")).to_have_count(0)
    await board.screenshot(path=screenshot_path("funil-after-panel-change"))
    assert board_errors == []
    assert panel_errors == []


async def test_drag_and_select_move_cards(
    browser: Browser, live_server: str, client: httpx.AsyncClient, state: AppState
) -> None:
    await _setup_leads(client, state)
    reason_id = await make_lost_reason(state, "Preço")
    page, page_errors = await _open_page(browser, live_server, client, "/funil")
    await expect(_card(page, "novo", "Ana Teste")).to_be_visible()

    await _card(page, "novo", "Ana Teste").drag_to(
        page.locator(COLUMN.format("qualificado"))
    )

    await expect(_card(page, "qualificado", "Ana Teste")).to_be_visible()
    await expect(
        page.locator(COLUMN.format("qualificado")).locator("[data-count]")
    ).to_have_text("1")
    await expect(
        page.locator(COLUMN.format("novo")).locator("[data-count]")
    ).to_have_text("1")
    contact = (
        await client.get("/api/contacts/5511900000001", headers=await _token(client))
    ).json()
    assert contact["lead_status"] == "qualificado"

    bruno = _card(page, "novo", "Bruno Teste")
    await bruno.locator("[data-move-select]").select_option("matriculado")
    await bruno.get_by_role("button", name="Mover").click()
    await expect(_card(page, "matriculado", "Bruno Teste")).to_be_visible()

    await _card(page, "qualificado", "Ana Teste").drag_to(
        page.locator(COLUMN.format("perdido"))
    )
    dialog = page.locator("#lost-reason-dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name="Marcar como perdido").click()
    await expect(dialog.locator("[data-lost-error]")).to_be_visible()
    await dialog.get_by_label("Motivo").select_option(str(reason_id))
    await dialog.get_by_role("button", name="Marcar como perdido").click()
    await expect(_card(page, "perdido", "Ana Teste")).to_be_visible()
    await page.screenshot(path=screenshot_path("funil-after-moves"), full_page=True)

    await page.reload()
    await expect(_card(page, "perdido", "Ana Teste")).to_be_visible()
    await expect(_card(page, "matriculado", "Bruno Teste")).to_be_visible()
    assert page_errors == []


async def _token(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/api/auth/login",
        json={"email": "admin@teste.invalid", "password": ADMIN_PASSWORD},
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_panel_creates_tags_with_colours(
    browser: Browser, live_server: str, client: httpx.AsyncClient, state: AppState
) -> None:
    await _setup_leads(client, state)
    page, page_errors = await _open_page(
        browser, live_server, client, "/crm/panel/5511900000001"
    )

    await page.get_by_text("Nova tag").click()
    await page.get_by_label("Nome").fill("Pós noturna")
    await page.locator('input[name="color"][value="purple"]').check()
    await page.get_by_role("button", name="Criar tag").click()
    palette_tag = page.locator(".crm-panel .tag", has_text="Pós noturna")
    await expect(palette_tag).to_be_visible()
    await expect(palette_tag).to_have_css("background-color", "rgb(147, 51, 234)")

    await page.get_by_text("Nova tag").click()
    await page.get_by_label("Nome").fill("Bolsa")
    await page.locator('input[name="color"][value="custom"]').check()
    await page.locator('input[name="custom_color"]').fill("#f5d90a")
    await page.get_by_role("button", name="Criar tag").click()
    custom_tag = page.locator(".crm-panel .tag", has_text="Bolsa")
    await expect(custom_tag).to_have_css("background-color", "rgb(245, 217, 10)")
    await expect(custom_tag).to_have_css("color", "rgb(17, 24, 39)")

    await page.get_by_text("Nova tag").click()
    await page.get_by_label("Nome").fill("bolsa")
    await page.get_by_role("button", name="Criar tag").click()
    await expect(page.locator(".crm-panel [role=alert]")).to_contain_text(
        "Já existe uma tag"
    )

    await page.get_by_role("button", name="Remover tag Pós noturna").click()
    await expect(palette_tag).to_have_count(0)
    await expect(page.locator(".history")).to_contain_text("Tag removida: Pós noturna")
    await page.screenshot(path=screenshot_path("crm-panel-tags"), full_page=True)
    assert page_errors == []


async def test_panel_saves_notes_while_typing(
    browser: Browser, live_server: str, client: httpx.AsyncClient, state: AppState
) -> None:
    await _setup_leads(client, state)
    page, page_errors = await _open_page(
        browser, live_server, client, "/crm/panel/5511900000001"
    )

    await page.get_by_label("Notas internas").press_sequentially("Ligar às 18h")

    await expect(page.locator(".notes-status")).to_contain_text(
        "editado por Ana Admin Teste"
    )
    # A slow machine may save part of the text first; wait for the last save.
    headers = await _token(client)
    deadline = time.monotonic() + 10
    notes = None
    while notes != "Ligar às 18h" and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        contact = await client.get("/api/contacts/5511900000001", headers=headers)
        notes = contact.json()["notes"]
    assert notes == "Ligar às 18h"
    assert page_errors == []


async def test_import_csv_from_board(
    browser: Browser, live_server: str, client: httpx.AsyncClient, state: AppState
) -> None:
    await _setup_leads(client, state)
    page, page_errors = await _open_page(browser, live_server, client, "/funil")
    csv_text = (
        "name,phone,status,tags\n"
        "Carla Teste,(11) 91234-5678,qualificado,VIP\n"
        "Carla Teste,+55 11 1234-5678,,Noite\n"
        "Dado Ruim,12345,novo,\n"
    )

    await page.get_by_text("Importar CSV").click()
    await page.get_by_label("Arquivo CSV").set_input_files(
        files=[
            {"name": "leads.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}
        ]
    )
    await page.get_by_role("button", name="Importar").click()

    report = page.locator(".import-report")
    await expect(report).to_contain_text("Contatos criados: 1.")
    await expect(report).to_contain_text("Linha 3 unida à linha 2")
    await expect(report).to_contain_text("Linha 4: telefone inválido")
    carla = _card(page, "qualificado", "Carla Teste")
    await expect(carla).to_be_visible()
    await expect(carla.locator(".tag")).to_have_text(["Noite", "VIP"])
    await page.screenshot(path=screenshot_path("funil-import-report"), full_page=True)

    await page.get_by_label("Busca").fill("bruno")
    await expect(page.locator(".lead-card")).to_have_count(1)
    await expect(_card(page, "novo", "Bruno Teste")).to_be_visible()
    assert "search=bruno" in page.url
    # The tag filter lists the tags the page was rendered with.
    await page.reload()
    await page.get_by_label("Tag").select_option(label="VIP")
    await expect(page.locator(".lead-card")).to_have_count(0)
    await page.get_by_label("Busca").fill("")
    await expect(page.locator(".lead-card")).to_have_count(1)
    await expect(page.locator("[data-export-link]")).to_have_attribute(
        "href", re.compile(r"tag_id=\d+")
    )
    assert page_errors == []
