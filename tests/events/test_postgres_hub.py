"""Events through PostgreSQL LISTEN/NOTIFY, and the listener's reconnect."""

import asyncio
import os

import asyncpg
import pytest

from cenat_hub.config import Settings
from cenat_hub.db.session import create_engine
from cenat_hub.events.hub import RESYNC, Event
from cenat_hub.events.postgres import (
    PostgresEventHub,
    asyncpg_connect_args,
    decode_notification,
    encode_event,
)

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="LISTEN/NOTIFY needs PostgreSQL",
)


async def _next(queue: asyncio.Queue[Event], kind: str) -> Event:
    async with asyncio.timeout(15):
        while True:
            event = await queue.get()
            if event.kind == kind:
                return event


async def test_notify_fanout_and_listener_reconnect(
    settings: Settings,
) -> None:
    url = settings.resolved_database_url
    engine = create_engine(url)
    publisher, listener = PostgresEventHub(engine, url), PostgresEventHub(engine, url)
    await publisher.start()
    await listener.start()
    try:
        queue = listener.subscribe()
        own = publisher.subscribe()
        await publisher.publish([Event("message.new", {"message_id": 7})])
        assert (await _next(queue, "message.new")).data == {"message_id": 7}
        assert (await _next(own, "message.new")).data == {"message_id": 7}

        admin = await asyncpg.connect(**asyncpg_connect_args(url))
        try:
            await admin.execute(
                "SELECT pg_terminate_backend($1)", listener.listener_pid
            )
        finally:
            await admin.close()

        assert (await _next(queue, RESYNC)).kind == RESYNC
        await publisher.publish([Event("message.status", {"message_id": 8})])
        assert (await _next(queue, "message.status")).data == {"message_id": 8}
    finally:
        await publisher.stop()
        await listener.stop()
        await engine.dispose()


def test_oversized_payload_becomes_a_resync() -> None:
    event = Event("message.new", {"ids": list(range(3000))})
    assert decode_notification(encode_event(event, "hub-1")) == (
        Event(RESYNC, {}),
        "hub-1",
    )
    assert decode_notification("not json") is None


async def test_own_events_arrive_at_once_and_once(settings: Settings) -> None:
    url = settings.resolved_database_url
    engine = create_engine(url)
    hub, other = PostgresEventHub(engine, url), PostgresEventHub(engine, url)
    await hub.start()
    await other.start()
    try:
        queue = hub.subscribe()
        await hub.publish([Event("message.new", {"message_id": 9})])
        assert queue.get_nowait() == Event("message.new", {"message_id": 9})

        # NOTIFY delivers in commit order, so the hub's own notification comes
        # back before the other hub's and would show up here as a duplicate.
        await other.publish([Event("message.status", {"message_id": 10})])
        async with asyncio.timeout(15):
            arrived = [await queue.get()]
        assert arrived == [Event("message.status", {"message_id": 10})]
        assert queue.empty()
    finally:
        await hub.stop()
        await other.stop()
        await engine.dispose()
