"""Archived bodies applied in batches: isolation, two workers, crashes."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cenat_hub.config import Settings
from cenat_hub.db.session import create_engine, create_session_factory
from cenat_hub.events.hub import Event
from cenat_hub.integrations.whatsapp.signature import encode_body, sign
from cenat_hub.models import Conversation, Message, WebhookDelivery
from cenat_hub.web.state import AppState
from cenat_hub.webhook import batch, processing
from cenat_hub.webhook import worker as worker_module
from cenat_hub.webhook.worker import WebhookWorker
from tests.conftest import APP_SECRET
from tests.factories import make_channel, text_message_payload


async def _archive(state: AppState, bodies: list[bytes]) -> list[int]:
    """Store bodies as the acknowledgement does, without processing them."""
    async with state.session_factory() as session:
        deliveries = [
            WebhookDelivery(body=body, signature=sign(body, APP_SECRET))
            for body in bodies
        ]
        session.add_all(deliveries)
        await session.commit()
        return [delivery.id for delivery in deliveries]


def _message_body(index: int, leads: int = 1000) -> bytes:
    wa_id = f"55119{index % leads:08d}"
    payload = text_message_payload(wamid=f"wamid.BATCH{index}", wa_id=wa_id)
    return encode_body(payload)


async def _deliveries(state: AppState) -> dict[int, WebhookDelivery]:
    async with state.session_factory() as session:
        rows = (await session.execute(select(WebhookDelivery))).scalars()
        return {row.id: row for row in rows}


async def _stored_wamids(state: AppState) -> list[str]:
    async with state.session_factory() as session:
        statement = select(Message.wa_message_id).order_by(Message.id)
        return [wamid or "" for wamid in (await session.execute(statement)).scalars()]


class Published:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def __call__(self, events: list[Event]) -> None:
        self.events += events


@pytest.fixture
async def second_factory(
    settings: Settings,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on its own engine and pool, as another process has."""
    engine = create_engine(settings.resolved_database_url)
    yield create_session_factory(engine)
    await engine.dispose()


