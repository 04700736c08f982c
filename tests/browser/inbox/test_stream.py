"""``GET /api/events`` over real HTTP against the live server: login and catch-up."""

import asyncio

import httpx

from cenat_hub.web.state import AppState
from tests.browser.inbox.conftest import (
    FakeGraph,
    LiveServer,
    post_signed,
    status_payload,
    wait_for_contact,
)
from tests.events.processes import StreamEvent, read_events
from tests.factories import (
    ADMIN_PASSWORD,
    make_channel,
    make_user,
    text_message_payload,
)
from tests.inbox.helpers import now_ts


async def _token(http: httpx.AsyncClient) -> dict[str, str]:
    response = await http.post(
        "/api/auth/login",
        json={"email": "admin@teste.invalid", "password": ADMIN_PASSWORD},
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _collect_until_caught_up(response: httpx.Response) -> list[StreamEvent]:
    collected = []
    async with asyncio.timeout(10):
        async for event in read_events(response):
            if event.kind == "caught-up":
                return collected
            collected.append(event)
    return collected


async def test_stream_requires_login(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/events")
    assert response.status_code == 401


async def test_reconnect_replays_messages_and_statuses(
    http: httpx.AsyncClient,
    live_server: LiveServer,
    seed_state: AppState,
    fake_graph: FakeGraph,
) -> None:
    await make_channel(seed_state)
    await make_user(seed_state)
    await post_signed(http, text_message_payload(wamid="wamid.S1", timestamp=now_ts()))
    headers = await _token(http)
    await wait_for_contact(http, headers)
    sent = await http.post(
        "/api/send/text",
        json={
            "wa_id": "5511900000001",
            "text": "Resposta",
            "client_message_id": "c-0001-abcd",
        },
        headers=headers,
    )
    assert sent.status_code == 200, sent.text
    outbound = sent.json()
    async with http.stream("GET", "/api/events", headers=headers) as stream:
        hello = await anext(read_events(stream))
    assert hello.kind == "hello" and hello.id

    await post_signed(http, status_payload(outbound["wa_message_id"], "read", now_ts()))
    await post_signed(
        http,
        text_message_payload(wamid="wamid.S2", body="Perdida?", timestamp=now_ts()),
    )
    await asyncio.sleep(0.5)

    async with http.stream(
        "GET", "/api/events", headers={**headers, "Last-Event-ID": hello.id}
    ) as stream:
        replayed = await _collect_until_caught_up(stream)

    messages = {e.data["message_id"]: e.data for e in replayed if e.kind == "message"}
    assert 'data-status="read"' in messages[outbound["id"]]["html"]
    assert any("Perdida?" in data["html"] for data in messages.values())
    rows = [e for e in replayed if e.kind == "conversation"]
    assert rows and 'class="badge"' in rows[-1].data["html"]
    assert len(fake_graph.sends()) == 1
