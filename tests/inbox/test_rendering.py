"""Every stored webhook variant renders in the chat as a person expects."""

import json
import re
from html import unescape
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from cenat_hub.inbox.rendering import format_wa_id, linkify
from cenat_hub.models import Conversation
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.factories import text_message_payload
from tests.inbox.helpers import conversation_for, lead_writes, now_ts, setup_inbox

FIXTURES = Path(__file__).parent.parent / "fixtures" / "webhooks"
HX = {"HX-Request": "true"}


@pytest.fixture
def graph_transport() -> httpx.AsyncBaseTransport:
    """A Graph API that accepts read receipts."""
    return httpx.MockTransport(lambda _: httpx.Response(200, json={"success": True}))


def _reaction(wamid: str, target: str, emoji: str, timestamp: int) -> dict[str, object]:
    payload = text_message_payload(wamid=wamid, timestamp=timestamp)
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    del message["text"]
    message.update(type="reaction", reaction={"message_id": target, "emoji": emoji})
    return payload


async def test_reaction_shown_until_withdrawn(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.RE1", body="Pode ser amanhã?")
    conversation = await conversation_for(state, "5511900000001")

    await post_webhook(
        client, _reaction("wamid.RE2", "wamid.RE1", "👍", now_ts()), state
    )
    html = await _whole_chat(client, conversation.id)
    assert '<span class="reaction" title="Reação do lead">👍</span>' in html
    assert html.count('class="msg ') == 1

    await post_webhook(client, _reaction("wamid.RE3", "wamid.RE1", "", now_ts()), state)
    assert 'class="reaction"' not in await _whole_chat(client, conversation.id)


async def _whole_chat(client: httpx.AsyncClient, conversation_id: int) -> str:
    response = await client.get(f"/conversas/{conversation_id}", headers=HX)
    assert response.status_code == 200, response.text
    pages = [response.text]
    while match := re.search(
        r'hx-get="(/conversas/\d+/mensagens\?before=[^"]+)"', pages[-1]
    ):
        older = await client.get(unescape(match.group(1)), headers=HX)
        assert older.status_code == 200
        pages.append(older.text)
    return "\n".join(pages)


async def test_every_fixture_renders(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    for path in sorted(FIXTURES.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        await post_webhook(client, document["payload"], state)
    async with state.session_factory() as session:
        ids = list((await session.execute(select(Conversation.id))).scalars())

    html = "\n".join(
        [await _whole_chat(client, conversation_id) for conversation_id in ids]
    )
    page = await client.get("/conversas")
    assert page.status_code == 200

    expected = [
        "Rua Exemplo, 100",
        "https://maps.google.com/?q=-22.906847,-43.172897",
        "Declaração de Matrícula - João.pdf",
        "media-status",
        "Mensagem de voz",
        "Figurinha",
        "Mariana Exemplo",
        "Escolheu na lista",
        "Turma da manhã",
        "Tocou em um botão",
        "Formulário respondido",
        "O lead permitiu ligações.",
        "O lead recusou ligações.",
        "Pedido com",
        "Veio de um anúncio",
        "O lead abriu a conversa.",
        "Encaminhada",
        "Encaminhada com frequência",
        'class="quote"',
        "O lead apagou esta mensagem.",
        "Editada",
        "tipo não suportado",
        "App WhatsApp Business",
    ]
    missing = [text for text in expected if text not in unescape(html)]
    assert missing == []


def test_linkify_escapes_then_links() -> None:
    html = str(
        linkify(
            '<b>oi</b> javascript:alert(1) http://a.test/x?y=1&z="2" https://b.test/p).'
        )
    )
    assert html.startswith("&lt;b&gt;oi&lt;/b&gt; javascript:alert(1) ")
    assert '<a href="http://a.test/x?y=1&amp;z=" target="_blank"' in html
    assert (
        '<a href="https://b.test/p" target="_blank" rel="noopener noreferrer">' in html
    )
    assert html.endswith("</a>).")
    assert "<b>" not in html


def test_format_brazilian_numbers() -> None:
    assert format_wa_id("5511900000001") == "+55 11 90000-0001"
    assert format_wa_id("551190000001") == "+55 11 9000-0001"
    assert format_wa_id("14155550100") == "+14155550100"
