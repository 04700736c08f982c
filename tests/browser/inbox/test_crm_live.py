"""The CRM panel inside Conversas and the Funil board, live across two browsers.

One browser context works in Conversas and another keeps the Funil open. A
change in either shows in the other through the events stream. A flag set on
each page before the change proves that neither page reloaded.
"""

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, expect

from cenat_hub.web.state import AppState
from tests.browser.inbox.conftest import ARTIFACTS, LiveServer, log_in, post_signed
from tests.factories import (
    ADMIN_PASSWORD,
    CHANNEL_2,
    login,
    make_agent,
    make_channel,
    make_user,
    text_message_payload,
)
from tests.inbox.helpers import now_ts

LEAD = "5511900000001"


async def _lead_writes(
    http: httpx.AsyncClient, wamid: str, body: str, **kwargs: object
) -> None:
    payload = text_message_payload(wamid=wamid, body=body, timestamp=now_ts(), **kwargs)
    await post_signed(http, payload)


@pytest.fixture
def board(other_page: Page) -> Page:
    """The second browser context, where the Funil is opened."""
    return other_page


async def _open_board(board: Page) -> None:
    await log_in(board)
    await board.goto("/funil")
    await expect(board.locator("body")).to_have_attribute("data-board-stream", "open")
    await board.evaluate("window.sameBoard = true")


async def _open_chat(page: Page, name: str) -> Locator:
    await log_in(page)
    await expect(page.locator("#inbox")).to_have_attribute("data-stream", "open")
    await page.locator(".conv-row", has_text=name).click()
    await expect(page.locator("#chat-pane")).to_be_visible()
    panel = page.locator("#crm-side-body .crm-panel")
    await expect(panel).to_be_visible()
    await page.evaluate("window.sameInbox = true")
    return panel


def _column(board: Page, status: str) -> Locator:
    return board.locator(f'.pipeline-column[data-status="{status}"]')


def _card(board: Page, status: str, name: str) -> Locator:
    return _column(board, status).locator(".lead-card", has_text=name)


