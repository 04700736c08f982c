import json
from collections.abc import Iterator

import httpx
import pytest
import respx
from sqlalchemy import func, select

from cenat_hub.models import AuditLogEntry, Channel, Contact, Message, WebhookDelivery
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

GRAPH_URL = "http://graph.test/v23.0"
GOOD_TOKEN = "sim-token-good"
EXPIRED_TOKEN_ERROR = {
    "error": {
        "message": "Error validating access token: Session has expired.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
        "fbtrace_id": "AbCdEfGh123",
    }
}


@pytest.fixture
def graph_router() -> Iterator[respx.MockRouter]:
    """Meta's ``GET /{phone_number_id}``: only ``GOOD_TOKEN`` is accepted."""

    def phone_number(request: httpx.Request, phone_number_id: str) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {GOOD_TOKEN}":
            return httpx.Response(401, json=EXPIRED_TOKEN_ERROR)
        return httpx.Response(
            200,
            json={
                "verified_name": "CENAT Pós-Graduação",
                "display_phone_number": "+55 11 90000-0100",
                "quality_rating": "GREEN",
                "id": phone_number_id,
            },
        )

    router = respx.MockRouter(base_url=GRAPH_URL, assert_all_called=False)
    router.get(path__regex=r"/(?P<phone_number_id>\d+)$").mock(side_effect=phone_number)
    yield router


@pytest.fixture
def graph_transport(graph_router: respx.MockRouter) -> httpx.AsyncBaseTransport:
    return httpx.MockTransport(graph_router.async_handler)


async def _stored_channel(state: AppState, channel_id: int) -> Channel:
    async with state.session_factory() as session:
        channel = await session.get(Channel, channel_id)
        assert channel is not None
        return channel


async def _count(state: AppState, model: type) -> int:
    async with state.session_factory() as session:
        statement = select(func.count()).select_from(model)
        return (await session.execute(statement)).scalar_one()


