"""The message counts revision: backfills old messages, and goes down and up."""

import asyncio
from datetime import UTC, datetime

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from cenat_hub.db.migrate import downgrade, upgrade

REVISION = "0012_message_counts"
PREVIOUS = "0011_media_message_index"
# 2026-01-01 12:00:00 UTC is bucket 1,963,632 (epoch seconds / 900).
NOON_BUCKET = 1_963_632
TOTALS = "SELECT bucket, channel_id, SUM(received), SUM(sent) FROM message_counts "
TOTALS_BY_KEY = TOTALS + "GROUP BY bucket, channel_id ORDER BY bucket, channel_id"


async def _run(url: str, *statements: str) -> list[tuple[object, ...]]:
    """Run SQL statements; ``:noon`` and ``:late`` stand for two fixed times."""
    engine = create_async_engine(url)
    times = {
        "noon": datetime(2026, 1, 1, 12, tzinfo=UTC),
        # The last microsecond of the 11:45 bucket.
        "late": datetime(2026, 1, 1, 11, 59, 59, 999_999, tzinfo=UTC),
    }
    try:
        async with engine.begin() as connection:
            rows: list[tuple[object, ...]] = []
            for statement in statements:
                params = {
                    name: value
                    for name, value in times.items()
                    if f":{name}" in statement
                }
                if connection.dialect.name == "sqlite":
                    params = {
                        name: value.replace(tzinfo=None).isoformat(" ", "microseconds")
                        for name, value in params.items()
                    }
                result = await connection.execute(text(statement), params)
                if result.returns_rows:
                    rows = [tuple(row) for row in result.all()]
            return rows
    finally:
        await engine.dispose()


def _message(direction: str, message_type: str, status: str, at: str) -> str:
    return (
        "INSERT INTO messages (channel_id, contact_id, conversation_id, contact_wa_id, "  # noqa: S608 - test constants
        "direction, message_type, content, timestamp, status, media_voice, "
        "media_animated, forwarded, frequently_forwarded, edited, revoked, created_at) "
        f"VALUES (1, 1, 1, '5511900000001', '{direction}', '{message_type}', 'Oi', "
        f"{at}, '{status}', false, false, false, false, false, false, :noon)"
    )


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return set(
                await connection.run_sync(lambda sync: inspect(sync).get_table_names())
            )
    finally:
        await engine.dispose()


async def test_message_counts_revision_backfills(empty_database: str) -> None:
    url = empty_database
    await asyncio.to_thread(upgrade, url, PREVIOUS)
    await _run(
        url,
        "INSERT INTO channels (name, phone_number, phone_number_id, whatsapp_token, "
        "is_active, created_at, updated_at) "
        "VALUES ('C', '1', 'p1', 'x', true, :noon, :noon)",
        "INSERT INTO contacts (wa_id, name, lead_status, created_at, updated_at) "
        "VALUES ('5511900000001', 'Ana Teste', 'novo', :noon, :noon)",
        "INSERT INTO conversations (channel_id, contact_id, unread_count, created_at) "
        "VALUES (1, 1, 0, :noon)",
        _message("inbound", "text", "received", ":noon"),
        _message("inbound", "image", "received", ":late"),
        _message("inbound", "reaction", "received", ":noon"),
        _message("outbound", "text", "read", ":noon"),
        _message("outbound", "text", "failed", ":noon"),
        _message("outbound", "template", "sent", ":late"),
    )

    await asyncio.to_thread(upgrade, url, REVISION)

    expected = [(NOON_BUCKET - 1, 1, 1, 1), (NOON_BUCKET, 1, 1, 1)]
    assert await _run(url, TOTALS_BY_KEY) == expected
    await _run(url, _message("inbound", "text", "received", ":noon"))
    assert await _run(url, TOTALS_BY_KEY) == [
        (NOON_BUCKET - 1, 1, 1, 1),
        (NOON_BUCKET, 1, 2, 1),
    ]

    await asyncio.to_thread(downgrade, url, PREVIOUS)
    assert "message_counts" not in await _tables(url)
    # With the table gone, no trigger may still write to it.
    await _run(
        url,
        _message("inbound", "text", "received", ":noon"),
        "UPDATE messages SET status = 'failed'",
        "DELETE FROM messages WHERE message_type = 'image'",
    )

    await asyncio.to_thread(upgrade, url, "head")
    assert await _run(url, TOTALS_BY_KEY) == [(NOON_BUCKET, 1, 3, 0)]
