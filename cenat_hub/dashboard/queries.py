"""SQL aggregates behind the dashboard figures.

Every query counts in the database with GROUP BY or a filtered COUNT; only
the aggregated rows come back. Message counts come from ``message_counts``
(15-minute buckets kept by triggers) wherever whole buckets cover the
period. ``scope`` is the set of channel ids a figure covers, or None for
every channel. Messages count under their own channel, leads under their
channel of first contact (``contacts.channel_id``).
"""

from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.access import channel_clause
from cenat_hub.dashboard.buckets import BucketSpan, split_into_buckets
from cenat_hub.dashboard.period import Period
from cenat_hub.db.types import UTCDateTime
from cenat_hub.models import (
    Channel,
    Contact,
    Conversation,
    LostReason,
    Message,
    MessageCount,
)
from cenat_hub.models.contact import LEAD_STATUSES, status_bit
from cenat_hub.models.message import (
    DIRECTION_INBOUND,
    DIRECTION_OUTBOUND,
    STATUS_FAILED,
)

EVENT_STATUS_CHANGED = "status_changed"
STATUS_LOST = "perdido"
LAST_24_HOURS = timedelta(hours=24)

# Reactions are stored as messages but are not a message a person wrote.
NOT_COUNTED_TYPES = ("reaction",)


def counted_message() -> ColumnElement[bool]:
    return Message.message_type.not_in(NOT_COUNTED_TYPES)


def inbound() -> ColumnElement[bool]:
    return Message.direction == DIRECTION_INBOUND


def sent_outbound() -> ColumnElement[bool]:
    """Outbound messages that left, or may still leave, for the lead."""
    return and_(
        Message.direction == DIRECTION_OUTBOUND, Message.status != STATUS_FAILED
    )


async def count_active_conversations(
    session: AsyncSession, scope: set[int] | None, now: datetime
) -> int:
    """Count conversations whose last message is less than 24 hours old.

    This includes every conversation with an open customer-service window,
    because the inbound message that opened the window is itself that recent.
    """
    statement = select(func.count(Conversation.id)).where(
        channel_clause(Conversation.channel_id, scope),
        Conversation.last_message_at >= now - LAST_24_HOURS,
    )
    return (await session.execute(statement)).scalar_one()


async def count_new_leads(
    session: AsyncSession, scope: set[int] | None, since: datetime
) -> int:
    statement = select(func.count(Contact.id)).where(
        channel_clause(Contact.channel_id, scope), Contact.created_at >= since
    )
    return (await session.execute(statement)).scalar_one()


async def count_messages(
    session: AsyncSession, scope: set[int] | None, period: Period
) -> tuple[int, int]:
    """Return (sent, received) messages in the period, ``now`` included.

    Whole 15-minute buckets come from ``message_counts``. The partial bucket
    that ends at ``now``, and a start that is not on a bucket boundary, are
    counted from ``messages`` through its timestamp index.
    """
    span = split_into_buckets(period.starts_at, period.now)
    stored = select(
        func.coalesce(func.sum(MessageCount.sent), 0),
        func.coalesce(func.sum(MessageCount.received), 0),
    ).where(
        channel_clause(MessageCount.channel_id, scope),
        MessageCount.bucket >= span.first,
        MessageCount.bucket < span.end,
    )
    stored_sent, stored_received = (await session.execute(stored)).one()
    direct = select(
        func.count(case((sent_outbound(), 1))),
        func.count(case((inbound(), 1))),
    ).where(
        channel_clause(Message.channel_id, scope),
        counted_message(),
        or_(
            *[
                and_(Message.timestamp >= start, Message.timestamp < end)
                for start, end in span.edges
            ],
            Message.timestamp == period.now,
        ),
    )
    direct_sent, direct_received = (await session.execute(direct)).one()
    return stored_sent + direct_sent, stored_received + direct_received


async def leads_by_status(
    session: AsyncSession, scope: set[int] | None
) -> dict[str, int]:
    """Count every lead in scope by its current status."""
    statement = (
        select(Contact.lead_status, func.count(Contact.id))
        .where(channel_clause(Contact.channel_id, scope))
        .group_by(Contact.lead_status)
    )
    return {status: count for status, count in (await session.execute(statement)).all()}


