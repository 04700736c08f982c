"""A worker killed while processing a batch loses nothing and duplicates nothing."""

import asyncio
import signal
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine

from cenat_hub.db.migrate import upgrade
from cenat_hub.integrations.whatsapp.signature import encode_body
from cenat_hub.models import Channel, Message, WebhookDelivery
from cenat_hub.security.crypto import TokenCipher
from tests.conftest import signed_headers
from tests.deploy.processes import free_port, hub_environment, start_hub, stop

BODIES = 4
MESSAGES_PER_BODY = 300


def _batch_payload(body_index: int) -> dict[str, object]:
    messages = [
        {
            "from": f"55119{body_index:02d}{index:06d}",
            "id": f"wamid.CRASH{body_index}x{index}",
            "timestamp": str(1767225600 + index),
            "type": "text",
            "text": {"body": f"mensagem {index}"},
        }
        for index in range(MESSAGES_PER_BODY)
    ]
    contacts = [
        {"profile": {"name": f"Lead Teste {m['from']}"}, "wa_id": m["from"]}
        for m in messages
    ]
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": "5511900000100",
            "phone_number_id": "100000000000001",
        },
        "contacts": contacts,
        "messages": messages,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "200000000000001",
                "changes": [{"field": "messages", "value": value}],
            }
        ],
    }


async def _counts(url: str) -> tuple[int, dict[str, int]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            messages = (
                await connection.execute(select(func.count()).select_from(Message))
            ).scalar_one()
            states = dict(
                (
                    await connection.execute(
                        select(WebhookDelivery.state, func.count()).group_by(
                            WebhookDelivery.state
                        )
                    )
                ).all()
            )
    finally:
        await engine.dispose()
    return messages, states


async def _add_channel(url: str, encryption_key: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                Channel.__table__.insert().values(
                    name="Canal Teste",
                    phone_number="5511900000100",
                    phone_number_id="100000000000001",
                    waba_id="200000000000001",
                    whatsapp_token=TokenCipher(encryption_key).encrypt("sim-token-1"),
                    is_active=True,
                    created_at=func.now(),
                    updated_at=func.now(),
                )
            )
    finally:
        await engine.dispose()


async def test_killed_worker_batch_is_processed_once_after_restart(
    postgres_url: str, tmp_path: Path
) -> None:
    await asyncio.to_thread(upgrade, postgres_url)
    env = hub_environment(postgres_url, tmp_path / "data", "http://127.0.0.1:9/v23.0")
    await _add_channel(postgres_url, env["ENCRYPTION_KEY"])
    port = free_port()
    hub = await asyncio.to_thread(start_hub, env, port, 1, tmp_path / "hub.log")

    bodies = [encode_body(_batch_payload(index)) for index in range(BODIES)]
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=30
    ) as client:
        for body in bodies:
            response = await client.post(
                "/webhook", content=body, headers=signed_headers(body)
            )
            assert response.status_code == 200
    stop(hub, signal.SIGKILL)

    stored_at_kill, states_at_kill = await _counts(postgres_url)
    assert sum(states_at_kill.values()) == BODIES
    assert states_at_kill.get("pending", 0) >= 1, "every body finished before the kill"
    assert stored_at_kill < BODIES * MESSAGES_PER_BODY

    hub = await asyncio.to_thread(start_hub, env, port, 1, tmp_path / "hub.log")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            stored, states = await _counts(postgres_url)
            if states.get("processed", 0) == BODIES:
                break
            await asyncio.sleep(0.5)
    finally:
        stop(hub)

    stored, states = await _counts(postgres_url)
    assert states == {"processed": BODIES}
    assert stored == BODIES * MESSAGES_PER_BODY