async def test_create_channel_hides_and_encrypts_token(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    body = {**CHANNEL_2, "phone_number": "+55 (11) 90000-0200"}
    response = await client.post("/api/channels", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert "whatsapp_token" not in created
    assert CHANNEL_2["whatsapp_token"] not in response.text
    assert created["phone_number"] == "5511900000200"
    assert created["is_active"] is True
    stored = await _stored_channel(state, created["id"])
    assert stored.whatsapp_token != CHANNEL_2["whatsapp_token"]
    assert state.cipher.decrypt(stored.whatsapp_token) == CHANNEL_2["whatsapp_token"]
    async with state.session_factory() as session:
        actions = (await session.execute(select(AuditLogEntry.action))).scalars().all()
    assert actions.count("channel.created") == 1


async def test_create_channel_by_agent_is_403(
    client: httpx.AsyncClient, state: AppState
) -> None:
    _agent, headers = await agent_headers(client, state)
    response = await client.post("/api/channels", json=CHANNEL_2, headers=headers)
    assert response.status_code == 403
    assert await _count(state, Channel) == 0


async def test_create_channel_twice_is_409(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    first = await client.post("/api/channels", json=CHANNEL_1, headers=headers)
    second = await client.post("/api/channels", json=CHANNEL_1, headers=headers)
    assert first.status_code == 201
    assert second.status_code == 409
    assert await _count(state, Channel) == 1


async def test_create_channel_rejects_short_phone(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    body = {**CHANNEL_2, "phone_number": "(11) 9-000"}
    response = await client.post("/api/channels", json=body, headers=headers)
    assert response.status_code == 422


async def test_update_channel_fields_and_token(
    client: httpx.AsyncClient, state: AppState
) -> None:
    channel = await make_channel(state)
    headers = await admin_headers(client, state)
    changes = {
        "name": "Pós-Graduação (Closer)",
        "phone_number": "+55 11 90000-0300",
        "waba_id": "200000000000009",
        "whatsapp_token": "  sim-token-novo  ",
    }
    response = await client.patch(
        f"/api/channels/{channel.id}", json=changes, headers=headers
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "Pós-Graduação (Closer)"
    assert updated["phone_number"] == "5511900000300"
    assert updated["waba_id"] == "200000000000009"
    assert updated["phone_number_id"] == CHANNEL_1["phone_number_id"]
    assert "whatsapp_token" not in updated
    assert "sim-token-novo" not in response.text
    stored = await _stored_channel(state, channel.id)
    assert state.cipher.decrypt(stored.whatsapp_token) == "sim-token-novo"
    async with state.session_factory() as session:
        entry = (
            await session.execute(
                select(AuditLogEntry).where(AuditLogEntry.action == "channel.updated")
            )
        ).scalar_one()
    assert entry.actor_user_id is not None
    assert entry.details == {
        "fields": ["name", "phone_number", "waba_id", "whatsapp_token"]
    }
    assert "sim-token-novo" not in json.dumps(entry.details)


async def test_update_channel_keeps_omitted_fields(
    client: httpx.AsyncClient, state: AppState
) -> None:
    channel = await make_channel(state)
    headers = await admin_headers(client, state)
    response = await client.patch(
        f"/api/channels/{channel.id}", json={"waba_id": None}, headers=headers
    )
    assert response.status_code == 200
    assert response.json()["waba_id"] is None
    assert response.json()["name"] == CHANNEL_1["name"]
    stored = await _stored_channel(state, channel.id)
    assert state.cipher.decrypt(stored.whatsapp_token) == CHANNEL_1["whatsapp_token"]


async def test_update_channel_rejects_phone_number_id(
    client: httpx.AsyncClient, state: AppState
) -> None:
    channel = await make_channel(state)
    headers = await admin_headers(client, state)
    response = await client.patch(
        f"/api/channels/{channel.id}",
        json={"phone_number_id": "100000000000099"},
        headers=headers,
    )
    assert response.status_code == 422
    stored = await _stored_channel(state, channel.id)
    assert stored.phone_number_id == CHANNEL_1["phone_number_id"]


async def test_update_unknown_channel_is_404(
    client: httpx.AsyncClient, state: AppState
) -> None:
    headers = await admin_headers(client, state)
    response = await client.patch(
        "/api/channels/999", json={"name": "Outro"}, headers=headers
    )
    assert response.status_code == 404
    assert response.json()["detail"] == "Channel 999 not found."


async def test_update_channel_by_agent_is_403(
    client: httpx.AsyncClient, state: AppState
) -> None:
    channel = await make_channel(state)
    _agent, headers = await agent_headers(client, state)
    response = await client.patch(
        f"/api/channels/{channel.id}", json={"name": "Outro"}, headers=headers
    )
    assert response.status_code == 403


async def test_deactivate_hides_channel_keeps_history(
    client: httpx.AsyncClient, state: AppState
) -> None:
    channel = await make_channel(state)
    other = await make_channel(state, CHANNEL_2)
    headers = await admin_headers(client, state)
    await post_webhook(client, text_message_payload(wamid="wamid.HIST1"), state)

    response = await client.post(
        f"/api/channels/{channel.id}/deactivate", headers=headers
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False

    listed = await client.get("/api/channels", headers=headers)
    assert [item["id"] for item in listed.json()] == [other.id]
    everything = await client.get(
        "/api/channels", params={"include_inactive": "true"}, headers=headers
    )
    assert [item["id"] for item in everything.json()] == [channel.id, other.id]
    history = await client.get("/api/messages/5511900000001", headers=headers)
    assert [message["wa_message_id"] for message in history.json()] == ["wamid.HIST1"]


async def test_webhook_for_deactivated_channel_is_archived_only(
    client: httpx.AsyncClient, state: AppState
) -> None:
    channel = await make_channel(state)
    headers = await admin_headers(client, state)
    await client.post(f"/api/channels/{channel.id}/deactivate", headers=headers)

    response = await post_webhook(
        client, text_message_payload(wamid="wamid.OFF1"), state
    )

    assert response.status_code == 200
    async with state.session_factory() as session:
        delivery = (await session.execute(select(WebhookDelivery))).scalar_one()
    assert delivery.state == "processed"
    assert b"wamid.OFF1" in delivery.body
    assert await _count(state, Message) == 0
    assert await _count(state, Contact) == 0
    contacts = await client.get("/api/contacts", headers=headers)
    assert contacts.json() == []


async def test_reactivated_channel_receives_again(
    client: httpx.AsyncClient, state: AppState
) -> None:
    channel = await make_channel(state)
    headers = await admin_headers(client, state)
    await client.post(f"/api/channels/{channel.id}/deactivate", headers=headers)
    response = await client.post(
        f"/api/channels/{channel.id}/activate", headers=headers
    )
    assert response.json()["is_active"] is True

    await post_webhook(client, text_message_payload(wamid="wamid.ON1"), state)

    assert await _count(state, Message) == 1
    async with state.session_factory() as session:
        actions = (
            await session.execute(
                select(AuditLogEntry.action)
                .where(AuditLogEntry.target_type == "channel")
                .order_by(AuditLogEntry.id)
            )
        ).scalars()
        assert list(actions) == [
            "channel.created",
            "channel.deactivated",
            "channel.activated",
        ]


async def test_agent_cannot_list_inactive_channels(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    _agent, headers = await agent_headers(client, state)
    listed = await client.get("/api/channels", headers=headers)
    rejected = await client.get(
        "/api/channels", params={"include_inactive": "true"}, headers=headers
    )
    assert len(listed.json()) == 1
    assert rejected.status_code == 403


async def test_deactivate_by_agent_is_403(
    client: httpx.AsyncClient, state: AppState
) -> None:
    channel = await make_channel(state)
    _agent, headers = await agent_headers(client, state)
    response = await client.post(
        f"/api/channels/{channel.id}/deactivate", headers=headers
    )
    assert response.status_code == 403
    assert (await _stored_channel(state, channel.id)).is_active is True


async def test_check_with_good_token(
    client: httpx.AsyncClient, state: AppState, graph_router: respx.MockRouter
) -> None:
    channel = await make_channel(state, {**CHANNEL_1, "whatsapp_token": GOOD_TOKEN})
    headers = await admin_headers(client, state)

    response = await client.post(f"/api/channels/{channel.id}/check", headers=headers)

    assert response.status_code == 200
    assert response.json() == {
        "channel_id": channel.id,
        "ok": True,
        "display_phone_number": "+55 11 90000-0100",
        "verified_name": "CENAT Pós-Graduação",
        "quality_rating": "GREEN",
        "quality_rating_label": "Alta",
        "error": None,
    }
    request = graph_router.calls.last.request
    assert request.url.path == f"/v23.0/{CHANNEL_1['phone_number_id']}"
    assert "quality_rating" in request.url.params["fields"]


async def test_check_after_bad_token_reports_190(
    client: httpx.AsyncClient, state: AppState
) -> None:
    channel = await make_channel(state, {**CHANNEL_1, "whatsapp_token": GOOD_TOKEN})
    headers = await admin_headers(client, state)
    await client.patch(
        f"/api/channels/{channel.id}",
        json={"whatsapp_token": "sim-token-expirado"},
        headers=headers,
    )

    response = await client.post(f"/api/channels/{channel.id}/check", headers=headers)

    assert response.status_code == 200
    result = response.json()
    assert result["ok"] is False
    assert result["verified_name"] is None
    assert result["error"]["code"] == 190
    assert result["error"]["http_status"] == 401
    assert result["error"]["message"] == (
        "Token de acesso do canal expirado ou inválido. Atualize o token em Canais."
    )
    assert "Session has expired" in result["error"]["meta_message"]


async def test_check_with_unreadable_token(
    client: httpx.AsyncClient, state: AppState, graph_router: respx.MockRouter
) -> None:
    channel = await make_channel(state)
    async with state.session_factory() as session:
        stored = await session.get(Channel, channel.id)
        assert stored is not None
        stored.whatsapp_token = "not-a-fernet-token"
        await session.commit()
    headers = await admin_headers(client, state)

    response = await client.post(f"/api/channels/{channel.id}/check", headers=headers)

    assert response.json()["ok"] is False
    assert "Salve o token" in response.json()["error"]["message"]
    assert not graph_router.calls


async def test_check_by_agent_is_403(
    client: httpx.AsyncClient, state: AppState, graph_router: respx.MockRouter
) -> None:
    channel = await make_channel(state)
    _agent, headers = await agent_headers(client, state)
    response = await client.post(f"/api/channels/{channel.id}/check", headers=headers)
    assert response.status_code == 403
    assert not graph_router.calls
