"""The list's assignment filter: mine, unassigned and all, in pages and fragments."""

import re
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from cenat_hub.inbox.live import FragmentRenderer
from cenat_hub.models import User
from cenat_hub.web.state import AppState
from tests.factories import ADMIN_PASSWORD, AGENT_PASSWORD, login, make_agent
from tests.inbox.helpers import (
    conversation_for,
    lead_writes,
    page_login,
    setup_inbox,
)

ZONE = ZoneInfo("America/Sao_Paulo")
ADMIN_LEAD = "5511900000001"
AGENT_LEAD = "5511900000002"
FREE_LEAD = "5511900000003"
HX = {"HX-Request": "true"}


async def _three_conversations(
    client: httpx.AsyncClient, state: AppState
) -> dict[str, int]:
    """One conversation of the admin, one of the agent and one unassigned."""
    await setup_inbox(state, client)
    agent = await make_agent(state)
    await lead_writes(
        client, state, wamid="wamid.AF1", wa_id=ADMIN_LEAD, name="Ana Teste"
    )
    await lead_writes(
        client, state, wamid="wamid.AF2", wa_id=AGENT_LEAD, name="Bia Teste"
    )
    await lead_writes(
        client, state, wamid="wamid.AF3", wa_id=FREE_LEAD, name="Caio Teste"
    )
    admin_api = await login(client, "admin@teste.invalid", ADMIN_PASSWORD)
    ids = {
        wa_id: (await conversation_for(state, wa_id)).id
        for wa_id in (ADMIN_LEAD, AGENT_LEAD, FREE_LEAD)
    }
    admin_id = (await client.get("/api/auth/me", headers=admin_api)).json()["id"]
    for wa_id, user_id in ((ADMIN_LEAD, admin_id), (AGENT_LEAD, agent.id)):
        response = await client.post(
            f"/api/conversations/{ids[wa_id]}/assign",
            json={"user_id": user_id},
            headers=admin_api,
        )
        assert response.status_code == 200, response.text
    return ids


def _row_ids(html: str) -> set[int]:
    return {int(found) for found in re.findall(r'id="conv-(\d+)"', html)}


async def test_list_fragment_follows_the_filter(
    client: httpx.AsyncClient, state: AppState
) -> None:
    ids = await _three_conversations(client, state)

    async def rows(assigned: str) -> set[int]:
        response = await client.get(
            "/conversas/lista", params={"assigned": assigned}, headers=HX
        )
        assert response.status_code == 200
        return _row_ids(response.text)

    assert await rows("mine") == {ids[ADMIN_LEAD]}
    assert await rows("unassigned") == {ids[FREE_LEAD]}
    assert await rows("all") == set(ids.values())
    # An unknown value falls back to every conversation.
    assert await rows("everything") == set(ids.values())


async def test_filter_is_per_user(client: httpx.AsyncClient, state: AppState) -> None:
    ids = await _three_conversations(client, state)
    client.cookies.clear()
    await page_login(client, "agente@teste.invalid", AGENT_PASSWORD)

    response = await client.get("/conversas/lista?assigned=mine", headers=HX)

    assert _row_ids(response.text) == {ids[AGENT_LEAD]}
    assert "Bruno Atendente Teste" in response.text


async def test_page_keeps_the_filter_and_names_assignees(
    client: httpx.AsyncClient, state: AppState
) -> None:
    ids = await _three_conversations(client, state)

    page = await client.get("/conversas", params={"assigned": "mine"})
    everything = await client.get("/conversas")

    assert page.status_code == 200
    assert _row_ids(page.text) == {ids[ADMIN_LEAD]}
    assert re.search(r'<option value="mine" selected>', page.text)
    assert 'class="assignee"' in page.text
    assert "Ana Admin Teste" in page.text
    assert _row_ids(everything.text) == set(ids.values())
    assert re.search(r'<option value="all" selected>', everything.text)
    assert "Bruno Atendente Teste" in everything.text


async def test_plain_list_request_redirects_with_the_filter(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await _three_conversations(client, state)

    response = await client.get("/conversas/lista?assigned=unassigned&q=ana")

    assert response.status_code == 303
    assert "assigned=unassigned" in response.headers["location"]


async def test_stream_row_carries_the_assignee(
    client: httpx.AsyncClient, state: AppState
) -> None:
    ids = await _three_conversations(client, state)
    async with state.session_factory() as session:
        admin = (
            await session.execute(
                select(User).where(User.email == "admin@teste.invalid")
            )
        ).scalar_one()
        agent = (
            await session.execute(
                select(User).where(User.email == "agente@teste.invalid")
            )
        ).scalar_one()
        fragments = await FragmentRenderer(session, admin, ZONE).for_event(
            "conversation.updated", {"conversation_id": ids[AGENT_LEAD]}
        )

    [row] = fragments
    assert row.kind == "conversation"
    assert row.data["assignee_id"] == agent.id
    assert row.data["wa_id"] == AGENT_LEAD
    assert f'data-assignee-id="{agent.id}"' in row.data["html"]
    assert "Bruno Atendente Teste" in row.data["html"]
