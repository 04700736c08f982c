import asyncio
import json

import httpx
from sqlalchemy import func, select

from cenat_hub.integrations.whatsapp.signature import (
    SIGNATURE_HEADER,
    encode_body,
    sign,
)
from cenat_hub.models import Contact, Message, WebhookDelivery
from cenat_hub.web.state import AppState
from tests.conftest import VERIFY_TOKEN, post_webhook, signed_headers
from tests.factories import make_channel, text_message_payload


async def _count(state: AppState, model: type) -> int:
    async with state.session_factory() as session:
        return (
            await session.execute(select(func.count()).select_from(model))
        ).scalar_one()


async def test_handshake_returns_bare_challenge(client: httpx.AsyncClient) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }
    response = await client.get("/webhook", params=params)
    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


async def test_handshake_wrong_token_is_403(client: httpx.AsyncClient) -> None:
    params = {
        "hub.mode": "subscribe",
        "hub.verify_token": "wrong",
        "hub.challenge": "1",
    }
    response = await client.get("/webhook", params=params)
    assert response.status_code == 403
    assert response.text != "1"


async def test_handshake_wrong_mode_is_403(client: httpx.AsyncClient) -> None:
    params = {
        "hub.mode": "unsubscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1",
    }
    response = await client.get("/webhook", params=params)
    assert response.status_code == 403


async def test_missing_signature_is_401_and_nothing_stored(
    client: httpx.AsyncClient, state: AppState
) -> None:
    body = encode_body(text_message_payload(wamid="wamid.NOSIG"))
    response = await client.post("/webhook", content=body)
    assert response.status_code == 401
    assert await _count(state, WebhookDelivery) == 0


async def test_wrong_signature_is_403_and_nothing_stored(
    client: httpx.AsyncClient, state: AppState
) -> None:
    body = encode_body(text_message_payload(wamid="wamid.BADSIG"))
    headers = {SIGNATURE_HEADER: sign(body, "another-secret")}
    response = await client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 403
    assert await _count(state, WebhookDelivery) == 0


async def test_signature_over_reserialised_body_fails(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """Meta signs the ASCII-escaped bytes; a UTF-8 re-encoding must not verify."""
    payload = text_message_payload(wamid="wamid.ESC", body="Olá 😮")
    escaped = encode_body(payload)
    utf8 = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    assert escaped != utf8
    response = await client.post(
        "/webhook",
        content=utf8,
        headers={SIGNATURE_HEADER: sign(escaped, "test-app-secret-0123456789")},
    )
    assert response.status_code == 403


async def test_text_message_reaches_history(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    response = await post_webhook(
        client, text_message_payload(wamid="wamid.T1", body="Olá 😮"), state
    )
    assert response.status_code == 200
    async with state.session_factory() as session:
        message = (await session.execute(select(Message))).scalar_one()
        contact = (await session.execute(select(Contact))).scalar_one()
        delivery = (await session.execute(select(WebhookDelivery))).scalar_one()
    assert message.content == "Olá 😮"
    assert message.direction == "inbound"
    assert message.status == "received"
    assert contact.wa_id == "5511900000001"
    assert contact.name == "Ana Teste"
    assert delivery.state == "processed"


async def test_same_delivery_twice_stores_one_message(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    payload = text_message_payload(wamid="wamid.DUP")
    await post_webhook(client, payload, state)
    await post_webhook(client, payload, state)
    assert await _count(state, Message) == 1
    assert await _count(state, WebhookDelivery) == 2


async def test_concurrent_duplicate_deliveries_store_one_message(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    body = encode_body(text_message_payload(wamid="wamid.RACE"))
    responses = await asyncio.gather(
        *[
            client.post("/webhook", content=body, headers=signed_headers(body))
            for _ in range(8)
        ]
    )
    assert all(response.status_code == 200 for response in responses)
    await state.webhook_worker.drain()
    await state.webhook_worker.sweep()
    assert await _count(state, Message) == 1
    assert await _count(state, Contact) == 1


async def test_unknown_phone_number_id_is_archived_and_ignored(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    payload = text_message_payload(wamid="wamid.UNK", phone_number_id="999999")
    response = await post_webhook(client, payload, state)
    assert response.status_code == 200
    assert await _count(state, Message) == 0
    assert await _count(state, Contact) == 0
    assert await _count(state, WebhookDelivery) == 1


async def test_non_json_body_is_acknowledged_and_kept(
    client: httpx.AsyncClient, state: AppState
) -> None:
    body = b"not json at all"
    response = await client.post("/webhook", content=body, headers=signed_headers(body))
    await state.webhook_worker.drain()
    assert response.status_code == 200
    async with state.session_factory() as session:
        delivery = (await session.execute(select(WebhookDelivery))).scalar_one()
    assert delivery.state == "failed"
    assert delivery.body == body


async def test_ninth_digit_twins_are_one_contact(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await post_webhook(
        client, text_message_payload(wamid="wamid.N13", wa_id="5511900000001"), state
    )
    await post_webhook(
        client, text_message_payload(wamid="wamid.N12", wa_id="551100000001"), state
    )
    assert await _count(state, Contact) == 1
    assert await _count(state, Message) == 2


async def test_landline_is_not_merged_with_mobile(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await post_webhook(
        client, text_message_payload(wamid="wamid.L1", wa_id="551130000001"), state
    )
    await post_webhook(
        client, text_message_payload(wamid="wamid.L2", wa_id="5511930000001"), state
    )
    assert await _count(state, Contact) == 2


async def test_interrupted_processing_resumes_on_sweep(
    client: httpx.AsyncClient, state: AppState
) -> None:
    """A body archived but never processed (the process died) is processed later."""
    await make_channel(state)
    body = encode_body(text_message_payload(wamid="wamid.CRASH"))
    async with state.session_factory() as session:
        session.add(WebhookDelivery(body=body, signature=sign(body, "x")))
        await session.commit()
    assert await _count(state, Message) == 0
    handled = await state.webhook_worker.sweep()
    assert handled == 1
    assert await _count(state, Message) == 1
    assert await state.webhook_worker.sweep() == 0
