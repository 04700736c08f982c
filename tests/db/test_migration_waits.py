"""The response-waits revision fills the waits from existing messages, and goes down."""

import asyncio

from bench.generate import Sizes, generate
from cenat_hub.db.migrate import downgrade, upgrade
from cenat_hub.db.session import create_engine, create_session_factory
from tests.dashboard.reference import reference_state, stored_state
from tests.db.test_migration_inbox import _columns
from tests.db.test_migrations import _table_names

PREVIOUS = "0012_message_counts"
WAIT_COLUMNS = {"last_counted_message_at", "open_wait_started_at", "waiting_since"}


async def test_backfill_matches_former_queries(empty_database: str) -> None:
    sizes = Sizes(contacts=40, messages=700, channels=2, agents=3, days=30)
    await generate(empty_database, sizes, seed=11, chunk_contacts=20)
    await asyncio.to_thread(downgrade, empty_database, PREVIOUS)

    assert "response_waits" not in await _table_names(empty_database)
    assert not WAIT_COLUMNS & await _columns(empty_database, "conversations")

    await asyncio.to_thread(upgrade, empty_database)
    engine = create_engine(empty_database)
    try:
        async with create_session_factory(engine)() as session:
            stored = await stored_state(session)
            reference = await reference_state(session)
    finally:
        await engine.dispose()

    assert stored.waits
    assert stored.open_waits
    assert stored.waiting
    assert stored.waits == reference.waits
    assert stored.open_waits == reference.open_waits
    assert stored.waiting == reference.waiting
