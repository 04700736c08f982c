"""Reads of the CRM: pipeline columns, history, referrals and export batches."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.contacts.service import ContactFilter, apply_filter
from cenat_hub.db.types import UTCDateTime
from cenat_hub.models import (
    Channel,
    Contact,
    Conversation,
    LeadEvent,
    LostReason,
    Message,
    User,
)
from cenat_hub.models.message import DIRECTION_INBOUND
from cenat_hub.web.dependencies import MAX_DATABASE_ID

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class PageCursor:
    """The position after the last card of a pipeline page (keyset paging)."""

    last_activity_at: datetime
    contact_id: int

    def encode(self) -> str:
        micros = (self.last_activity_at - _EPOCH) // _MICROSECOND
        return f"{micros}_{self.contact_id}"

    @classmethod
    def decode(cls, value: str) -> "PageCursor | None":
        """Return the cursor a page link carries, or None when it is malformed."""
        micros, _, contact_id = value.partition("_")
        digits = micros.isdigit() and contact_id.isdigit()
        if not (value.isascii() and digits) or len(value) > 40:
            return None
        if not 1 <= int(contact_id) <= MAX_DATABASE_ID:
            return None
        try:
            return cls(_EPOCH + int(micros) * _MICROSECOND, int(contact_id))
        except OverflowError:
            return None


async def pipeline_counts(
    session: AsyncSession, contact_filter: ContactFilter
) -> dict[str, int]:
    """Count the contacts of each lead status that pass the filter."""
    statement = apply_filter(
        select(Contact.lead_status, func.count(Contact.id)), contact_filter
    ).group_by(Contact.lead_status)
    rows = (await session.execute(statement)).all()
    return {status: count for status, count in rows}


async def contact_passes(
    session: AsyncSession, contact_id: int, contact_filter: ContactFilter
) -> bool:
    """Tell whether one contact passes a filter, as the board would show it."""
    statement = apply_filter(
        select(Contact.id).where(Contact.id == contact_id), contact_filter
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def pipeline_page(
    session: AsyncSession,
    contact_filter: ContactFilter,
    cursor: PageCursor | None,
    limit: int,
) -> list[Contact]:
    """Return one status column's contacts after ``cursor``, newest activity first.

    The filter must name a lead status, so the scan walks the
    ``ix_contacts_pipeline`` expression index (lead_status, last activity,
    id) and stops after ``limit`` rows.
    """
    assert contact_filter.lead_status is not None
    statement = apply_filter(select(Contact), contact_filter)
    if cursor is not None:
        # A row-value comparison, unlike the equivalent OR of two conditions,
        # becomes an index condition on PostgreSQL, so a deep page starts
        # where the cursor points instead of filtering the rows before it.
        statement = statement.where(
            tuple_(Contact.last_activity_at, Contact.id)
            < tuple_(
                literal(cursor.last_activity_at, UTCDateTime()),
                literal(cursor.contact_id),
            )
        )
    statement = statement.order_by(
        Contact.last_activity_at.desc(), Contact.id.desc()
    ).limit(limit)
    return list((await session.execute(statement)).scalars())


async def conversations_by_contact(
    session: AsyncSession, contact_ids: list[int]
) -> dict[int, list[Conversation]]:
    """Return each contact's conversations, the most recently active first."""
    if not contact_ids:
        return {}
    statement = (
        select(Conversation)
        .where(Conversation.contact_id.in_(contact_ids))
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id)
    )
    result: dict[int, list[Conversation]] = {}
    for conversation in (await session.execute(statement)).scalars():
        result.setdefault(conversation.contact_id, []).append(conversation)
    return result


async def channels_by_id(session: AsyncSession) -> dict[int, Channel]:
    rows = (await session.execute(select(Channel).order_by(Channel.id))).scalars()
    return {channel.id: channel for channel in rows}


async def first_referral(
    session: AsyncSession, contact_id: int
) -> dict[str, Any] | None:
    """Return the ad referral of the lead's first inbound message that has one.

    Messages without a referral store the JSON value ``null`` (not SQL NULL),
    so both are excluded.
    """
    statement = (
        select(Message.referral)
        .where(
            Message.contact_id == contact_id,
            Message.direction == DIRECTION_INBOUND,
            Message.referral.is_not(None),
            cast(Message.referral, String) != "null",
        )
        .order_by(Message.timestamp, Message.id)
        .limit(1)
    )
    referral = (await session.execute(statement)).scalar_one_or_none()
    return referral if isinstance(referral, dict) else None


async def lead_events(
    session: AsyncSession, contact_id: int, limit: int
) -> list[tuple[LeadEvent, str | None]]:
    """Return a contact's latest changes, newest first, with the author's name."""
    statement = (
        select(LeadEvent, User.name)
        .outerjoin(User, User.id == LeadEvent.user_id)
        .where(LeadEvent.contact_id == contact_id)
        .order_by(LeadEvent.created_at.desc(), LeadEvent.id.desc())
        .limit(limit)
    )
    rows = (await session.execute(statement)).all()
    return [(event, user_name) for event, user_name in rows]


async def latest_lead_event(session: AsyncSession, contact_id: int) -> LeadEvent | None:
    statement = (
        select(LeadEvent)
        .where(LeadEvent.contact_id == contact_id)
        .order_by(LeadEvent.created_at.desc(), LeadEvent.id.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def lost_reasons(
    session: AsyncSession, *, include_inactive: bool
) -> list[LostReason]:
    statement = select(LostReason).order_by(LostReason.position, LostReason.name)
    if not include_inactive:
        statement = statement.where(LostReason.is_active.is_(True))
    return list((await session.execute(statement)).scalars())


async def contacts_after(
    session: AsyncSession, contact_filter: ContactFilter, after_id: int, limit: int
) -> list[Contact]:
    """Return the next batch of contacts by id, for exports that stream."""
    statement = (
        apply_filter(select(Contact), contact_filter)
        .where(Contact.id > after_id)
        .order_by(Contact.id)
        .limit(limit)
    )
    return list((await session.execute(statement)).scalars())
