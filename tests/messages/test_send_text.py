"""POST /api/send/text against the Cloud API simulator, with its status webhooks."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from cenat_hub.db.types import utcnow
from cenat_hub.models import Conversation, Message
from cenat_hub.simulator import SimulatorState
from cenat_hub.simulator.payloads import LeadMessage
from cenat_hub.web.state import AppState
from tests.factories import login, make_channel, make_user
from tests.hub_simulator import wait_for

LEAD = "5511900000001"
PHONE_NUMBER_ID = "100000000000001"


async def _setup(client: httpx.AsyncClient, state: AppState) -> dict[str, str]:
    await make_channel(state)
    user = await make_user(state)
    return await login(client, user.email, "senha-de-teste-admin")


async def _lead_writes(
    simulator: SimulatorState, state: AppState, text: str = "Oi"
) -> None:
    await simulator.lead_sends(
        LeadMessage(
            phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD, name="Ana Teste", text=text
        )
    )
    await state.webhook_worker.drain()


async def _message(state: AppState, message_id: int) -> Message:
    async with state.session_factory() as session:
        message = await session.get(Message, message_id)
    assert message is not None
    return message


async def _send(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(
        "/api/send/text", json={"wa_id": LEAD, **body}, headers=headers
    )


async def test_reply_goes_sent_delivered_read(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state)
    await _lead_writes(simulator, state)

    response = await _send(client, headers, text="Olá, Ana! Como posso ajudar?")

    assert response.status_code == 200, response.text
    sent = response.json()
    assert sent["status"] == "sent"
    assert sent["wa_message_id"].startswith("wamid.")

    async def is_read() -> bool:
        await state.webhook_worker.drain()
        return (await _message(state, sent["id"])).status == "read"

    await wait_for(is_read)
    message = await _message(state, sent["id"])
    assert message.sent_at is not None
    assert message.delivered_at is not None
    assert message.read_at is not None
    history = (await client.get(f"/api/messages/{LEAD}", headers=headers)).json()
    assert [m["direction"] for m in history] == ["inbound", "outbound"]
    assert history[1]["status"] == "read"
    outbound = simulator.sent_messages[-1]["request"]
    assert outbound["text"]["body"] == "Olá, Ana! Como posso ajudar?"
    assert outbound["to"] == LEAD


async def test_outside_window_is_refused_before_calling_meta(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state)
    await _lead_writes(simulator, state)
    async with state.session_factory() as session:
        await session.execute(
            update(Conversation).values(last_inbound_at=utcnow() - timedelta(hours=25))
        )
        await session.commit()

    response = await _send(client, headers, text="Oi de novo")

    assert response.status_code == 409
    assert response.json()["code"] == "window_closed"
    assert "template" in response.json()["detail"]
    assert simulator.sent_messages == []


async def test_contact_that_never_wrote_needs_template(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state)
    response = await _send(client, headers, text="Oi")
    assert response.status_code == 404
    assert simulator.sent_messages == []


async def test_meta_rejection_is_stored_as_failed_in_portuguese(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state)
    await _lead_writes(simulator, state)
    simulator.fail_next_sends(PHONE_NUMBER_ID, 5, http_status=400, code=131009)

    response = await _send(client, headers, text="Oi")

    body = response.json()
    assert body["status"] == "failed"
    assert body["error"]["code"] == 131009
    assert body["error"]["message"] == "Um valor da mensagem é inválido."


async def test_throttled_send_is_retried(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state)
    await _lead_writes(simulator, state)
    simulator.fail_next_sends(PHONE_NUMBER_ID, 2, http_status=429, code=130429)

    response = await _send(client, headers, text="Oi")

    assert response.json()["status"] == "sent"
    assert len(simulator.sent_messages) == 1


async def test_undeliverable_number_ends_failed_131026(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state)
    await _lead_writes(simulator, state)
    simulator.mark_undeliverable(LEAD)

    sent = (await _send(client, headers, text="Oi")).json()

    async def is_failed() -> Message | None:
        await state.webhook_worker.drain()
        message = await _message(state, sent["id"])
        return message if message.status == "failed" else None

    message = await wait_for(is_failed)
    assert message.error_code == 131026
    assert message.error_message is not None
    assert "não tem WhatsApp" in message.error_message


async def test_same_client_message_id_sends_once(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state)
    await _lead_writes(simulator, state)
    body = {"text": "Só uma vez", "client_message_id": "click-0001-abcdef"}

    responses = await asyncio.gather(
        *[_send(client, headers, **body) for _ in range(5)]
    )

    assert all(response.status_code == 200 for response in responses)
    assert len({response.json()["id"] for response in responses}) == 1
    assert len(simulator.sent_messages) == 1
    async with state.session_factory() as session:
        outbound = await session.execute(
            select(func.count())
            .select_from(Message)
            .where(Message.direction == "outbound")
        )
    assert outbound.scalar_one() == 1


async def test_blank_and_oversized_text_are_rejected(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state)
    await _lead_writes(simulator, state)
    assert (await _send(client, headers, text="   ")).status_code == 422
    assert (await _send(client, headers, text="x" * 4097)).status_code == 422
    assert simulator.sent_messages == []


async def test_send_requires_login(client: httpx.AsyncClient, state: AppState) -> None:
    response = await client.post("/api/send/text", json={"wa_id": LEAD, "text": "Oi"})
    assert response.status_code == 401


async def test_reused_client_message_id_for_other_text_is_409(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state)
    await _lead_writes(simulator, state)
    first = await _send(
        client, headers, text="Primeira", client_message_id="reuse-0001-abc"
    )
    second = await _send(
        client, headers, text="Outra", client_message_id="reuse-0001-abc"
    )
    assert first.status_code == 200
    assert second.status_code == 409
    assert "reuse-0001-abc" in second.json()["detail"]
    assert len(simulator.sent_messages) == 1


async def test_unknown_channel_is_404(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state)
    await _lead_writes(simulator, state)
    response = await _send(client, headers, text="Oi", channel_id=999)
    assert response.status_code == 404
    assert response.json()["detail"] == "Channel 999 not found."


async def test_typed_number_forms_find_the_lead(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state)
    await _lead_writes(simulator, state)
    for typed in (
        "+55 (11) 90000-0001",
        "(11) 90000-0001",
        "11900000001",
        "551100000001",
    ):
        response = await client.get(f"/api/contacts/{typed}", headers=headers)
        assert response.status_code == 200, typed
        assert response.json()["wa_id"] == LEAD


async def test_nul_in_text_is_422(
    client: httpx.AsyncClient, state: AppState, simulator: SimulatorState
) -> None:
    headers = await _setup(client, state)
    await _lead_writes(simulator, state)
    response = await _send(client, headers, text="oi\x00")
    assert response.status_code == 422
