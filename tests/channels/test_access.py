import time

import httpx
import pytest

from cenat_hub.channels.access import set_user_channels, visible_channel_ids
from cenat_hub.db.session import unit_of_work
from cenat_hub.models import Channel, User
from cenat_hub.web.state import AppState
from tests.conftest import post_webhook
from tests.factories import (
    CHANNEL_1,
    CHANNEL_2,
    admin_headers,
    agent_headers,
    make_agent,
    make_channel,
    make_user,
    text_message_payload,
)

ONLY_ON_1 = "5511900000011"
ONLY_ON_2 = "5511900000022"
ON_BOTH = "5511900000033"


@pytest.fixture
def graph_transport() -> httpx.AsyncBaseTransport:
    """Meta accepting every send."""

    def accept(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"messages": [{"id": "wamid.OUT1"}]})

    return httpx.MockTransport(accept)


async def _two_channels_with_leads(
    client: httpx.AsyncClient, state: AppState
) -> tuple[Channel, Channel]:
    """Create two channels: one lead on each, and one lead on both."""
    first = await make_channel(state, CHANNEL_1)
    second = await make_channel(state, CHANNEL_2)
    leads = [
        (ONLY_ON_1, CHANNEL_1, "wamid.A1"),
        (ONLY_ON_2, CHANNEL_2, "wamid.B1"),
        (ON_BOTH, CHANNEL_1, "wamid.C1"),
        (ON_BOTH, CHANNEL_2, "wamid.C2"),
    ]
    for wa_id, channel, wamid in leads:
        payload = text_message_payload(
            wamid=wamid, wa_id=wa_id, phone_number_id=channel["phone_number_id"]
        )
        await post_webhook(client, payload, state)
    return first, second


async def _limit(state: AppState, user: User, channel_ids: list[int]) -> None:
    async with unit_of_work(state.session_factory) as session:
        await set_user_channels(session, user.id, channel_ids)


async def test_visible_channel_ids_by_role(state: AppState) -> None:
    first = await make_channel(state, CHANNEL_1)
    second = await make_channel(state, CHANNEL_2)
    admin = await make_user(state)
    free_agent = await make_agent(state, email="livre@teste.invalid")
    limited_agent = await make_agent(state, email="limitado@teste.invalid")
    await _limit(state, admin, [first.id])
    await _limit(state, limited_agent, [second.id])

    async with state.session_factory() as session:
        assert await visible_channel_ids(session, admin) is None
        assert await visible_channel_ids(session, free_agent) is None
        assert await visible_channel_ids(session, limited_agent) == {second.id}