async def test_bad_bodies_do_not_sink_their_batch(
    state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_channel(state)
    original = processing.ingest_inbound

    async def fail_on_bad(session: Any, channel: Any, message: Any, profile: Any):
        events = await original(session, channel, message, profile)
        if message.wa_message_id == "wamid.BATCH2":
            raise RuntimeError("simulated failure after storing")
        return events

    monkeypatch.setattr(processing, "ingest_inbound", fail_on_bad)
    bodies = [_message_body(index) for index in range(4)]
    bodies[3] = b"not json"
    ids = await _archive(state, [*bodies, _message_body(5)])

    worker = WebhookWorker(state.session_factory, Published())
    for delivery_id in ids:
        worker.schedule(delivery_id)
    await worker.drain()

    assert await _stored_wamids(state) == [
        "wamid.BATCH0",
        "wamid.BATCH1",
        "wamid.BATCH5",
    ]
    deliveries = await _deliveries(state)
    good = [deliveries[ids[index]] for index in (0, 1, 4)]
    assert {delivery.state for delivery in good} == {"processed"}
    # One UPDATE marked the whole batch processed at once.
    assert len({delivery.processed_at for delivery in good}) == 1
    failing_item = deliveries[ids[2]]
    assert failing_item.state == "processed"
    assert failing_item.last_error == "1 items could not be stored: wamid.BATCH2"
    unreadable = deliveries[ids[3]]
    assert unreadable.state == "failed"
    assert unreadable.attempts == 1
    await worker.stop()


async def test_body_failing_to_plan_fails_after_max_attempts(
    state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_channel(state)
    [delivery_id, good_id] = await _archive(state, [_message_body(0), _message_body(1)])

    def fail_on_first(payload: Any, received_at: Any) -> list[Any]:
        items = processing.plan_payload(payload, received_at)
        if items[0].label == "wamid.BATCH0":
            raise ValueError("simulated planning failure")
        return items

    monkeypatch.setattr(batch, "plan_payload", fail_on_first)
    worker = WebhookWorker(state.session_factory, Published())
    for _ in range(batch.MAX_ATTEMPTS):
        await worker.sweep()
    deliveries = await _deliveries(state)
    assert deliveries[delivery_id].state == "failed"
    assert deliveries[delivery_id].attempts == batch.MAX_ATTEMPTS
    assert deliveries[delivery_id].last_error == (
        "ValueError: simulated planning failure"
    )
    assert deliveries[good_id].state == "processed"
    assert deliveries[good_id].attempts == 1
    assert await worker.sweep() == 0
    await worker.stop()


async def test_two_workers_apply_each_body_once(
    state: AppState, second_factory: async_sessionmaker[AsyncSession]
) -> None:
    await make_channel(state)
    # 300 bodies from 40 leads, so both workers touch the same contacts.
    ids = await _archive(state, [_message_body(index, 40) for index in range(300)])
    published = [Published(), Published()]
    workers = [
        WebhookWorker(state.session_factory, published[0]),
        WebhookWorker(second_factory, published[1]),
    ]

    # Each worker gets every id, the worst case for double application.
    for worker in workers:
        for delivery_id in ids:
            worker.schedule(delivery_id)
    await asyncio.gather(*(worker.drain() for worker in workers))

    deliveries = await _deliveries(state)
    assert {delivery.state for delivery in deliveries.values()} == {"processed"}
    # A body claimed twice would have counted two attempts.
    assert {delivery.attempts for delivery in deliveries.values()} == {1}
    stored = await _stored_wamids(state)
    assert len(stored) == 300
    assert len(set(stored)) == 300
    async with state.session_factory() as session:
        unread = await session.execute(select(func.sum(Conversation.unread_count)))
        conversations = await session.execute(
            select(func.count()).select_from(Conversation)
        )
    assert unread.scalar_one() == 300
    assert conversations.scalar_one() == 40
    new_messages = [
        event
        for worker_events in published
        for event in worker_events.events
        if event.kind == "message.new"
    ]
    assert len(new_messages) == 300
    for worker in workers:
        await worker.stop()


async def test_crash_mid_batch_leaves_bodies_for_sweep(
    state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_channel(state)
    ids = await _archive(state, [_message_body(index) for index in range(4)])
    original = batch.apply_items
    reached_third = asyncio.Event()
    calls = 0

    async def hang_on_third(*args: Any, **kwargs: Any) -> list[Event]:
        nonlocal calls
        calls += 1
        if calls == 3:
            reached_third.set()
            await asyncio.Event().wait()
        return await original(*args, **kwargs)

    monkeypatch.setattr(batch, "apply_items", hang_on_third)
    crashed = WebhookWorker(state.session_factory, Published())
    for delivery_id in ids:
        crashed.schedule(delivery_id)
    await asyncio.wait_for(reached_third.wait(), timeout=10)
    # The process dies while the batch's transaction is open.
    assert crashed._loop is not None
    crashed._loop.cancel()
    await asyncio.gather(crashed._loop, return_exceptions=True)

    deliveries = await _deliveries(state)
    assert {delivery.state for delivery in deliveries.values()} == {"pending"}
    assert {delivery.attempts for delivery in deliveries.values()} == {0}
    assert await _stored_wamids(state) == []

    monkeypatch.setattr(batch, "apply_items", original)
    restarted = WebhookWorker(state.session_factory, Published())
    assert await restarted.sweep() == 4
    assert len(await _stored_wamids(state)) == 4
    await restarted.stop()


async def test_failing_transaction_leaves_bodies_for_sweep(
    state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_channel(state)
    ids = await _archive(state, [_message_body(index) for index in range(3)])
    original = batch._record_results

    async def fail(*_args: Any) -> None:
        raise RuntimeError("connection lost")

    monkeypatch.setattr(batch, "_record_results", fail)
    worker = WebhookWorker(state.session_factory, Published())
    for delivery_id in ids:
        worker.schedule(delivery_id)
    await worker.drain()

    deliveries = await _deliveries(state)
    assert {delivery.state for delivery in deliveries.values()} == {"pending"}
    assert {delivery.attempts for delivery in deliveries.values()} == {1}
    assert {delivery.last_error for delivery in deliveries.values()} == {
        "RuntimeError: connection lost"
    }
    assert await _stored_wamids(state) == []

    monkeypatch.setattr(batch, "_record_results", original)
    assert await worker.sweep() == 3
    assert len(await _stored_wamids(state)) == 3
    await worker.stop()


async def test_failed_batch_is_retried_body_by_body(
    state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_channel(state)
    ids = await _archive(state, [_message_body(index) for index in range(3)])
    original = batch._record_results

    async def fail_for_batches(session: Any, result: Any) -> None:
        if len(result.processed) > 1:
            raise RuntimeError("deadlock detected")
        await original(session, result)

    monkeypatch.setattr(batch, "_record_results", fail_for_batches)
    worker = WebhookWorker(state.session_factory, Published())
    for delivery_id in ids:
        worker.schedule(delivery_id)
    await worker.drain()

    deliveries = await _deliveries(state)
    assert {delivery.state for delivery in deliveries.values()} == {"processed"}
    assert {delivery.attempts for delivery in deliveries.values()} == {1}
    assert len(await _stored_wamids(state)) == 3
    await worker.stop()


async def test_full_queue_leaves_bodies_to_sweep(
    state: AppState, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_channel(state)
    ids = await _archive(state, [_message_body(index) for index in range(3)])
    monkeypatch.setattr(worker_module, "MAX_QUEUED", 2)
    worker = WebhookWorker(state.session_factory, Published())

    for delivery_id in ids:
        worker.schedule(delivery_id)
    await worker.drain()

    assert await _stored_wamids(state) == ["wamid.BATCH0", "wamid.BATCH1"]
    assert await worker.sweep() == 1
    assert len(await _stored_wamids(state)) == 3
    await worker.stop()
