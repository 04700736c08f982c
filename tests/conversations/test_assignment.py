import asyncio
import time

import httpx

from cenat_hub.channels.access import set_user_channels
from cenat_hub.db.session import unit_of_work
from cenat_hub.events.hub import Event
from cenat_hub.models import Conversation, User
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.factories import (
    CHANNEL_1,
    CHANNEL_2,
    admin_headers,
    agent_headers,
    make_agent,
    make_channel,
    text_message_payload,
)

LEAD = "5511900000001"


async def _conversation_ids(state: AppState) -> list[int]:
    async with state.session_factory() as session:
        statement = Conversation.__table__.select().order_by(Conversation.id)
        return [row.id for row in (await session.execute(statement)).all()]


async def _lead_writes(
    client: httpx.AsyncClient,
    state: AppState,
    wamid: str,
    channel: dict[str, str] = CHANNEL_1,
    wa_id: str = LEAD,
    seconds_ago: int = 600,
) -> None:
    payload = text_message_payload(
        wamid=wamid,
        wa_id=wa_id,
        phone_number_id=channel["phone_number_id"],
        timestamp=int(time.time()) - seconds_ago,
    )
    await post_webhook(client, payload, state)


async def _assignee(state: AppState, conversation_id: int) -> int | None:
    async with state.session_factory() as session:
        conversation = await session.get(Conversation, conversation_id)
        assert conversation is not None
        return conversation.assignee_id


async def _drain(queue: asyncio.Queue[Event]) -> list[Event]:
    events = []
    while not queue.empty():
        events.append(queue.get_nowait())
    return events


async def test_agent_takes_free_conversation(
    client: httpx.AsyncClient, state: AppState
) -> None:
    channel = await make_channel(state)
    await _lead_writes(client, state, "wamid.AS1")
    [conversation_id] = await _conversation_ids(state)
    agent, headers = await agent_headers(client, state)
    queue = state.events.subscribe()

    response = await client.post(
        f"/api/conversations/{conversation_id}/assign",
        json={"user_id": agent.id},
        headers=headers,
    )

    assert response.status_code == 200, response.text
    assert response.json()["assignee"] == {"id": agent.id, "name": agent.name}
    assert await _assignee(state, conversation_id) == agent.id
    events = await _drain(queue)
    state.events.unsubscribe(queue)
    assert events == [
        Event(
            "conversation.updated",
            {
                "conversation_id": conversation_id,
                "channel_id": channel.id,
                "assignee_id": agent.id,
            },
        )
    ]


