from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from cenat_hub.channels.access import (
    channel_clause,
    ensure_channel_visible,
    ensure_contact_visible,
    visible_channel_ids,
)
from cenat_hub.contacts.identity import find_contact_by_any_id
from cenat_hub.errors import NotFoundError
from cenat_hub.messages import queries, sending
from cenat_hub.messages.schemas import SendTextRequest, message_to_dict
from cenat_hub.models import Conversation
from cenat_hub.web.dependencies import CurrentUser, OptionalIdQuery, Session, State

router = APIRouter(prefix="/api", tags=["messages"])


@router.get("/messages/{wa_id}")
async def message_history(
    wa_id: str,
    session: Session,
    user: CurrentUser,
    channel_id: OptionalIdQuery = None,
    before_id: OptionalIdQuery = None,
    limit: Annotated[
        int, Query(ge=1, le=queries.MAX_PAGE_SIZE)
    ] = queries.DEFAULT_PAGE_SIZE,
) -> list[dict[str, Any]]:
    """Return one conversation's messages, oldest first, a page at a time.

    Without ``channel_id`` the contact's most recently active conversation on
    a channel the user may see is used.
    """
    visible = await visible_channel_ids(session, user)
    if channel_id is not None:
        ensure_channel_visible(visible, channel_id)
    contact = await find_contact_by_any_id(session, wa_id)
    if contact is None:
        raise NotFoundError(f"Contact {wa_id} not found.")
    await ensure_contact_visible(session, contact, visible, wa_id)
    statement = select(Conversation).where(
        Conversation.contact_id == contact.id,
        channel_clause(Conversation.channel_id, visible),
    )
    if channel_id is not None:
        statement = statement.where(Conversation.channel_id == channel_id)
    statement = statement.order_by(
        Conversation.last_message_at.desc().nulls_last()
    ).limit(1)
    conversation = (await session.execute(statement)).scalar_one_or_none()
    if conversation is None:
        return []
    messages = await queries.conversation_history(
        session, conversation.id, before_id, limit
    )
    return [message_to_dict(message) for message in messages]


@router.post("/send/text")
async def send_text(
    body: SendTextRequest, session: Session, state: State, user: CurrentUser
) -> dict[str, Any]:
    """Send free text inside the 24-hour window and return the stored message.

    The pending message is committed before Meta is called, so it survives a
    failure of the call and shows at once in other browsers.
    """
    visible = await visible_channel_ids(session, user)
    message, created = await sending.queue_text(session, user, body, visible)
    await session.commit()
    if created:
        await state.events.publish([sending.new_message_event(message)])
        message = await sending.deliver(state, message.id)
    return message_to_dict(message)
