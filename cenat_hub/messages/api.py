from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from cenat_hub.contacts.identity import find_contact_by_any_id
from cenat_hub.errors import NotFoundError
from cenat_hub.messages import queries, sending
from cenat_hub.messages.schemas import SendTextRequest, message_to_dict
from cenat_hub.models import Conversation
from cenat_hub.web.dependencies import CurrentUser, Session, State

router = APIRouter(prefix="/api", tags=["messages"])


@router.get("/messages/{wa_id}")
async def message_history(
    wa_id: str,
    session: Session,
    _user: CurrentUser,
    channel_id: int | None = None,
    before_id: int | None = None,
    limit: Annotated[
        int, Query(ge=1, le=queries.MAX_PAGE_SIZE)
    ] = queries.DEFAULT_PAGE_SIZE,
) -> list[dict[str, Any]]:
    """Return one conversation's messages, oldest first, a page at a time.

    Without ``channel_id`` the contact's most recently active conversation is used.
    """
    contact = await find_contact_by_any_id(session, wa_id)
    if contact is None:
        raise NotFoundError(f"Contact {wa_id} not found.")
    statement = select(Conversation).where(Conversation.contact_id == contact.id)
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
    """Send free text inside the 24-hour window; answer with the stored message.

    The pending message is committed before Meta is called, so it survives a
    failure of the call and shows at once in other browsers.
    """
    message, created = await sending.queue_text(session, user, body)
    await session.commit()
    if created:
        await state.events.publish([sending.new_message_event(message)])
        message = await sending.deliver(state, message.id)
    return message_to_dict(message)