async def test_agent_releases_own_conversation(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await _lead_writes(client, state, "wamid.AS2")
    [conversation_id] = await _conversation_ids(state)
    agent, headers = await agent_headers(client, state)
    url = f"/api/conversations/{conversation_id}/assign"
    await client.post(url, json={"user_id": agent.id}, headers=headers)

    response = await client.post(url, json={"user_id": None}, headers=headers)

    assert response.status_code == 200
    assert response.json()["assignee"] is None
    assert await _assignee(state, conversation_id) is None


async def test_agent_cannot_take_or_release_others(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await _lead_writes(client, state, "wamid.AS3")
    [conversation_id] = await _conversation_ids(state)
    owner, owner_headers = await agent_headers(client, state, "dona@teste.invalid")
    _other, other_headers = await agent_headers(client, state, "outra@teste.invalid")
    url = f"/api/conversations/{conversation_id}/assign"
    await client.post(url, json={"user_id": owner.id}, headers=owner_headers)

    take = await client.post(url, json={"user_id": _other.id}, headers=other_headers)
    release = await client.post(url, json={"user_id": None}, headers=other_headers)
    give = await client.post(url, json={"user_id": _other.id}, headers=owner_headers)

    assert take.status_code == 409
    assert release.status_code == 403
    assert give.status_code == 403
    assert await _assignee(state, conversation_id) == owner.id


async def test_admin_assigns_and_reassigns(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await _lead_writes(client, state, "wamid.AS4")
    [conversation_id] = await _conversation_ids(state)
    headers = await admin_headers(client, state)
    first = await make_agent(state, email="primeira@teste.invalid")
    second = await make_agent(state, email="segunda@teste.invalid")
    url = f"/api/conversations/{conversation_id}/assign"

    await client.post(url, json={"user_id": first.id}, headers=headers)
    response = await client.post(url, json={"user_id": second.id}, headers=headers)

    assert response.status_code == 200
    assert await _assignee(state, conversation_id) == second.id


async def test_admin_cannot_assign_inactive_or_unknown_user(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await _lead_writes(client, state, "wamid.AS5")
    [conversation_id] = await _conversation_ids(state)
    headers = await admin_headers(client, state)
    inactive = await make_agent(state, email="inativa@teste.invalid")
    async with unit_of_work(state.session_factory) as session:
        user = await session.get(User, inactive.id)
        assert user is not None
        user.is_active = False
    url = f"/api/conversations/{conversation_id}/assign"

    to_inactive = await client.post(url, json={"user_id": inactive.id}, headers=headers)
    to_unknown = await client.post(url, json={"user_id": 999}, headers=headers)

    assert to_inactive.status_code == 400
    assert to_unknown.status_code == 400
    assert await _assignee(state, conversation_id) is None


async def test_assign_to_agent_without_channel_is_400(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state, CHANNEL_1)
    second = await make_channel(state, CHANNEL_2)
    await _lead_writes(client, state, "wamid.AS6")
    [conversation_id] = await _conversation_ids(state)
    headers = await admin_headers(client, state)
    agent = await make_agent(state)
    async with unit_of_work(state.session_factory) as session:
        await set_user_channels(session, agent.id, [second.id])

    response = await client.post(
        f"/api/conversations/{conversation_id}/assign",
        json={"user_id": agent.id},
        headers=headers,
    )

    assert response.status_code == 400
    assert "cannot see channel" in response.json()["detail"]


async def test_hidden_conversation_is_404_for_agent(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state, CHANNEL_1)
    second = await make_channel(state, CHANNEL_2)
    await _lead_writes(client, state, "wamid.AS7")
    [conversation_id] = await _conversation_ids(state)
    agent, headers = await agent_headers(client, state)
    async with unit_of_work(state.session_factory) as session:
        await set_user_channels(session, agent.id, [second.id])

    response = await client.post(
        f"/api/conversations/{conversation_id}/assign",
        json={"user_id": agent.id},
        headers=headers,
    )
    listed = await client.get("/api/conversations", headers=headers)

    assert response.status_code == 404
    assert listed.json() == []


async def test_lead_writing_again_keeps_assignee(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await _lead_writes(client, state, "wamid.AS8", seconds_ago=900)
    [conversation_id] = await _conversation_ids(state)
    agent, headers = await agent_headers(client, state)
    await client.post(
        f"/api/conversations/{conversation_id}/assign",
        json={"user_id": agent.id},
        headers=headers,
    )

    await _lead_writes(client, state, "wamid.AS9", seconds_ago=60)

    mine = await client.get(
        "/api/conversations", params={"assigned": "mine"}, headers=headers
    )
    assert await _assignee(state, conversation_id) == agent.id
    assert [item["id"] for item in mine.json()] == [conversation_id]
    assert mine.json()[0]["unread_count"] == 2


async def test_lead_on_second_number_goes_to_owner(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state, CHANNEL_1)
    await make_channel(state, CHANNEL_2)
    await _lead_writes(client, state, "wamid.AS10")
    [first_id] = await _conversation_ids(state)
    agent, headers = await agent_headers(client, state)
    await client.post(
        f"/api/conversations/{first_id}/assign",
        json={"user_id": agent.id},
        headers=headers,
    )

    await _lead_writes(client, state, "wamid.AS11", channel=CHANNEL_2)

    [_first, second_id] = await _conversation_ids(state)
    assert await _assignee(state, second_id) == agent.id


async def test_hidden_second_number_stays_unassigned(
    client: httpx.AsyncClient, state: AppState
) -> None:
    first = await make_channel(state, CHANNEL_1)
    await make_channel(state, CHANNEL_2)
    await _lead_writes(client, state, "wamid.AS12")
    [first_id] = await _conversation_ids(state)
    agent, headers = await agent_headers(client, state)
    async with unit_of_work(state.session_factory) as session:
        await set_user_channels(session, agent.id, [first.id])
    await client.post(
        f"/api/conversations/{first_id}/assign",
        json={"user_id": agent.id},
        headers=headers,
    )

    await _lead_writes(client, state, "wamid.AS13", channel=CHANNEL_2)

    [_first, second_id] = await _conversation_ids(state)
    assert await _assignee(state, second_id) is None


async def test_list_filters_by_assignment_and_channel(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state, CHANNEL_1)
    second = await make_channel(state, CHANNEL_2)
    await _lead_writes(
        client, state, "wamid.L1", wa_id="5511900000041", seconds_ago=300
    )
    await _lead_writes(
        client, state, "wamid.L2", wa_id="5511900000042", seconds_ago=200
    )
    await _lead_writes(
        client,
        state,
        "wamid.L3",
        wa_id="5511900000043",
        channel=CHANNEL_2,
        seconds_ago=100,
    )
    ids = await _conversation_ids(state)
    agent, headers = await agent_headers(client, state)
    await client.post(
        f"/api/conversations/{ids[0]}/assign",
        json={"user_id": agent.id},
        headers=headers,
    )

    async def listed(**params: object) -> list[int]:
        response = await client.get(
            "/api/conversations", params=params, headers=headers
        )
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()]

    assert await listed() == [ids[2], ids[1], ids[0]]
    assert await listed(assigned="mine") == [ids[0]]
    assert await listed(assigned="unassigned") == [ids[2], ids[1]]
    assert await listed(channel_id=second.id) == [ids[2]]
    assert await listed(assigned="unassigned", channel_id=second.id) == [ids[2]]
    invalid = await client.get(
        "/api/conversations", params={"assigned": "others"}, headers=headers
    )
    assert invalid.status_code == 422


async def test_list_item_fields(client: httpx.AsyncClient, state: AppState) -> None:
    channel = await make_channel(state)
    await _lead_writes(client, state, "wamid.L4", seconds_ago=120)
    headers = await admin_headers(client, state)

    response = await client.get("/api/conversations", headers=headers)

    [item] = response.json()
    assert item["channel_id"] == channel.id
    assert item["channel_name"] == CHANNEL_1["name"]
    assert item["channel_is_active"] is True
    assert item["contact"]["wa_id"] == LEAD
    assert item["contact"]["name"] == "Ana Teste"
    assert item["contact"]["lead_status"] == "novo"
    assert item["last_message_preview"] == "Olá, quero saber da pós"
    assert item["last_message_direction"] == "inbound"
    assert item["unread_count"] == 1
    assert item["window_open"] is True
    assert item["waiting_reply"] is True
    assert item["assignee"] is None


async def test_assign_to_impossible_user_id_is_422(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await _lead_writes(client, state, "wamid.AS9")
    [conversation_id] = await _conversation_ids(state)
    headers = await admin_headers(client, state)
    url = f"/api/conversations/{conversation_id}/assign"

    for user_id in (0, 2**31, 2**63):
        response = await client.post(url, json={"user_id": user_id}, headers=headers)
        assert response.status_code == 422, user_id

    assert await _assignee(state, conversation_id) is None
