"""Reads of conversations for the conversation list."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from cenat_hub.channels.access import channel_clause
from cenat_hub.conversations.schemas import (
    AssignedFilter,
    ContactBrief,
    ConversationItem,
    UserBrief,
)
from cenat_hub.conversations.service import is_window_open, window_closes_at
from cenat_hub.models import Channel, Contact, Conversation, User
from cenat_hub.models.message import DIRECTION_INBOUND


async def list_conversations(
    session: AsyncSession,
    *,
    user: User,
    visible: set[int] | None,
    assigned: AssignedFilter = "all",
    channel_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[ConversationItem]:
    """List conversations on ``visible`` channels, latest activity first."""
    assignee = aliased(User)
    statement = (
        select(Conversation, Contact, Channel, assignee)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .outerjoin(assignee, assignee.id == Conversation.assignee_id)
        .where(channel_clause(Conversation.channel_id, visible))
    )
    if channel_id is not None:
        statement = statement.where(Conversation.channel_id == channel_id)
    if assigned == "mine":
        statement = statement.where(Conversation.assignee_id == user.id)
    elif assigned == "unassigned":
        statement = statement.where(Conversation.assignee_id.is_(None))
    statement = (
        statement.order_by(
            Conversation.last_message_at.desc().nulls_last(), Conversation.id.desc()
        )
        .limit(limit)
        .offset(offset)
    )
    rows = (await session.execute(statement)).all()
    return [
        conversation_item(conversation, contact, channel, owner)
        for conversation, contact, channel, owner in rows
    ]


def conversation_item(
    conversation: Conversation, contact: Contact, channel: Channel, owner: User | None
) -> ConversationItem:
    return ConversationItem(
        id=conversation.id,
        channel_id=channel.id,
        channel_name=channel.name,
        channel_is_active=channel.is_active,
        contact=ContactBrief(
            id=contact.id,
            wa_id=contact.wa_id,
            name=contact.name,
            lead_status=contact.lead_status,
        ),
        last_message_preview=conversation.last_message_preview,
        last_message_at=conversation.last_message_at,
        last_message_direction=conversation.last_message_direction,
        unread_count=conversation.unread_count,
        window_open=is_window_open(conversation),
        window_closes_at=window_closes_at(conversation),
        waiting_reply=conversation.last_message_direction == DIRECTION_INBOUND,
        assignee=UserBrief(id=owner.id, name=owner.name) if owner else None,
    )


async def load_item(
    session: AsyncSession, conversation: Conversation
) -> ConversationItem:
    """Build the list row of one conversation."""
    contact = await session.get(Contact, conversation.contact_id)
    channel = await session.get(Channel, conversation.channel_id)
    assert contact is not None
    assert channel is not None
    owner = (
        await session.get(User, conversation.assignee_id)
        if conversation.assignee_id
        else None
    )
    return conversation_item(conversation, contact, channel, owner)
