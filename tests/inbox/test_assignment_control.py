"""Take and release from the chat header, over HTTP, with the rules of assignment."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from cenat_hub.web.security import CSRF_HEADER, SESSION_COOKIE, csrf_token_for
from cenat_hub.web.state import AppState
from tests.factories import AGENT_PASSWORD, make_agent
from tests.inbox.helpers import conversation_for, lead_writes, page_login, setup_inbox

LEAD = "5511900000001"


def _csrf(client: httpx.AsyncClient, state: AppState) -> dict[str, str]:
    secret = state.settings.jwt_secret.get_secret_value()
    return {CSRF_HEADER: csrf_token_for(client.cookies[SESSION_COOKIE], secret)}


@asynccontextmanager
async def _agent_client(app: FastAPI, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """Yield a client with its own cookies, logged in as the agent ``email``."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hub.test"
    ) as other:
        await page_login(other, email, AGENT_PASSWORD)
        yield other


async def test_agent_takes_and_releases(
    app: FastAPI, client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await make_agent(state, email="bia@teste.invalid", name="Bia Atendente Teste")
    await lead_writes(client, state, wamid="wamid.TK1", wa_id=LEAD)
    conversation = await conversation_for(state, LEAD)
    url = f"/conversas/{conversation.id}/responsavel"
    async with _agent_client(app, "bia@teste.invalid") as agent:
        shown = await agent.get(url)
        assert shown.status_code == 200
        assert "Sem responsável" in shown.text
        assert "Assumir" in shown.text

        taken = await agent.post(
            url, data={"action": "take"}, headers=_csrf(agent, state)
        )
        assert taken.status_code == 200
        assert "Com você" in taken.text
        assert "Soltar" in taken.text
        assert (await conversation_for(state, LEAD)).assignee_id is not None

        admin_view = await client.get(url)
        assert "Com Bia Atendente Teste" in admin_view.text

        released = await agent.post(
            url, data={"action": "release"}, headers=_csrf(agent, state)
        )
        assert released.status_code == 200
        assert "Sem responsável" in released.text
        assert (await conversation_for(state, LEAD)).assignee_id is None


async def test_agent_cannot_take_or_release_anothers(
    app: FastAPI, client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await make_agent(state, email="bia@teste.invalid", name="Bia Atendente Teste")
    await make_agent(state, email="caio@teste.invalid", name="Caio Atendente Teste")
    await lead_writes(client, state, wamid="wamid.TK2", wa_id=LEAD)
    conversation = await conversation_for(state, LEAD)
    url = f"/conversas/{conversation.id}/responsavel"
    async with (
        _agent_client(app, "bia@teste.invalid") as bia,
        _agent_client(app, "caio@teste.invalid") as caio,
    ):
        await bia.post(url, data={"action": "take"}, headers=_csrf(bia, state))
        owner = (await conversation_for(state, LEAD)).assignee_id

        late_take = await caio.post(
            url, data={"action": "take"}, headers=_csrf(caio, state)
        )
        foreign_release = await caio.post(
            url, data={"action": "release"}, headers=_csrf(caio, state)
        )

        assert late_take.status_code == 409
        assert "Outro atendente assumiu esta conversa antes." in late_take.text
        assert "Com Bia Atendente Teste" in late_take.text
        assert foreign_release.status_code == 403
        assert "Só o responsável ou um administrador" in foreign_release.text
        assert (await conversation_for(state, LEAD)).assignee_id == owner


async def test_admin_takes_assigned_conversation(
    app: FastAPI, client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await make_agent(state, email="bia@teste.invalid", name="Bia Atendente Teste")
    await lead_writes(client, state, wamid="wamid.TK3", wa_id=LEAD)
    conversation = await conversation_for(state, LEAD)
    url = f"/conversas/{conversation.id}/responsavel"
    async with _agent_client(app, "bia@teste.invalid") as bia:
        await bia.post(url, data={"action": "take"}, headers=_csrf(bia, state))

    taken = await client.post(
        url, data={"action": "take"}, headers=_csrf(client, state)
    )

    assert taken.status_code == 200
    assert "Com você" in taken.text


async def test_bad_action_csrf_and_unknown_conversation(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.TK4", wa_id=LEAD)
    conversation = await conversation_for(state, LEAD)
    url = f"/conversas/{conversation.id}/responsavel"

    bad_action = await client.post(
        url, data={"action": "give"}, headers=_csrf(client, state)
    )
    no_csrf = await client.post(url, data={"action": "take"})
    unknown = await client.post(
        "/conversas/999999/responsavel",
        data={"action": "take"},
        headers=_csrf(client, state),
    )

    assert bad_action.status_code == 422
    assert no_csrf.status_code == 403
    assert unknown.status_code == 404
    assert (await conversation_for(state, LEAD)).assignee_id is None


async def test_two_agents_taking_at_once_get_one_owner(
    app: FastAPI, client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    bia_user = await make_agent(
        state, email="bia@teste.invalid", name="Bia Atendente Teste"
    )
    caio_user = await make_agent(
        state, email="caio@teste.invalid", name="Caio Atendente Teste"
    )
    for round_number in range(5):
        wa_id = f"55119000001{round_number:02d}"
        await lead_writes(client, state, wamid=f"wamid.TKR{round_number}", wa_id=wa_id)
        conversation = await conversation_for(state, wa_id)
        url = f"/conversas/{conversation.id}/responsavel"
        async with (
            _agent_client(app, "bia@teste.invalid") as bia,
            _agent_client(app, "caio@teste.invalid") as caio,
        ):
            answers = await asyncio.gather(
                bia.post(url, data={"action": "take"}, headers=_csrf(bia, state)),
                caio.post(url, data={"action": "take"}, headers=_csrf(caio, state)),
            )

        codes = sorted(answer.status_code for answer in answers)
        assert codes == [200, 409], [answer.text for answer in answers]
        winner = bia_user if answers[0].status_code == 200 else caio_user
        pages = {answer.status_code: answer.text for answer in answers}
        assert "Com você" in pages[200]
        assert f"Com {winner.name}" in pages[409]
        assert (await conversation_for(state, wa_id)).assignee_id == winner.id
