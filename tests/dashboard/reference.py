"""The dashboard's wait queries as they were before the waits were stored.

They recompute everything from the messages on every call, so the tests use
them as the reference that the stored ``response_waits`` rows and conversation
columns must equal.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Float,
    Select,
    and_,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from cenat_hub.channels.access import channel_clause
from cenat_hub.dashboard.period import Period
from cenat_hub.dashboard.queries import NOT_COUNTED_TYPES
from cenat_hub.models import Conversation, Message, ResponseWait
from cenat_hub.models.message import (
    DIRECTION_INBOUND,
    DIRECTION_OUTBOUND,
    STATUS_FAILED,
)


def _seconds_between(
    dialect: str, start: ColumnElement[datetime], end: ColumnElement[datetime]
) -> ColumnElement[float]:
    if dialect == "postgresql":
        return cast(func.round(func.extract("epoch", end - start)), Float)
    return cast(
        func.round((func.julianday(end) - func.julianday(start)) * 86400), Float
    )


def _runs(dialect: str, scope: set[int] | None) -> Any:
    """Number the first-response sequence and keep the first message of each run."""
    order = (Message.timestamp, Message.id)
    sequence = (
        select(
            Message.id,
            Message.conversation_id,
            Message.channel_id,
            Message.direction,
            Message.timestamp,
            Message.sent_by_user_id,
            func.lag(Message.direction)
            .over(partition_by=Message.conversation_id, order_by=order)
            .label("previous_direction"),
        )
        .where(
            channel_clause(Message.channel_id, scope),
            Message.message_type.not_in(NOT_COUNTED_TYPES),
            or_(
                Message.direction == DIRECTION_INBOUND,
                and_(
                    Message.direction == DIRECTION_OUTBOUND,
                    Message.sent_by_user_id.is_not(None),
                    Message.status != STATUS_FAILED,
                ),
            ),
        )
        .subquery("sequence")
    )
    run_order = (sequence.c.timestamp, sequence.c.id)
    return (
        select(
            sequence.c.conversation_id,
            sequence.c.channel_id,
            sequence.c.direction,
            sequence.c.timestamp,
            func.lead(sequence.c.timestamp)
            .over(partition_by=sequence.c.conversation_id, order_by=run_order)
            .label("replied_at"),
            func.lead(sequence.c.sent_by_user_id)
            .over(partition_by=sequence.c.conversation_id, order_by=run_order)
            .label("agent_id"),
        )
        .where(
            or_(
                sequence.c.previous_direction.is_(None),
                sequence.c.previous_direction != sequence.c.direction,
            )
        )
        .subquery("runs")
    )


def old_responses(dialect: str, scope: set[int] | None, period: Period) -> CTE:
    """Build the answered waits of the period from the messages, as before."""
    runs = _runs(dialect, scope)
    return (
        select(
            runs.c.channel_id,
            runs.c.agent_id,
            _seconds_between(dialect, runs.c.timestamp, runs.c.replied_at).label(
                "seconds"
            ),
        )
        .where(
            runs.c.direction == DIRECTION_INBOUND,
            runs.c.replied_at.is_not(None),
            runs.c.timestamp >= period.starts_at,
            runs.c.timestamp <= period.now,
        )
        .cte("responses")
    )


async def reference_waits(
    session: AsyncSession,
) -> list[tuple[int, int, int | None, datetime, datetime, int]]:
    """Return every answered wait from the messages, sorted.

    Rows are (conversation id, channel id, agent id, started at, answered at,
    seconds).
    """
    dialect = session.bind.dialect.name
    runs = _runs(dialect, None)
    statement = select(
        runs.c.conversation_id,
        runs.c.channel_id,
        runs.c.agent_id,
        runs.c.timestamp,
        runs.c.replied_at,
        _seconds_between(dialect, runs.c.timestamp, runs.c.replied_at),
    ).where(runs.c.direction == DIRECTION_INBOUND, runs.c.replied_at.is_not(None))
    rows = (await session.execute(statement)).all()
    return sorted(
        (
            conversation,
            channel,
            agent,
            _aware(started),
            _aware(answered),
            int(seconds),
        )
        for conversation, channel, agent, started, answered, seconds in rows
    )


async def reference_open_waits(session: AsyncSession) -> dict[int, datetime]:
    """Return {conversation id: start} of the waits no agent has answered yet."""
    runs = _runs(session.bind.dialect.name, None)
    statement = select(runs.c.conversation_id, runs.c.timestamp).where(
        runs.c.direction == DIRECTION_INBOUND, runs.c.replied_at.is_(None)
    )
    rows = (await session.execute(statement)).all()
    return {conversation_id: _aware(started) for conversation_id, started in rows}


def _aware(value: datetime | str) -> datetime:
    """Read a window function's timestamp, which SQLite returns as text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def old_waiting_since() -> ColumnElement[datetime]:
    """Select the first inbound message after the last reply, per conversation."""
    reply = aliased(Message)
    last_reply = (
        select(func.max(reply.timestamp))
        .where(
            reply.conversation_id == Conversation.id,
            reply.direction == DIRECTION_OUTBOUND,
            reply.message_type.not_in(NOT_COUNTED_TYPES),
        )
        .correlate(Conversation)
        .scalar_subquery()
    )
    return (
        select(func.min(Message.timestamp))
        .where(
            Message.conversation_id == Conversation.id,
            Message.direction == DIRECTION_INBOUND,
            Message.message_type.not_in(NOT_COUNTED_TYPES),
            or_(last_reply.is_(None), Message.timestamp > last_reply),
        )
        .correlate(Conversation)
        .scalar_subquery()
    )


def old_waiting_conversations(scope: set[int] | None) -> Select[tuple[int, datetime]]:
    return select(
        Conversation.id.label("conversation_id"),
        old_waiting_since().label("waiting_since"),
    ).where(
        channel_clause(Conversation.channel_id, scope),
        Conversation.last_message_direction == DIRECTION_INBOUND,
    )


async def reference_waiting_since(session: AsyncSession) -> dict[int, datetime]:
    """Return {conversation id: waiting since} for every conversation with a value."""
    statement = select(Conversation.id, old_waiting_since())
    return {
        conversation_id: _aware(since)
        for conversation_id, since in (await session.execute(statement)).all()
        if since is not None
    }


@dataclass(frozen=True)
class WaitState:
    """Answered waits, open waits and waiting times of every conversation."""

    waits: list[tuple[int, int, int | None, datetime, datetime, int]]
    open_waits: dict[int, datetime]
    waiting: dict[int, datetime]


async def reference_state(session: AsyncSession) -> WaitState:
    """Compute the waits from the messages with the former queries."""
    return WaitState(
        waits=await reference_waits(session),
        open_waits=await reference_open_waits(session),
        waiting=await reference_waiting_since(session),
    )


async def stored_state(session: AsyncSession) -> WaitState:
    """Read the stored ``response_waits`` rows and conversation columns."""
    rows = (await session.execute(select(ResponseWait))).scalars().all()
    conversations = (await session.execute(select(Conversation))).scalars().all()
    return WaitState(
        waits=sorted(
            (
                row.conversation_id,
                row.channel_id,
                row.agent_id,
                row.started_at,
                row.answered_at,
                row.seconds,
            )
            for row in rows
        ),
        open_waits={
            c.id: c.open_wait_started_at
            for c in conversations
            if c.open_wait_started_at is not None
        },
        waiting={
            c.id: c.waiting_since for c in conversations if c.waiting_since is not None
        },
    )
