"""Webhook bodies, signatures and delivery retries."""

import json

import httpx

from cenat_hub.simulator import LeadMessage
from tests.simulator.support import (
    LEAD_WA_ID,
    PHONE_NUMBER_ID,
    Simulator,
    SimulatorFactory,
)


def lead_text(text: str) -> LeadMessage:
    return LeadMessage(
        phone_number_id=PHONE_NUMBER_ID, wa_id=LEAD_WA_ID, name="João Teste", text=text
    )


async def test_body_escapes_non_ascii(simulator: Simulator) -> None:
    await simulator.state.lead_sends(lead_text("Olá, tudo bem? 😮"))

    webhook = simulator.receiver.received[-1]
    assert webhook.body.isascii()
    assert b"Ol\\u00e1, tudo bem? \\ud83d\\ude2e" in webhook.body
    assert b"Jo\\u00e3o Teste" in webhook.body
    assert webhook.value["messages"][0]["text"]["body"] == "Olá, tudo bem? 😮"


async def test_signature_covers_raw_bytes(simulator: Simulator) -> None:
    await simulator.state.lead_sends(lead_text("Pós-Graduação 🎓"))

    webhook = simulator.receiver.received[-1]
    assert webhook.signature is not None
    assert webhook.signature.startswith("sha256=")
    assert webhook.signature_valid


async def test_signature_uses_configured_secret(
    make_simulator: SimulatorFactory,
) -> None:
    simulator = await make_simulator(app_secret="another-secret")

    await simulator.state.lead_sends(lead_text("Olá"))

    assert simulator.receiver.received[-1].signature is not None
    assert not simulator.receiver.received[-1].signature_valid


async def test_body_is_compact_json(simulator: Simulator) -> None:
    await simulator.state.lead_sends(lead_text("Olá"))

    body = simulator.receiver.received[-1].body
    assert body == json.dumps(
        json.loads(body), ensure_ascii=True, separators=(",", ":")
    ).encode("ascii")


async def test_lead_message_retried_until_200(simulator: Simulator) -> None:
    simulator.receiver.failing_statuses = [500, 503]

    result = await simulator.state.lead_sends(lead_text("Olá"))
    await simulator.state.wait_for_webhooks()

    assert result["hub_status"] == 500
    delivery = simulator.state.webhooks.deliveries[-1]
    assert delivery.attempt_statuses == [500, 503, 200]
    assert delivery.delivered
    bodies = [webhook.body for webhook in simulator.receiver.received]
    assert bodies == [delivery.body] * 3


async def test_delivery_abandoned_after_max_attempts(
    make_simulator: SimulatorFactory,
) -> None:
    simulator = await make_simulator(webhook_max_attempts=3)
    simulator.receiver.failing_statuses = [500] * 10

    await simulator.state.lead_sends(lead_text("Olá"))
    await simulator.state.wait_for_webhooks()

    delivery = simulator.state.webhooks.deliveries[-1]
    assert delivery.attempt_statuses == [500, 500, 500]
    assert not delivery.delivered
    assert len(simulator.receiver.received) == 3


async def test_non_200_success_is_retried(simulator: Simulator) -> None:
    simulator.receiver.failing_statuses = [204]

    await simulator.state.lead_sends(lead_text("Olá"))
    await simulator.state.wait_for_webhooks()

    assert simulator.state.webhooks.deliveries[-1].attempt_statuses == [204, 200]


async def test_hub_404_is_retried(make_simulator: SimulatorFactory) -> None:
    simulator = await make_simulator(
        hub_webhook_url="http://127.0.0.1:8000/not-the-webhook", webhook_max_attempts=2
    )

    result = await simulator.state.lead_sends(lead_text("Olá"))
    await simulator.state.wait_for_webhooks()

    assert result["hub_status"] == 404
    assert simulator.state.webhooks.deliveries[-1].attempt_statuses == [404, 404]


async def test_unreachable_hub_reports_none(simulator: Simulator) -> None:
    def fail_to_connect(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(fail_to_connect)
    ) as client:
        simulator.state.webhooks.client = client
        result = await simulator.state.lead_sends(lead_text("Olá"))
        await simulator.state.wait_for_webhooks()

    assert result["hub_status"] is None
    attempts = simulator.state.webhooks.deliveries[-1].attempt_statuses
    assert attempts == [None] * simulator.state.config.webhook_max_attempts
