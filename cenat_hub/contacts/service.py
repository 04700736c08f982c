"""Reads of contacts for the API: lists with filters, and one contact's detail."""

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.access import (
    channel_clause,
    contact_clause,
    ensure_contact_visible,
)
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
from cenat_hub.models import Contact, ContactIdentity, ContactTag, Conversation, Tag
from cenat_hub.models.contact import LEAD_STATUSES

MAX_SEARCH_CHARS = 100


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_contacts(
    session: AsyncSession,
    *,
    visible: set[int] | None = None,
    channel_id: int | None,
    lead_status: str | None,
    tag_id: int | None,
    search: str | None,
    limit: int,
    offset: int,
) -> list[ContactOut]:
    """List contacts, most recent activity first, with their tags.

    ``visible`` limits the list, and each contact's last activity, to those
    channels (see ``cenat_hub.channels.access``).
    """
    if lead_status is not None and lead_status not in LEAD_STATUSES:
        raise InvalidInputError(
            f"Lead status {lead_status!r} is invalid; use one of {', '.join(LEAD_STATUSES)}."
        )
    last_activity = (
        select(
            Conversation.contact_id,
            func.max(Conversation.last_message_at).label("last_message_at"),
        )
        .where(channel_clause(Conversation.channel_id, visible))
        .group_by(Conversation.contact_id)
        .subquery()
    )
    statement: Select[tuple[Contact, object]] = select(
        Contact, last_activity.c.last_message_at
    ).outerjoin(last_activity, last_activity.c.contact_id == Contact.id)
    statement = statement.where(contact_clause(visible))
    if channel_id is not None:
        statement = statement.where(
            Contact.id.in_(
                select(Conversation.contact_id).where(
                    Conversation.channel_id == channel_id
                )
            )
        )
    if lead_status is not None:
        statement = statement.where(Contact.lead_status == lead_status)
    if tag_id is not None:
        statement = statement.where(
            Contact.id.in_(
                select(ContactTag.contact_id).where(ContactTag.tag_id == tag_id)
            )
        )
    if search:
        statement = statement.where(_search_clause(search[:MAX_SEARCH_CHARS]))
    statement = (
        statement.order_by(
            last_activity.c.last_message_at.desc().nulls_last(), Contact.id.desc()
        )
        .limit(limit)
        .offset(offset)
    )
    rows = (await session.execute(statement)).all()
    contact_ids = [contact.id for contact, _ in rows]
    tags = await _tags_by_contact(session, contact_ids)
    latest = await _latest_conversations(session, contact_ids)
    return [
        ContactOut(
            **_contact_fields(contact),
            tags=tags.get(contact.id, []),
            last_message_at=last_message_at,
            last_message_preview=_preview_of(latest.get(contact.id)),
            unread_count=_unread_of(latest.get(contact.id)),
        )
        for contact, last_message_at in rows
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


def _search_clause(search: str) -> object:
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


def _contact_fields(contact: Contact) -> dict[str, object]:
    return {
        "id": contact.id,
        "wa_id": contact.wa_id,
        "name": contact.name,
        "user_id": contact.user_id,
        "lead_status": contact.lead_status,
        "notes": contact.notes,
        "channel_id": contact.channel_id,
        "created_at": contact.created_at,
    }


async def _tags_by_contact(
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
    tags = await _tags_by_contact(session, [contact.id])
    latest = conversations[0] if conversations else None
    return ContactDetail(
        **_contact_fields(contact),
        tags=tags.get(contact.id, []),
        last_message_at=latest.last_message_at if latest else None,
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
