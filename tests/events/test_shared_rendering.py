"""One event is rendered once per user, however many pages that user has open."""

import asyncio
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from cenat_hub.events.hub import Event
from cenat_hub.events.stream import _render_once
from cenat_hub.models import Message, User
from cenat_hub.web.state import AppState
from tests.factories import make_agent
from tests.inbox.helpers import lead_writes, setup_inbox

ZONE = ZoneInfo("America/Sao_Paulo")


async def _user_ids_and_message(state: AppState) -> tuple[int, int, int]:
    async with state.session_factory() as session:
        rows = (await session.execute(select(User.email, User.id))).all()
        users = {email: user_id for email, user_id in rows}
        message_id = (await session.execute(select(Message.id))).scalar_one()
    return users["admin@teste.invalid"], users["agente@teste.invalid"], message_id


def _event_names(chunk: bytes) -> list[str]:
    return [
        line.removeprefix("event:").strip()
        for line in chunk.decode().splitlines()
        if line.startswith("event:")
    ]


async def test_streams_of_one_user_share_rendering(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await make_agent(state)
    await lead_writes(client, state, wamid="wamid.SR1")
    admin_id, agent_id, message_id = await _user_ids_and_message(state)
    event = Event("message.new", {"message_id": message_id})

    admin_results = await asyncio.gather(
        *(_render_once(state, admin_id, ZONE, event) for _ in range(5))
    )
    agent_result = await _render_once(state, agent_id, ZONE, event)

    first = admin_results[0]
    assert first is not None
    # All fragments of the event travel in one chunk, one write per stream.
    assert len(first) == 1
    assert _event_names(first[0]) == ["message", "conversation"]
    assert all(result is first for result in admin_results)
    assert agent_result is not None
    assert agent_result is not first
    assert set(event.renderings) == {admin_id, agent_id}


async def test_new_event_is_rendered_again(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await make_agent(state)
    await lead_writes(client, state, wamid="wamid.SR2")
    admin_id, _agent_id, message_id = await _user_ids_and_message(state)

    first = await _render_once(
        state, admin_id, ZONE, Event("message.new", {"message_id": message_id})
    )
    second = await _render_once(
        state, admin_id, ZONE, Event("message.new", {"message_id": message_id})
    )

    assert first is not None
    assert second is not None
    assert first is not second
    assert Event("message.new", {"message_id": 1}) == Event(
        "message.new", {"message_id": 1}
    )
