"""What the composer relies on: one send per client_message_id, and its events."""

import asyncio
import json

import httpx
import pytest

from cenat_hub.web.state import AppState
from tests.factories import login
from tests.inbox.helpers import lead_writes, setup_inbox


@pytest.fixture
def graph_sends() -> list[dict[str, object]]:
    return []


@pytest.fixture
def graph_transport(graph_sends: list[dict[str, object]]) -> httpx.AsyncBaseTransport:
    async def handle(request: httpx.Request) -> httpx.Response:
        graph_sends.append(json.loads(request.content))
        await asyncio.sleep(0.2)  # a slow Meta makes a second click likely
        number = len(graph_sends)
        return httpx.Response(200, json={"messages": [{"id": f"wamid.SENT{number}"}]})

    return httpx.MockTransport(handle)


async def test_double_click_and_retry_send_once(
    client: httpx.AsyncClient, state: AppState, graph_sends: list[dict[str, object]]
) -> None:
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.DUP1")
    headers = await login(client, "admin@teste.invalid", "senha-de-teste-admin")
    body = {
        "wa_id": "5511900000001",
        "text": "Só uma vez",
        "client_message_id": "5f0c7d0e-2b1a-4c52-9f55-0a1b2c3d4e5f",
    }

    first, second = await asyncio.gather(
        client.post("/api/send/text", json=body, headers=headers),
        client.post("/api/send/text", json=body, headers=headers),
    )
    retry = await client.post("/api/send/text", json=body, headers=headers)

    assert first.status_code == second.status_code == retry.status_code == 200
    ids = {first.json()["id"], second.json()["id"], retry.json()["id"]}
    assert len(ids) == 1
    assert len(graph_sends) == 1
    assert retry.json()["status"] == "sent"


async def test_send_publishes_new_then_status(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await setup_inbox(state, client)
    await lead_writes(client, state, wamid="wamid.EV1")
    headers = await login(client, "admin@teste.invalid", "senha-de-teste-admin")
    queue = state.events.subscribe()

    sent = await client.post(
        "/api/send/text",
        json={
            "wa_id": "5511900000001",
            "text": "Oi",
            "client_message_id": "evt-000001",
        },
        headers=headers,
    )

    kinds = []
    while len(kinds) < 2:
        event = await asyncio.wait_for(queue.get(), timeout=5)
        if event.data.get("message_id") == sent.json()["id"]:
            kinds.append((event.kind, event.data.get("status")))
    assert kinds == [("message.new", None), ("message.status", "sent")]
