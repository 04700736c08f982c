"""Keep the waits the dashboard reads up to date as messages are stored.

Two definitions are stored, each as the dashboard has always defined it:

- First-response waits. A conversation's sequence is its inbound messages and
  the messages agents sent that did not fail, reactions excluded, in
  (timestamp, id) order. A wait starts with an inbound message that follows an
  agent's message or opens the sequence, and the next agent message answers
  it. Each answered wait is a ``ResponseWait`` row; the wait still open is
  ``Conversation.open_wait_started_at``.
- Waiting for a reply. ``Conversation.waiting_since`` is the time of the first
  inbound message after the last outbound one (any sender or status),
  reactions excluded. The dashboard reads it for conversations whose last
  message is inbound.

Every path that stores a message calls ``record_message_waits`` before
``record_message``. A message at least as new as every counted message of its
conversation changes the columns in place (and adds one row when it answers
a wait). Anything else, such as a message older than the newest one or an
agent's send that fails or stops failing, rebuilds the conversation's waits
from its messages with ``rebuild_conversation_waits``.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.dashboard.queries import NOT_COUNTED_TYPES
from cenat_hub.models import Conversation, Message, ResponseWait
from cenat_hub.models.message import (
    DIRECTION_INBOUND,
    DIRECTION_OUTBOUND,
    STATUS_FAILED,
)

ONE_MICROSECOND = timedelta(microseconds=1)


def wait_seconds(started_at: datetime, answered_at: datetime) -> int:
    """Round the time between two instants to whole seconds, halves up.

    PostgreSQL's ``round(extract(epoch ...))`` gives the same value, because
    ``extract`` returns an exact numeric there (PostgreSQL 14 and later).
    """
    microseconds = (answered_at - started_at) // ONE_MICROSECOND
    return (microseconds + 500_000) // 1_000_000


def in_response_sequence(
    direction: str, message_type: str, status: str, sent_by_user_id: int | None
) -> bool:
    """Tell whether a message takes part in the first-response sequence."""
    if message_type in NOT_COUNTED_TYPES:
        return False
    if direction == DIRECTION_INBOUND:
        return True
    return (
        direction == DIRECTION_OUTBOUND
        and sent_by_user_id is not None
        and status != STATUS_FAILED
    )


async def record_message_waits(
    session: AsyncSession,
    conversation: Conversation,
    *,
    direction: str,
    message_type: str,
    timestamp: datetime,
    status: str,
    sent_by_user_id: int | None,
) -> None:
    """Update the conversation's waits for a message just inserted into it.

    The message must already be in the database (inserted or flushed), since
    a message older than the conversation's newest one rebuilds the waits
    from the stored messages. Otherwise this executes nothing: the columns go
    out with the conversation's own UPDATE, and an answered wait adds one
    INSERT to the next flush.
    """
    if message_type in NOT_COUNTED_TYPES:
        return
    newest = conversation.last_counted_message_at
    if newest is not None and timestamp < newest:
        await rebuild_conversation_waits(session, conversation)
        return
    # The message sorts after every counted message: its timestamp is not
    # older and its id is the largest.
    if direction == DIRECTION_INBOUND:
        # With no waiting time, a message as old as the newest one follows an
        # outbound message of that same time, and only inbound messages
        # strictly after the last outbound one count as waiting.
        if conversation.waiting_since is None and (
            newest is None or timestamp > newest
        ):
            conversation.waiting_since = timestamp
    else:
        conversation.waiting_since = None
    conversation.last_counted_message_at = timestamp
    if not in_response_sequence(direction, message_type, status, sent_by_user_id):
        return
    if direction == DIRECTION_INBOUND:
        if conversation.open_wait_started_at is None:
            conversation.open_wait_started_at = timestamp
        return
    started_at = conversation.open_wait_started_at
    if started_at is None:
        return
    conversation.open_wait_started_at = None
    # Added, not executed: the INSERT goes out with the session's next flush,
    # so it does not flush the conversation's changes early as a second UPDATE.
    session.add(
        ResponseWait(
            conversation_id=conversation.id,
            channel_id=conversation.channel_id,
            agent_id=sent_by_user_id,
            started_at=started_at,
            answered_at=timestamp,
            seconds=wait_seconds(started_at, timestamp),
        )
    )


@dataclass(frozen=True)
class ConversationWaits:
    """Waits of one conversation under both definitions, derived from its messages."""

    answered: list[tuple[datetime, datetime, int]]
    open_wait_started_at: datetime | None
    waiting_since: datetime | None
    last_counted_message_at: datetime | None


@dataclass(frozen=True)
class CountedMessage:
    direction: str
    message_type: str
    timestamp: datetime
    status: str
    sent_by_user_id: int | None


def derive_waits(messages: Sequence[CountedMessage]) -> ConversationWaits:
    """Derive the waits from a conversation's messages in (timestamp, id) order.

    ``answered`` lists (started_at, answered_at, agent id) per answered wait.
    Reactions in ``messages`` are skipped.
    """
    answered: list[tuple[datetime, datetime, int]] = []
    open_started: datetime | None = None
    last_outbound: datetime | None = None
    last_counted: datetime | None = None
    counted = [m for m in messages if m.message_type not in NOT_COUNTED_TYPES]
    for message in counted:
        last_counted = message.timestamp
        if message.direction == DIRECTION_OUTBOUND:
            last_outbound = message.timestamp
        if not in_response_sequence(
            message.direction,
            message.message_type,
            message.status,
            message.sent_by_user_id,
        ):
            continue
        if message.direction == DIRECTION_INBOUND:
            if open_started is None:
                open_started = message.timestamp
        elif open_started is not None:
            assert message.sent_by_user_id is not None
            answered.append((open_started, message.timestamp, message.sent_by_user_id))
            open_started = None
    waiting = [
        m.timestamp
        for m in counted
        if m.direction == DIRECTION_INBOUND
        and (last_outbound is None or m.timestamp > last_outbound)
    ]
    return ConversationWaits(
        answered=answered,
        open_wait_started_at=open_started,
        waiting_since=min(waiting, default=None),
        last_counted_message_at=last_counted,
    )


async def rebuild_conversation_waits(
    session: AsyncSession, conversation: Conversation
) -> None:
    """Recompute one conversation's waits and columns from its stored messages."""
    statement = (
        select(
            Message.direction,
            Message.message_type,
            Message.timestamp,
            Message.status,
            Message.sent_by_user_id,
        )
        .where(
            Message.conversation_id == conversation.id,
            Message.message_type.not_in(NOT_COUNTED_TYPES),
        )
        .order_by(Message.timestamp, Message.id)
    )
    rows = (await session.execute(statement)).all()
    waits = derive_waits([CountedMessage(*row) for row in rows])
    await session.execute(
        delete(ResponseWait).where(ResponseWait.conversation_id == conversation.id)
    )
    if waits.answered:
        await session.execute(
            insert(ResponseWait),
            [
                {
                    "conversation_id": conversation.id,
                    "channel_id": conversation.channel_id,
                    "agent_id": agent_id,
                    "started_at": started_at,
                    "answered_at": answered_at,
                    "seconds": wait_seconds(started_at, answered_at),
                }
                for started_at, answered_at, agent_id in waits.answered
            ],
        )
    conversation.open_wait_started_at = waits.open_wait_started_at
    conversation.waiting_since = waits.waiting_since
    conversation.last_counted_message_at = waits.last_counted_message_at


