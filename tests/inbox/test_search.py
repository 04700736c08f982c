"""Inbox search: order, paging, folding, numbers, filters and channel limits.

A search reads up to ``SEARCH_PROBE_CONVERSATIONS`` conversations one by one
and then turns to the index for the older ones. The tests shrink that number
so that a few dozen conversations cross both parts and the page boundary, and
compare every page with the expected rows.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape as html_unescape

import httpx
import pytest
from sqlalchemy import select

from cenat_hub.db.session import unit_of_work
from cenat_hub.inbox import queries
from cenat_hub.models import (
    Contact,
    ContactIdentity,
    Conversation,
    Message,
    UserChannel,
)
from cenat_hub.web.state import AppState
from tests.factories import AGENT_PASSWORD, CHANNEL_2, make_agent, make_channel
from tests.inbox.helpers import page_login, setup_inbox

HX = {"HX-Request": "true"}
START = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
LEADS = 100


@dataclass(frozen=True)
class Lead:
    """A seeded conversation: its contact's name and the texts of its messages."""

    name: str
    texts: tuple[str, ...]
    # Minutes after START of the newest message. Leads may share a minute.
    minute: int
    channel_id: int = 1
    lead_status: str = "novo"
    assignee_id: int | None = None
    # Leads with the same wa_id are one contact with a conversation per channel.
    wa_id: str | None = None


def _text_of(number: int) -> tuple[str, ...]:
    """Return message texts: two leads in three write the common word."""
    if number % 3 == 0:
        return ("Bom dia", "Quero saber do preço")
    if number % 3 == 1:
        return ("Quando sai o certificado de CONCLUSÃO?", "Obrigado")
    return ("A conclusão do curso é presencial?",)


def _leads() -> list[Lead]:
    leads = [
        Lead(
            name=f"Lead {number:03d}",
            texts=_text_of(number),
            # Pairs of leads share a minute, so the id breaks the tie.
            minute=number // 2,
            lead_status="qualificado" if number % 5 == 0 else "novo",
        )
        for number in range(LEADS)
    ]
    # A rare word, only in the oldest conversations, and once by name alone.
    leads[1] = Lead("Lead 001", ("Paguei pelo Pix, ok?",), minute=0)
    leads[4] = Lead("Lead 004", ("Pix enviado",), minute=2, lead_status="qualificado")
    leads[6] = Lead("Pixote Teste", ("Bom dia",), minute=3)
    return leads


async def _seed(state: AppState, leads: list[Lead]) -> None:
    """Store the leads in order, so that a later lead gets a larger id."""
    contacts: dict[str, Contact] = {}
    async with unit_of_work(state.session_factory) as session:
        for number, lead in enumerate(leads):
            wa_id = lead.wa_id or f"55119{number:08d}"
            contact = contacts.get(wa_id)
            if contact is None:
                contact = Contact(
                    wa_id=wa_id, name=lead.name, lead_status=lead.lead_status
                )
                contacts[wa_id] = contact
                session.add(contact)
                await session.flush()
            newest = START + timedelta(minutes=lead.minute)
            conversation = Conversation(
                channel_id=lead.channel_id,
                contact_id=contact.id,
                assignee_id=lead.assignee_id,
                last_message_at=newest,
            )
            session.add(conversation)
            await session.flush()
            for position, text in enumerate(lead.texts):
                age = timedelta(seconds=len(lead.texts) - 1 - position)
                session.add(
                    Message(
                        channel_id=lead.channel_id,
                        contact_id=contact.id,
                        conversation_id=conversation.id,
                        contact_wa_id=contact.wa_id,
                        direction="inbound",
                        message_type="text",
                        content=text,
                        timestamp=newest - age,
                        status="received",
                    )
                )


def _expected(leads: list[Lead], word: str) -> list[str]:
    """Return the names the search must list, newest first, later id first."""
    numbered = [
        (lead.minute, number, lead.name)
        for number, lead in enumerate(leads)
        if word in lead.name.lower() or any(word in _plain(t) for t in lead.texts)
    ]
    return [name for _minute, _number, name in sorted(numbered, reverse=True)]


def _plain(text: str) -> str:
    return text.lower().replace("ã", "a").replace("ç", "c").replace("é", "e")


