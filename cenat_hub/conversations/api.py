"""Routes of the conversation list and of assignment."""

from typing import Annotated

from fastapi import APIRouter, Query

from cenat_hub.channels.access import ensure_channel_visible, visible_channel_ids
from cenat_hub.conversations import queries, service
from cenat_hub.conversations.schemas import (
    AssignedFilter,
    AssignRequest,
    ConversationItem,
)
from cenat_hub.web.dependencies import (
    CurrentUser,
    IdPath,
    OptionalIdQuery,
    Session,
    State,
)

router = APIRouter(prefix="/api/conversations", tags=["conversations"])


@router.get("")
async def list_conversations(
    session: Session,
    user: CurrentUser,
    assigned: AssignedFilter = "all",
    channel_id: OptionalIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[ConversationItem]:
    """List conversations the user may see; ``assigned`` picks mine, unassigned or all."""
    visible = await visible_channel_ids(session, user)
    if channel_id is not None:
        ensure_channel_visible(visible, channel_id)
    return await queries.list_conversations(
        session,
        user=user,
        visible=visible,
        assigned=assigned,
        channel_id=channel_id,
        limit=limit,
        offset=offset,
    )


@router.post("/{conversation_id}/assign")
async def assign_conversation(
    conversation_id: IdPath,
    body: AssignRequest,
    session: Session,
    state: State,
    user: CurrentUser,
) -> ConversationItem:
    """Assign, take or release a conversation; publish the change after commit."""
    conversation = await service.assign_conversation(
        session, user, conversation_id, body.user_id
    )
    item = await queries.load_item(session, conversation)
    await session.commit()
    await state.events.publish([service.assignment_event(conversation)])
    return item
