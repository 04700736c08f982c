from datetime import timedelta

import httpx
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select, update

from cenat_hub.db.session import unit_of_work
from cenat_hub.db.types import utcnow
from cenat_hub.models import Message, WebhookDelivery
from cenat_hub.web.state import AppState
from cenat_hub.webhook.archive import (
    list_deliveries,
    mark_for_reprocessing,
    prune_processed,
)
from tests.conftest import post_webhook
from tests.factories import make_channel, text_message_payload


async def test_failed_delivery_is_reprocessed(
    client: httpx.AsyncClient, state: AppState
) -> None:
    payload = text_message_payload(wamid="wamid.ARCH1")
    await post_webhook(
        client, payload, state
    )  # no channel yet: archived, nothing stored
    await make_channel(state)
    async with unit_of_work(state.session_factory) as session:
        await session.execute(update(WebhookDelivery).values(state="failed"))
    async with unit_of_work(state.session_factory) as session:
        ids = await mark_for_reprocessing(session, None, include_processed=False)
    for delivery_id in ids:
        await state.webhook_worker.process(delivery_id)
    async with state.session_factory() as session:
        count = await session.execute(select(func.count()).select_from(Message))
        rows = await list_deliveries(session, "processed", 10)
    assert count.scalar_one() == 1
    assert [row.id for row in rows] == ids


async def test_reprocessing_processed_twice_changes_nothing(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    await post_webhook(client, text_message_payload(wamid="wamid.ARCH2"), state)
    async with unit_of_work(state.session_factory) as session:
        ids = await mark_for_reprocessing(session, 1, include_processed=True)
    await state.webhook_worker.process(ids[0])
    async with state.session_factory() as session:
        count = await session.execute(select(func.count()).select_from(Message))
    assert count.scalar_one() == 1


async def test_prune_keeps_recent_and_unprocessed(
    client: httpx.AsyncClient, state: AppState
) -> None:
    await make_channel(state)
    for index in range(3):
        await post_webhook(client, text_message_payload(wamid=f"wamid.P{index}"), state)
    old = utcnow() - timedelta(days=40)
    async with unit_of_work(state.session_factory) as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id <= 2)
            .values(received_at=old)
        )
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == 2)
            .values(state="failed")
        )
    async with unit_of_work(state.session_factory) as session:
        removed = await prune_processed(session, timedelta(days=30))
    async with state.session_factory() as session:
        remaining = [row.id for row in await list_deliveries(session, None, 10)]
    assert removed == 1
    assert remaining == [3, 2]


async def _get_metrics(
    app: FastAPI, client_host: str, **headers: str
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(client_host, 5000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://hub.test"
    ) as http:
        return await http.get("/metrics", headers=headers)


async def test_metrics_served_to_loopback_only(app: FastAPI) -> None:
    allowed = await _get_metrics(app, "127.0.0.1")
    assert allowed.status_code == 200
    assert "cenat_webhook_pending" in allowed.text
    assert "cenat_http_request_duration_seconds" in allowed.text
    remote = await _get_metrics(app, "203.0.113.9")
    assert remote.status_code == 403
    proxied = await _get_metrics(app, "127.0.0.1", **{"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403


async def test_metrics_token_admits_remote_scraper(
    app: FastAPI, state: AppState
) -> None:
    state.settings.metrics_token = SecretStr("scrape-token-0123456789")
    good = await _get_metrics(
        app, "203.0.113.9", Authorization="Bearer scrape-token-0123456789"
    )
    bad = await _get_metrics(app, "203.0.113.9", Authorization="Bearer wrong")
    assert good.status_code == 200
    assert bad.status_code == 403


async def test_ready_checks_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.json() == {"status": "ok", "database": "ok"}