def _row_names(html: str) -> list[str]:
    return [
        html_unescape(name)
        for name in re.findall(r'<span class="conv-name">([^<]*)</span>', html)
    ]


def _next_page_url(html: str) -> str | None:
    match = re.search(r'class="list-more" hx-get="([^"]+)"', html)
    return html_unescape(match.group(1)) if match else None


async def _all_pages(
    client: httpx.AsyncClient, params: dict[str, str]
) -> list[list[str]]:
    """Follow the list's cursor from the first page to the last."""
    response = await client.get("/conversas/lista", params=params, headers=HX)
    assert response.status_code == 200
    pages = [_row_names(response.text)]
    next_url = _next_page_url(response.text)
    while next_url is not None:
        response = await client.get(next_url, headers=HX)
        assert response.status_code == 200
        pages.append(_row_names(response.text))
        next_url = _next_page_url(response.text)
    return pages


@pytest.mark.parametrize("probed", [1, 3, 7, 45, 400])
async def test_search_pages_newest_first(
    client: httpx.AsyncClient,
    state: AppState,
    monkeypatch: pytest.MonkeyPatch,
    probed: int,
) -> None:
    monkeypatch.setattr(queries, "SEARCH_PROBE_CONVERSATIONS", probed)
    await setup_inbox(state, client)
    leads = _leads()
    await _seed(state, leads)
    expected = _expected(leads, "conclusao")

    pages = await _all_pages(client, {"channel_id": "1", "q": "Conclusão"})

    assert len(expected) > queries.CONVERSATIONS_PER_PAGE
    assert len(pages) == 2
    assert len(pages[0]) == queries.CONVERSATIONS_PER_PAGE
    assert [name for page in pages for name in page] == expected


@pytest.mark.parametrize("probed", [1, 3, 400])
@pytest.mark.parametrize(
    "term", ["CONCLUSAO", "conclusão", "ConClusÃo", "certificado de conclusao"]
)
async def test_search_folds_accents_and_case(
    client: httpx.AsyncClient,
    state: AppState,
    monkeypatch: pytest.MonkeyPatch,
    probed: int,
    term: str,
) -> None:
    monkeypatch.setattr(queries, "SEARCH_PROBE_CONVERSATIONS", probed)
    await setup_inbox(state, client)
    leads = _leads()
    await _seed(state, leads)

    pages = await _all_pages(client, {"channel_id": "1", "q": term})

    folded = _plain(term)
    assert [name for page in pages for name in page] == _expected(leads, folded)


@pytest.mark.parametrize("probed", [1, 3, 7, 400])
async def test_search_rare_and_missing_words(
    client: httpx.AsyncClient,
    state: AppState,
    monkeypatch: pytest.MonkeyPatch,
    probed: int,
) -> None:
    monkeypatch.setattr(queries, "SEARCH_PROBE_CONVERSATIONS", probed)
    await setup_inbox(state, client)
    await _seed(state, _leads())

    rare = await _all_pages(client, {"channel_id": "1", "q": "PIX"})
    missing = await _all_pages(client, {"channel_id": "1", "q": "inexistente"})

    # The oldest leads write "pix"; Pixote matches by name only.
    assert rare == [["Pixote Teste", "Lead 004", "Lead 001"]]
    assert missing == [[]]


@pytest.mark.parametrize("probed", [1, 3, 400])
async def test_search_keeps_status_filter(
    client: httpx.AsyncClient,
    state: AppState,
    monkeypatch: pytest.MonkeyPatch,
    probed: int,
) -> None:
    monkeypatch.setattr(queries, "SEARCH_PROBE_CONVERSATIONS", probed)
    await setup_inbox(state, client)
    leads = _leads()
    await _seed(state, leads)
    qualified = [lead for lead in leads if lead.lead_status == "qualificado"]

    common = await _all_pages(
        client, {"channel_id": "1", "q": "conclusao", "status": "qualificado"}
    )
    rare = await _all_pages(
        client, {"channel_id": "1", "q": "pix", "status": "qualificado"}
    )

    assert [name for page in common for name in page] == _expected(
        qualified, "conclusao"
    )
    assert rare == [["Lead 004"]]


