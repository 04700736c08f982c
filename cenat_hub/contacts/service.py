"""Reads of contacts for the API: lists with filters, and one contact's detail."""

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.access import contact_clause, ensure_contact_visible
from cenat_hub.contacts.identity import find_contact_by_any_id
from cenat_hub.contacts.phone import digits_only
from cenat_hub.contacts.schemas import (
    ContactDetail,
    ContactOut,
    ConversationSummary,
    TagOut,
)
from cenat_hub.conversations.service import is_window_open, window_closes_at
from cenat_hub.errors import InvalidInputError, NotFoundError
from cenat_hub.messages.queries import conversations_of_contact
from cenat_hub.models import (
    Channel,
    Contact,
    ContactIdentity,
    ContactTag,
    Conversation,
    Tag,
)
from cenat_hub.models.contact import LEAD_STATUSES

MAX_SEARCH_CHARS = 100

SelectedRow = TypeVar("SelectedRow", bound=tuple[Any, ...])


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class ContactFilter:
    """Filters shared by the contact list, the pipeline and the CSV export."""

    channel_id: int | None = None
    lead_status: str | None = None
    tag_id: int | None = None
    search: str | None = None
    # Channels the user may see; None means every channel.
    visible: frozenset[int] | None = None


async def check_filter(session: AsyncSession, contact_filter: ContactFilter) -> None:
    """Raise a 4xx error naming a filter value that matches nothing by definition."""
    status = contact_filter.lead_status
    if status is not None and status not in LEAD_STATUSES:
        raise InvalidInputError(
            f"Lead status {status!r} is invalid; use one of {', '.join(LEAD_STATUSES)}."
        )
    tag_id = contact_filter.tag_id
    if tag_id is not None and await session.get(Tag, tag_id) is None:
        raise NotFoundError(f"Tag {tag_id} not found; list tags at /api/tags.")
    channel_id = contact_filter.channel_id
    if channel_id is not None and await session.get(Channel, channel_id) is None:
        raise NotFoundError(
            f"Channel {channel_id} not found; list channels at /api/channels."
        )


def apply_filter(
    statement: Select[SelectedRow], contact_filter: ContactFilter
) -> Select[SelectedRow]:
    """Add the WHERE clauses of a filter to a statement that selects contacts."""
    if contact_filter.visible is not None:
        statement = statement.where(contact_clause(set(contact_filter.visible)))
    if contact_filter.channel_id is not None:
        statement = statement.where(
            Contact.id.in_(
                select(Conversation.contact_id).where(
                    Conversation.channel_id == contact_filter.channel_id
                )
            )
        )
    if contact_filter.lead_status is not None:
        statement = statement.where(Contact.lead_status == contact_filter.lead_status)
    if contact_filter.tag_id is not None:
        statement = statement.where(
            Contact.id.in_(
                select(ContactTag.contact_id).where(
                    ContactTag.tag_id == contact_filter.tag_id
                )
            )
        )
    if contact_filter.search:
        statement = statement.where(
            _search_clause(contact_filter.search[:MAX_SEARCH_CHARS])
        )
    return statement


async def list_contacts(
    session: AsyncSession, contact_filter: ContactFilter, *, limit: int, offset: int
) -> list[ContactOut]:
    """List contacts, most recent activity first, with their tags."""
    await check_filter(session, contact_filter)
    statement = apply_filter(select(Contact), contact_filter)
    statement = (
        statement.order_by(Contact.last_activity_at.desc(), Contact.id.desc())
        .limit(limit)
        .offset(offset)
    )
    contacts = list((await session.execute(statement)).scalars())
    contact_ids = [contact.id for contact in contacts]
    tags = await tags_by_contact(session, contact_ids)
    latest = await _latest_conversations(session, contact_ids)
    return [
        ContactOut(
            **contact_fields(contact),
            tags=tags.get(contact.id, []),
            last_message_preview=_preview_of(latest.get(contact.id)),
            unread_count=_unread_of(latest.get(contact.id)),
        )
        for contact in contacts
    ]


async def _latest_conversations(
    session: AsyncSession, contact_ids: list[int]
) -> dict[int, list[Conversation]]:
    """Return each contact's conversations, most recent first (one page of contacts)."""
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


