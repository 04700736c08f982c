"""Recount messages the way the dashboard counts them, to check message_counts."""

from collections import Counter

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.dashboard.buckets import bucket_of
from cenat_hub.models import Message, MessageCount


def _counted_as(direction: str, message_type: str, status: str) -> str | None:
    """Return how the dashboard counts a message: received, sent or not at all."""
    if message_type == "reaction":
        return None
    if direction == "inbound":
        return "received"
    if direction == "outbound" and status != "failed":
        return "sent"
    return None


async def recount(session: AsyncSession) -> dict[tuple[int, int], tuple[int, int]]:
    """Count every message by (bucket, channel) in Python: {key: (received, sent)}."""
    received: Counter[tuple[int, int]] = Counter()
    sent: Counter[tuple[int, int]] = Counter()
    columns = select(
        Message.timestamp,
        Message.channel_id,
        Message.direction,
        Message.message_type,
        Message.status,
    )
    for timestamp, channel_id, direction, message_type, status in (
        await session.execute(columns)
    ).all():
        key = (bucket_of(timestamp), channel_id)
        kind = _counted_as(direction, message_type, status)
        if kind == "received":
            received[key] += 1
        elif kind == "sent":
            sent[key] += 1
    keys = set(received) | set(sent)
    return {key: (received[key], sent[key]) for key in keys}


async def stored_counts(
    session: AsyncSession,
) -> dict[tuple[int, int], tuple[int, int]]:
    """Sum the stored shards by (bucket, channel), leaving out all-zero sums."""
    received: Counter[tuple[int, int]] = Counter()
    sent: Counter[tuple[int, int]] = Counter()
    for row in (await session.execute(select(MessageCount))).scalars():
        key = (row.bucket, row.channel_id)
        received[key] += row.received
        sent[key] += row.sent
    keys = {key for key in set(received) | set(sent) if received[key] or sent[key]}
    return {key: (received[key], sent[key]) for key in keys}
