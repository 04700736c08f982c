"""The owner of the open conversation in the chat header, with take and release.

Agents take a free conversation or release their own, and admins take any.
Handing a conversation to someone else is done through
``POST /api/conversations/{id}/assign``.
"""

from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from cenat_hub.channels.access import visible_channel_ids
from cenat_hub.conversations import service
from cenat_hub.errors import CenatHubError, ConflictError, PermissionDeniedError
from cenat_hub.i18n import gettext
from cenat_hub.inbox import queries
from cenat_hub.models import Conversation, User
from cenat_hub.web.dependencies import IdPath, Session, State
from cenat_hub.web.pages import PageUser
from cenat_hub.web.templating import templates

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/conversas", include_in_schema=False)


async def _render(
    request: Request,
    session: Session,
    user: User,
    conversation: Conversation,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    assignee_name = None
    if conversation.assignee_id is not None:
        names = await queries.user_names(session, {conversation.assignee_id})
        assignee_name = names.get(conversation.assignee_id)
    context = {
        "conversation": conversation,
        "assignee_name": assignee_name,
        "user": user,
        "error": error,
    }
    return templates.TemplateResponse(
        request, "inbox/_assignment.html", context, status_code=status_code
    )


def _message_for(error: CenatHubError) -> str:
    if isinstance(error, ConflictError):
        return gettext("Another agent took this conversation first.")
    if isinstance(error, PermissionDeniedError):
        return gettext("Only its owner or an admin can release this conversation.")
    return gettext("The conversation could not be changed. Try again.")


@router.get("/{conversation_id}/responsavel", response_class=HTMLResponse)
async def assignment_fragment(
    conversation_id: IdPath, request: Request, session: Session, user: PageUser
) -> Response:
    visible = await visible_channel_ids(session, user)
    conversation = await service.get_visible_conversation(
        session, conversation_id, visible
    )
    return await _render(request, session, user, conversation)


@router.post("/{conversation_id}/responsavel", response_class=HTMLResponse)
async def change_assignment(
    conversation_id: IdPath,
    request: Request,
    session: Session,
    state: State,
    user: PageUser,
    action: Annotated[Literal["take", "release"], Form()],
) -> Response:
    """Take the conversation for the current user, or release it."""
    assignee_id = user.id if action == "take" else None
    try:
        conversation = await service.assign_conversation(
            session, user, conversation_id, assignee_id
        )
    except (ConflictError, PermissionDeniedError) as error:
        log.info(
            "inbox.assignment_rejected",
            conversation_id=conversation_id,
            user_id=user.id,
            code=error.code,
        )
        visible = await visible_channel_ids(session, user)
        current = await service.get_visible_conversation(
            session, conversation_id, visible
        )
        return await _render(
            request,
            session,
            user,
            current,
            error=_message_for(error),
            status_code=error.status_code,
        )
    await session.commit()
    await state.events.publish([service.assignment_event(conversation)])
    return await _render(request, session, user, conversation)
