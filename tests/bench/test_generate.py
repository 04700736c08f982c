"""The benchmark data generator writes rows the application reads as its own."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from bench.generate import ADMIN_EMAIL, BENCH_PASSWORD, Sizes, generate, phone_of
from cenat_hub.contacts.phone import match_key
from cenat_hub.models import (
    Contact,
    ContactIdentity,
    Conversation,
    Message,
)
from cenat_hub.web.state import AppState
from tests.dashboard.funnel_reference import recomputed_reached, stored_reached
from tests.dashboard.recount import recount, stored_counts
from tests.dashboard.reference import reference_state, stored_state
from tests.factories import login, page_login

SIZES = Sizes(contacts=60, messages=900, channels=2, agents=3, days=90)
ENCRYPTION_KEY = "test-encryption-key-0123456789"


async def _fill(database_url: str) -> None:
    counters = await generate(
        database_url, SIZES, seed=7, encryption_key=ENCRYPTION_KEY, chunk_contacts=25
    )
    assert counters.message == SIZES.messages


async def test_generated_rows_match_what_the_app_derives(
    app: FastAPI, state: AppState, database_url: str
) -> None:
    await _fill(database_url)
    async with state.session_factory() as session:
        total = await session.scalar(select(func.count(Message.id)))
        assert total == SIZES.messages
        conversations = list((await session.execute(select(Conversation))).scalars())
        assert len(conversations) >= SIZES.contacts
        for conversation in conversations:
            newest = await session.scalar(
                select(func.max(Message.timestamp)).where(
                    Message.conversation_id == conversation.id,
                    Message.message_type != "reaction",
                )
            )
            assert conversation.last_message_at == newest
        types = Counter((await session.execute(select(Message.message_type))).scalars())
        assert {"text", "image", "audio", "template"} <= set(types)
        # Twins: a contact written in the 12-digit form matches its 13-digit key.
        twins = list(
            (
                await session.execute(
                    select(Contact.wa_id, ContactIdentity.value).join(
                        ContactIdentity, ContactIdentity.contact_id == Contact.id
                    )
                )
            ).all()
        )
        short = [(wa_id, value) for wa_id, value in twins if len(wa_id) == 12]
        assert short
        assert all(value == match_key(wa_id) for wa_id, value in short)
        accented = await session.scalar(
            select(func.count(Contact.id)).where(Contact.name.like("%ã%"))
        )
        assert accented is not None
        assert await stored_counts(session) == await recount(session)
        assert await stored_reached(session) == await recomputed_reached(session)


async def test_app_lists_searches_and_counts_generated_data(
    app: FastAPI, state: AppState, client: httpx.AsyncClient, database_url: str
) -> None:
    await _fill(database_url)
    headers = await login(client, ADMIN_EMAIL, BENCH_PASSWORD)

    listed = await client.get(
        "/api/conversations", params={"limit": 20}, headers=headers
    )
    assert listed.status_code == 200
    rows = listed.json()
    assert len(rows) == 20
    times = [row["last_message_at"] for row in rows]
    assert times == sorted(times, reverse=True)

    history = await client.get(f"/api/messages/{phone_of(0)}", headers=headers)
    assert history.status_code == 200
    assert history.json()

    stats = await client.get(
        "/api/dashboard/stats", params={"days": 90}, headers=headers
    )
    assert stats.status_code == 200
    body = stats.json()
    received = body["messages_received"]
    sent = body["messages_sent"]
    assert 0 < received + sent <= SIZES.messages
    assert sum(item["count"] for item in body["leads_by_status"]) == SIZES.contacts
    since = datetime.now(UTC) - timedelta(days=91)
    assert all(
        datetime.fromisoformat(day["date"]).replace(tzinfo=UTC) >= since
        for day in body["daily"]
    )

    # The inbox search folds accents: "conclusao" finds "conclusão".
    await page_login(client, state, ADMIN_EMAIL, BENCH_PASSWORD)
    found = await client.get(
        "/conversas/lista",
        params={"channel_id": 1, "q": "CONCLUSAO"},
        headers={"HX-Request": "true"},
    )
    assert found.status_code == 200
    nothing = await client.get(
        "/conversas/lista",
        params={"channel_id": 1, "q": "palavra-que-nao-existe"},
        headers={"HX-Request": "true"},
    )
    assert nothing.status_code == 200
    assert "data-conversation-id" in found.text
    assert "data-conversation-id" not in nothing.text


async def test_generated_waits_match_the_messages(
    app: FastAPI, state: AppState, database_url: str
) -> None:
    """The waits rebuilt at the end of generation equal the former queries."""
    await _fill(database_url)
    async with state.session_factory() as session:
        stored = await stored_state(session)
        reference = await reference_state(session)
        conversations = list((await session.execute(select(Conversation))).scalars())

    assert stored.waits
    assert stored.waits == reference.waits
    assert stored.open_waits == reference.open_waits
    assert stored.waiting == reference.waiting
    for conversation in conversations:
        assert conversation.last_counted_message_at == conversation.last_message_at
