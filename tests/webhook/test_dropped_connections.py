"""Webhooks after the server closed the pooled connections (no pool pre-ping)."""

import os

import asyncpg
import httpx
import pytest
from sqlalchemy import select

from cenat_hub.events.postgres import asyncpg_connect_args
from cenat_hub.integrations.whatsapp.signature import encode_body, sign
from cenat_hub.models import Message, WebhookDelivery
from cenat_hub.web.state import AppState
from tests.conftest import APP_SECRET, post_webhook
from tests.factories import make_channel, text_message_payload

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="terminates server connections, which needs PostgreSQL",
)


async def _terminate_pooled_connections(state: AppState) -> int:
    """Close every server connection of the app's pool, as a restart would."""
    args = asyncpg_connect_args(state.settings.resolved_database_url)
    admin = await asyncpg.connect(**args)
    try:
        return int(
            await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND pid IS DISTINCT FROM $1",
                state.events.listener_pid,
            )
        )
    finally:
        await admin.close()


async def _stored(state: AppState) -> list[str]:
    async with state.session_factory() as session:
        statement = select(Message.wa_message_id).order_by(Message.id)
        return [wamid or "" for wamid in (await session.execute(statement)).scalars()]


async def test_acknowledgement_after_connections_closed(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await post_webhook(client, text_message_payload(wamid="wamid.DROP1"), state)
    assert await _terminate_pooled_connections(state) > 0

    response = await post_webhook(
        client, text_message_payload(wamid="wamid.DROP2"), state
    )

    assert response.status_code == 200
    assert await _stored(state) == ["wamid.DROP1", "wamid.DROP2"]


async def test_processing_after_connections_closed(state: AppState) -> None:
    await make_channel(state)
    body = encode_body(text_message_payload(wamid="wamid.DROP3"))
    async with state.session_factory() as session:
        delivery = WebhookDelivery(body=body, signature=sign(body, APP_SECRET))
        session.add(delivery)
        await session.commit()
        delivery_id = delivery.id
    assert await _terminate_pooled_connections(state) > 0

    await state.webhook_worker.process(delivery_id)

    assert await _stored(state) == ["wamid.DROP3"]
    async with state.session_factory() as session:
        stored = await session.get(WebhookDelivery, delivery_id)
    assert stored is not None
    assert stored.state == "processed"
    assert stored.attempts == 1