def _intervals_table(
    intervals: list[tuple[str, datetime, datetime]],
) -> Select[tuple[str, datetime, datetime]]:
    """Build (key, starts_at, ends_at) rows from Python values, for joins."""
    rows = [
        select(
            literal(key).label("key"),
            literal(starts_at, UTCDateTime()).label("starts_at"),
            literal(ends_at, UTCDateTime()).label("ends_at"),
        )
        for key, starts_at, ends_at in intervals
    ]
    return union_all(*rows)  # type: ignore[return-value]


def _days_table(period: Period) -> Select[tuple[str, datetime, datetime]]:
    """Build the period's days as rows (key, starts_at, ends_at) for joins."""
    return _intervals_table(
        [(day.date.isoformat(), day.starts_at, day.ends_at) for day in period.days]
    )


async def count_messages_by_interval(
    session: AsyncSession,
    scope: set[int] | None,
    intervals: list[tuple[str, datetime, datetime]],
) -> dict[str, tuple[int, int]]:
    """Count messages in ``[starts_at, ends_at)`` of each (key, starts_at, ends_at).

    Returns {key: (inbound, outbound)}. This reads ``messages`` itself, every
    row of every interval.
    """
    table = _intervals_table(intervals).cte("intervals")
    statement = (
        select(
            table.c.key,
            func.count(case((inbound(), 1))),
            func.count(case((sent_outbound(), 1))),
        )
        .select_from(table)
        .outerjoin(
            Message,
            and_(
                Message.timestamp >= table.c.starts_at,
                Message.timestamp < table.c.ends_at,
                channel_clause(Message.channel_id, scope),
                counted_message(),
            ),
        )
        .group_by(table.c.key)
    )
    rows = (await session.execute(statement)).all()
    return {key: (received, sent) for key, received, sent in rows}


async def daily_messages(
    session: AsyncSession, scope: set[int] | None, period: Period
) -> dict[str, tuple[int, int]]:
    """Return {local date: (inbound, outbound)} for each day of the period.

    In every zone in use today a local day starts and ends on bucket
    boundaries, so each day reads only ``message_counts``. Edges that are not
    whole buckets are counted from ``messages``.
    """
    spans = {
        day.date.isoformat(): split_into_buckets(day.starts_at, day.ends_at)
        for day in period.days
    }
    counts = await _stored_daily_messages(session, scope, spans)
    edges = [
        (key, start, end) for key, span in spans.items() for start, end in span.edges
    ]
    if edges:
        edge_counts = await count_messages_by_interval(session, scope, edges)
        for key, (received, sent) in edge_counts.items():
            stored_received, stored_sent = counts.get(key, (0, 0))
            counts[key] = (stored_received + received, stored_sent + sent)
    return counts


async def _stored_daily_messages(
    session: AsyncSession, scope: set[int] | None, spans: dict[str, BucketSpan]
) -> dict[str, tuple[int, int]]:
    rows = [
        select(
            literal(key).label("day"),
            literal(span.first, BigInteger()).label("first_bucket"),
            literal(span.end, BigInteger()).label("end_bucket"),
        )
        for key, span in spans.items()
    ]
    days = union_all(*rows).cte("days")
    statement = (
        select(
            days.c.day,
            func.coalesce(func.sum(MessageCount.received), 0),
            func.coalesce(func.sum(MessageCount.sent), 0),
        )
        .select_from(days)
        .outerjoin(
            MessageCount,
            and_(
                MessageCount.bucket >= days.c.first_bucket,
                MessageCount.bucket < days.c.end_bucket,
                channel_clause(MessageCount.channel_id, scope),
            ),
        )
        .group_by(days.c.day)
    )
    rows_out = (await session.execute(statement)).all()
    return {day: (received, sent) for day, received, sent in rows_out}


async def daily_new_leads(
    session: AsyncSession, scope: set[int] | None, period: Period
) -> dict[str, int]:
    """Return {local date: leads created} for each day of the period."""
    days = _days_table(period).cte("days")
    # Every joined row has created_at, so counting it gives the same result as
    # counting ids, and PostgreSQL can count from ix_contacts_created_at alone
    # (an index-only scan) when no channel filter applies.
    statement = (
        select(days.c.key, func.count(Contact.created_at))
        .select_from(days)
        .outerjoin(
            Contact,
            and_(
                Contact.created_at >= days.c.starts_at,
                Contact.created_at < days.c.ends_at,
                channel_clause(Contact.channel_id, scope),
            ),
        )
        .group_by(days.c.key)
    )
    return {day: count for day, count in (await session.execute(statement)).all()}


