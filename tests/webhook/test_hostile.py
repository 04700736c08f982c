"""Malformed and hostile webhook values never lose the rest of a batch."""

import json
from typing import Any

import httpx
from sqlalchemy import func, select

from cenat_hub.integrations.whatsapp.signature import SIGNATURE_HEADER, sign
from cenat_hub.models import Contact, Message, WebhookDelivery
from cenat_hub.web.state import AppState
from tests.conftest import APP_SECRET, post_webhook
from tests.factories import login, make_channel, make_user, text_message_payload


def _with_second_message(
    payload: dict[str, Any], message: dict[str, Any]
) -> dict[str, Any]:
    value = payload["entry"][0]["changes"][0]["value"]
    value["messages"].append(message)
    return payload


def _good(wamid: str, sender: str = "5511900000002") -> dict[str, Any]:
    return {
        "from": sender,
        "id": wamid,
        "timestamp": "1767225600",
        "type": "text",
        "text": {"body": "mensagem boa"},
    }


async def _messages(state: AppState) -> dict[str, Message]:
    async with state.session_factory() as session:
        rows = (await session.execute(select(Message))).scalars()
        return {row.wa_message_id or "": row for row in rows}


async def _post_raw(
    client: httpx.AsyncClient, state: AppState, body: bytes
) -> httpx.Response:
    headers = {SIGNATURE_HEADER: sign(body, APP_SECRET)}
    response = await client.post("/webhook", content=body, headers=headers)
    await state.webhook_worker.drain()
    return response


async def test_lone_surrogate_and_nul_are_replaced(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    payload = text_message_payload(
        wamid="wamid.SUR", name="Caio \ud83d Teste", body="a\x00b"
    )
    body = json.dumps(_with_second_message(payload, _good("wamid.OK1"))).encode()
    assert b"\\ud83d" in body

    await _post_raw(client, state, body)

    stored = await _messages(state)
    assert stored["wamid.SUR"].content == "a\ufffdb"
    assert "wamid.OK1" in stored


async def test_out_of_range_values_do_not_sink_batch(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    bad = _good("wamid.BIG")
    bad["errors"] = [{"code": 10**30, "title": "x"}]
    bad["timestamp"] = 1e308
    payload = _with_second_message(text_message_payload(wamid="wamid.OK2"), bad)
    body = json.dumps(payload).replace("1e+308", "1e999").encode()

    await _post_raw(client, state, body)

    stored = await _messages(state)
    assert stored["wamid.BIG"].error_code is None
    assert "wamid.OK2" in stored


async def test_future_timestamp_is_clamped(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    payload = text_message_payload(wamid="wamid.FUT", timestamp="32503679999")
    await post_webhook(client, payload, state)
    stored = await _messages(state)
    assert stored["wamid.FUT"].timestamp.year < 2100


async def test_deep_nesting_fails_without_retries(
    client: httpx.AsyncClient, state: AppState
) -> None:
    body = b'{"entry":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    await _post_raw(client, state, body)
    async with state.session_factory() as session:
        delivery = (await session.execute(select(WebhookDelivery))).scalar_one()
    assert delivery.state == "failed"
    assert delivery.attempts == 1


async def test_status_never_changes_inbound_message(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await post_webhook(client, text_message_payload(wamid="wamid.IN1"), state)
    status_payload = text_message_payload(wamid="unused")
    value = status_payload["entry"][0]["changes"][0]["value"]
    value.pop("messages")
    value["statuses"] = [
        {"id": "wamid.IN1", "status": "read", "timestamp": "1767225700"}
    ]
    await post_webhook(client, status_payload, state)
    stored = await _messages(state)
    assert stored["wamid.IN1"].status == "received"


async def test_conflicting_ids_keep_each_contact_user_id(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    first = text_message_payload(wamid="wamid.B1", wa_id="5511900000201")
    second = text_message_payload(wamid="wamid.B2", wa_id="5511900000202")
    second["entry"][0]["changes"][0]["value"]["messages"][0]["from_user_id"] = (
        "BR.0000000000000002"
    )
    await post_webhook(client, first, state)
    await post_webhook(client, second, state)
    clash = text_message_payload(wamid="wamid.B3", wa_id="5511900000201")
    clash["entry"][0]["changes"][0]["value"]["messages"][0]["from_user_id"] = (
        "BR.0000000000000002"
    )
    await post_webhook(client, clash, state)
    async with state.session_factory() as session:
        owners = dict(
            (await session.execute(select(Contact.wa_id, Contact.user_id))).all()
        )
    assert owners["5511900000201"] is None
    assert owners["5511900000202"] == "BR.0000000000000002"


async def test_non_ascii_digits_are_not_phone_numbers(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await post_webhook(
        client, text_message_payload(wamid="wamid.S1", wa_id="¹²³⁴⁵⁶⁷⁸"), state
    )
    await post_webhook(
        client, text_message_payload(wamid="wamid.S2", wa_id="⁸⁷⁶⁵⁴³²¹"), state
    )
    async with state.session_factory() as session:
        count = (
            await session.execute(select(func.count()).select_from(Contact))
        ).scalar_one()
    assert count == 2


async def test_large_body_is_stored_in_chunks(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    payload = text_message_payload(wamid="wamid.L0")
    for index in range(1, 130):
        _with_second_message(payload, _good(f"wamid.L{index}", f"55119000{index:05d}"))
    await post_webhook(client, payload, state)
    stored = await _messages(state)
    assert len(stored) == 130
    async with state.session_factory() as session:
        delivery = (await session.execute(select(WebhookDelivery))).scalar_one()
    assert delivery.state == "processed"


async def test_non_ascii_signature_is_403(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/webhook", content=b"{}", headers={SIGNATURE_HEADER: "sha256=\u00e9".encode()}
    )
    assert response.status_code == 403


async def test_unsigned_body_is_refused_before_reading(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/webhook",
        content=b"x" * 1024,
        headers={"Content-Length": str(64 * 1024 * 1024)},
    )
    assert response.status_code == 401


async def test_api_rejects_oversized_ids(
    client: httpx.AsyncClient, state: AppState
) -> None:
    user = await make_user(state)
    headers = await login(client, user.email, "senha-de-teste-admin")
    for query in ("channel_id=99999999999999999999", "tag_id=9223372036854775808"):
        response = await client.get(f"/api/contacts?{query}", headers=headers)
        assert response.status_code == 422, query
