import time

import httpx

from cenat_hub.channels.access import set_user_channels
from cenat_hub.db.session import unit_of_work
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.factories import (
    CHANNEL_1,
    CHANNEL_2,
    admin_headers,
    agent_headers,
    make_channel,
    text_message_payload,
)


async def test_stats_from_webhooks(client: httpx.AsyncClient, state: AppState) -> None:
    first = await make_channel(state, CHANNEL_1)
    second = await make_channel(state, CHANNEL_2)
    written_at = int(time.time()) - 600
    for wamid, channel, wa_id in (
        ("wamid.D1", CHANNEL_1, "5511900000001"),
        ("wamid.D2", CHANNEL_2, "5511900000002"),
        ("wamid.D3", CHANNEL_2, "5511900000003"),
    ):
        payload = text_message_payload(
            wamid=wamid,
            wa_id=wa_id,
            phone_number_id=channel["phone_number_id"],
            timestamp=written_at,
        )
        await post_webhook(client, payload, state)
    headers = await admin_headers(client, state)

    everything = await client.get("/api/dashboard/stats", headers=headers)
    only_second = await client.get(
        "/api/dashboard/stats",
        params={"channel_id": second.id, "days": 30},
        headers=headers,
    )

    assert everything.status_code == 200, everything.text
    assert everything.json()["messages_received"] == 3
    assert everything.json()["new_leads_24h"] == 3
    assert everything.json()["active_conversations"] == 3
    assert everything.json()["waiting"]["count"] == 3
    assert len(everything.json()["daily"]) == 7
    assert only_second.json()["messages_received"] == 2
    assert only_second.json()["channel_id"] == second.id
    assert len(only_second.json()["daily"]) == 30
    assert first.id != second.id


async def test_stats_invalid_days_is_400(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    response = await client.get(
        "/api/dashboard/stats", params={"days": 14}, headers=headers
    )
    assert response.status_code == 400
    assert "use one of 7, 30, 90" in response.json()["detail"]


async def test_stats_hidden_channel_is_403(
    client: httpx.AsyncClient, state: AppState
) -> None:
    first = await make_channel(state, CHANNEL_1)
    second = await make_channel(state, CHANNEL_2)
    agent, headers = await agent_headers(client, state)
    async with unit_of_work(state.session_factory) as session:
        await set_user_channels(session, agent.id, [second.id])

    hidden = await client.get(
        "/api/dashboard/stats", params={"channel_id": first.id}, headers=headers
    )
    visible = await client.get(
        "/api/dashboard/stats", params={"channel_id": second.id}, headers=headers
    )

    assert hidden.status_code == 403
    assert visible.status_code == 200


async def test_stats_need_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/dashboard/stats")
    assert response.status_code == 401
