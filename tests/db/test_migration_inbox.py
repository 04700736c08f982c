"""The inbox revision: fills search columns for old rows, and goes down and up."""

import asyncio
from datetime import UTC, datetime

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from cenat_hub.db.migrate import downgrade, upgrade

REVISION = "0006_inbox"


async def _run(url: str, *statements: str) -> list[tuple[object, ...]]:
    """Run SQL statements; ``:now`` stands for one fixed time."""
    engine = create_async_engine(url)
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            rows: list[tuple[object, ...]] = []
            for statement in statements:
                params = {"now": now} if ":now" in statement else {}
                result = await connection.execute(text(statement), params)
                if result.returns_rows:
                    rows = [tuple(row) for row in result.all()]
            return rows
    finally:
        await engine.dispose()


async def _columns(url: str, table: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(
                lambda sync: {c["name"] for c in inspect(sync).get_columns(table)}
            )
            return set(names)
    finally:
        await engine.dispose()


async def test_inbox_revision_up_and_down(
    empty_database: str,
) -> None:
    url = empty_database
    await asyncio.to_thread(upgrade, url, "0001")
    await _run(
        url,
        "INSERT INTO channels (name, phone_number, phone_number_id, whatsapp_token, "
        "is_active, created_at, updated_at) VALUES ('C', '1', 'p1', 'x', true, :now, :now)",
        "INSERT INTO users (name, email, password_hash, role, is_active, token_version, "
        "created_at) VALUES ('Ana', 'a@teste.invalid', 'h', 'admin', true, 0, :now)",
        "INSERT INTO contacts (wa_id, name, lead_status, created_at, updated_at) "
        "VALUES ('5511900000001', 'JOÃO Conceição', 'novo', :now, :now)",
        "INSERT INTO conversations (channel_id, contact_id, unread_count, created_at) "
        "VALUES (1, 1, 0, :now)",
        "INSERT INTO messages (channel_id, contact_id, conversation_id, contact_wa_id, "
        "direction, message_type, content, media_filename, timestamp, status, media_voice, "
        "media_animated, forwarded, frequently_forwarded, edited, revoked, created_at) "
        "VALUES (1, 1, 1, '5511900000001', 'inbound', 'document', 'Segue a DECLARAÇÃO', "
        "'Matrícula.pdf', :now, 'received', false, false, false, false, false, false, :now)",
    )

    await asyncio.to_thread(upgrade, url, REVISION)

    assert await _run(url, "SELECT search_name FROM contacts") == [("joao conceicao",)]
    assert await _run(url, "SELECT search_text FROM messages") == [
        ("segue a declaracao matricula.pdf",)
    ]
    assert await _run(url, "SELECT locale FROM users") == [("pt_BR",)]
    changed = await _run(url, "SELECT updated_at IS NOT NULL FROM conversations")
    assert changed == [(True,)]

    await asyncio.to_thread(downgrade, url, "0001")
    assert "search_text" not in await _columns(url, "messages")
    assert "locale" not in await _columns(url, "users")
    assert await _run(url, "SELECT content FROM messages") == [("Segue a DECLARAÇÃO",)]

    await asyncio.to_thread(upgrade, url, "head")
    assert {"search_text", "updated_at"} <= await _columns(url, "messages")