@pytest.mark.parametrize("probed", [1, 2, 400])
async def test_search_keeps_agent_channel_limits(
    client: httpx.AsyncClient,
    state: AppState,
    monkeypatch: pytest.MonkeyPatch,
    probed: int,
) -> None:
    monkeypatch.setattr(queries, "SEARCH_PROBE_CONVERSATIONS", probed)
    await setup_inbox(state, client)
    await make_channel(state, CHANNEL_2)
    agent = await make_agent(state)
    async with unit_of_work(state.session_factory) as session:
        session.add(UserChannel(user_id=agent.id, channel_id=2))
    # Each lead writes on both channels; only Bia uses the word on channel 2.
    ana, bia, caio = "5511900000001", "5511900000002", "5511900000003"
    leads = [
        Lead("Ana Teste", ("Sobre a conclusão",), minute=5, channel_id=1, wa_id=ana),
        Lead("Bia Teste", ("Bom dia",), minute=4, channel_id=1, wa_id=bia),
        Lead("Caio Teste", ("Conclusão?",), minute=3, channel_id=1, wa_id=caio),
        Lead("Bia Teste", ("E a CONCLUSÃO?",), minute=2, channel_id=2, wa_id=bia),
        Lead("Ana Teste", ("Bom dia",), minute=1, channel_id=2, wa_id=ana),
        Lead("Caio Teste", ("Obrigado",), minute=0, channel_id=2, wa_id=caio),
    ]
    await _seed(state, leads)
    client.cookies.clear()
    await page_login(client, "agente@teste.invalid", AGENT_PASSWORD)

    # Channel 1 is not the agent's, so the list falls back to channel 2.
    hidden_channel = await _all_pages(client, {"channel_id": "1", "q": "conclusao"})
    own_channel = await _all_pages(client, {"channel_id": "2", "q": "conclusao"})

    assert hidden_channel == [["Bia Teste"]]
    assert own_channel == [["Bia Teste"]]


@pytest.mark.parametrize("probed", [1, 3, 400])
async def test_search_keeps_assigned_filter(
    client: httpx.AsyncClient,
    state: AppState,
    monkeypatch: pytest.MonkeyPatch,
    probed: int,
) -> None:
    monkeypatch.setattr(queries, "SEARCH_PROBE_CONVERSATIONS", probed)
    await setup_inbox(state, client)
    agent = await make_agent(state)
    leads = [
        Lead(
            f"Lead {number:03d}",
            _text_of(number),
            minute=number,
            assignee_id=agent.id if number % 4 == 0 else None,
        )
        for number in range(30)
    ]
    await _seed(state, leads)
    client.cookies.clear()
    await page_login(client, "agente@teste.invalid", AGENT_PASSWORD)
    mine = [lead for lead in leads if lead.assignee_id == agent.id]
    nobody = [lead for lead in leads if lead.assignee_id is None]

    own = await _all_pages(
        client, {"channel_id": "1", "q": "conclus", "assigned": "mine"}
    )
    free = await _all_pages(
        client, {"channel_id": "1", "q": "conclus", "assigned": "unassigned"}
    )

    assert [name for page in own for name in page] == _expected(mine, "conclus")
    assert [name for page in free for name in page] == _expected(nobody, "conclus")


@pytest.mark.parametrize("probed", [1, 400])
async def test_search_finds_phone_numbers(
    client: httpx.AsyncClient,
    state: AppState,
    monkeypatch: pytest.MonkeyPatch,
    probed: int,
) -> None:
    monkeypatch.setattr(queries, "SEARCH_PROBE_CONVERSATIONS", probed)
    await setup_inbox(state, client)
    await _seed(state, _leads())
    async with unit_of_work(state.session_factory) as session:
        contact = (
            await session.execute(select(Contact).where(Contact.name == "Lead 002"))
        ).scalar_one()
        session.add(
            ContactIdentity(contact_id=contact.id, kind="phone", value="5511988887777")
        )

    by_wa_id = await _all_pages(client, {"channel_id": "1", "q": "(11) 9000-00004"})
    by_identity = await _all_pages(client, {"channel_id": "1", "q": "8888-7777"})

    assert by_wa_id == [["Lead 004"]]
    assert by_identity == [["Lead 002"]]