async def test_panel_status_moves_board_card(
    page: Page, board: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await make_channel(seed_state)
    await make_user(seed_state)
    await _lead_writes(http, "wamid.CL1", "Quero a pós")
    await _open_board(board)
    await expect(_card(board, "novo", "Ana Teste")).to_be_visible()
    panel = await _open_chat(page, "Ana Teste")
    await expect(panel.locator(".phone")).to_have_attribute(
        "href", "tel:+5511900000001"
    )

    await panel.get_by_role("button", name="Qualificado").click()

    await expect(
        panel.locator('.status-button[data-status="qualificado"]')
    ).to_have_attribute("aria-pressed", "true")
    await expect(_card(board, "qualificado", "Ana Teste")).to_be_visible()
    await expect(_column(board, "novo").locator(".lead-card")).to_have_count(0)
    await expect(_column(board, "qualificado").locator("[data-count]")).to_have_text(
        "1"
    )
    await expect(_column(board, "novo").locator("[data-count]")).to_have_text("0")
    await expect(page.locator("#chat-pane .chat-sub .lead-status")).to_have_text(
        "Qualificado"
    )
    assert await board.evaluate("window.sameBoard === true")
    await page.screenshot(path=ARTIFACTS / "conversas-crm-panel.png")


async def test_board_drag_updates_panel(
    page: Page, board: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await make_channel(seed_state)
    await make_user(seed_state)
    await _lead_writes(http, "wamid.CL2", "Tem bolsa?")
    panel = await _open_chat(page, "Ana Teste")
    await expect(panel.locator('.status-button[data-status="novo"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    await _open_board(board)

    await _card(board, "novo", "Ana Teste").drag_to(_column(board, "contato"))

    await expect(_card(board, "contato", "Ana Teste")).to_be_visible()
    await expect(
        panel.locator('.status-button[data-status="contato"]')
    ).to_have_attribute("aria-pressed", "true")
    await expect(panel.locator('.status-button[data-status="novo"]')).to_have_attribute(
        "aria-pressed", "false"
    )
    await expect(page.locator("#chat-pane .chat-sub .lead-status")).to_have_text(
        "Em contato"
    )
    await expect(
        page.locator("#conversation-list .conv-row .lead-status")
    ).to_have_text("Em contato")
    assert await page.evaluate("window.sameInbox === true")


async def test_panel_creates_coloured_tags(
    page: Page, board: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await make_channel(seed_state)
    await make_user(seed_state)
    await _lead_writes(http, "wamid.CL3", "Quero me matricular")
    await _open_board(board)
    panel = await _open_chat(page, "Ana Teste")

    await panel.locator("details.new-tag summary").click()
    await panel.locator("details.new-tag input[name=name]").fill("Bolsa 2027")
    await panel.locator('details.new-tag input[name=color][value="green"]').check()
    await panel.locator("details.new-tag button[type=submit]").click()

    chip = page.locator('#crm-side-body .tag[data-color="green"]')
    await expect(chip).to_have_text("Bolsa 2027")
    await expect(
        _card(board, "novo", "Ana Teste").locator('.tag[data-color="green"]')
    ).to_have_text("Bolsa 2027")

    await panel.locator("details.new-tag summary").click()
    await panel.locator("details.new-tag input[name=name]").fill("Indicação")
    await panel.locator('details.new-tag input[name=color][value="custom"]').check()
    await panel.locator("details.new-tag input[name=custom_color]").fill("#aa3366")
    await panel.locator("details.new-tag button[type=submit]").click()

    custom = page.locator('#crm-side-body .tag[data-custom-color="#aa3366"]')
    await expect(custom).to_have_text("Indicação")
    background = await custom.evaluate(
        "tag => getComputedStyle(tag).getPropertyValue('--tag-bg').trim()"
    )
    assert background == "#aa3366"
    assert await board.evaluate("window.sameBoard === true")


async def test_phone_panel_toggle(
    browser: Browser,
    live_server: LiveServer,
    http: httpx.AsyncClient,
    seed_state: AppState,
) -> None:
    await make_channel(seed_state)
    await make_user(seed_state)
    await _lead_writes(http, "wamid.CL4", "Oi")
    context = await browser.new_context(
        base_url=live_server.url, locale="pt-BR", viewport={"width": 390, "height": 844}
    )
    phone = await context.new_page()
    try:
        await log_in(phone)
        await phone.locator(".conv-row", has_text="Ana Teste").click()
        await expect(phone.locator("#chat-pane")).to_be_visible()
        side = phone.locator("#crm-side")
        await expect(side).to_be_hidden()

        await phone.locator("#crm-toggle").click()

        await expect(side).to_be_visible()
        await expect(side.locator(".crm-panel h2")).to_have_text("Ana Teste")
        await phone.screenshot(path=ARTIFACTS / "conversas-crm-phone.png")
        await side.get_by_role("button", name="Fechar").click()
        await expect(side).to_be_hidden()
    finally:
        await context.close()


async def test_list_assignment_filter(
    page: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await make_channel(seed_state)
    await make_user(seed_state)
    agent = await make_agent(seed_state)
    await _lead_writes(http, "wamid.CL5", "Primeira", wa_id=LEAD, name="Ana Teste")
    await _lead_writes(
        http, "wamid.CL6", "Segunda", wa_id="5511900000002", name="Bia Teste"
    )
    headers = await login(http, "admin@teste.invalid", ADMIN_PASSWORD)
    me = (await http.get("/api/auth/me", headers=headers)).json()
    items = (await http.get("/api/conversations", headers=headers)).json()
    ids = {item["contact"]["name"]: item["id"] for item in items}
    await log_in(page)
    await expect(page.locator("#inbox")).to_have_attribute("data-stream", "open")
    assigned = await http.post(
        f"/api/conversations/{ids['Ana Teste']}/assign",
        json={"user_id": me["id"]},
        headers=headers,
    )
    assert assigned.status_code == 200

    await page.locator("#assigned-filter").select_option("mine")

    rows = page.locator("#conversation-list .conv-row")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Ana Teste")
    await expect(rows.first.locator(".assignee")).to_have_text("Ana Admin Teste")
    assert "assigned=mine" in page.url

    # Taken by someone else: the row leaves the list without a reload; taken
    # by this user: another one joins it.
    await http.post(
        f"/api/conversations/{ids['Ana Teste']}/assign",
        json={"user_id": agent.id},
        headers=headers,
    )
    await expect(rows).to_have_count(0)
    await http.post(
        f"/api/conversations/{ids['Bia Teste']}/assign",
        json={"user_id": me["id"]},
        headers=headers,
    )
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Bia Teste")

    await page.reload()
    await expect(page.locator("#assigned-filter")).to_have_value("mine")
    await expect(rows).to_have_count(1)


async def test_panel_refresh_keeps_typed_notes(
    page: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await make_channel(seed_state)
    await make_user(seed_state)
    await _lead_writes(http, "wamid.CL7", "Pode me ligar?")
    panel = await _open_chat(page, "Ana Teste")
    notes = panel.locator("textarea[name=notes]")
    await notes.click()
    await page.evaluate("document.getElementById('crm-panel').dataset.first = 'yes'")

    await page.keyboard.type("Ligar")

    # The save publishes contact.updated, so the panel is fetched again while
    # the notes box has the focus.
    await expect(page.locator("#crm-panel[data-first]")).to_have_count(0)
    await expect(page.locator("#crm-panel .notes-status")).to_contain_text("Salvo")
    await page.keyboard.type(" amanhã")
    await expect(notes).to_have_value("Ligar amanhã")
    headers = await login(http, "admin@teste.invalid", ADMIN_PASSWORD)
    saved = None
    for _ in range(50):
        contact = await http.get(f"/api/contacts/{LEAD}", headers=headers)
        saved = contact.json()["notes"]
        if saved == "Ligar amanhã":
            break
        await page.wait_for_timeout(200)
    assert saved == "Ligar amanhã"


async def test_new_leads_join_filtered_board(
    board: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    first = await make_channel(seed_state)
    await make_channel(seed_state, CHANNEL_2)
    await make_user(seed_state)
    await _lead_writes(http, "wamid.CL8", "Primeira", name="Ana Teste")
    await log_in(board)
    await board.goto(f"/funil?channel_id={first.id}")
    await expect(board.locator("body")).to_have_attribute("data-board-stream", "open")
    await board.evaluate("window.sameBoard = true")
    novo = _column(board, "novo")
    await expect(novo.locator(".lead-card")).to_have_count(1)

    await _lead_writes(
        http,
        "wamid.CL9",
        "Oi do outro número",
        wa_id="5511900000003",
        name="Caio Teste",
        phone_number_id=CHANNEL_2["phone_number_id"],
    )
    await _lead_writes(
        http, "wamid.CL10", "Oi", wa_id="5511900000002", name="Bia Teste"
    )

    await expect(_card(board, "novo", "Bia Teste")).to_be_visible()
    await expect(novo.locator("[data-count]")).to_have_text("2")
    await expect(novo.locator(".lead-card").first).to_contain_text("Bia Teste")
    # Caio wrote to the other number: once the hub has stored him and the
    # stream has had time to pass the change on, he is still off this board.
    headers = await login(http, "admin@teste.invalid", ADMIN_PASSWORD)
    for _ in range(50):
        if (await http.get("/api/contacts/5511900000003", headers=headers)).is_success:
            break
        await board.wait_for_timeout(100)
    await board.wait_for_timeout(800)
    await expect(board.locator(".lead-card", has_text="Caio Teste")).to_have_count(0)
    await expect(novo.locator("[data-count]")).to_have_text("2")
    assert await board.evaluate("window.sameBoard === true")


async def test_status_filter_drops_changed_rows(
    page: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await make_channel(seed_state)
    await make_user(seed_state)
    await _lead_writes(http, "wamid.CL11", "Oi", wa_id=LEAD, name="Ana Teste")
    await _lead_writes(
        http, "wamid.CL12", "Olá", wa_id="5511900000002", name="Bia Teste"
    )
    headers = await login(http, "admin@teste.invalid", ADMIN_PASSWORD)
    await log_in(page)
    await expect(page.locator("#inbox")).to_have_attribute("data-stream", "open")
    await page.locator("#status-filter").select_option("novo")
    rows = page.locator("#conversation-list .conv-row")
    await expect(rows).to_have_count(2)

    changed = await http.patch(
        f"/api/contacts/{LEAD}/status",
        json={"lead_status": "contato"},
        headers=headers,
    )
    assert changed.status_code == 200

    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Bia Teste")
    assert "status=novo" in page.url


async def test_panel_refresh_keeps_open_forms(
    page: Page, http: httpx.AsyncClient, seed_state: AppState
) -> None:
    await make_channel(seed_state)
    await make_user(seed_state)
    await _lead_writes(http, "wamid.CL13", "Oi")
    headers = await login(http, "admin@teste.invalid", ADMIN_PASSWORD)
    panel = await _open_chat(page, "Ana Teste")
    await panel.locator("details.new-tag summary").click()
    await panel.locator('details.new-tag input[name=color][value="red"]').check()
    name = panel.locator("details.new-tag input[name=name]")
    await name.fill("Retorno")
    await page.evaluate("document.getElementById('crm-panel').dataset.first = 'yes'")

    changed = await http.patch(
        f"/api/contacts/{LEAD}/status",
        json={"lead_status": "qualificado"},
        headers=headers,
    )
    assert changed.status_code == 200

    await expect(page.locator("#crm-panel[data-first]")).to_have_count(0)
    await expect(
        panel.locator('.status-button[data-status="qualificado"]')
    ).to_have_attribute("aria-pressed", "true")
    await expect(panel.locator("details.new-tag")).to_have_attribute("open", "")
    await expect(name).to_have_value("Retorno")
    await expect(name).to_be_focused()
    await expect(
        panel.locator('details.new-tag input[name=color][value="red"]')
    ).to_be_checked()
