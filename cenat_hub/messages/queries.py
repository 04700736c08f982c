"""Reads of message history."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cenat_hub.channels.access import channel_clause
from cenat_hub.models import Conversation, Message

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


async def conversation_history(
    session: AsyncSession, conversation_id: int, before_id: int | None, limit: int
) -> list[Message]:
    """Return up to ``limit`` messages before ``before_id``, oldest first."""
    statement = select(Message).where(Message.conversation_id == conversation_id)
    if before_id is not None:
        anchor = await session.get(Message, before_id)
        if anchor is not None:
            statement = statement.where(
                (Message.timestamp < anchor.timestamp)
                | ((Message.timestamp == anchor.timestamp) & (Message.id < anchor.id))
            )
    statement = statement.order_by(Message.timestamp.desc(), Message.id.desc()).limit(
        limit
    )
    rows = list((await session.execute(statement)).scalars())
    rows.reverse()
    return rows


async def conversations_of_contact(
    session: AsyncSession, contact_id: int, visible: set[int] | None = None
) -> list[Conversation]:
    """Return a contact's conversations on ``visible`` channels, latest first."""
    statement = (
        select(Conversation)
        .where(
            Conversation.contact_id == contact_id,
            channel_clause(Conversation.channel_id, visible),
        )
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id)
    )
    return list((await session.execute(statement)).scalars())
