"""Delivery statuses of outbound messages, applied in WhatsApp's order."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import lazyload

from cenat_hub.conversations.waits import record_failure_change
from cenat_hub.db.types import utcnow
from cenat_hub.db.upsert import insert_or_ignore
from cenat_hub.events.hub import Event
from cenat_hub.integrations.whatsapp.errors import explain_in_portuguese
from cenat_hub.integrations.whatsapp.inbound import InboundStatus
from cenat_hub.models import Message, MessageStatusEvent
from cenat_hub.models.message import (
    DIRECTION_OUTBOUND,
    STATUS_DELIVERED,
    STATUS_FAILED,
    STATUS_PLAYED,
    STATUS_RANK,
    STATUS_READ,
    STATUS_SENT,
)

_TIMESTAMP_COLUMNS = {
    STATUS_SENT: "sent_at",
    STATUS_DELIVERED: "delivered_at",
    STATUS_READ: "read_at",
    STATUS_PLAYED: "read_at",
    STATUS_FAILED: "failed_at",
}


async def record_status(session: AsyncSession, status: InboundStatus) -> list[Event]:
    """Store a status webhook once and apply it if its message is known.

    The message is locked first, so the status is stored already applied and
    the message updated in three statements. Statuses stored earlier without
    their message (it was not known yet) are applied with it, in order.
    """
    message, has_unapplied = await _lock_outbound_message(session, status.wa_message_id)
    error = status.error
    values = {
        "wa_message_id": status.wa_message_id,
        "status": status.status,
        "timestamp": status.timestamp,
        "recipient_id": status.recipient_id,
        "error_code": (error.code or 0) if error else 0,
        "error_title": error.title if error else None,
        "error_message": error.message if error else None,
        "error_details": error.details if error else None,
        "raw": status.raw,
        "applied": message is not None,
        "received_at": utcnow(),
    }
    event_id = await insert_or_ignore(
        session,
        MessageStatusEvent,
        values,
        ["wa_message_id", "status", "error_code"],
    )
    if event_id is None or message is None:
        return []
    events = [MessageStatusEvent(id=event_id, **values)]
    if has_unapplied:
        events += await _take_unapplied(session, status.wa_message_id)
    return await _apply_in_order(session, message, events)


async def apply_pending_statuses(
    session: AsyncSession, wa_message_id: str
) -> list[Event]:
    """Apply every stored, unapplied status of one message."""
    message, _ = await _lock_outbound_message(session, wa_message_id)
    if message is None:
        return []
    pending = await _take_unapplied(session, wa_message_id)
    return await _apply_in_order(session, message, pending)


async def _lock_outbound_message(
    session: AsyncSession, wa_message_id: str
) -> tuple[Message | None, bool]:
    """Lock an outbound message and report whether it has unapplied statuses."""
    unapplied = (
        select(MessageStatusEvent.id)
        .where(
            MessageStatusEvent.wa_message_id == wa_message_id,
            MessageStatusEvent.applied.is_(False),
        )
        .exists()
    )
    statement = (
        select(Message, unapplied)
        .where(
            Message.wa_message_id == wa_message_id,
            Message.direction == DIRECTION_OUTBOUND,
        )
        # Statuses never read the media file; skip the SELECT that loads it.
        .options(lazyload(Message.media_file))
        .with_for_update(of=Message)
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        return None, False
    return row[0], bool(row[1])


async def _take_unapplied(
    session: AsyncSession, wa_message_id: str
) -> list[MessageStatusEvent]:
    """Load a message's unapplied statuses and mark them applied."""
    pending = list(
        (
            await session.execute(
                select(MessageStatusEvent).where(
                    MessageStatusEvent.wa_message_id == wa_message_id,
                    MessageStatusEvent.applied.is_(False),
                )
            )
        ).scalars()
    )
    for event in pending:
        event.applied = True
    return pending


async def _apply_in_order(
    session: AsyncSession, message: Message, events: list[MessageStatusEvent]
) -> list[Event]:
    """Apply statuses in WhatsApp's order; return the event for open pages."""
    was_failed = message.status == STATUS_FAILED
    changed = False
    for event in sorted(events, key=lambda event: (event.timestamp, event.id)):
        changed = _apply(message, event) or changed
    if not changed:
        return []
    await record_failure_change(session, message, was_failed=was_failed)
    return [
        Event(
            "message.status",
            {
                "message_id": message.id,
                "conversation_id": message.conversation_id,
                "status": message.status,
            },
        )
    ]


def _apply(message: Message, event: MessageStatusEvent) -> bool:
    """Apply one status to a message; return whether anything changed."""
    if event.status not in STATUS_RANK:
        return False
    changed = False
    column = _TIMESTAMP_COLUMNS.get(event.status)
    if column and getattr(message, column) is None:
        setattr(message, column, event.timestamp)
        changed = True
    if event.status == STATUS_FAILED:
        message.error_code = event.error_code or None
        message.error_title = event.error_title
        message.error_message = explain_in_portuguese(
            event.error_code or None, event.error_title
        )
        message.error_details = event.error_details
        changed = True
    if STATUS_RANK[event.status] > STATUS_RANK.get(message.status, -1):
        message.status = event.status
        changed = True
    return changed


async def unapplied_status_message_ids(
    session: AsyncSession, limit: int = 500
) -> list[str]:
    """Return wamids that have unapplied statuses and a stored message."""
    statement = (
        select(MessageStatusEvent.wa_message_id)
        .join(Message, Message.wa_message_id == MessageStatusEvent.wa_message_id)
        .where(
            MessageStatusEvent.applied.is_(False),
            Message.direction == DIRECTION_OUTBOUND,
        )
        .distinct()
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())


async def mark_failed(
    session: AsyncSession,
    message: Message,
    code: int | None,
    title: str,
    details: str | None,
) -> None:
    was_failed = message.status == STATUS_FAILED
    message.status = STATUS_FAILED
    message.failed_at = utcnow()
    message.error_code = code
    message.error_title = title
    message.error_message = explain_in_portuguese(code, title)
    message.error_details = details
    await record_failure_change(session, message, was_failed=was_failed)
