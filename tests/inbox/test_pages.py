"""The Conversas page and its fragments, through real HTTP on the app."""

import asyncio
import json
import re
from html import unescape as html_unescape

import httpx
import pytest
from sqlalchemy import select

from cenat_hub.db.session import unit_of_work
from cenat_hub.inbox import queries
from cenat_hub.models import Contact, User, UserChannel
from cenat_hub.web.state import AppState
from tests.factories import CHANNEL_2, make_channel, make_user
from tests.inbox.helpers import (
    XSS_NAME,
    XSS_TEXT,
    conversation_for,
    lead_writes,
    now_ts,
    page_login,
    setup_inbox,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def graph_calls() -> list[dict[str, object]]:
    return []


@pytest.fixture
def graph_transport(
    request: pytest.FixtureRequest, graph_calls: list[dict[str, object]]
) -> httpx.AsyncBaseTransport:
    """A Graph API that records read receipts; it fails them for one test."""
    failing = "failure_is_logged" in request.node.name

    def handle(call: httpx.Request) -> httpx.Response:
        body = json.loads(call.content)
        graph_calls.append(body)
        if failing:
            return httpx.Response(400, json={"error": {"code": 100, "message": "bad"}})
        return httpx.Response(200, json={"success": True})

    return httpx.MockTransport(handle)


async def test_page_escapes_lead_data(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.XSS1", name=XSS_NAME, body=XSS_TEXT)

    page = await client.get("/conversas?contact=5511900000001")

    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert (
        '<a href="https://example.org/curso?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer">' in html
    )


async def test_list_keyset_paging(client: httpx.AsyncClient, state: AppState) -> None:
    await setup_inbox(state, client)
    base = now_ts(-3600)
    for number in range(45):
        await lead_writes(
            client,
            state,
            wamid=f"wamid.PAGE{number}",
            wa_id=f"55119000001{number:02d}",
            name=f"Lead {number:02d}",
            timestamp=base + number // 2,  # pairs share a second
        )

    first = await client.get("/conversas/lista?channel_id=1", headers=HX)
    names = _row_names(first.text)
    assert len(names) == queries.CONVERSATIONS_PER_PAGE
    next_url = _next_page_url(first.text)
    second = await client.get(next_url, headers=HX)
    names += _row_names(second.text)

    assert _next_page_url(second.text) is None
    assert names == [f"Lead {number:02d}" for number in range(44, -1, -1)]


async def test_search_accents_numbers_text(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await lead_writes(
        client, state, wamid="wamid.A1", wa_id="5511900000031", name="João Teste"
    )
    await lead_writes(
        client, state, wamid="wamid.A2", wa_id="5511900000032", name="Joao Outro"
    )
    await lead_writes(
        client,
        state,
        wamid="wamid.A3",
        wa_id="5511900000033",
        name="Maria Teste",
        body="Quero INFORMAÇÕES sobre a pós",
    )

    async def search(term: str) -> list[str]:
        response = await client.get(
            "/conversas/lista", params={"channel_id": 1, "q": term}, headers=HX
        )
        return sorted(_row_names(response.text))

    assert await search("joao") == ["Joao Outro", "João Teste"]
    assert await search("JOÃO") == ["Joao Outro", "João Teste"]
    assert await search("informacoes sobre a pos") == ["Maria Teste"]
    assert await search("Informações") == ["Maria Teste"]
    assert await search("(11) 90000-0033") == ["Maria Teste"]
    assert await search("100%_") == []


async def test_status_filter(client: httpx.AsyncClient, state: AppState) -> None:
    await setup_inbox(state, client)
    await lead_writes(
        client, state, wamid="wamid.ST1", wa_id="5511900000041", name="Nova Teste"
    )
    await lead_writes(
        client, state, wamid="wamid.ST2", wa_id="5511900000042", name="Quali Teste"
    )
    async with unit_of_work(state.session_factory) as session:
        contact = (
            await session.execute(
                select(Contact).where(Contact.wa_id == "5511900000042")
            )
        ).scalar_one()
        contact.lead_status = "qualificado"

    response = await client.get(
        "/conversas/lista",
        params={"channel_id": 1, "status": "qualificado"},
        headers=HX,
    )

    assert _row_names(response.text) == ["Quali Teste"]


async def test_opening_marks_conversation_read(
    client: httpx.AsyncClient, state: AppState, graph_calls: list[dict[str, object]]
) -> None:
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.R1", body="Primeira")
    await lead_writes(client, state, wamid="wamid.R2", body="Segunda")
    conversation = await conversation_for(state, "5511900000001")
    assert conversation.unread_count == 2
    queue = state.events.subscribe()

    response = await client.get(f"/conversas/{conversation.id}", headers=HX)

    assert response.status_code == 200
    assert (await conversation_for(state, "5511900000001")).unread_count == 0
    # On PostgreSQL the lead's message.new events travel through NOTIFY and
    # may reach the queue after it was subscribed; skip them.
    event = await asyncio.wait_for(queue.get(), timeout=5)
    while event.kind == "message.new":
        event = await asyncio.wait_for(queue.get(), timeout=5)
    assert event.kind == "conversation.updated"
    assert event.data == {"conversation_id": conversation.id}
    assert graph_calls == [
        {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.R2"}
    ]

    await client.get(f"/conversas/{conversation.id}", headers=HX)
    assert len(graph_calls) == 1


async def test_read_receipt_failure_is_logged_not_raised(
    client: httpx.AsyncClient, state: AppState, graph_calls: list[dict[str, object]]
) -> None:
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.FAILREAD", body="Oi")
    conversation = await conversation_for(state, "5511900000001")

    response = await client.get(f"/conversas/{conversation.id}", headers=HX)

    assert response.status_code == 200
    assert (await conversation_for(state, "5511900000001")).unread_count == 0


async def test_older_messages_load_by_cursor(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    base = now_ts(-3600)
    for number in range(queries.MESSAGES_PER_PAGE + 5):
        await lead_writes(
            client,
            state,
            wamid=f"wamid.H{number}",
            body=f"msg {number}",
            timestamp=base,
        )
    conversation = await conversation_for(state, "5511900000001")

    first = await client.get(f"/conversas/{conversation.id}", headers=HX)
    newest = _texts(first.text)
    older_url = re.search(
        r'hx-get="(/conversas/\d+/mensagens\?before=[^"]+)"', first.text
    )
    assert older_url is not None
    second = await client.get(html_unescape(older_url.group(1)), headers=HX)

    assert _texts(second.text) + newest == [
        f"msg {number}" for number in range(queries.MESSAGES_PER_PAGE + 5)
    ]
    assert "Início da conversa" in second.text


async def test_hidden_channel_conversation_not_found(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await make_channel(state, CHANNEL_2)
    await make_user(
        state, email="agente@teste.invalid", password="senha-agente-1", role="atendente"
    )
    await lead_writes(client, state, wamid="wamid.HID1")
    conversation = await conversation_for(state, "5511900000001")
    async with unit_of_work(state.session_factory) as session:
        agent = (
            await session.execute(
                select(User).where(User.email == "agente@teste.invalid")
            )
        ).scalar_one()
        session.add(UserChannel(user_id=agent.id, channel_id=2))
    client.cookies.clear()
    await page_login(client, "agente@teste.invalid", "senha-agente-1")

    response = await client.get(f"/conversas/{conversation.id}", headers=HX)

    assert response.status_code == 404


def _row_names(html: str) -> list[str]:
    return [
        html_unescape(name)
        for name in re.findall(r'<span class="conv-name">([^<]*)</span>', html)
    ]


def _texts(html: str) -> list[str]:
    return [
        html_unescape(text)
        for text in re.findall(r'<p class="msg-text">([^<]*)</p>', html)
    ]


def _next_page_url(html: str) -> str | None:
    match = re.search(r'class="list-more" hx-get="([^"]+)"', html)
    return html_unescape(match.group(1)) if match else None


async def test_impossible_cursor_starts_from_the_top(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.CUR1", wa_id="5511900000001")
    conversation = await conversation_for(state, "5511900000001")

    for cursor in ("1_²", f"1_{2**31}", f"1_{2**63}", f"{'9' * 30}_1"):
        rows = await client.get(
            "/conversas/lista", params={"channel_id": 1, "after": cursor}, headers=HX
        )
        older = await client.get(
            f"/conversas/{conversation.id}/mensagens",
            params={"before": cursor},
            headers=HX,
        )
        assert rows.status_code == 200, cursor
        assert "Ana Teste" in rows.text
        assert older.status_code == 200, cursor