async def rebuild_waits_of(session: AsyncSession, conversation_id: int) -> None:
    """Rebuild the waits of a conversation known by id, if it still exists.

    NOTE: the status path calls this while it holds the message's row lock,
    and a lead's reaction locks its conversation before the message it
    reacts to. A reaction and a failure change of the same message at the
    same moment could therefore deadlock, and PostgreSQL would abort one.
    """
    conversation = await session.get(
        Conversation, conversation_id, with_for_update=True, populate_existing=True
    )
    if conversation is not None:
        await rebuild_conversation_waits(session, conversation)


async def record_failure_change(
    session: AsyncSession, message: Message, *, was_failed: bool
) -> None:
    """Rebuild the waits when an agent's message started or stopped failing.

    ``was_failed`` is whether the message's status was ``failed`` before the
    change. Only agents' messages enter or leave the first-response sequence
    this way; the waiting definition ignores statuses.
    """
    if was_failed == (message.status == STATUS_FAILED):
        return
    if message.direction != DIRECTION_OUTBOUND or message.sent_by_user_id is None:
        return
    if message.message_type in NOT_COUNTED_TYPES:
        return
    await rebuild_waits_of(session, message.conversation_id)


# Set-based SQL that derives every conversation's waits from its messages, in
# the same order as ``derive_waits``. The bench generator runs it after
# writing messages directly; migration 0013_response_waits contains its own copy.
_SEQUENCE = """
SELECT id, conversation_id, channel_id, direction, "timestamp", sent_by_user_id,
       lag(direction) OVER (
           PARTITION BY conversation_id ORDER BY "timestamp", id
       ) AS previous_direction
FROM messages
WHERE message_type <> 'reaction'
  AND (direction = 'inbound'
       OR (direction = 'outbound' AND sent_by_user_id IS NOT NULL
           AND status <> 'failed'))
"""
_WAIT_RUNS = f"""
CREATE TEMPORARY TABLE wait_runs AS
SELECT conversation_id, channel_id, "timestamp" AS started_at, replied_at, agent_id
FROM (
    SELECT conversation_id, channel_id, direction, "timestamp",
           lead("timestamp") OVER run_order AS replied_at,
           lead(sent_by_user_id) OVER run_order AS agent_id
    FROM ({_SEQUENCE}) AS sequence
    WHERE previous_direction IS NULL OR previous_direction <> direction
    WINDOW run_order AS (PARTITION BY conversation_id ORDER BY "timestamp", id)
) AS runs
WHERE direction = 'inbound'
"""  # noqa: S608
_SECONDS = {
    "postgresql": "round(extract(epoch FROM replied_at - started_at))::integer",
    # SQLite's date functions keep milliseconds, so a difference within a
    # millisecond of a half second may round the other way than in Python.
    "sqlite": "CAST(round((julianday(replied_at) - julianday(started_at)) * 86400)"
    " AS INTEGER)",
}
_LATEST = """
UPDATE conversations
SET last_counted_message_at = latest.last_counted,
    waiting_since = latest.since
FROM (
    SELECT counted.conversation_id, counted.last_counted, min(m."timestamp") AS since
    FROM (
        SELECT conversation_id, max("timestamp") AS last_counted,
               max(CASE WHEN direction = 'outbound' THEN "timestamp" END)
                   AS last_outbound
        FROM messages
        WHERE message_type <> 'reaction'
        GROUP BY conversation_id
    ) AS counted
    LEFT JOIN messages AS m
      ON m.conversation_id = counted.conversation_id
     AND m.direction = 'inbound'
     AND m.message_type <> 'reaction'
     AND (counted.last_outbound IS NULL OR m."timestamp" > counted.last_outbound)
    GROUP BY counted.conversation_id, counted.last_counted
) AS latest
WHERE latest.conversation_id = conversations.id
"""


def rebuild_all_statements(dialect: str) -> list[str]:
    """Return the SQL that rebuilds every conversation's waits, in order.

    ``dialect`` is ``postgresql`` or ``sqlite``. The statements replace every
    ``response_waits`` row and the three wait columns of ``conversations``.
    """
    return [
        "DELETE FROM response_waits",
        "UPDATE conversations SET last_counted_message_at = NULL,"
        " open_wait_started_at = NULL, waiting_since = NULL",
        _WAIT_RUNS,
        "INSERT INTO response_waits"  # noqa: S608
        " (conversation_id, channel_id, agent_id, started_at, answered_at, seconds)"
        " SELECT conversation_id, channel_id, agent_id, started_at, replied_at,"
        f" {_SECONDS[dialect]} FROM wait_runs WHERE replied_at IS NOT NULL",
        "UPDATE conversations SET open_wait_started_at = wait_runs.started_at"
        " FROM wait_runs WHERE wait_runs.conversation_id = conversations.id"
        " AND wait_runs.replied_at IS NULL",
        _LATEST,
        "DROP TABLE wait_runs",
    ]