async def statuses_reached(
    session: AsyncSession, scope: set[int] | None, period: Period
) -> tuple[int, dict[str, int]]:
    """Count the leads created in the period, and how many ever reached each status.

    A lead reached a status when a ``status_changed`` event set it or when it
    is the lead's current status; every lead starts as ``novo``. Both are kept
    in ``contacts.reached_statuses``, so one pass over the cohort sums its
    bits. Statuses with no lead are left out.
    """
    bits = {status: status_bit(status) for status in LEAD_STATUSES}
    statement = select(
        func.count(Contact.id),
        *[
            func.count(case((Contact.reached_statuses.op("&")(bit) != 0, 1)))
            for bit in bits.values()
        ],
    ).where(
        channel_clause(Contact.channel_id, scope),
        Contact.created_at >= period.starts_at,
        Contact.created_at <= period.now,
    )
    cohort_size, *counts = (await session.execute(statement)).one()
    reached = {
        status: count for status, count in zip(bits, counts, strict=True) if count
    }
    return cohort_size, reached


async def lost_reasons(
    session: AsyncSession, scope: set[int] | None, period: Period
) -> list[tuple[int | None, str | None, int]]:
    """Count leads marked lost during the period by reason, most frequent first."""
    statement = (
        select(Contact.lost_reason_id, LostReason.name, func.count(Contact.id))
        .outerjoin(LostReason, LostReason.id == Contact.lost_reason_id)
        .where(
            channel_clause(Contact.channel_id, scope),
            Contact.lead_status == STATUS_LOST,
            Contact.status_changed_at >= period.starts_at,
            Contact.status_changed_at <= period.now,
        )
        .group_by(Contact.lost_reason_id, LostReason.name)
        .order_by(func.count(Contact.id).desc(), LostReason.name)
    )
    return [
        (reason_id, name, count)
        for reason_id, name, count in (await session.execute(statement)).all()
    ]


def _waiting_conversations(scope: set[int] | None) -> Select[tuple[int, datetime]]:
    """Select the conversations whose last message is the lead's, and since when.

    ``waiting_since`` is the first inbound message after the last outbound one,
    kept by ``cenat_hub.conversations.waits``. It is None in the rare case of
    an outbound message at the same time as the newest inbound one.
    """
    return select(
        Conversation.id.label("conversation_id"),
        Conversation.waiting_since.label("waiting_since"),
    ).where(
        channel_clause(Conversation.channel_id, scope),
        Conversation.last_message_direction == DIRECTION_INBOUND,
    )


WAIT_BUCKETS = (
    ("under_1h", timedelta(hours=1)),
    ("from_1h_to_4h", timedelta(hours=4)),
    ("from_4h_to_24h", timedelta(hours=24)),
)
WAIT_BUCKET_OVER = "over_24h"


async def waiting_buckets(
    session: AsyncSession, scope: set[int] | None, now: datetime
) -> dict[str, int]:
    """Count conversations whose last message is the lead's, by time waited."""
    waiting = _waiting_conversations(scope).subquery("waiting")
    since = waiting.c.waiting_since
    bucket = case(
        *[(since > now - limit, name) for name, limit in WAIT_BUCKETS],
        else_=WAIT_BUCKET_OVER,
    )
    statement = select(bucket.label("bucket"), func.count()).group_by(bucket)
    counts = {name: count for name, count in (await session.execute(statement)).all()}
    names = [name for name, _ in WAIT_BUCKETS] + [WAIT_BUCKET_OVER]
    return {name: counts.get(name, 0) for name in names}


async def longest_waiting(
    session: AsyncSession, scope: set[int] | None, limit: int = 5
) -> list[tuple[int, str | None, str, str, datetime]]:
    """Return the conversations waiting longest for a reply, oldest first.

    Rows are (conversation id, contact name, contact wa_id, channel name,
    waiting since).
    """
    waiting = _waiting_conversations(scope).subquery("waiting")
    statement = (
        select(
            waiting.c.conversation_id,
            Contact.name,
            Contact.wa_id,
            Channel.name,
            waiting.c.waiting_since,
        )
        .join(Conversation, Conversation.id == waiting.c.conversation_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .where(waiting.c.waiting_since.is_not(None))
        .order_by(waiting.c.waiting_since, waiting.c.conversation_id)
        .limit(limit)
    )
    return [tuple(row) for row in (await session.execute(statement)).all()]  # type: ignore[misc]