def _preview_of(conversations: list[Conversation] | None) -> str | None:
    return conversations[0].last_message_preview if conversations else None


def _unread_of(conversations: list[Conversation] | None) -> int:
    return sum(c.unread_count for c in conversations) if conversations else 0


def _search_clause(search: str) -> ColumnElement[bool]:
    pattern = f"%{_escape_like(search.lower())}%"
    clauses = [func.lower(Contact.name).like(pattern, escape="\\")]
    digits = digits_only(search)
    if digits:
        digit_pattern = f"%{_escape_like(digits)}%"
        clauses.append(Contact.wa_id.like(digit_pattern, escape="\\"))
        clauses.append(
            Contact.id.in_(
                select(ContactIdentity.contact_id).where(
                    ContactIdentity.value.like(digit_pattern, escape="\\")
                )
            )
        )
    return or_(*clauses)


def contact_fields(contact: Contact) -> dict[str, object]:
    return {
        "id": contact.id,
        "wa_id": contact.wa_id,
        "name": contact.name,
        "user_id": contact.user_id,
        "lead_status": contact.lead_status,
        "lost_reason_id": contact.lost_reason_id,
        "lost_reason_text": contact.lost_reason_text,
        "status_changed_at": contact.status_changed_at,
        "notes": contact.notes,
        "notes_updated_at": contact.notes_updated_at,
        "notes_updated_by_id": contact.notes_updated_by_id,
        "channel_id": contact.channel_id,
        "created_at": contact.created_at,
        "last_message_at": contact.last_message_at,
        "last_activity_at": contact.last_activity_at,
    }


async def tags_by_contact(
    session: AsyncSession, contact_ids: list[int]
) -> dict[int, list[TagOut]]:
    if not contact_ids:
        return {}
    statement = (
        select(ContactTag.contact_id, Tag)
        .join(Tag, Tag.id == ContactTag.tag_id)
        .where(ContactTag.contact_id.in_(contact_ids))
        .order_by(Tag.name)
    )
    result: dict[int, list[TagOut]] = {}
    for contact_id, tag in (await session.execute(statement)).all():
        result.setdefault(contact_id, []).append(
            TagOut(id=tag.id, name=tag.name, color=tag.color)
        )
    return result


async def contact_detail(
    session: AsyncSession, wa_id: str, visible: set[int] | None = None
) -> ContactDetail:
    """Return a contact with its aliases, tags and conversations on ``visible`` channels."""
    contact = await find_contact_by_any_id(session, wa_id)
    if contact is None:
        raise NotFoundError(f"Contact {wa_id} not found.")
    await ensure_contact_visible(session, contact, visible, wa_id)
    aliases = (
        await session.execute(
            select(ContactIdentity.value)
            .where(ContactIdentity.contact_id == contact.id)
            .order_by(ContactIdentity.id)
        )
    ).scalars()
    conversations = await conversations_of_contact(session, contact.id, visible)
    tags = await tags_by_contact(session, [contact.id])
    latest = conversations[0] if conversations else None
    return ContactDetail(
        **contact_fields(contact),
        tags=tags.get(contact.id, []),
        last_message_preview=latest.last_message_preview if latest else None,
        unread_count=sum(conversation.unread_count for conversation in conversations),
        aliases=list(aliases),
        conversations=[
            ConversationSummary(
                id=conversation.id,
                channel_id=conversation.channel_id,
                recipient_wa_id=conversation.recipient_wa_id,
                last_inbound_at=conversation.last_inbound_at,
                last_message_at=conversation.last_message_at,
                last_message_preview=conversation.last_message_preview,
                unread_count=conversation.unread_count,
                window_open=is_window_open(conversation),
                window_closes_at=window_closes_at(conversation),
            )
            for conversation in conversations
        ],
    )


async def contact_summary(session: AsyncSession, contact: Contact) -> ContactOut:
    """Return one contact as the API lists it, with its tags."""
    tags = await tags_by_contact(session, [contact.id])
    return ContactOut(**contact_fields(contact), tags=tags.get(contact.id, []))
