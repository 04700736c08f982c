"""Every page speaks the user's language: Portuguese by default, English on request.

Each page is rendered through HTTP once for a Portuguese user and once after
the same user switches to English; known texts of one language must appear
and those of the other must not.
"""

import json
import re
import time
from html import unescape

import httpx
import pytest

from cenat_hub.web.security import CSRF_HEADER
from cenat_hub.web.state import AppState
from tests.crm.helpers import receive_text
from tests.factories import (
    ADMIN_PASSWORD,
    AGENT_PASSWORD,
    CHANNEL_1,
    make_agent,
    make_channel,
    make_user,
    page_login,
)

HTML = {"Accept": "text/html"}

# Per page: texts only the Portuguese page shows, texts only the English one shows.
PAGES = {
    "/usuarios": (
        ["Novo usuário", "Criar usuário", "Atividade recente", "Situação", "Ações"],
        ["New user", "Create user", "Recent activity", "Status", "Actions"],
    ),
    "/conta/senha": (
        ["Senha atual", "Repita a nova senha", "Alterar senha"],
        ["Current password", "Repeat the new password", "Change password"],
    ),
    "/canais": (
        ["Números cadastrados", "Adicionar canal", "Canais de cada atendente"],
        ["Registered numbers", "Add channel", "Channels of each agent"],
    ),
    "/funil": (
        [">Matriculado</h2>", "Exportar CSV", "Motivo da perda", "Janela aberta"],
        [">Enrolled</h2>", "Export CSV", "Lost reason", "Window open"],
    ),
    "/crm/panel/5511900000001": (
        ["Notas internas", "Nenhuma tag.", "Histórico</h3>", "Conversas por número"],
        ["Internal notes", "No tags.", "History</h3>", "Conversations by number"],
    ),
    "/dashboard": (
        ["Conversas ativas", "Tempo de primeira resposta", "Últimos 7 dias"],
        ["Active conversations", "First answer time", "Last 7 days"],
    ),
    "/nova-conversa": (
        ["Telefone do lead", "Escolha um template para ver a prévia.", "Prévia"],
        ["Lead phone", "Choose a template to see the preview.", "Preview"],
    ),
}


@pytest.fixture
async def page_client(client: httpx.AsyncClient, state: AppState) -> httpx.AsyncClient:
    """An admin logged in through the login page, with a channel and a lead."""
    await make_user(state)
    await make_agent(state)
    await make_channel(state, {**CHANNEL_1, "waba_id": ""})
    client.headers[CSRF_HEADER] = await page_login(
        client, state, "admin@teste.invalid", ADMIN_PASSWORD
    )
    # A message that just arrived keeps the 24-hour window open.
    await receive_text(
        client,
        state,
        wamid="wamid.I18N1",
        timestamp=int(time.time()),
    )
    return client


async def _switch_to_english(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/preferencias/idioma",
        data={"locale": "en", "csrf_token": client.headers[CSRF_HEADER]},
    )
    assert response.status_code == 303


async def _page(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path, headers=HTML)
    assert response.status_code == 200, response.text
    return response.text


def _assert_language(html: str, shown: list[str], hidden: list[str]) -> None:
    assert [text for text in shown if text not in html] == []
    assert [text for text in hidden if text in html] == []


@pytest.mark.parametrize("path", PAGES)
async def test_page_in_portuguese_then_english(
    page_client: httpx.AsyncClient, path: str
) -> None:
    portuguese, english = PAGES[path]
    html = await _page(page_client, path)
    assert 'lang="pt-BR"' in html
    _assert_language(html, portuguese, english)

    await _switch_to_english(page_client)

    html = await _page(page_client, path)
    assert 'lang="en"' in html
    _assert_language(html, english, portuguese)


def _created_on(html: str) -> str:
    return html.split("<dt>", 3)[2].split("<dd>")[1].split("</dd>")[0]


async def test_dates_follow_the_locale(page_client: httpx.AsyncClient) -> None:
    panel = await _page(page_client, "/crm/panel/5511900000001")
    dashboard = await _page(page_client, "/dashboard")
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", _created_on(panel))
    assert re.search(r"De \d{2}/\d{2}/\d{4} a \d{2}/\d{2}/\d{4}", dashboard)

    await _switch_to_english(page_client)

    panel = await _page(page_client, "/crm/panel/5511900000001")
    dashboard = await _page(page_client, "/dashboard")
    created = _created_on(panel)
    assert re.fullmatch(r"\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}\s[AP]M", created)
    assert re.search(r"From \d{1,2}/\d{1,2}/\d{2} to \d{1,2}/\d{1,2}/\d{2}", dashboard)


async def test_handler_messages_follow_locale(
    page_client: httpx.AsyncClient,
) -> None:
    await _switch_to_english(page_client)

    mismatch = await page_client.post(
        "/conta/senha",
        data={
            "current_password": ADMIN_PASSWORD,
            "new_password": "nova-senha-123",
            "confirm_password": "outra-senha-123",
        },
        headers=HTML,
    )
    duplicate = await page_client.post(
        "/canais",
        data={**CHANNEL_1, "waba_id": ""},
        headers={"HX-Request": "true"},
    )
    bad_csv = await page_client.post(
        "/funil/importar",
        files={"file": ("leads.csv", b"\x00\x01", "text/csv")},
        headers={"HX-Request": "true"},
    )

    assert "The confirmation does not match the new password." in mismatch.text
    assert "A channel with this Phone Number ID already exists." in duplicate.text
    assert "Já existe" not in duplicate.text
    assert bad_csv.status_code == 400
    assert "The file is not a valid CSV" in bad_csv.text


def _script_texts(html: str) -> dict[str, str]:
    """Read the texts the layout hands to the page scripts."""
    match = re.search(r"data-page-texts='([^']*)'", html)
    assert match, "the layout has no data-page-texts attribute"
    return json.loads(unescape(match.group(1)))


async def test_error_page_and_script_texts(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_agent(state)
    client.headers[CSRF_HEADER] = await page_login(
        client, state, "agente@teste.invalid", AGENT_PASSWORD
    )
    denied = await client.get("/usuarios", headers=HTML)
    assert denied.status_code == 403
    assert "Acesso negado" in denied.text
    assert _script_texts(denied.text)["moveFailed"] == "Não foi possível mover o lead."

    await _switch_to_english(client)

    denied = await client.get("/usuarios", headers=HTML)
    assert denied.status_code == 403
    assert (
        "Access denied" in denied.text and "restricted to administrators" in denied.text
    )
    assert "Acesso negado" not in denied.text
    assert _script_texts(denied.text)["moveFailed"] == "Could not move the lead."