async def test_put_user_channels_then_get(
    client: httpx.AsyncClient, state: AppState
) -> None:
    first = await make_channel(state, CHANNEL_1)
    second = await make_channel(state, CHANNEL_2)
    headers = await admin_headers(client, state)
    agent = await make_agent(state)

    response = await client.put(
        f"/api/users/{agent.id}/channels",
        json={"channel_ids": [second.id, first.id, second.id]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "user_id": agent.id,
        "channel_ids": [first.id, second.id],
        "all_channels": False,
    }

    await client.put(
        f"/api/users/{agent.id}/channels",
        json={"channel_ids": [second.id]},
        headers=headers,
    )
    shown = await client.get(f"/api/users/{agent.id}/channels", headers=headers)
    assert shown.json()["channel_ids"] == [second.id]

    cleared = await client.put(
        f"/api/users/{agent.id}/channels", json={"channel_ids": []}, headers=headers
    )
    assert cleared.json() == {
        "user_id": agent.id,
        "channel_ids": [],
        "all_channels": True,
    }


async def test_put_user_channels_unknown_channel_is_400(
    client: httpx.AsyncClient, state: AppState
) -> None:
    first = await make_channel(state, CHANNEL_1)
    headers = await admin_headers(client, state)
    agent = await make_agent(state)
    response = await client.put(
        f"/api/users/{agent.id}/channels",
        json={"channel_ids": [first.id, 998, 999]},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.json()["details"] == {"channel_ids": [998, 999]}
    shown = await client.get(f"/api/users/{agent.id}/channels", headers=headers)
    assert shown.json()["channel_ids"] == []


async def test_put_user_channels_unknown_user_is_404(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    response = await client.put(
        "/api/users/999/channels", json={"channel_ids": []}, headers=headers
    )
    assert response.status_code == 404


async def test_user_channels_by_agent(
    client: httpx.AsyncClient, state: AppState
) -> None:
    first = await make_channel(state, CHANNEL_1)
    agent, headers = await agent_headers(client, state)
    other = await make_agent(state, email="outro@teste.invalid")

    own = await client.get(f"/api/users/{agent.id}/channels", headers=headers)
    others = await client.get(f"/api/users/{other.id}/channels", headers=headers)
    change = await client.put(
        f"/api/users/{agent.id}/channels",
        json={"channel_ids": [first.id]},
        headers=headers,
    )

    assert own.status_code == 200
    assert own.json()["all_channels"] is True
    assert others.status_code == 403
    assert change.status_code == 403


async def test_limited_agent_lists_only_their_channels(
    client: httpx.AsyncClient, state: AppState
) -> None:
    _first, second = await _two_channels_with_leads(client, state)
    agent, headers = await agent_headers(client, state)
    await _limit(state, agent, [second.id])

    channels = await client.get("/api/channels", headers=headers)
    contacts = await client.get("/api/contacts", headers=headers)

    assert [channel["id"] for channel in channels.json()] == [second.id]
    assert sorted(contact["wa_id"] for contact in contacts.json()) == [
        ONLY_ON_2,
        ON_BOTH,
    ]


async def test_free_agent_sees_every_contact(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await _two_channels_with_leads(client, state)
    _agent, headers = await agent_headers(client, state)
    contacts = await client.get("/api/contacts", headers=headers)
    assert len(contacts.json()) == 3


async def test_limited_agent_channel_filter_is_403(
    client: httpx.AsyncClient, state: AppState
) -> None:
    first, second = await _two_channels_with_leads(client, state)
    agent, headers = await agent_headers(client, state)
    await _limit(state, agent, [second.id])

    contacts = await client.get(
        "/api/contacts", params={"channel_id": first.id}, headers=headers
    )
    history = await client.get(
        f"/api/messages/{ON_BOTH}", params={"channel_id": first.id}, headers=headers
    )
    send = await client.post(
        "/api/send/text",
        json={"wa_id": ON_BOTH, "text": "Olá", "channel_id": first.id},
        headers=headers,
    )

    assert contacts.status_code == 403
    assert history.status_code == 403
    assert send.status_code == 403


async def test_limited_agent_hidden_contact_is_404(
    client: httpx.AsyncClient, state: AppState
) -> None:
    _first, second = await _two_channels_with_leads(client, state)
    agent, headers = await agent_headers(client, state)
    await _limit(state, agent, [second.id])

    detail = await client.get(f"/api/contacts/{ONLY_ON_1}", headers=headers)
    history = await client.get(f"/api/messages/{ONLY_ON_1}", headers=headers)
    send = await client.post(
        "/api/send/text", json={"wa_id": ONLY_ON_1, "text": "Olá"}, headers=headers
    )

    assert detail.status_code == 404
    assert detail.json()["detail"] == f"Contact {ONLY_ON_1} not found."
    assert history.status_code == 404
    assert send.status_code == 404


async def test_limited_agent_sees_only_visible_conversation(
    client: httpx.AsyncClient, state: AppState
) -> None:
    _first, second = await _two_channels_with_leads(client, state)
    agent, headers = await agent_headers(client, state)
    await _limit(state, agent, [second.id])

    detail = await client.get(f"/api/contacts/{ON_BOTH}", headers=headers)
    history = await client.get(f"/api/messages/{ON_BOTH}", headers=headers)

    assert [item["channel_id"] for item in detail.json()["conversations"]] == [
        second.id
    ]
    assert [message["wa_message_id"] for message in history.json()] == ["wamid.C2"]


async def test_limited_agent_sends_on_visible_channel_only(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """Without channel_id the send picks a visible conversation, never a hidden one."""
    first, second = await _two_channels_with_leads(client, state)
    now = int(time.time())
    for channel, wamid, written_at in (
        (CHANNEL_2, "wamid.C3", now - 120),
        (CHANNEL_1, "wamid.C4", now - 60),
    ):
        payload = text_message_payload(
            wamid=wamid,
            wa_id=ON_BOTH,
            phone_number_id=channel["phone_number_id"],
            timestamp=written_at,
        )
        await post_webhook(client, payload, state)
    agent, headers = await agent_headers(client, state)
    await _limit(state, agent, [second.id])

    response = await client.post(
        "/api/send/text", json={"wa_id": ON_BOTH, "text": "Olá"}, headers=headers
    )

    assert response.status_code == 200, response.text
    assert response.json()["channel_id"] == second.id
    assert response.json()["status"] == "sent"
    assert first.id != second.id


async def test_admin_limits_are_ignored(
    client: httpx.AsyncClient, state: AppState
) -> None:
    first, _second = await _two_channels_with_leads(client, state)
    admin = await make_user(state, email="chefe@teste.invalid")
    await _limit(state, admin, [first.id])
    headers = await admin_headers(client, state)
    response = await client.get(f"/api/users/{admin.id}/channels", headers=headers)
    contacts = await client.get("/api/contacts", headers=headers)
    assert response.json()["all_channels"] is True
    assert len(contacts.json()) == 3


@pytest.mark.parametrize("channel_id", [0, 2**31, 2**63])
async def test_put_user_channels_out_of_range_is_422(
    client: httpx.AsyncClient, state: AppState, channel_id: int
) -> None:
    first = await make_channel(state, CHANNEL_1)
    headers = await admin_headers(client, state)
    agent = await make_agent(state)

    response = await client.put(
        f"/api/users/{agent.id}/channels",
        json={"channel_ids": [first.id, channel_id]},
        headers=headers,
    )

    assert response.status_code == 422
    shown = await client.get(f"/api/users/{agent.id}/channels", headers=headers)
    assert shown.json()["channel_ids"] == []
